import fs from 'node:fs/promises';
import { PhotoReadError } from '../decode-errors.js';
import { hashBuffer } from '../hash.js';
import type { LibraryStore } from '../library-store.js';
import { formatWallClock, readMetadata } from '../library/metadata.js';
import { makeThumbnails } from '../library/thumbnails.js';

/** Files above this are refused rather than read into memory (no photo format Iris reads gets near it). */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/**
 * Reads one photo: finds a location whose bytes still hash to the photo, reads its metadata from
 * the header, then decodes it once for the thumbnails. On success the photo is `ok`; a photo that
 * cannot be decoded throws PhotoReadError (not worth retrying) and the runner marks it failed.
 */
export async function runThumbnailJob(
  store: LibraryStore,
  thumbnailDir: string,
  photoId: number,
  /** Takes in what other apps wrote in the photo's XMP (organise/xmp-import.ts); the embedded packet is passed on. */
  readXmp?: (photoId: number, photoPath: string, embedded: Buffer | undefined) => Promise<void>,
): Promise<void> {
  const hash = store.hashOf(photoId);
  if (!hash) return; // the photo left the library while the job waited
  const locations = store.locationsOf(photoId);
  if (locations.length === 0) return; // hidden photo: nothing to read until it comes back
  let source: { bytes: Buffer; mtimeMs: number; path: string } | undefined;
  for (const location of locations) {
    const stat = await fs.stat(location.path).catch(() => undefined);
    if (!stat) continue;
    if (stat.size > MAX_FILE_BYTES) {
      throw new PhotoReadError(`refused: file is ${(stat.size / 2 ** 20).toFixed(0)} MiB, over the ${MAX_FILE_BYTES / 2 ** 20} MiB limit`, 'too-large');
    }
    const bytes = await fs.readFile(location.path);
    // The file may have changed since it was hashed; then the rescan or watcher records its new bytes.
    if (hashBuffer(bytes) === hash) {
      source = { bytes, mtimeMs: location.mtimeMs, path: location.path };
      break;
    }
  }
  if (!source) throw new Error('file changed or vanished before it could be read');

  const metadata = await readMetadata(source.bytes);
  store.saveMetadata(photoId, {
    ...metadata,
    takenAt: metadata.takenAt ?? formatWallClock(new Date(source.mtimeMs)),
    takenAtSource: metadata.takenAt ? 'exif' : 'mtime',
  });
  await makeThumbnails(source.bytes, hash, thumbnailDir);
  await readXmp?.(photoId, source.path, metadata.xmp);
  store.setStatus(photoId, 'ok');
}
