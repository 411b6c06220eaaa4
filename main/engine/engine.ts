import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Db, openDatabase } from './db/database.js';
import { UsageError, errorMessage } from './errors.js';
import type { EngineEvents, PhotoEvent, Problem } from './events.js';
import { hashFile } from './hash.js';
import { ClipModel } from './clip/clip-model.js';
import { CLIP_MODEL_SETTING, type ClipChoice, chooseClipModel, chooseModel } from './clip/active-model.js';
import { AskService } from './ask/ask-service.js';
import { EditService } from './edits/edit-service.js';
import { EditStore } from './edits/edit-store.js';
import { captionHandler, captionJobKind, parseCaptionJobKind } from './captions/caption-jobs.js';
import { type Caption, CaptionStore } from './captions/caption-store.js';
import { Captioner, type CaptionDetail } from './generation/captioner.js';
import type { GenerateResult } from './generation/generative-model.js';
import { ModelSlot, type SlotPriority } from './generation/model-slot.js';
import { type PhotoPixels, decodePhoto } from './generation/photo-image.js';
import type { ModelEntry } from './models/catalog.js';
import { currentFile } from './jobs/embed-job.js';
import { embedHandler } from './jobs/embed-job.js';
import { type HeldJobs, type JobKind, embedJobKind, LEASE_MS } from './jobs/queue.js';
import { backupOnline, DAILY_MS, listBackups } from './db/backups.js';
import { finishInterruptedOutputs } from './edits/edit-output.js';
import { type JobHandler, JobRunner, type RunnerHooks, singlePhotoHandler } from './jobs/runner.js';
import { runThumbnailJob } from './jobs/thumbnail-job.js';
import { type Device, parseDevice } from './runtime/devices.js';
import { getSettingValue, resolveDevice } from './settings.js';
import { type RuntimeReport, saveRuntimeReport } from './runtime/session.js';
import { ClipSearch, type SearchOptions } from './search/clip-search.js';
import { languageNotice } from './search/query-language.js';
import { type FusedSearchResponse, searchPhotos } from './search/text-search.js';
import { VectorStore } from './search/vector-store.js';
import { type Folder, LibraryStore, type PhotoRecord } from './library-store.js';
import { MoveTracker } from './move-tracker.js';
import { type LibraryLayout, defaultLibraryDir, defaultModelsDir, isWithin, libraryLayout } from './paths.js';
import { type FoundFile, isPhotoEntry, mapWithConcurrency, reachedWithoutLinks, walkPhotos } from './scanner.js';
import { removeThumbnails } from './thumbnails.js';

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

export interface ScanSummary {
  /** Photo files found on disk in the scanned folders. */
  found: number;
  /** Files read (hashed and recorded) because they were new or had changed. */
  indexed: number;
  /** Files skipped because size and mtime matched what the library knows. */
  unchanged: number;
  /** Files the library knew that are no longer there. */
  removed: number;
  /** Files that could not be read at all (no bytes to hash). */
  unreadable: { path: string; error: string }[];
}

export interface IndexSummary {
  found: number;
  indexed: number;
  unchanged: number;
  removed: number;
  failed: { path: string; error: string }[];
  embeddings: EmbeddingSummary;
  /** Jobs left undone here because another Iris process holds them (its lease has not run out). */
  heldElsewhere: HeldJobs[];
}

/** Where the library's CLIP embeddings stand after an index. */
export interface CaptionQueueResult {
  model: string;
  detail: CaptionDetail;
  /** Photos queued now. */
  queued: number;
  /** Photos left alone because a person wrote their caption. */
  keptEdited: number;
}

export interface EmbeddingSummary {
  /** The CLIP model of this library (null when the catalog names none). */
  model: string | null;
  /** Photos that have an embedding from it / readable photos that still lack one. */
  embedded: number;
  missing: number;
  /** Why photos were not embedded (model not installed, broken, ...), when that is the case. */
  skipped: string | null;
}

/** Files hashed at once while scanning: enough to keep the disk busy, few enough to bound memory. */
const HASH_CONCURRENCY = 4;

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
 * The Iris engine: one library (database + thumbnails), its folders, scanning, the job queue and
 * the events that report all of it. Plain Node: the CLI, the tests and the desktop app's utility
 * process all drive this same class.
 */
