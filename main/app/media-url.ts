import type { CallArgs } from '../contract/contract.js';
import { MEDIA_SCHEME } from './schemes.js';

/** A photo's bytes by id, or a map tile by zoom and position (map.tile). */
export type MediaRequest = CallArgs<'media.read'> | ({ kind: 'tile' } & CallArgs<'map.tile'>);

const KINDS: ReadonlySet<string> = new Set<MediaRequest['kind']>(['thumb', 'preview', 'photo', 'tile']);
/** A positive integer written plainly: no sign, no leading zero, no exponent, at most 15 digits. */
const ID = /^[1-9][0-9]{0,14}$/;
/** A tile: /<z>/<x>/<y>, each a plain whole number (0 allowed), z at most 19 and x, y inside the zoom's grid. */
const TILE = /^\/(0|1[0-9]?|[2-9])\/(0|[1-9][0-9]{0,5})\/(0|[1-9][0-9]{0,5})$/;
/**
 * The one query allowed: `?r=<n>`, a cache-buster the grid adds to ask again for a thumbnail that
 * was not made yet. It names nothing and is dropped here.
 */
const RETRY = /^\?r=[1-9][0-9]{0,8}$/;

/**
 * `iris://thumb/<id>`, `iris://preview/<id>`, `iris://photo/<id>`, `iris://tile/<z>/<x>/<y>` and nothing else: no paths, no
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
  if (url.hostname === 'tile') {
    const tile = TILE.exec(url.pathname);
    if (!tile || url.search) return null;
    const [z, x, y] = [Number(tile[1]), Number(tile[2]), Number(tile[3])];
    return x < 2 ** z && y < 2 ** z ? { kind: 'tile', z, x, y } : null;
  }
  const id = url.pathname.slice(1);
  if (!ID.test(id)) return null;
  return { kind: url.hostname as CallArgs<'media.read'>['kind'], id: Number(id) };
}
