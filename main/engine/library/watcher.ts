import chokidar, { type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { errorMessage } from '../errors.js';
import { isIgnoredName, isPhotoFile } from '../formats.js';
import type { Folder } from '../library-store.js';
import { isWithin } from '../paths.js';

/** An XMP sidecar (`photo.jpg.xmp`, `photo.xmp`). */
function isSidecar(file: string): boolean {
  return /\.xmp$/i.test(file);
}

export interface WatchOptions {
  /** How long a file's size must stay still before it is read (a copy or download in progress). */
  writeSettleMs?: number;
  /** Poll the file system instead of native events (network drives, some containers). */
  usePolling?: boolean;
}

/**
 * Follows folders live. Watcher events are hints: every one leads to the same hash-and-record path
 * as a scan, events for one path are handled in order, and a watcher error is recorded and answered
 * with a rescan, never a crash. The initial rescan (size + mtime) runs after the watcher is ready,
 * so nothing that changes during start-up is missed.
 */
export class LibraryWatcher {
  private watcher: FSWatcher | null = null;
  private readonly chains = new Map<string, Promise<void>>();
  private rescanTimer: NodeJS.Timeout | null = null;
  private rescanning: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: Engine,
    private readonly folders: readonly Folder[],
    private readonly options: WatchOptions = {},
  ) {}

  async start(): Promise<void> {
    const libraryDir = this.engine.layout.dir;
    const ignored = (file: string, stats?: Stats): boolean => {
      if (isWithin(libraryDir, file)) return true;
      const root = this.folders.find((folder) => isWithin(folder.path, file));
      if (!root || file === root.path) return false;
      if (isIgnoredName(path.basename(file))) return true;
      // Links are never followed or read (the scan's rule; Engine.fileAppeared checks again).
      if (stats?.isSymbolicLink()) return true;
      // Only files can be judged by extension; folder names may contain dots. Sidecars are followed
      // too: another app's new stars and keywords are read again (organise/xmp-import.ts).
      return stats?.isFile() === true && !isPhotoFile(file) && !isSidecar(file);
    };
    const settle = this.options.writeSettleMs ?? 500;
    this.watcher = chokidar.watch(this.folders.map((folder) => folder.path), {
      ignoreInitial: true,
      followSymlinks: false,
      // Editors that save by writing a temp file and renaming it over the original report a change.
      atomic: true,
      awaitWriteFinish: { stabilityThreshold: settle, pollInterval: Math.max(50, Math.floor(settle / 5)) },
      usePolling: this.options.usePolling ?? false,
      ignored,
    });
    const sidecar = (file: string) => this.serialise(file, async () => void (await this.engine.organise.sidecarChanged(file)));
    this.watcher
      .on('add', (file) => (isSidecar(file) ? sidecar(file) : this.serialise(file, () => this.engine.library.fileAppeared(file))))
      .on('change', (file) => (isSidecar(file) ? sidecar(file) : this.serialise(file, () => this.engine.library.fileAppeared(file))))
      .on('unlink', (file) => (isSidecar(file) ? sidecar(file) : this.serialise(file, async () => this.engine.library.fileRemoved(file))))
      .on('unlinkDir', (dir) => this.serialise(dir, async () => this.engine.library.fileRemoved(dir, true)))
      .on('error', (error) => {
        this.engine.reportProblem({ scope: 'watcher', path: null, message: errorMessage(error) });
        this.scheduleRescan();
      });
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    this.rescanning = this.engine.library.scan(this.folders).then(() => this.engine.runJobs());
    await this.rescanning;
  }

  /** Stops watching, then lets the work already started (a file being read, a job) finish. */
  async close(): Promise<void> {
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    await this.watcher?.close();
    await this.rescanning.catch(() => undefined);
    await Promise.all(this.chains.values());
  }

  /** Events for one path run one after another, so an add and a quick unlink never race. */
  private serialise(key: string, work: () => Promise<void>): void {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error: unknown) => this.engine.reportProblem({ scope: 'watcher', path: key, message: errorMessage(error) }))
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }

  private scheduleRescan(): void {
    if (this.rescanTimer) return;
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = null;
      this.rescanning = this.rescanning
        .then(() => this.engine.library.scan(this.folders))
        .then(() => this.engine.runJobs())
        .catch((error: unknown) => this.engine.reportProblem({ scope: 'scan', path: null, message: errorMessage(error) }));
    }, 1000);
  }
}
