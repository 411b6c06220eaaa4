import fs from 'node:fs';
import path from 'node:path';
import { mapWithConcurrency } from '../concurrency.js';
import { UsageError, errorMessage } from '../errors.js';
import type { PhotoEvent, Problem, ProgressEvent } from '../events.js';
import { hashFile } from '../hash.js';
import type { Folder, LibraryStore } from '../library-store.js';
import { type LibraryLayout, isWithin } from '../paths.js';
import { MoveTracker } from './move-tracker.js';
import { type FoundFile, isPhotoEntry, reachedWithoutLinks, walkPhotos } from './scanner.js';
import { removeThumbnails } from './thumbnails.js';

export interface ScanSummary {
  /** Photo files found on disk in the scanned folders. */
  found: number;
  /** Files read (hashed and recorded) because they were new or had changed. */
  indexed: number;
  /** The paths counted in `indexed`: engine.index tells from them which of its failures were read this time. */
  indexedPaths: Set<string>;
  /** Files skipped because size and mtime matched what the library knows. */
  unchanged: number;
  /** Files the library knew that are no longer there. */
  removed: number;
  /** Files that could not be read at all (no bytes to hash). */
  unreadable: { path: string; error: string }[];
}

export interface LibraryScannerDeps {
  layout: LibraryLayout;
  store: LibraryStore;
  onProgress: (progress: ProgressEvent) => void;
  onPhoto: (event: PhotoEvent) => void;
  onProblem: (problem: Problem) => void;
  /** A file was recorded by a live event: its jobs (thumbnail, embedding) are to be worked. */
  onRecorded: (file: string) => void;
  /** True once the engine was asked to stop: a scan stops between files. */
  stopping: () => boolean;
  /** How long the two halves of a move wait for each other, in ms. */
  moveWindowMs: number;
  /** A scan saw this XMP sidecar (with its folder's names): the photos it belongs to read it again if it changed. */
  sidecarSeen?: (file: string, folderNames: readonly string[]) => Promise<unknown>;
}

/** Files hashed at once while scanning: enough to keep the disk busy, few enough to bound memory. */
const HASH_CONCURRENCY = 4;

/**
 * The library's folders and what is in them on disk: folders registered and removed, scans that
 * bring the database in line with the disk, and the watcher's live file events (with moves told
 * apart from a removal and an addition). Files are only ever read here: decoding and models
 * happen later, in jobs.
 */
export class LibraryScanner {
  private readonly moves: MoveTracker;

  constructor(private readonly deps: LibraryScannerDeps) {
    this.moves = new MoveTracker(deps.moveWindowMs, deps.onPhoto);
  }

  // ---- folders ----

  listFolders(): Folder[] {
    return this.deps.store.listFolders();
  }

  /** Registers folders (each must exist). Returns the folders that now cover them. */
  addFolders(paths: readonly string[]): Folder[] {
    return this.registerFolders(paths).map((result) => result.folder);
  }

