/**
 * The Content-Security-Policy of the app's own pages, sent as a response header by the app://
 * handler (a header, not a <meta>, so it holds before the first byte of HTML is parsed and also
 * covers frame-ancestors, which <meta> cannot set).
 *
 * - scripts and everything else only from the bundle ('self' = app://iris, see schemes.ts);
 * - images also from iris: (photos by id), data: and blob: (canvas previews);
 * - inline styles allowed: Svelte's transitions write style attributes;
 * - no plugins, no <base>, never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "img-src 'self' iris: data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every app:// page response carries. */
export function pageSecurityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}
