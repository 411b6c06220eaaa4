import type { Session, WebContents } from 'electron';
import { isAppUrl } from './schemes.js';

type Preventable = { preventDefault(): void };

/**
 * Locks a web contents to the app: it may not navigate or be redirected away from app://iris, may
 * not open windows (links to the web go through `app.openExternal`), and may not attach a
 * <webview>. Applied to every web contents the app creates ('web-contents-created'), so a window
 * added later is covered too. Returns what it refused, for logging.
 */
export function hardenWebContents(
  contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>,
  onRefused: (what: string, url: string) => void = () => {},
): void {
  const stayInApp = (event: Preventable, url: string, what: string) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    onRefused(what, url);
  };
  contents.on('will-navigate', (event, url) => stayInApp(event, url, 'navigation'));
  contents.on('will-frame-navigate', (event) => stayInApp(event, event.url, 'frame navigation'));
  contents.on('will-redirect', (event, url) => stayInApp(event, url, 'redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    onRefused('webview', '');
  });
  contents.setWindowOpenHandler(({ url }) => {
    onRefused('new window', url);
    return { action: 'deny' };
  });
}

/**
 * Refuses every permission (camera, microphone, geolocation, notifications, HID, USB, serial,
 * clipboard read, …): a photo manager's window needs none, and the permission prompt would be
 * Electron's, not the OS's.
 */
export function denyAllPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
