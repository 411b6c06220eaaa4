import type { LibraryStore } from '../library-store.js';
import type { OrganiseStore } from './organise-store.js';

export interface SidecarMarksResult {
  created: number;
  updated: number;
  unchanged: number;
  failed: { photoId: number; path: string | null; error: string }[];
}

// Placeholder while the XMP merge lands (xmp/organise.ts).
export async function writeMarksToSidecars(_deps: { store: LibraryStore; marks: OrganiseStore }, photoIds: readonly number[], _options: { dryRun?: boolean } = {}): Promise<SidecarMarksResult> {
  return { created: 0, updated: 0, unchanged: 0, failed: photoIds.map((photoId) => ({ photoId, path: null, error: 'not yet' })) };
}
