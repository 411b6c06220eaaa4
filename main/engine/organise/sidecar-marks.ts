import { errorMessage } from '../errors.js';
import type { LibraryStore } from '../library-store.js';
import { readSidecarsFor, writeSidecar } from '../xmp/sidecar.js';
import type { OrganiseStore } from './organise-store.js';

/**
 * "Write to sidecars": a photo's stars, reject, colour label and keywords into the XMP sidecar of
 * each of its files, merged as captions are (xmp/merge.ts, xmp/organise.ts): everything else in the
 * sidecar stays. Iris's keywords are the truth at that moment: a keyword in the sidecar that Iris
 * does not have was removed in Iris (every sidecar keyword is taken in when the sidecar is read), so
 * it goes. The photo files themselves are never opened for writing.
 */

export interface SidecarMarksResult {
  created: number;
  updated: number;
  unchanged: number;
  failed: { photoId: number; path: string | null; error: string }[];
  /** Each sidecar written (or that would be, with dryRun). */
  written: { photoId: number; path: string; outcome: 'created' | 'updated' | 'unchanged' }[];
}

export async function writeMarksToSidecars(
  deps: { store: LibraryStore; marks: OrganiseStore; afterWrite?: (photoId: number, photoPath: string) => Promise<unknown> },
  photoIds: readonly number[],
  options: { dryRun?: boolean; style?: 'auto' | 'append' | 'replace' } = {},
): Promise<SidecarMarksResult> {
  const result: SidecarMarksResult = { created: 0, updated: 0, unchanged: 0, failed: [], written: [] };
  for (const photoId of photoIds) {
    const marks = deps.marks.marksOf(photoId);
    const keywords = deps.marks.keywordsOf(photoId);
    const locations = deps.store.locationsOf(photoId);
    if (locations.length === 0) result.failed.push({ photoId, path: null, error: 'no file of this photo is known' });
    for (const location of locations) {
      try {
        const before = await readSidecarsFor(location.path);
        const kept = new Set(keywords.map((keyword) => keyword.keyword.toLowerCase()));
        const removed = (before.organise?.keywords ?? []).filter((keyword) => !kept.has(keyword.toLowerCase()));
        const written = await writeSidecar(
          location.path,
          {
            subjects: [],
            organise: {
              rating: marks.rating,
              rejected: marks.rejected,
              label: marks.label,
              keywords: keywords.map((keyword) => keyword.keyword),
              hierarchical: keywords.flatMap((keyword) => (keyword.hierarchy ? [keyword.hierarchy] : [])),
              removedKeywords: removed,
            },
          },
          { dryRun: options.dryRun, style: options.style },
        );
        result[written.outcome]++;
        result.written.push({ photoId, path: written.path, outcome: written.outcome });
        // What Iris just wrote is not news from another app: the sidecar's new size and time are noted as read.
        if (!options.dryRun && written.outcome !== 'unchanged') await deps.afterWrite?.(photoId, location.path);
      } catch (error) {
        result.failed.push({ photoId, path: location.path, error: errorMessage(error) });
      }
    }
  }
  return result;
}
