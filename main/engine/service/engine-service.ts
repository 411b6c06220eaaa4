import {
  type CallError,
  type CallName,
  type EngineCallName,
  type EventName,
  type EventPayload,
  calls,
  isCallName,
  parseCallArgs,
} from '../../contract/contract.js';
import { Engine, type EngineOptions } from '../engine.js';
import { UserFacingError, errorMessage } from '../errors.js';
import type { Folder } from '../library-store.js';
import { VectorStore } from '../search/vector-store.js';
import { LibraryWatcher, type WatchOptions } from '../library/watcher.js';
import type { EngineHandlers, HandlerContext } from './handler-context.js';
import { engineHandlers } from './handlers.js';
import type { MapPoint } from './map-layout.js';
import { layoutInWorker } from './map-worker.js';
import { ModelsService } from './models-service.js';
import { TextStreams } from './text-streams.js';

export interface ServiceOptions {
  /** Follow the folders live (the app does; a test may not want to). Default true. */
  watch?: boolean;
  watchOptions?: WatchOptions;
}

/** A call's outcome as every transport sends it. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: CallError };

type EventListener = <E extends EventName>(name: E, payload: EventPayload<E>) => void;

/**
 * The engine as the UI sees it: the contract's engine calls answered, the engine's events turned
 * into contract events, and the background work a window expects (folders followed live, a new
 * folder indexed at once, the queue paused and resumed). One instance per library; the desktop
 * app runs it in a utility process, `iris serve` in its own process, tests in theirs.
 */
export class EngineService implements HandlerContext {
  readonly models: ModelsService;
  /** Captions and answers being streamed to a UI. */
  readonly streams = new TextStreams((streamId, text) => this.emit('stream.token', { streamId, text }));
  /** The endpoint API key the desktop app keeps in the OS keychain (memory only; see ask.useKey). */
  private apiKey: string | null = null;
  private readonly handlers: EngineHandlers;
  private readonly listeners = new Set<EventListener>();
  private watcher: LibraryWatcher | null = null;
  /** Scans and watcher restarts run one after another, never two at once. */
  private background: Promise<void> = Promise.resolve();
  private backgroundTasks = 0;
  private map: { key: string; layout: Promise<MapPoint[]> } | null = null;
  private closed = false;

  constructor(
    readonly engine: Engine,
    private readonly options: ServiceOptions = {},
  ) {
    this.handlers = engineHandlers(this);
    this.models = new ModelsService(
      engine.modelsDir,
      () => engine.clip.choice().entry?.id ?? null,
      (progress) => this.emit('models.progress', progress),
      () => this.workQueueInBackground(),
    );
    engine.on('progress', (progress) => this.emit('progress', progress));
    engine.on('photo', (event) => this.emit('photo', event));
    engine.on('problem', (problem) => this.emit('problem', problem));
    engine.on('caption', (caption) => this.emit('caption', caption));
  }

  static open(engineOptions: EngineOptions, options: ServiceOptions = {}): EngineService {
    return new EngineService(Engine.open(engineOptions), options);
  }

  private get watching(): boolean {
    return this.options.watch ?? true;
  }

  /** Follows every folder (which also rescans them and works the queue), in the background. */
  start(): void {
    if (this.watching) this.rewatch();
    else this.indexInBackground(this.engine.library.listFolders());
  }

  endpointKey(): string | null {
    return this.apiKey;
  }

