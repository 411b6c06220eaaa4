import type { MenuItemConstructorOptions } from 'electron';

/**
 * The application menu: the standard roles only (so copy and paste, zoom and full screen work and
 * are localised by the OS), and developer tools only when not packaged.
 */
export function menuTemplate({ platform, devTools }: { platform: NodeJS.Platform; devTools: boolean }): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(devTools ? ([{ role: 'forceReload' }, { role: 'toggleDevTools' }] as const) : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(platform === 'darwin' ? [{ role: 'appMenu' } as const] : [{ label: 'File', submenu: [{ role: 'quit' } as const] }]),
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ];
}
