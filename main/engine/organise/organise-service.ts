import fsp from 'node:fs/promises';
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

/**
 * A folder's names (sidecars aside) by lowercase name and by lowercase stem, built once per listing:
 * a scan hands every sidecar of a folder the same listing, so matching is a lookup, not a pass over
 * the folder for each sidecar.
 */
const listingIndex = new WeakMap<readonly string[], Map<string, string[]>>();

function namesByStem(folderNames: readonly string[]): Map<string, string[]> {
  let index = listingIndex.get(folderNames);
  if (!index) {
    index = new Map();
    for (const name of folderNames) {
      if (/\.xmp$/i.test(name)) continue;
      const lower = name.toLowerCase();
      const stem = lower.slice(0, lower.length - path.extname(lower).length);
      for (const key of new Set([lower, stem])) index.set(key, [...(index.get(key) ?? []), name]);
    }
    listingIndex.set(folderNames, index);
  }
  return index;
}

/** How many folder listings are kept for the photos being read (listing()). */
const LISTINGS_KEPT = 32;

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
  /** Recent folder listings, oldest first (listing()). */
  private readonly listings = new Map<string, { version: string; names: readonly string[] }>();

  constructor(private readonly deps: OrganiseDeps) {
    this.marks = new OrganiseStore(deps.db);
    this.albums = new AlbumStore(deps.db);
  }

  /**
   * Takes in the stars, labels, keywords and description other apps wrote in the photo's XMP (its
   * sidecars, and `embedded` from the file) when they are new or changed; a sidecar that cannot be
   * read is reported as a problem, and the photo is read all the same.
   */
  async importXmp(photoId: number, photoPath: string, embedded: Uint8Array | undefined | 'unchanged', folderNames?: readonly string[]): Promise<boolean> {
    const names = folderNames ?? (await this.listing(path.dirname(photoPath)));
    const outcome = await importPhotoXmp({ marks: this.marks, captions: this.deps.captions }, photoId, photoPath, embedded, names);
    for (const problem of outcome.problems) this.deps.onProblem({ scope: 'xmp', path: problem.path, message: problem.error });
    return outcome.applied;
  }

  /**
   * A sidecar appeared, changed or went (the watcher, or a scan that saw it): the photos it
   * belongs to (`photo.jpg` for `photo.jpg.xmp`; every `photo.*` for `photo.xmp`) read it again.
   * One read at this size and time is passed with a stat and a lookup: a rescan meets every
   * sidecar of the library. `folderNames`: its folder's listing, when the caller has it (a scan).
   * Returns how many photos took something from it.
   */
  async sidecarChanged(sidecar: string, folderNames?: readonly string[]): Promise<number> {
    const stat = await fsp.stat(sidecar).catch(() => undefined);
    if (stat && this.marks.sidecarKnown(sidecar, stat.size, Math.round(stat.mtimeMs))) return 0;
    if (!stat) this.marks.forgetSidecar(sidecar);
    const names = folderNames ?? (await this.listing(path.dirname(sidecar)));
    let applied = 0;
    for (const { photoId, path: photoPath } of this.photosOfSidecar(sidecar, names)) {
      if (await this.importXmp(photoId, photoPath, 'unchanged', names)) applied++;
    }
    return applied;
  }

  /** The read photos a sidecar belongs to, found by name in its folder's listing (case aside, as sidecars are found). */
  private photosOfSidecar(sidecar: string, folderNames: readonly string[]): { photoId: number; path: string }[] {
    const name = path.basename(sidecar);
    if (!/\.xmp$/i.test(name)) return [];
    const folder = path.dirname(sidecar);
    return (namesByStem(folderNames).get(name.slice(0, -4).toLowerCase()) ?? []).flatMap((photoName) => {
      const file = path.join(folder, photoName);
      const photoId = this.deps.store.knownFile(file)?.photoId;
      return photoId !== undefined && this.deps.store.getPhoto(photoId)?.status === 'ok' ? [{ photoId, path: file }] : [];
    });
  }

  /**
   * A folder's names, listed again only when the folder changed (its mtime and ctime: adding,
   * removing or renaming an entry sets them). Photos are read one after another, most from a few
   * big folders: listing a 10,000-file folder for each of its photos made the first index of one
   * quadratic. A file system with coarse folder times (FAT: 2 s) may hide a sidecar made in the same
   * moment from a photo being read; the scan and the watcher then read that sidecar.
   */
  private async listing(folder: string): Promise<readonly string[]> {
    const stat = await fsp.stat(folder).catch(() => undefined);
    if (!stat) return [];
    const version = `${stat.mtimeMs}:${stat.ctimeMs}`;
    const cached = this.listings.get(folder);
    if (cached?.version === version) return cached.names;
    const names = await fsp.readdir(folder).catch(() => [] as string[]);
    this.listings.delete(folder);
    this.listings.set(folder, { version, names });
    // A few folders at a time are being read: keep the latest, not every folder ever seen.
    if (this.listings.size > LISTINGS_KEPT) this.listings.delete(this.listings.keys().next().value!);
    return names;
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
