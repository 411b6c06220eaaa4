/**
 * The one way out of the app to the web: `app.openExternal` hands a URL to the system browser
 * (shell.openExternal), which will open anything the OS can: file:, smb:, custom app handlers.
 * So only plain https links pass, re-parsed here rather than trusting the renderer's string.
 */
export type ExternalUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

const MAX_LENGTH = 2048;

export function checkExternalUrl(raw: unknown): ExternalUrlCheck {
  if (typeof raw !== 'string') return { ok: false, reason: 'not a string' };
  if (raw.length > MAX_LENGTH) return { ok: false, reason: `longer than ${MAX_LENGTH} characters` };
  // Control characters and spaces have no place in a link and have fooled URL handlers before.
  if (hasSpaceOrControl(raw)) return { ok: false, reason: 'contains whitespace or control characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: `only https links open (got ${url.protocol})` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'links with credentials are refused' };
  if (url.hostname === '') return { ok: false, reason: 'no host' };
  // The serialised form is what the browser gets: normalised, so it is the URL that was checked.
  return { ok: true, url: url.href };
}

function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}
