import { FaceService } from './faces/face-service.js';
import { OrganiseService } from './organise/organise-service.js';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Db, openDatabase } from './db/database.js';
import { UsageError, errorMessage } from './errors.js';
import type { EngineEvents, PhotoEvent, Problem } from './events.js';
import { AskService } from './ask/ask-service.js';
import { EditService } from './edits/edit-service.js';
import { EditStore } from './edits/edit-store.js';
import { CaptionService } from './captions/caption-service.js';
import { ClipService, type EmbeddingSummary } from './clip/clip-service.js';
import { CaptionStore } from './captions/caption-store.js';
import { PhotoTextStore } from './captions/photo-text-store.js';
import { type HeldJobs, type JobKind, LEASE_MS } from './jobs/queue.js';
import { backupOnline, DAILY_MS, listBackups } from './db/backups.js';
import { finishInterruptedOutputs } from './edits/edit-output.js';
import { type JobHandler, JobRunner, type RunnerHooks, singlePhotoHandler } from './jobs/runner.js';
import { runThumbnailJob } from './jobs/thumbnail-job.js';
import { type Device, parseDevice } from './runtime/devices.js';
import { resolveDevice } from './settings.js';
import { type RuntimeReport, saveRuntimeReport } from './runtime/session.js';
import { VectorStore } from './search/vector-store.js';
import { LibraryStore, type PhotoRecord } from './library-store.js';
import { LibraryScanner } from './library/library-scanner.js';
import { TagStore } from './library/tag-store.js';
import { type LibraryLayout, defaultLibraryDir, defaultModelsDir, libraryLayout } from './paths.js';
import { removeThumbnails } from './library/thumbnails.js';

export type { ScanSummary } from './library/library-scanner.js';
export type { CaptionQueueResult } from './captions/caption-service.js';
export type { EmbeddingSummary } from './clip/clip-service.js';

export interface EngineOptions {
  /** Library folder (holds iris.db and thumbnails). Default: the OS app-data folder `Iris`. */
  libraryDir?: string;
  /** Photos decoded at once. Default: the number of cores. */
  concurrency?: number;
  /** How long the two halves of a move wait for each other, in ms. */
  moveWindowMs?: number;
  /** Models folder (catalog.json and installed models). Default: defaultModelsDir(). */
  modelsDir?: string;
  /** Execution device for models (auto, cpu, cuda, dml, coreml, webgpu). Default: the library setting, else auto. */
  device?: string;
  /** How often this process renews its job leases and takes up jobs abandoned by others, in ms. Default: LEASE_MS / 4. */
  jobHeartbeatMs?: number;
  /**
   * Open the library for reading only. Default: when this process may not write the library
   * folder or its database (a read-only share, a backup copy), reading still works: list, folders,
   * search, doctor; what would change the library is refused by SQLite, and said so.
   */
  readOnly?: boolean;
}

export interface IndexSummary {
  found: number;
  /** Files read from disk because they were new or had changed (readable photos or not). */
  indexed: number;
  /** Of `indexed`, the files that turned out to be readable photos (the others are in `failed`). */
  read: number;
  unchanged: number;
  removed: number;
  failed: { path: string; error: string }[];
  /** Where the library's CLIP embeddings stand after the index. */
  embeddings: EmbeddingSummary;
  /** Jobs left undone here because another Iris process holds them (its lease has not run out). */
  heldElsewhere: HeldJobs[];
}