  /** As addFolders, saying for each path whether it became a folder (`created`) or was already covered. */
  registerFolders(paths: readonly string[]): { folder: Folder; created: boolean }[] {
    return paths.map((given) => {
      const absolute = path.resolve(given);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(absolute);
      } catch {
        throw new UsageError(`folder not found: ${absolute}`);
      }
      if (!stat.isDirectory()) throw new UsageError(`not a folder: ${absolute}`);
      const real = fs.realpathSync(absolute);
      // The library folder may sit inside a photo folder (scans and watches skip it), not the reverse.
      if (isWithin(this.deps.layout.dir, real)) throw new UsageError(`${real} is inside the library folder ${this.deps.layout.dir}; photos cannot live there`);
      return this.deps.store.addFolder(real);
    });
  }

  removeFolder(given: string): { removed: boolean; photos: number } {
    const absolute = path.resolve(given);
    const resolved = fs.existsSync(absolute) ? fs.realpathSync(absolute) : absolute;
    const result = this.deps.store.removeFolder(resolved);
    if (!result.removed) throw new UsageError(`not a library folder: ${resolved}`);
    for (const hash of result.hashes) void removeThumbnails(this.deps.layout.thumbnails, hash);
    return { removed: true, photos: result.photos };
  }

  /** The registered folders that cover the given paths (all folders when none are given). */
  resolveFolders(paths?: readonly string[]): Folder[] {
    if (!paths || paths.length === 0) return this.listFolders();
    const covering = this.addFolders(paths);
    return [...new Map(covering.map((folder) => [folder.id, folder])).values()];
  }

  // ---- photos by path ----

  /** A photo named by its id or by the path of one of its locations; a UsageError says what was wrong. */
  resolvePhoto(reference: string): number {
    const { store } = this.deps;
    if (/^\d+$/.test(reference) && store.getPhoto(Number(reference))) return Number(reference);
    const absolute = path.resolve(reference);
    const real = fs.existsSync(absolute) ? fs.realpathSync(absolute) : absolute;
    const known = store.knownFile(real)?.photoId;
    if (known === undefined) throw new UsageError(`not a photo in this library: ${reference} (give an id from \`iris list\`, or the path of a photo inside a library folder)`);
    return known;
  }

  /**
   * A file Iris just wrote (an edit): read at once when a library folder covers it, or when it lies
   * in the output folder, which then joins the library (a person chose it: the desktop's dialog or
   * the CLI; a page cannot name it, see PATH_SETTINGS). A file written anywhere else (`iris edit
   * --out`) is not added: writing an edit never adds an arbitrary folder to the library. Returns its
   * photo id (null when not added or not readable). Thumbnails and embeddings follow with the next
   * runJobs.
   */
  async addWrittenFile(file: string, outputFolder: string): Promise<number | null> {
    const real = fs.realpathSync(file);
    let folder = this.listFolders().find((candidate) => isWithin(candidate.path, real));
    if (!folder) {
      const output = fs.realpathSync(outputFolder);
      if (!isWithin(output, real)) return null;
      folder = this.registerFolders([output])[0]!.folder;
    }
    await this.scan([folder]);
    return this.deps.store.knownFile(real)?.photoId ?? null;
  }

  // ---- scanning ----

  /**
   * Brings the library in line with the disk for these folders: new and changed files (by size and
   * mtime) are hashed and recorded, vanished ones forgotten. Decoding happens later, in jobs.
   */
  async scan(folders: readonly Folder[] = this.listFolders()): Promise<ScanSummary> {
    const { store, stopping } = this.deps;
    const summary: ScanSummary = { found: 0, indexed: 0, indexedPaths: new Set(), unchanged: 0, removed: 0, unreadable: [] };
    for (const folder of folders) {
      const known = store.knownFiles(folder.id);
      const toRead: FoundFile[] = [];
      const sidecars: { file: string; folderNames: readonly string[] }[] = [];
      let folderError: string | null = null;
      for await (const batch of walkPhotos(folder.path, {
        exclude: [this.deps.layout.dir],
        onSidecar: this.deps.sidecarSeen ? (file, folderNames) => sidecars.push({ file, folderNames }) : undefined,
        onError: (where, error) => {
          if (where === folder.path) folderError = errorMessage(error);
          this.deps.onProblem({ scope: 'scan', path: where, message: errorMessage(error) });
        },
      })) {
        if (stopping()) break;
        for (const file of batch) {
          summary.found++;
          const previous = known.get(file.path);
          known.delete(file.path);
          if (previous && previous.size === file.size && previous.mtimeMs === file.mtimeMs) summary.unchanged++;
          else toRead.push(file);
        }
        this.deps.onProgress({ phase: 'scan', found: summary.found, current: batch[0]?.path ?? null });
      }
      if (stopping()) break;
      // A folder that cannot be read at all (unmounted drive) must not look like "every photo deleted".
      if (folderError === null) {
        for (const gone of known.keys()) if (store.removeFile(gone)) summary.removed++;
      }
      await this.readFiles(folder, toRead, summary);
      // Sidecars edited while Iris was not watching (a cheap stat each when unchanged).
      for (const { file, folderNames } of sidecars) {
        if (stopping()) break;
        await this.deps.sidecarSeen?.(file, folderNames).catch((error: unknown) => this.deps.onProblem({ scope: 'xmp', path: file, message: errorMessage(error) }));
      }
      store.markScanned(folder.id, folderError);
    }
    return summary;
  }

  private async readFiles(folder: Folder, files: readonly FoundFile[], summary: ScanSummary): Promise<void> {
    const started = Date.now();
    let done = 0;
    await mapWithConcurrency(files, HASH_CONCURRENCY, async (file) => {
      if (this.deps.stopping()) return;
      try {
        const hash = await hashFile(file.path);
        this.deps.store.recordFile({ ...file, folderId: folder.id, hash });
        summary.indexed++;
        summary.indexedPaths.add(file.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          summary.unreadable.push({ path: file.path, error: `cannot read file: ${errorMessage(error)}` });
        }
      }
      done++;
      const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
      this.deps.onProgress({ phase: 'read', done, total: files.length, rate, etaSeconds: (files.length - done) / rate, current: file.path });
    });
  }

  // ---- live file events (from the watcher) ----

  /**
   * A file appeared or changed: hash it, record it, report it, and have its jobs worked. The scan's
   * rules decide what is a photo (isPhotoEntry, reachedWithoutLinks): a symlink, or a file under a
   * symlinked folder, is never read, whatever it points at.
   */
  async fileAppeared(file: string): Promise<void> {
    const { store, layout, onPhoto } = this.deps;
    const folder = store.folderFor(file);
    if (!folder || isWithin(layout.dir, file)) return;
    let stat: fs.Stats;
    let hash: string;
    try {
      stat = fs.lstatSync(file);
      if (!isPhotoEntry(path.basename(file), stat) || !reachedWithoutLinks(folder.path, file)) return;
      hash = await hashFile(file, { noFollow: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // gone already: the unlink event follows
      onPhoto({ event: 'failed', path: file, error: `cannot read file: ${errorMessage(error)}`, photoId: null });
      return;
    }
    // The folder may have left the library while the file was read (no await from here on).
    const still = store.folderFor(file);
    if (still?.id !== folder.id) return;
    const outcome = store.recordFile({ path: file, folderId: folder.id, size: stat.size, mtimeMs: Math.floor(stat.mtimeMs), hash });
    if (outcome.kind === 'changed') onPhoto({ event: 'changed', path: file, photoId: outcome.photoId });
    else if (outcome.kind === 'added') this.moves.added(outcome.photoId, file, !outcome.newPhoto);
    this.deps.onRecorded(file);
  }

  /** A file (or, with `isDirectory`, everything below a folder) is gone from disk. */
  fileRemoved(file: string, isDirectory = false): void {
    const { store } = this.deps;
    for (const gone of isDirectory ? store.filesUnder(file) : [file]) {
      const result = store.removeFile(gone);
      if (result) this.moves.removed(result.photoId, gone);
    }
  }

  /** Reports the halves of moves still waiting for each other (at close). */
  flushMoves(): void {
    this.moves.flush();
  }
}
