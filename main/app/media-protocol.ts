import type { CallResult } from '../contract/contract.js';
import { IrisCallError } from '../contract/rpc.js';
import { type MediaRequest, parseMediaUrl } from './media-url.js';

export type ReadMedia = (request: MediaRequest) => Promise<CallResult<'media.read'>>;

/**
 * Answers iris://thumb|preview|photo/<id> by asking the engine (`media.read`, internal), and
 * iris://tile/<z>/<x>/<y> (`map.tile`, internal, only with online tiles on). Only GET
 * and image types are served. Thumbnails and previews may be cached a little (a grid scrolls back
 * and forth); originals are never kept (they can be large, and they are the user's private photos).
 */
export async function mediaResponse(method: string, rawUrl: string, readMedia: ReadMedia): Promise<Response> {
  const base = { 'X-Content-Type-Options': 'nosniff' };
  if (method !== 'GET') return new Response('method not allowed', { status: 405, headers: { ...base, Allow: 'GET' } });
  const request = parseMediaUrl(rawUrl);
  if (!request) return new Response('bad request: expected iris://thumb|preview|photo/<id> or iris://tile/<z>/<x>/<y>', { status: 400, headers: base });
  let media: CallResult<'media.read'>;
  try {
    media = await readMedia(request);
  } catch (error) {
    const status = statusFor(error);
    // The engine's message is not echoed: it can name a file path, and the page asked by id.
    return new Response(status === 404 ? 'not found' : 'cannot read this photo now', { status, headers: base });
  }
  if (!/^image\/[a-z0-9.+-]+$/.test(media.mime)) return new Response('not an image', { status: 502, headers: base });
  // Tiles are kept by the engine for days; a day in the page's cache is plenty.
  const cache = request.kind === 'photo' ? 'no-store' : request.kind === 'tile' ? 'private, max-age=86400' : 'private, max-age=300';
  return new Response(media.bytes as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { ...base, 'Content-Type': media.mime, 'Content-Length': String(media.bytes.byteLength), 'Cache-Control': cache },
  });
}

/** The engine's error code as an HTTP status an <img> understands. */
function statusFor(error: unknown): number {
  if (!(error instanceof IrisCallError)) return 500;
  switch (error.code) {
    case 'not-found':
      return 404;
    case 'usage':
      // A photo that exists but cannot be shown (a file that no longer decodes).
      return 422;
    case 'unavailable':
      return 503;
    case 'invalid-args':
      return 400;
    default:
      return 500;
  }
}
