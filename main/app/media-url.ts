import type { CallArgs } from '../contract/contract.js';
import { MEDIA_SCHEME } from './schemes.js';

export type MediaRequest = CallArgs<'media.read'>;

const KINDS: ReadonlySet<string> = new Set<MediaRequest['kind']>(['thumb', 'preview', 'photo']);
/** A positive integer written plainly: no sign, no leading zero, no exponent, at most 15 digits. */
const ID = /^[1-9][0-9]{0,14}$/;
/**
 * The one query allowed: `?r=<n>`, a cache-buster the grid adds to ask again for a thumbnail that
 * was not made yet. It names nothing and is dropped here.
 */
const RETRY = /^\?r=[1-9][0-9]{0,8}$/;

/**
 * `iris://thumb/<id>`, `iris://preview/<id>`, `iris://photo/<id>` and nothing else: no paths, no
 * dots, no extra segments, no query (but a retry counter) or fragment, no credentials or port. Anything else is null and
 * the protocol handler answers 400. The UI can name a photo only by its id.
 */
export function parseMediaUrl(raw: string): MediaRequest | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${MEDIA_SCHEME}:`) return null;
  if (url.username || url.password || url.port || url.hash) return null;
  if (url.search && !RETRY.test(url.search)) return null;
  if (!KINDS.has(url.hostname)) return null;
  // The raw string is checked as well as the parsed one: the URL parser resolves "a/../1" to "1".
  const expected = `${MEDIA_SCHEME}://${url.hostname}${url.pathname}${url.search}`;
  if (raw !== expected) return null;
  const id = url.pathname.slice(1);
  if (!ID.test(id)) return null;
  return { kind: url.hostname as MediaRequest['kind'], id: Number(id) };
}