/** Whether this process may write the library folder and its database (access(2), as the OS decides). */
function mayWrite(dir: string, database: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    fs.accessSync(database, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Iris engine: one library (database + thumbnails), composed of its services (folders and
 * scans, captions, questions, edits, search), the job queue that works what they queue, and the
 * events that report all of it. Plain Node: the CLI, the tests and the desktop app's utility
 * process all drive this same class.
 */
export class Engine extends EventEmitter<EngineEvents> {
  readonly store: LibraryStore;
  /** Folders, scans and the watcher's file events. */
  readonly library: LibraryScanner;
  readonly tags: TagStore;
  /** The library's CLIP model: which one, its embedding jobs, and search over its vectors. */
  readonly clip: ClipService;
  /** Captions and the text in photos (local captioning model), and the table that keeps captions. */
  readonly captions: CaptionService;
  readonly captionStore: CaptionStore;
  /** Text read in photos (the read-text setting, or "Read text" in the viewer with it on). */
  readonly photoText: PhotoTextStore;
  /** Faces found in photos and the people they are grouped into. */
  readonly faces: FaceService;
  /** Marks, keywords, albums, hidden duplicates, XMP from other apps, the duplicates review, export. */
  readonly organise: OrganiseService;
  /** Questions about photos (local model or endpoint) and their conversations. */
  readonly ask: AskService;
  /** Edits and generations (Stable Diffusion): the service that makes them and the table that keeps them. */
  readonly edits: EditService;
  readonly editStore: EditStore;
  readonly modelsDir: string;
  /** The device given to open() (the CLI's --device); the library setting applies otherwise. */
  private readonly device: Device | undefined;
  private readonly runner: JobRunner;
  private closed = false;
  private stopRequested = false;
  private readonly heartbeat: NodeJS.Timeout | null;
  private dailyBackup: Promise<unknown> | null = null;
  /** The user paused the queue (the app's Jobs panel): jobs stay queued until resumeJobs. */
  private jobsPaused = false;

  private constructor(
    readonly layout: LibraryLayout,
    private readonly db: Db,
    options: EngineOptions,
  ) {
    super();
    this.store = new LibraryStore(db);
    this.tags = new TagStore(db);
    this.captionStore = new CaptionStore(db);
    this.photoText = new PhotoTextStore(db);
    this.modelsDir = path.resolve(options.modelsDir ?? defaultModelsDir());
    this.device = options.device ? parseDevice(options.device) : undefined;
    const device = () => this.executionDevice;
    const onReport = (report: RuntimeReport) => this.recordRuntime(report);
    this.library = new LibraryScanner({
      layout,
      store: this.store,
      onProgress: (progress) => this.emit('progress', progress),
      onPhoto: (event) => this.emit('photo', event),
      onProblem: (problem) => this.reportProblem(problem),
      onRecorded: (file) => this.runJobsInBackground(file),
      stopping: () => this.stopRequested,
      moveWindowMs: options.moveWindowMs ?? 1500,
      // A read-only library takes nothing in.
      sidecarSeen: options.readOnly ? undefined : (file, folderNames) => this.organise.sidecarChanged(file, folderNames),
    });
    this.clip = new ClipService({ db, store: this.store, tags: this.tags, captions: this.captionStore, photoText: this.photoText, modelsDir: this.modelsDir, device, onReport });
    this.captions = new CaptionService({ db, store: this.store, captions: this.captionStore, photoText: this.photoText, modelsDir: this.modelsDir, device, onReport, onCaption: (event) => this.emit('caption', event) });
    this.ask = new AskService({ db, store: this.store, modelsDir: this.modelsDir, device, onReport });
    this.faces = new FaceService({ db, store: this.store, modelsDir: this.modelsDir, device, onReport });
    this.editStore = new EditStore(db);
    this.edits = new EditService({
      store: this.store,
      edits: this.editStore,
      modelsDir: this.modelsDir,
      device,
      onReport,
      addToLibrary: (file, outputFolder) => this.library.addWrittenFile(file, outputFolder),
    });
    this.organise = new OrganiseService({
      db,
      layout,
      store: this.store,
      captions: this.captionStore,
      edits: this.editStore,
      clip: () => this.clip.searcher(),
      onProblem: (problem) => this.reportProblem(problem),
    });
    const concurrency = options.concurrency ?? Math.max(1, os.availableParallelism());
    const readXmp = async (photoId: number, file: string, embedded: Buffer | undefined) => void (await this.organise.importXmp(photoId, file, embedded));
    const thumbnails = singlePhotoHandler((photoId) => runThumbnailJob(this.store, layout.thumbnails, photoId, readXmp), true);
    this.runner = new JobRunner(this.store, () => this.jobHandlers(thumbnails, concurrency), concurrency);
    // Leases (jobs/queue.ts): ours stay ours while this process lives, and a long-running `watch`,
    // `serve` or app takes up the jobs of a sibling that was killed. Unref'd: never keeps a CLI alive.
    // None in a library opened read-only: it holds no jobs and takes no backups.
    this.heartbeat = options.readOnly ? null : setInterval(() => this.jobHeartbeat(), options.jobHeartbeatMs ?? LEASE_MS / 4).unref();
  }

  static open(options: EngineOptions = {}): Engine {
    const dir = path.resolve(options.libraryDir ?? defaultLibraryDir());
    const database = libraryLayout(dir).database;
    const readOnly = options.readOnly ?? (fs.existsSync(database) && !mayWrite(dir, database));
    if (!readOnly) fs.mkdirSync(dir, { recursive: true });
    // Real path, so that "is this file inside the library folder" holds through symlinked homes.
    const layout = libraryLayout(fs.realpathSync(dir));
    if (readOnly) return new Engine(layout, openDatabase(layout.database, { readonly: true }), { ...options, readOnly });
    fs.mkdirSync(layout.thumbnails, { recursive: true });
    const engine = new Engine(layout, openDatabase(layout.database), options);
    engine.store.jobs.recoverAbandoned();
    for (const hash of engine.store.purgeOrphans()) void removeThumbnails(layout.thumbnails, hash);
    try {
      finishInterruptedOutputs(engine.editStore.unreadOutputs());
    } catch (error) {
      engine.reportProblem({ scope: 'read', path: null, message: `finishing an interrupted edit: ${errorMessage(error)}` });
    }
    return engine;
  }

  /** True when the library was opened for reading only (EngineOptions.readOnly). */
  get readOnly(): boolean {
    return this.db.readonly;
  }

  /** Keeps what the last model session ran on, for doctor (not in a library opened read-only). */
  private recordRuntime(report: RuntimeReport): void {
    if (!this.db.readonly) saveRuntimeReport(this.store, report);
  }

  get database(): Db {
    return this.db;
  }

  /** The execution device: the one given to open(), else the library setting, else auto. */
  get executionDevice(): Device {
    return resolveDevice(this.device, this.store);
  }

  // ---- jobs ----

  private jobHandlers(thumbnails: JobHandler, concurrency: number): Map<JobKind, JobHandler> {
    const handlers = new Map<JobKind, JobHandler>([['thumbnail', thumbnails]]);
    const embed = this.clip.jobHandler(concurrency);
    if (embed) handlers.set(...embed);
    for (const [kind, handler] of this.captions.jobHandlers()) handlers.set(kind, handler);
    const faces = this.faces.jobHandler();
    if (faces) handlers.set(...faces);
    return handlers;
  }

  /**
   * Works every pending job: thumbnails and metadata first, then the embeddings of the photos that
   * decoded (queued after, so a photo that cannot be read is not also tried by the model).
   */
  async runJobs(): Promise<void> {
    if (this.jobsPaused) return;
    this.clip.queueEmbeddings();
    await this.runner.drain(this.runnerHooks());
    // Photos that decoded: their embeddings, their faces, and with the read-text setting on, their text.
    if (this.clip.queueEmbeddings() + this.faces.queueFaces() + this.captions.queueReadText() > 0) await this.runner.drain(this.runnerHooks());
    this.placeFaces();
  }

  /** New faces into people (faces/people-clustering.ts); a failure is reported, the faces wait for the next run. */
  private placeFaces(): void {
    if (this.db.readonly) return;
    try {
      this.faces.clusterPending();
    } catch (error) {
      this.reportProblem({ scope: 'model', path: null, message: `grouping faces into people: ${errorMessage(error)}` });
    }
  }

  /** runJobs without waiting for it; a failure is reported as a problem (at `path`, when a file's event started it). */
  private runJobsInBackground(path: string | null = null): void {
    this.runJobs().catch((error: unknown) => this.reportProblem({ scope: 'read', path, message: errorMessage(error) }));
  }

  private runnerHooks(): RunnerHooks {
    return {
      onProgress: (progress) => this.emit('progress', { phase: 'jobs', ...progress }),
      onUnavailable: (kind, message) => {
        this.clip.noteUnavailable(message);
        this.reportProblem({ scope: 'model', path: null, message: `${kind}: ${message}` });
      },
      onOutcome: (outcome) => {
        if (outcome.ok) return;
        const location = this.store.locationsOf(outcome.photoId)[0];
        if (location) this.emit('photo', { event: 'failed', path: location.path, error: outcome.error ?? 'failed', photoId: outcome.photoId });
      },
    };
  }

  private jobHeartbeat(): void {
    if (this.closed) return;
    this.maybeDailyBackup();
    try {
      this.store.jobs.renewLeases();
      if (this.store.jobs.recoverAbandoned() > 0 && !this.jobsPaused && !this.stopRequested) {
        this.runJobsInBackground();
      }
    } catch (error) {
      // A busy database (another process holding the write lock past the busy timeout): next beat.
      this.reportProblem({ scope: 'read', path: null, message: `job leases: ${errorMessage(error)}` });
    }
  }

  /**
   * A `daily` backup of the database (db/backups.ts) when the newest is a day old, taken on the
   * heartbeat so that only engines that live a while (the app, serve, watch, a long index) take
   * one, in the background through SQLite's online backup.
   */
  private maybeDailyBackup(): void {
    if (this.dailyBackup || this.closed) return;
    // The folder listing first: counting photos scans the photos table, once a day is enough.
    const newest = listBackups(this.layout.dir).find((backup) => backup.kind === 'daily');
    if ((newest && Date.now() - newest.takenAt < DAILY_MS) || this.store.counts().photos === 0) return;
    this.dailyBackup = backupOnline(this.db, this.layout.dir, 'daily')
      .catch((error: unknown) => this.reportProblem({ scope: 'read', path: null, message: `daily backup: ${errorMessage(error)}` }))
      .finally(() => (this.dailyBackup = null));
  }

  /** Lets the jobs in flight finish and starts no more; scans still record files (and queue their jobs). */
  async pauseJobs(): Promise<void> {
    this.jobsPaused = true;
    await this.runner.stop();
  }

  /** Works the queue again (in the background; progress comes as events). */
  resumeJobs(): void {
    if (!this.jobsPaused || this.stopRequested) return;
    this.jobsPaused = false;
    this.runner.resume();
    this.runJobsInBackground();
  }

  get paused(): boolean {
    return this.jobsPaused;
  }

  /** True while the job runner is working (an index, a watcher event, a resume). */
  get working(): boolean {
    return this.runner.busy;
  }

  /** `iris index`: add the folders if needed, scan, and run every job to completion. */
  async index(paths?: readonly string[]): Promise<IndexSummary> {
    const folders = this.library.resolveFolders(paths);
    if (folders.length === 0) throw new UsageError('no folders in this library yet: give one, e.g. `iris index ~/Pictures`');
    const scan = await this.library.scan(folders);
    await this.runJobs();
    const failed = [...scan.unreadable, ...this.store.failedPhotos(folders.map((folder) => folder.id))].sort((a, b) => a.path.localeCompare(b.path));
    return {
      found: scan.found,
      indexed: scan.indexed,
      // A file that was hashed but could not be decoded was not "read" in any sense a person means.
      read: scan.indexed - failed.filter((failure) => scan.indexedPaths.has(failure.path)).length,
      unchanged: scan.unchanged,
      removed: scan.removed,
      failed,
      embeddings: this.clip.embeddingSummary(),
      heldElsewhere: this.store.jobs.heldElsewhere(),
    };
  }

  // ---- problems and lifecycle ----

  reportProblem(problem: Problem): void {
    this.store.recordProblem(problem.scope, problem.path, problem.message);
    this.emit('problem', problem);
  }

  listPhotos(): PhotoRecord[] {
    return this.store.listPhotos();
  }

  /**
   * Asks long work to wind down: a scan stops between files, the job runner after the jobs in
   * flight. Nothing is lost: what was not done is found again by the next scan or stays queued.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.runner.stop();
  }

  /** Stops (see stop), reports held move halves, closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.stop();
    await this.dailyBackup;
    await this.clip.release();
    await this.captions.release();
    await this.faces.release();
    await this.ask.close();
    await this.edits.release();
    this.library.flushMoves();
    VectorStore.closeAll(this.db);
    this.db.close();
  }
}

export type { PhotoEvent };
