import fs from 'node:fs/promises';
import sharp from 'sharp';
import type { CallArgs, CallResult } from '../../contract/contract.js';
import { describeDecodeError } from '../decode-errors.js';
import { NotFoundError, errorMessage } from '../errors.js';
import type { LibraryStore } from '../library-store.js';
import { PIXEL_LIMIT } from '../library/metadata.js';
import { type ThumbnailSize, thumbnailPath } from '../library/thumbnails.js';

/** Formats every browser engine Iris renders in (Chromium) shows as they are. */
const BROWSER_FORMATS: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif' };

/** Raised when a photo or its thumbnail does not exist (a transport answers 404). */
/**
 * The bytes behind iris://thumb|preview|photo/<id>: photos are addressed by id only, so the UI can
 * never name a file. Originals in formats a browser cannot show (TIFF, HEIC, 16-bit PNG is fine)
 * are converted to JPEG in memory; the original file is only ever read.
 */
export async function readMedia(store: LibraryStore, thumbnailDir: string, { kind, id }: CallArgs<'media.read'>): Promise<CallResult<'media.read'>> {
  const hash = store.hashOf(id);
  if (!hash) throw new NotFoundError(`no photo with id ${id}`);
  if (kind !== 'photo') {
    const size: ThumbnailSize = kind === 'thumb' ? 256 : 1024;
    try {
      return { mime: 'image/webp', bytes: new Uint8Array(await fs.readFile(thumbnailPath(thumbnailDir, hash, size))) };
    } catch {
      throw new NotFoundError(`photo ${id} has no ${kind} yet`);
    }
  }
  const photo = store.getPhoto(id);
  const location = photo?.paths.find(Boolean);
  if (!photo || !location) throw new NotFoundError(`photo ${id} has no file on disk`);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(location);
  } catch (error) {
    throw new NotFoundError(`cannot read ${location}: ${errorMessage(error)}`);
  }
  const mime = photo.format ? BROWSER_FORMATS[photo.format] : undefined;
  if (mime) return { mime, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  try {
    const jpeg = await sharp(bytes, { limitInputPixels: PIXEL_LIMIT }).autoOrient().toColourspace('srgb').jpeg({ quality: 92 }).toBuffer();
    return { mime: 'image/jpeg', bytes: new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength) };
  } catch (error) {
    throw describeDecodeError(error);
  }
}
