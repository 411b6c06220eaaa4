import type { CustomScheme } from 'electron';

/**
 * The two URL schemes the desktop app serves itself.
 *
 * `app://iris/…` is the renderer bundle (dist/renderer). A custom standard scheme rather than
 * file:// because it gives the page a fixed, unique origin: under file:// every local file is
 * "the same place", so CSP 'self' would allow any file on disk, the sender-frame check could not
 * tell our page from another local page, and the `grantFileProtocolExtraPrivileges` fuse could not
 * be turned off. It also lets main answer with real response headers (the CSP below), which
 * file:// responses never carry.
 *
 * `iris://thumb|preview|photo/<id>` are a photo's bytes, by id only (see media-url.ts).
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'iris';
const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** What the window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export const MEDIA_SCHEME = 'iris';

/**
 * Registered before `app` is ready (Electron's rule). `standard` gives real origins and relative
 * URL resolution, `secure` makes the page a secure context (as https would), `supportFetchAPI`
 * lets fetch() and <img> use them. Neither bypasses CSP, and neither is opened to CORS: nothing
 * from another origin needs to read them.
 */
export const privilegedSchemes: readonly CustomScheme[] = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, bypassCSP: false, corsEnabled: false } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, bypassCSP: false, corsEnabled: false } },
];

/**
 * True for a URL of the app's own pages: exactly `app://iris/…`, no credentials, no port. (Node's
 * URL gives custom schemes an opaque "null" origin, so scheme and host are compared instead.)
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}