export class Engine extends EventEmitter<EngineEvents> {
  readonly store: LibraryStore;
  readonly modelsDir: string;
  /** The device given to open() (the CLI's --device); the library setting applies otherwise. */
  private readonly device: Device | undefined;
  private clip: ClipModel | undefined;
  readonly captions: CaptionStore;
  /** Questions about photos (local model or endpoint) and their conversations. */
  readonly ask: AskService;
  /** Edits and generations (Stable Diffusion): the service that makes them and the table that keeps them. */
  readonly edits: EditService;
  readonly editStore: EditStore;
  /** The captioner in memory (one at a time). */
  private readonly captioner = new ModelSlot<Captioner>((captioner) => captioner.release());
  /** Why the embed jobs could not run in this process, when they could not. */
  private embedUnavailable: string | null = null;
  private readonly runner: JobRunner;
  private readonly moves: MoveTracker;
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
    this.captions = new CaptionStore(db);
    this.modelsDir = path.resolve(options.modelsDir ?? defaultModelsDir());
    this.ask = new AskService({ db, store: this.store, modelsDir: this.modelsDir, device: () => this.executionDevice, onReport: (report) => this.recordRuntime(report) });
    this.editStore = new EditStore(db);
    this.edits = new EditService({
      store: this.store,
      edits: this.editStore,
      modelsDir: this.modelsDir,
      device: () => this.executionDevice,
      onReport: (report) => this.recordRuntime(report),
      addToLibrary: (file, outputFolder) => this.addWrittenFile(file, outputFolder),
    });
    this.device = options.device ? parseDevice(options.device) : undefined;
    const concurrency = options.concurrency ?? Math.max(1, os.availableParallelism());
    const thumbnails = singlePhotoHandler((photoId) => runThumbnailJob(this.store, layout.thumbnails, photoId), true);
    this.runner = new JobRunner(this.store, () => this.jobHandlers(thumbnails, concurrency), concurrency);
    // Leases (jobs/queue.ts): ours stay ours while this process lives, and a long-running `watch`,
    // `serve` or app takes up the jobs of a sibling that was killed. Unref'd: never keeps a CLI alive.
    // None in a library opened read-only: it holds no jobs and takes no backups.
    this.heartbeat = options.readOnly ? null : setInterval(() => this.jobHeartbeat(), options.jobHeartbeatMs ?? LEASE_MS / 4).unref();
    this.moves = new MoveTracker(options.moveWindowMs ?? 1500, (event) => this.emit('photo', event));
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

  // ---- folders ----

