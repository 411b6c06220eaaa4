import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * Every option of the main window, in one pure function so that a test can pin the security ones.
 * The renderer is untrusted by design: it gets no Node, runs in Chromium's sandbox, is isolated
 * from the preload, and reaches main only through `window.iris`.
 */
export function windowOptions(preloadPath: string, { devTools }: { devTools: boolean }): BrowserWindowConstructorOptions {
  return {
    title: 'Iris',
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    // Shown on 'ready-to-show', so the window never flashes white before the first paint.
    show: false,
    backgroundColor: '#16171a',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools,
    },
  };
}
