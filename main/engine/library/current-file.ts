import fs from 'node:fs/promises';
import type { LibraryStore } from '../library-store.js';

/** The file to read for a photo: a location whose mtime is still the one recorded for those bytes. */
export async function currentFile(store: LibraryStore, photoId: number): Promise<string> {
  for (const location of store.locationsOf(photoId)) {
    const stat = await fs.stat(location.path).catch(() => undefined);
    // A changed file is somebody else's business: the rescan or watcher records its new bytes.
    if (stat && Math.floor(stat.mtimeMs) === location.mtimeMs) return location.path;
  }
  throw new Error('file changed or vanished before it could be read');
}