  listFolders(): Folder[] {
    return this.store.listFolders();
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
      if (isWithin(this.layout.dir, real)) throw new UsageError(`${real} is inside the library folder ${this.layout.dir}; photos cannot live there`);
      return this.store.addFolder(real);
    });
  }

  removeFolder(given: string): { removed: boolean; photos: number } {
    const absolute = path.resolve(given);
    const resolved = fs.existsSync(absolute) ? fs.realpathSync(absolute) : absolute;
    const result = this.store.removeFolder(resolved);
    if (!result.removed) throw new UsageError(`not a library folder: ${resolved}`);
    for (const hash of result.hashes) void removeThumbnails(this.layout.thumbnails, hash);
    return { removed: true, photos: result.photos };
  }

  /** The registered folders that cover the given paths (all folders when none are given). */
  resolveFolders(paths?: readonly string[]): Folder[] {
    if (!paths || paths.length === 0) return this.listFolders();
    const covering = this.addFolders(paths);
    return [...new Map(covering.map((folder) => [folder.id, folder])).values()];
  }

  // ---- scanning ----

  /**
   * Brings the library in line with the disk for these folders: new and changed files (by size and
   * mtime) are hashed and recorded, vanished ones forgotten. Decoding happens later, in jobs.
   */
  async scan(folders: readonly Folder[] = this.listFolders()): Promise<ScanSummary> {
    const summary: ScanSummary = { found: 0, indexed: 0, unchanged: 0, removed: 0, unreadable: [] };
    for (const folder of folders) {
      const known = this.store.knownFiles(folder.id);
      const toRead: FoundFile[] = [];
      let folderError: string | null = null;
      for await (const batch of walkPhotos(folder.path, {
        exclude: [this.layout.dir],
        onError: (where, error) => {
          if (where === folder.path) folderError = errorMessage(error);
          this.reportProblem({ scope: 'scan', path: where, message: errorMessage(error) });
        },
      })) {
        if (this.stopRequested) break;
        for (const file of batch) {
          summary.found++;
          const previous = known.get(file.path);
          known.delete(file.path);
          if (previous && previous.size === file.size && previous.mtimeMs === file.mtimeMs) summary.unchanged++;
          else toRead.push(file);
        }
        this.emit('progress', { phase: 'scan', found: summary.found, current: batch[0]?.path ?? null });
      }
      if (this.stopRequested) break;
      // A folder that cannot be read at all (unmounted drive) must not look like "every photo deleted".
      if (folderError === null) {
        for (const gone of known.keys()) if (this.store.removeFile(gone)) summary.removed++;
      }
      await this.readFiles(folder, toRead, summary);
      this.store.markScanned(folder.id, folderError);
    }
    return summary;
  }

  private async readFiles(folder: Folder, files: readonly FoundFile[], summary: ScanSummary): Promise<void> {
    const started = Date.now();
    let done = 0;
    await mapWithConcurrency(files, HASH_CONCURRENCY, async (file) => {
      if (this.stopRequested) return;
      try {
        const hash = await hashFile(file.path);
        this.store.recordFile({ ...file, folderId: folder.id, hash });
        summary.indexed++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          summary.unreadable.push({ path: file.path, error: `cannot read file: ${errorMessage(error)}` });
        }
      }
      done++;
      const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
      this.emit('progress', { phase: 'read', done, total: files.length, rate, etaSeconds: (files.length - done) / rate, current: file.path });
    });
  }

  // ---- models ----

  /** The execution device: the one given to open(), else the library setting, else auto. */
  get executionDevice(): Device {
    return resolveDevice(this.device, this.store);
  }

  /** The CLIP model this library uses and whether it is installed. */
  clipChoice(): ClipChoice {
    return chooseClipModel(this.modelsDir, this.store.getSetting(CLIP_MODEL_SETTING) || undefined);
  }

  /** The loaded CLIP model (sessions open on first use), or undefined with the reason. */
  private clipModel(): { model?: ClipModel; reason?: string } {
    const choice = this.clipChoice();
    if (!choice.entry || !choice.installed) return { reason: choice.reason };
    if (this.clip?.id !== choice.entry.id) {
      void this.clip?.release();
      this.clip = new ClipModel(this.modelsDir, choice.entry, { device: this.executionDevice, onSession: (session) => this.recordRuntime(session.report()) });
    }
    return { model: this.clip };
  }

  private vectorsFor(model: ClipModel): VectorStore {
    if (!model.dim) throw new Error(`model ${model.id}: the catalog gives no embedding_dim`);
    return VectorStore.open(this.db, model.id, model.dim);
  }

  private jobHandlers(thumbnails: JobHandler, concurrency: number): Map<JobKind, JobHandler> {
    const handlers = new Map<JobKind, JobHandler>([['thumbnail', thumbnails]]);
    const { model } = this.clipModel();
    if (model) handlers.set(embedJobKind(model.id), embedHandler({ store: this.store, model, vectors: () => this.vectorsFor(model), decodeConcurrency: concurrency }));
    // Caption batches queued earlier (by this process or one that was killed) are worked too.
    for (const kind of this.store.jobs.openKinds('caption:')) {
      const parsed = parseCaptionJobKind(kind);
      if (!parsed) continue;
      handlers.set(
        kind,
        captionHandler({
          store: this.store,
          captions: this.captions,
          withCaptioner: (work) => this.withCaptioner(parsed.modelId, 'batch', work),
          detail: parsed.detail,
          onCaption: (photoId, text) => this.emit('caption', { photoId, text, model: parsed.modelId }),
        }),
      );
    }
    return handlers;
  }

  /** A photo named by its id or by the path of one of its locations; a UsageError says what was wrong. */
  resolvePhoto(reference: string): number {
    if (/^\d+$/.test(reference) && this.store.getPhoto(Number(reference))) return Number(reference);
    const absolute = path.resolve(reference);
    const real = fs.existsSync(absolute) ? fs.realpathSync(absolute) : absolute;
    const known = this.store.knownFile(real)?.photoId;
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
    return this.store.knownFile(real)?.photoId ?? null;
  }

  // ---- captions ----

  /** The captioning model this library uses (the given id, else the caption-model setting, else the catalog's default). */
  captionChoice(modelId?: string): ClipChoice {
    return chooseModel(this.modelsDir, 'caption', modelId || getSettingValue(this.store, 'caption-model') || undefined);
  }

  /** Runs `work` with the captioner `modelId` loaded, in its turn (see ModelSlot: a person's request goes before the batch's next photo). */
  private withCaptioner<R>(modelId: string, priority: SlotPriority, work: (captioner: Captioner) => Promise<R>): Promise<R> {
    const load = async () => {
      const choice = this.captionChoice(modelId);
      if (!choice.entry || !choice.installed) throw new UsageError(choice.reason ?? `no captioning model ${modelId}`);
      return Captioner.load(this.modelsDir, choice.entry, { device: this.executionDevice, onReport: (report) => this.recordRuntime(report) });
    };
    return this.captioner.use(modelId, load, work, priority);
  }

  /**
   * Queues caption jobs for `photoIds` (or every readable photo). Photos whose caption a person
   * wrote are never queued; with `redo` false, photos that already have a caption are skipped too.
   * The jobs run with runJobs() (and with every later index or watch until done).
   */
  queueCaptions(photoIds: readonly number[] | 'all', options: { model?: string; detail?: CaptionDetail; redo?: boolean } = {}): CaptionQueueResult {
    const choice = this.captionChoice(options.model);
    if (!choice.entry) throw new UsageError(choice.reason ?? 'no captioning model');
    const detail = options.detail ?? getSettingValue(this.store, 'caption-detail');
    const kind = captionJobKind(choice.entry.id, detail);
    // The photos asked for, as one photo_id column: every readable photo, or the ids given.
    const wanted = photoIds === 'all' ? `SELECT id AS photo_id FROM photos WHERE status = 'ok' AND orphaned_at IS NULL` : `SELECT value AS photo_id FROM json_each(?)`;
    const params = photoIds === 'all' ? [] : [JSON.stringify(photoIds)];
    const edited = this.captions.editedIdsQuery();
    const keptEdited = this.db.prepare(`SELECT count(*) FROM (${wanted}) WHERE photo_id IN (${edited})`).pluck().get(...params) as number;
    const skip = options.redo ? edited : `SELECT photo_id FROM captions`;
    const queued = this.store.jobs.enqueueSelected(kind, `SELECT photo_id FROM (${wanted}) WHERE photo_id NOT IN (${skip})`, params, { retryFailed: photoIds !== 'all' });
    return { model: choice.entry.id, detail, queued, keptEdited };
  }

  /** What a photo's sidecar should say: its caption and its tags' labels. */
  wordsOf(photoId: number): { description?: string; subjects: string[] } {
    const caption = this.captions.get(photoId);
    const subjects = this.db.prepare(`SELECT label FROM tags WHERE photo_id = ? ORDER BY score DESC, label`).pluck().all(photoId) as string[];
    return { ...(caption ? { description: caption.text } : {}), subjects };
  }

  /** Photos with a caption or a tag (what `iris export-xmp --all` writes). */
  photosWithWords(): number[] {
    return this.db.prepare(`SELECT photo_id FROM captions UNION SELECT photo_id FROM tags ORDER BY 1`).pluck().all() as number[];
  }

  /**
   * Captions one photo now, streaming the text as it is generated, and stores it. A person's
   * caption is kept unless `replaceEdited` (the viewer asks first). Returns the caption as stored
   * (or the person's caption that was kept) and the generation figures.
   */
  async generateCaption(
    photoId: number,
    options: { model?: string; detail?: CaptionDetail; replaceEdited?: boolean; onToken?: (piece: string) => void; signal?: AbortSignal } = {},
  ): Promise<{ caption: Caption | undefined; result: GenerateResult; model: string }> {
    const detail = options.detail ?? getSettingValue(this.store, 'caption-detail');
    return this.withCaptionerAndPhoto(photoId, options.model, async (captioner, pixels) => {
      const result = await captioner.caption(pixels, detail, { onToken: options.onToken, signal: options.signal });
      if (result.finish !== 'cancelled' && result.text) {
        if (options.replaceEdited && this.captions.get(photoId)?.edited) this.captions.putEdited(photoId, '');
        if (this.captions.putGenerated(photoId, result.text, captioner.id, detail)) this.emit('caption', { photoId, text: result.text, model: captioner.id });
      }
      return { caption: this.captions.get(photoId), result, model: captioner.id };
    });
  }

  /**
   * Runs `work` with the captioning model (loaded) and the photo decoded for it, ahead of any
   * caption batch's next photo; `check` may refuse the model before it is loaded.
   */
  private withCaptionerAndPhoto<R>(photoId: number, modelId: string | undefined, work: (captioner: Captioner, pixels: PhotoPixels) => Promise<R>, check?: (entry: ModelEntry) => void): Promise<R> {
    const choice = this.captionChoice(modelId);
    if (!choice.entry) throw new UsageError(choice.reason ?? 'no captioning model');
    check?.(choice.entry);
    return this.withCaptioner(choice.entry.id, 'interactive', async (captioner) => work(captioner, await decodePhoto(await currentFile(this.store, photoId), captioner.imageLongEdge)));
  }

  /**
   * Reads the text in a photo with the captioning model's OCR task (Florence-2's `<OCR>`), streamed.
   * Nothing is stored: a caption describes the photo, this is what is written in it. A model without
   * an OCR task is refused before it is loaded.
   */
  async readText(photoId: number, options: { model?: string; onToken?: (piece: string) => void; signal?: AbortSignal } = {}): Promise<GenerateResult & { model: string }> {
    return this.withCaptionerAndPhoto(
      photoId,
      options.model,
      async (captioner, pixels) => ({ ...(await captioner.readText(pixels, { onToken: options.onToken, signal: options.signal })), model: captioner.id }),
      (entry) => Captioner.ocrTask(entry),
    );
  }

  /** Queues an embedding for every readable photo that lacks one. Returns how many were queued. */
  private queueEmbeddings(): number {
    const { model } = this.clipModel();
    if (!model) return 0;
    const vectors = this.vectorsFor(model);
    return this.store.jobs.enqueueSelected(embedJobKind(model.id), vectors.missingQuery());
  }

  /** Where the embeddings stand: how many photos have one, how many lack one, and why. */
  embeddingSummary(): EmbeddingSummary {
    const choice = this.clipChoice();
    const ok = this.store.counts().ok;
    if (!choice.entry) return { model: null, embedded: 0, missing: ok, skipped: choice.reason ?? 'no CLIP model' };
    // Only a model that has embedded before has a table; reading the summary must not create one
    // (`iris doctor` changes nothing).
    const registered = VectorStore.models(this.db).find((info) => info.modelId === choice.entry!.id);
    const embedded = registered ? VectorStore.open(this.db, registered.modelId, registered.dim).count() : 0;
    return { model: choice.entry.id, embedded, missing: Math.max(0, ok - embedded), skipped: choice.reason ?? this.embedUnavailable };
  }

  /**
   * Works every pending job: thumbnails and metadata first, then the embeddings of the photos that
   * decoded (queued after, so a photo that cannot be read is not also tried by the model).
   */
  async runJobs(): Promise<void> {
    if (this.jobsPaused) return;
    this.queueEmbeddings();
    await this.runner.drain(this.runnerHooks());
    if (this.queueEmbeddings() > 0) await this.runner.drain(this.runnerHooks());
  }

  private jobHeartbeat(): void {
    if (this.closed) return;
    this.maybeDailyBackup();
    try {
      this.store.jobs.renewLeases();
      if (this.store.jobs.recoverAbandoned() > 0 && !this.jobsPaused && !this.stopRequested) {
        this.runJobs().catch((error: unknown) => this.reportProblem({ scope: 'read', path: null, message: errorMessage(error) }));
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
    this.runJobs().catch((error: unknown) => this.reportProblem({ scope: 'read', path: null, message: errorMessage(error) }));
  }

  get paused(): boolean {
    return this.jobsPaused;
  }

  /** True while the job runner is working (an index, a watcher event, a resume). */
  get working(): boolean {
    return this.runner.busy;
  }

  /** Search, similar, duplicates and tags over the library's CLIP model; a UsageError says why not. */
  clipSearch(): ClipSearch {
    const { model, reason } = this.clipModel();
    if (!model) throw new UsageError(reason ?? 'no CLIP model');
    return new ClipSearch(this.db, this.store, model, this.vectorsFor(model));
  }

  /** `iris search`: CLIP and caption rankings, fused (search/text-search.ts). */
  search(text: string, options: SearchOptions = {}): Promise<FusedSearchResponse> {
    return searchPhotos(
      { store: this.store, captions: this.captions, clip: () => this.clipSearch(), notice: (query) => languageNotice(query, this.clipChoice().entry, this.modelsDir) },
      text,
      options,
    );
  }

  private runnerHooks(): RunnerHooks {
    return {
      onProgress: (progress) => this.emit('progress', { phase: 'jobs', ...progress }),
      onUnavailable: (kind, message) => {
        this.embedUnavailable = message;
        this.reportProblem({ scope: 'model', path: null, message: `${kind}: ${message}` });
      },
      onOutcome: (outcome) => {
        if (outcome.ok) return;
        const location = this.store.locationsOf(outcome.photoId)[0];
        if (location) this.emit('photo', { event: 'failed', path: location.path, error: outcome.error ?? 'failed', photoId: outcome.photoId });
      },
    };
  }

  /** `iris index`: add the folders if needed, scan, and run every job to completion. */
  async index(paths?: readonly string[]): Promise<IndexSummary> {
    const folders = this.resolveFolders(paths);
    if (folders.length === 0) throw new UsageError('no folders in this library yet: give one, e.g. `iris index ~/Pictures`');
    const scan = await this.scan(folders);
    await this.runJobs();
    const failed = [...scan.unreadable, ...this.store.failedPhotos(folders.map((folder) => folder.id))].sort((a, b) => a.path.localeCompare(b.path));
    return {
      found: scan.found,
      indexed: scan.indexed,
      unchanged: scan.unchanged,
      removed: scan.removed,
      failed,
      embeddings: this.embeddingSummary(),
      heldElsewhere: this.store.jobs.heldElsewhere(),
    };
  }

  // ---- live file events (from the watcher) ----

  /**
   * A file appeared or changed: hash it, record it, report it, and queue its decoding. The scan's
   * rules decide what is a photo (isPhotoEntry, reachedWithoutLinks): a symlink, or a file under a
   * symlinked folder, is never read, whatever it points at.
   */
  async fileAppeared(file: string): Promise<void> {
    const folder = this.store.folderFor(file);
    if (!folder || isWithin(this.layout.dir, file)) return;
    let stat: fs.Stats;
    let hash: string;
    try {
      stat = fs.lstatSync(file);
      if (!isPhotoEntry(path.basename(file), stat) || !reachedWithoutLinks(folder.path, file)) return;
      hash = await hashFile(file, { noFollow: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // gone already: the unlink event follows
      this.emit('photo', { event: 'failed', path: file, error: `cannot read file: ${errorMessage(error)}`, photoId: null });
      return;
    }
    // The folder may have left the library while the file was read (no await from here on).
    const still = this.store.folderFor(file);
    if (still?.id !== folder.id) return;
    const outcome = this.store.recordFile({ path: file, folderId: folder.id, size: stat.size, mtimeMs: Math.floor(stat.mtimeMs), hash });
    if (outcome.kind === 'changed') this.emit('photo', { event: 'changed', path: file, photoId: outcome.photoId });
    else if (outcome.kind === 'added') this.moves.added(outcome.photoId, file, !outcome.newPhoto);
    this.runJobs().catch((error: unknown) => this.reportProblem({ scope: 'read', path: file, message: errorMessage(error) }));
  }

  /** A file (or, with `isDirectory`, everything below a folder) is gone from disk. */
  fileRemoved(file: string, isDirectory = false): void {
    for (const gone of isDirectory ? this.store.filesUnder(file) : [file]) {
      const result = this.store.removeFile(gone);
      if (result) this.moves.removed(result.photoId, gone);
    }
  }

  reportProblem(problem: Problem): void {
    this.store.recordProblem(problem.scope, problem.path, problem.message);
    this.emit('problem', problem);
  }

  // ---- reading ----

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
    await this.clip?.release();
    await this.captioner.release();
    await this.ask.close();
    await this.edits.release();
    this.moves.flush();
    VectorStore.closeAll(this.db);
    this.db.close();
  }
}

export type { PhotoEvent };
