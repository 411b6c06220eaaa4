import fs from 'node:fs/promises';
import sharp from 'sharp';
import type { Db } from '../db/database.js';
import type { LibraryStore } from '../library-store.js';
import { thumbnailPath } from '../library/thumbnails.js';
import type { ClipSearch } from '../search/clip-search.js';

/**
 * The duplicates review: `iris duplicates`' groups with what tells the copies apart (size,
 * resolution, date, sharpness, how much metadata), and which copy each rule would keep. Nothing
 * here deletes or changes a file: the person hides the copies they do not keep (photos.hide).
 */

export interface DuplicateCopy {
  id: number;
  path: string;
  size: number;
  width: number | null;
  height: number | null;
  format: string | null;
  takenAt: string | null;
  sharpness: number | null;
  metadata: number;
  hidden: boolean;
  similarity: number;
}

export interface DuplicateGroup {
  photos: DuplicateCopy[];
  keep: { largest: number; sharpest: number; metadata: number };
}

/**
 * Variance of the Laplacian of the grey 256 px thumbnail: the usual focus measure (Pech-Pacheco
 * et al., 2000). Computed here on the raw pixels rather than with sharp's convolve, whose 8-bit
 * output clips the Laplacian's negative half. Copies are compared at the same thumbnail size, so a
 * larger original does not look sharper merely for its resolution.
 */
async function sharpnessOf(thumbnail: string): Promise<number | null> {
  let data: Buffer;
  let width: number;
  let height: number;
  try {
    const out = await sharp(await fs.readFile(thumbnail)).greyscale().raw().toBuffer({ resolveWithObject: true });
    data = out.data;
    width = out.info.width;
    height = out.info.height;
  } catch {
    return null; // no thumbnail yet (still being read), or not readable
  }
  if (width < 3 || height < 3) return null;
  let sum = 0;
  let sumSquares = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const laplacian = data[i - width]! + data[i + width]! + data[i - 1]! + data[i + 1]! - 4 * data[i]!;
      sum += laplacian;
      sumSquares += laplacian * laplacian;
      n++;
    }
  }
  const mean = sum / n;
  return Math.round((sumSquares / n - mean * mean) * 10) / 10;
}

/** How much is known about a photo: each EXIF field, caption, keyword, star, label, album and named face counts one. */
function metadataCounts(db: Db, ids: readonly number[]): Map<number, number> {
  const rows = db
    .prepare(
      `SELECT p.id,
         (p.taken_at IS NOT NULL AND p.taken_at_source = 'exif') + (p.camera_model IS NOT NULL) + (p.lens IS NOT NULL) + (p.gps_lat IS NOT NULL)
         + (SELECT count(*) FROM captions c WHERE c.photo_id = p.id)
         + (SELECT count(*) FROM photo_keywords k WHERE k.photo_id = p.id)
         + coalesce((SELECT (m.rating > 0) + m.favourite + (m.label IS NOT NULL) FROM photo_marks m WHERE m.photo_id = p.id), 0)
         + (SELECT count(*) FROM album_photos a WHERE a.photo_id = p.id)
         + (SELECT count(*) FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.photo_id = p.id AND pe.name IS NOT NULL) AS n
       FROM photos p WHERE p.id IN (SELECT value FROM json_each(?))`,
    )
    .raw()
    .all(JSON.stringify(ids)) as [number, number][];
  return new Map(rows);
}

/** The best copy by a score, ties to the first (the best connected). */
function best(photos: readonly DuplicateCopy[], score: (copy: DuplicateCopy) => number): number {
  return photos.reduce((winner, copy) => (score(copy) > score(winner) ? copy : winner)).id;
}

export async function reviewDuplicates(deps: { db: Db; store: LibraryStore; thumbnails: string; clip: ClipSearch }, options: { threshold?: number; includeHidden?: boolean } = {}): Promise<{ threshold: number; groups: DuplicateGroup[] }> {
  const { threshold, groups } = deps.clip.duplicates(options.threshold, 16, options.includeHidden ?? true);
  const ids = groups.flatMap((group) => group.photos.map((photo) => photo.id));
  const metadata = metadataCounts(deps.db, ids);
  const hidden = new Set(deps.db.prepare(`SELECT photo_id FROM photo_marks WHERE hidden_at IS NOT NULL AND photo_id IN (SELECT value FROM json_each(?))`).pluck().all(JSON.stringify(ids)) as number[]);
  const reviewed: DuplicateGroup[] = [];
  for (const group of groups) {
    const first = deps.clip.vectorOf(group.photos[0]!.id);
    const photos: DuplicateCopy[] = [];
    for (const hit of group.photos) {
      const photo = deps.store.getPhoto(hit.id);
      if (!photo) continue;
      const vector = deps.clip.vectorOf(hit.id);
      photos.push({
        id: photo.id,
        path: hit.path,
        size: photo.size,
        width: photo.width,
        height: photo.height,
        format: photo.format,
        takenAt: photo.takenAt,
        sharpness: await sharpnessOf(thumbnailPath(deps.thumbnails, photo.hash, 256)),
        metadata: metadata.get(photo.id) ?? 0,
        hidden: hidden.has(photo.id),
        similarity: first && vector ? Math.round(dot(first, vector) * 1e4) / 1e4 : 1,
      });
    }
    if (photos.length < 2) continue;
    reviewed.push({
      photos,
      keep: {
        largest: best(photos, (copy) => (copy.width ?? 0) * (copy.height ?? 0) * 1e3 + copy.size / 1e9),
        sharpest: best(photos, (copy) => copy.sharpness ?? -1),
        metadata: best(photos, (copy) => copy.metadata),
      },
    });
  }
  return { threshold, groups: reviewed };
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
