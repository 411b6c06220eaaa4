import path from 'node:path';
import type { CaptionStore } from '../captions/caption-store.js';
import type { Db } from '../db/database.js';
import type { Problem } from '../events.js';
import type { EditStore } from '../edits/edit-store.js';
import type { LibraryStore } from '../library-store.js';
import type { LibraryLayout } from '../paths.js';
import type { ClipSearch } from '../search/clip-search.js';
import { AlbumStore } from './album-store.js';
import { type DuplicateGroup, reviewDuplicates } from './duplicates-review.js';
import { type ExportOptions, type ExportResult, exportPhotos } from './export-photos.js';
import { OrganiseStore } from './organise-store.js';
import { importPhotoXmp } from './xmp-import.js';
import { type SidecarMarksResult, writeMarksToSidecars } from './sidecar-marks.js';

interface OrganiseDeps {
  db: Db;
  captions: CaptionStore;
  onProblem: (problem: Problem) => void;
  layout: LibraryLayout;
  store: LibraryStore;
  edits: EditStore;
  clip: () => ClipSearch;
}

/**
 * Everything a person does to organise photos, in one place: marks (heart, stars, reject, colour
 * label), keywords, hidden duplicates, albums, the metadata other apps keep in XMP (read on import,
 * written back on request), the duplicates review and export. None of it ever writes a photo file.
 */
export class OrganiseService {
  readonly marks: OrganiseStore;
  readonly albums: AlbumStore;

  constructor(private readonly deps: OrganiseDeps) {
    this.marks = new OrganiseStore(deps.db);
    this.albums = new AlbumStore(deps.db);
  }

  /**
   * Takes in the stars, labels, keywords and description other apps wrote in the photo's XMP (its
   * sidecars, and `embedded` from the file) when they are new or changed; a sidecar that cannot be
   * read is reported as a problem, and the photo is read all the same.
   */
  async importXmp(photoId: number, photoPath: string, embedded: Uint8Array | undefined | 'unchanged'): Promise<boolean> {
    const outcome = await importPhotoXmp({ marks: this.marks, captions: this.deps.captions }, photoId, photoPath, embedded);
    for (const problem of outcome.problems) this.deps.onProblem({ scope: 'xmp', path: problem.path, message: problem.error });
    return outcome.applied;
  }

  /**
   * A sidecar appeared, changed or went (the watcher, or a scan that saw it): the photos it
   * belongs to (`photo.jpg` for `photo.jpg.xmp`; every `photo.*` for `photo.xmp`) read it again.
   * Returns how many photos took something from it.
   */
  async sidecarChanged(sidecar: string): Promise<number> {
    let applied = 0;
    for (const { photoId, path: photoPath } of this.photosOfSidecar(sidecar)) {
      if (await this.importXmp(photoId, photoPath, 'unchanged')) applied++;
    }
    return applied;
  }

  private photosOfSidecar(sidecar: string): { photoId: number; path: string }[] {
    const folder = path.dirname(sidecar);
    const name = path.basename(sidecar);
    if (!/\.xmp$/i.test(name)) return [];
    const subject = name.slice(0, -4);
    const rows = this.deps.db
      .prepare(`SELECT l.photo_id AS photoId, l.path FROM locations l JOIN photos p ON p.id = l.photo_id WHERE p.status = 'ok' AND l.path > ? AND l.path < ?`)
      .all(folder + path.sep, folder + String.fromCharCode(path.sep.charCodeAt(0) + 1)) as { photoId: number; path: string }[];
    return rows.filter((row) => {
      if (path.dirname(row.path) !== folder) return false;
      const base = path.basename(row.path).toLowerCase();
      return base === subject.toLowerCase() || base.slice(0, base.length - path.extname(base).length) === subject.toLowerCase();
    });
  }

  duplicates(options: { threshold?: number; includeHidden?: boolean } = {}): Promise<{ threshold: number; groups: DuplicateGroup[] }> {
    const { db, store, layout } = this.deps;
    return reviewDuplicates({ db, store, thumbnails: layout.thumbnails, clip: this.deps.clip() }, options);
  }

  export(photoIds: readonly number[], folder: string, options: ExportOptions): Promise<ExportResult> {
    return exportPhotos({ store: this.deps.store, edits: this.deps.edits, libraryDir: this.deps.layout.dir }, photoIds, folder, options);
  }

  /** Stars, reject, colour label and keywords into the photos' XMP sidecars, merged without loss. */
  writeSidecars(photoIds: readonly number[], options: { dryRun?: boolean; style?: 'auto' | 'append' | 'replace' } = {}): Promise<SidecarMarksResult> {
    return writeMarksToSidecars({ store: this.deps.store, marks: this.marks, afterWrite: (photoId, photoPath) => this.importXmp(photoId, photoPath, 'unchanged') }, photoIds, options);
  }
}