  useEndpointKey(key: string | null): void {
    this.apiKey = key;
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A running edit's step (and preview) for the UI. */
  emitEditPreview(payload: EventPayload<'edit.preview'>): void {
    this.emit('edit.preview', payload);
  }

  private emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) listener(name, payload);
  }

  /**
   * Answers one call from any transport. The name and arguments are checked here as well as by
   * the host (defence in depth: the engine never trusts a port), and errors become CallErrors.
   */
  async handle(name: unknown, args: unknown): Promise<CallOutcome> {
    if (!isCallName(name)) return { ok: false, error: { code: 'unknown-call', message: `unknown call ${String(name)}` } };
    if (calls[name].handledBy !== 'engine') return { ok: false, error: { code: 'unknown-call', message: `${name} is answered by the app, not the engine` } };
    const parsed = parseCallArgs(name, args);
    if (!parsed.ok) return parsed;
    if (this.closed) return { ok: false, error: { code: 'unavailable', message: 'the engine is shutting down' } };
    try {
      const handler = this.handlers[name as EngineCallName] as (args: unknown) => unknown;
      return { ok: true, value: await handler(parsed.value) };
    } catch (error) {
      return { ok: false, error: toCallError(name, error) };
    }
  }

  get indexing(): boolean {
    return this.backgroundTasks > 0 || this.engine.working;
  }

  private jobsStateChanged(): void {
    this.emit('jobs.state', { running: this.indexing, paused: this.engine.paused });
  }

  /** Queues work after whatever runs now; a failure is reported as a problem, never thrown. */
  private inBackground(work: () => Promise<unknown>): void {
    this.backgroundTasks++;
    this.jobsStateChanged();
    this.background = this.background
      .then(async () => {
        await work();
      })
      .catch((error: unknown) => this.engine.reportProblem({ scope: 'scan', path: null, message: errorMessage(error) }))
      .finally(() => {
        this.backgroundTasks--;
        this.jobsStateChanged();
      });
  }

  indexInBackground(folders: readonly Folder[]): boolean {
    if (this.closed || folders.length === 0) return false;
    this.inBackground(async () => {
      await this.engine.library.scan(folders);
      await this.engine.runJobs();
    });
    return true;
  }

  /** Works the queue (a model was installed or chosen, the device changed, captions were queued). */
  workQueueInBackground(): void {
    if (!this.closed) this.inBackground(() => this.engine.runJobs());
  }

  /** (Re)starts the watcher over the current folders; its start rescans them (size + mtime) and works the queue. */
  private rewatch(): void {
    if (this.closed || !this.watching) return;
    this.inBackground(async () => {
      await this.watcher?.close();
      this.watcher = null;
      const folders = this.engine.library.listFolders();
      if (folders.length === 0 || this.closed) return;
      this.watcher = new LibraryWatcher(this.engine, folders, this.options.watchOptions);
      await this.watcher.start();
    });
  }

  addFolder(folderPath: string): Folder {
    const [result] = this.engine.library.registerFolders([folderPath]);
    if (this.watching) this.rewatch();
    else this.indexInBackground([result!.folder]);
    return result!.folder;
  }

  removeFolder(folderId: number): { photos: number } {
    const folder = this.engine.store.requireFolder(folderId);
    const { photos } = this.engine.library.removeFolder(folder.path);
    this.rewatch();
    return { photos };
  }

  async pauseJobs(): Promise<{ paused: boolean }> {
    const stopped = this.engine.pauseJobs();
    this.jobsStateChanged();
    await stopped;
    this.jobsStateChanged();
    return { paused: true };
  }

  resumeJobs(): { paused: boolean } {
    this.engine.resumeJobs();
    this.jobsStateChanged();
    return { paused: false };
  }

  /** A new device or CLIP model: photos that lack an embedding from it are queued and worked. */
  settingChanged(key: string): void {
    if (key === 'clip-model' || key === 'device' || key === 'read-text') this.workQueueInBackground();
  }

  /**
   * The library map of the current CLIP model, computed on a worker thread and kept until the set
   * of embedded photos changes (their count and id sum are the cheap fingerprint).
   */
  async mapLayout(): Promise<{ model: string | null; points: MapPoint[] }> {
    // The model searches answer with: while a new one re-embeds after a switch, the previous one.
    const model = this.engine.clip.servingId();
    const registered = model && VectorStore.models(this.engine.database).find((info) => info.modelId === model);
    if (!model || !registered) return { model, points: [] };
    const { photoIds, vectors } = VectorStore.open(this.engine.database, registered.modelId, registered.dim).readAll();
    const key = `${model}:${photoIds.length}:${photoIds.reduce((sum, id) => sum + id, 0)}`;
    if (this.map?.key !== key) {
      const layout = layoutInWorker({ photoIds, vectors, dim: registered.dim });
      this.map = { key, layout };
      layout.catch(() => {
        if (this.map?.layout === layout) this.map = null;
      });
    }
    return { model, points: await this.map.layout };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.streams.cancelAll();
    await this.engine.stop();
    await this.watcher?.close();
    await this.background;
    await this.engine.close();
    this.listeners.clear();
  }
}

/**
 * Errors as the UI shows them: something named that does not exist is `not-found`; a user's
 * mistake, and a condition the user can act on (an endpoint that refused or is unreachable, a model
 * file that is missing or failed its check) says so plainly, in its own words; anything else is a
 * bug report, with the call's name.
 */
export function toCallError(name: CallName, error: unknown): CallError {
  if (error instanceof UserFacingError) return { code: error.callCode, message: error.message, ...(error.modelToInstall ? { model: error.modelToInstall } : {}) };
  return { code: 'internal', message: `${name} failed: ${errorMessage(error)}` };
}
