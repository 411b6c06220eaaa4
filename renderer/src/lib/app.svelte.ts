/**
 * The window's state: what the library looks like, what is running, what is open. One instance per
 * window, shared with components through context. Large data (the timeline) is kept raw
 * ($state.raw): it is replaced as a whole, never made into 100,000 reactive proxies.
 */
import { createContext } from 'svelte';
import { groupByMonth, type GroupedTimeline } from './months.js';
import { throttle } from './timing.js';
import { errorMessage } from './errors.js';
import { formatBytes, formatPercent } from './format.js';
import { locale, t } from './prefs.svelte.js';
import { Organiser } from './organise.svelte.js';
import { Selection } from './selection.svelte.js';
import type { ConnectionState, Transport } from './transport.js';
import type { CallArgs, CallResult, Capabilities, EngineStateEvent, Folder, IrisApi, JobsStatus, LibraryStatus, MediaUrls, ProgressEvent } from './types.js';

export type View = 'library' | 'people' | 'map' | 'places' | 'activity' | 'settings' | 'album' | 'duplicates';

export type Album = CallResult<'albums.list'>[number];

export interface ViewerState {
  /** The list the viewer steps through with ←/→ (the grid's order, the results' ranking…). */
  ids: ArrayLike<number>;
  index: number;
}

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

/** The latest progress of each phase, replaced as events arrive. */
export interface ProgressSnapshot {
  scan: Extract<ProgressEvent, { phase: 'scan' }> | null;
  read: Extract<ProgressEvent, { phase: 'read' }> | null;
  jobs: Record<string, Extract<ProgressEvent, { phase: 'jobs' }>>;
}

export interface ModelDownload {
  received: number;
  total: number | null;
}

/** What a model download from the app came to (AppStore.installModel). */
export type InstallOutcome = { kind: 'installed' } | { kind: 'paused' } | { kind: 'failed'; problem: string };

const emptyProgress: ProgressSnapshot = { scan: null, read: null, jobs: {} };

export class AppStore {
  readonly api: IrisApi;
  readonly media: MediaUrls;

  capabilities = $state.raw<Capabilities | null>(null);
  status = $state.raw<LibraryStatus | null>(null);
  folders = $state.raw<Folder[]>([]);
  /** False until the first answer: the UI shows nothing rather than a wrong empty state. */
  loaded = $state(false);
  loadError = $state<string | null>(null);

  timeline = $state.raw<GroupedTimeline | null>(null);
  /** Photos still being read: no thumbnail to ask for yet (the cell shows its placeholder). */
  pending = $state.raw<ReadonlySet<number>>(new Set());
  timelineError = $state<string | null>(null);
  /**
   * File names by photo id: what a screen reader calls a grid cell. Asked after the grid is painted
   * (photos.names), and only for the photos not known yet, so a timeline reload while indexing does
   * not send 100,000 names again. A photo's entry goes when a file event names it (moved, changed).
   */
  photoNames = $state.raw<ReadonlyMap<number, string>>(new Map());
  folderFilter = $state<number | null>(null);
  /** The search filters, which narrow the grid too while there is no query (null: none). */
  browseFilters = $state.raw<CallArgs<'photos.timeline'>['filters'] | null>(null);

  view = $state<View>('library');
  /** A Settings section to bring into view when Settings opens ("Install the model" → Models). */
  settingsSection = $state<string | null>(null);
  viewer = $state.raw<ViewerState | null>(null);
  /** The albums, by name (the sidebar lists them), and the one the album view shows. */
  albums = $state.raw<Album[]>([]);
  albumId = $state<number | null>(null);

  connection = $state<ConnectionState>('open');
  engine = $state.raw<EngineStateEvent>({ state: 'ready', message: null });
  jobs = $state.raw<JobsStatus | null>(null);
  jobsState = $state.raw<{ running: boolean; paused: boolean }>({ running: false, paused: false });
  progress = $state.raw<ProgressSnapshot>(emptyProgress);
  downloads = $state.raw<Record<string, ModelDownload>>({});
  notices = $state.raw<Notice[]>([]);
  /** Bumped when new thumbnails were made, so cells whose thumbnail was missing ask again. */
  thumbGeneration = $state(0);
  /** The photos picked in whichever grid shows (selection.svelte.ts). */
  readonly selection = new Selection();
  /** Marks, keywords, albums, hiding: every change to photos, and what the grid knows of their marks. */
  readonly organise: Organiser = new Organiser(this);

  private timelineTicket = 0;
  private noticeId = 0;
  private readonly downloadFiles = new Map<string, Map<string, ModelDownload>>();
  private readonly unsubscribers: Array<() => void> = [];
  private searchFocuser: (() => void) | null = null;

  // Indexing floods events; the grid and counts refresh at most once a second.
  private readonly refreshTimelineSoon = throttle(() => void this.loadTimeline(), 1000);
  private readonly refreshStatusSoon = throttle(() => void this.loadStatus(), 1000);
  private readonly refreshJobsSoon = throttle(() => void this.loadJobs(), 1000);
  private readonly bumpThumbsSoon = throttle(() => this.thumbGeneration++, 1500);
  private readonly publishDownloadsSoon = throttle(() => this.publishDownloads(), 250);

  constructor(private readonly transport: Transport) {
    this.api = transport.api;
    this.media = transport.media;
    this.connection = transport.connection();
  }

  get mode(): 'desktop' | 'browser' {
    return this.capabilities?.mode ?? this.transport.mode;
  }

  /** Subscribes to events and loads everything the first screen needs. */
  async start(): Promise<void> {
    const on = this.api.on.bind(this.api);
    this.unsubscribers.push(
      this.transport.onConnection((state) => {
        const wasDown = this.connection !== 'open';
        this.connection = state;
        // Events were missed while the socket was down: reload what the screen shows.
        if (state === 'open' && wasDown) void this.reload();
      }),
      on('photo', (event) => {
        if (event.photoId !== null && this.photoNames.has(event.photoId)) {
          const names = new Map(this.photoNames);
          names.delete(event.photoId);
          this.photoNames = names;
        }
        this.refreshTimelineSoon();
        this.refreshStatusSoon();
      }),
      on('progress', (event) => this.onProgress(event)),
      on('jobs.state', (state) => {
        this.jobsState = state;
        if (!state.running && !state.paused) {
          // Finished: show the final state now rather than up to a second later.
          this.progress = emptyProgress;
          this.refreshTimelineSoon.flush();
          this.thumbGeneration++;
          void this.loadFolders();
        }
        void this.loadStatus();
        void this.loadJobs();
      }),
      on('engine.state', (state) => {
        const wasDown = this.engine.state !== 'ready';
        this.engine = state;
        if (state.state === 'ready' && wasDown) void this.reload();
      }),
      on('problem', (problem) => this.notify('error', problem.path ? `${problem.message} (${problem.path})` : problem.message)),
      on('models.progress', (event) => this.onModelProgress(event)),
    );
    await this.reload();
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.refreshTimelineSoon.cancel();
    this.refreshStatusSoon.cancel();
    this.refreshJobsSoon.cancel();
    this.bumpThumbsSoon.cancel();
    this.publishDownloadsSoon.cancel();
  }

  async reload(): Promise<void> {
    try {
      const [capabilities, status, folders] = await Promise.all([
        this.api.call('app.capabilities', {}),
        this.api.call('library.status', {}),
        this.api.call('folders.list', {}),
      ]);
      this.capabilities = capabilities;
      this.status = status;
      this.folders = folders;
      this.jobsState = { running: status.indexing, paused: status.paused };
      if (this.folderFilter !== null && !folders.some((folder) => folder.id === this.folderFilter)) this.folderFilter = null;
      this.loadError = null;
      this.loaded = true;
    } catch (error) {
      this.loadError = errorMessage(error);
      return;
    }
    await Promise.all([this.loadTimeline(), this.loadJobs(), this.loadAlbums()]);
  }

  async loadStatus(): Promise<void> {
    try {
      this.status = await this.api.call('library.status', {});
    } catch {
      // A refresh that fails keeps the last answer; the banner tells why (engine restarting, socket down).
    }
  }

  async loadFolders(): Promise<void> {
    try {
      this.folders = await this.api.call('folders.list', {});
    } catch (error) {
      this.notify('error', errorMessage(error));
    }
  }

  async loadJobs(): Promise<void> {
    try {
      this.jobs = await this.api.call('jobs.status', {});
      this.jobsState = { running: this.jobs.running, paused: this.jobs.paused };
    } catch {
      // Same as loadStatus.
    }
  }

  /** Loads the grid's photos; an answer that arrives after a newer request (another folder) is dropped. */
  async loadTimeline(): Promise<void> {
    const ticket = ++this.timelineTicket;
    const folderId = this.folderFilter;
    const filters = this.browseFilters;
    try {
      const timeline = await this.api.call('photos.timeline', { ...(folderId === null ? {} : { folderId }), ...(filters ? { filters } : {}) });
      if (ticket !== this.timelineTicket) return;
      this.timeline = groupByMonth(timeline);
      this.pending = new Set(timeline.pending);
      this.organise.learnTimeline(timeline.marks);
      this.timelineError = null;
      void this.loadNames(timeline.ids, ticket);
    } catch (error) {
      if (ticket !== this.timelineTicket) return;
      this.timelineError = errorMessage(error);
    }
  }

  /** The file names of the timeline's photos not known yet (after the grid is painted: labels only). */
  private async loadNames(ids: readonly number[], ticket: number): Promise<void> {
    const unknown = ids.filter((id) => !this.photoNames.has(id));
    if (unknown.length === 0) return;
    try {
      const { names } = await this.api.call('photos.names', { ids: unknown });
      if (ticket !== this.timelineTicket) return;
      const next = new Map(this.photoNames);
      unknown.forEach((id, i) => next.set(id, names[i] ?? ''));
      this.photoNames = next;
    } catch {
      // Labels only: the cells keep their day until the next timeline asks again.
    }
  }

  /** The search filters changed: the grid shows only the photos that pass them. */
  setBrowseFilters(filters: CallArgs<'photos.timeline'>['filters'] | null): void {
    if (JSON.stringify(filters) === JSON.stringify(this.browseFilters)) return;
    this.browseFilters = filters;
    void this.loadTimeline();
  }

  showFolder(folderId: number | null): void {
    this.view = 'library';
    if (this.folderFilter === folderId) return;
    this.folderFilter = folderId;
    this.timeline = null;
    void this.loadTimeline();
  }

  // ---- folders ----

  /** Browser mode: a typed path. Returns the new folder, or null (the error is shown). */
  async addFolderPath(path: string): Promise<Folder | null> {
    try {
      const folder = await this.api.call('folders.add', { path });
      await this.afterFolderAdded(folder);
      return folder;
    } catch (error) {
      this.notify('error', errorMessage(error));
      return null;
    }
  }

  /** Desktop: the native dialog (null when cancelled). */
  async chooseFolder(): Promise<Folder | null> {
    try {
      const folder = await this.api.call('folders.choose', {});
      if (folder) await this.afterFolderAdded(folder);
      return folder;
    } catch (error) {
      this.notify('error', errorMessage(error));
      return null;
    }
  }

  private async afterFolderAdded(folder: Folder): Promise<void> {
    this.folders = [...this.folders.filter((known) => known.id !== folder.id), folder];
    await Promise.all([this.loadFolders(), this.loadStatus(), this.loadTimeline(), this.loadJobs()]);
  }

  async removeFolder(folder: Folder): Promise<number | null> {
    try {
      const { photos } = await this.api.call('folders.remove', { folderId: folder.id });
      if (this.folderFilter === folder.id) this.folderFilter = null;
      this.folders = this.folders.filter((known) => known.id !== folder.id);
      await Promise.all([this.loadFolders(), this.loadStatus(), this.loadTimeline()]);
      return photos;
    } catch (error) {
      this.notify('error', errorMessage(error));
      return null;
    }
  }

  async rescan(folderId?: number): Promise<boolean> {
    try {
      const { started } = await this.api.call('library.rescan', folderId === undefined ? {} : { folderId });
      void this.loadJobs();
      return started;
    } catch (error) {
      this.notify('error', errorMessage(error));
      return false;
    }
  }

  async setPaused(paused: boolean): Promise<void> {
    try {
      const answer = await this.api.call(paused ? 'jobs.pause' : 'jobs.resume', {});
      this.jobsState = { ...this.jobsState, paused: answer.paused };
      void this.loadJobs();
    } catch (error) {
      this.notify('error', errorMessage(error));
    }
  }

  // ---- albums ----

  async loadAlbums(): Promise<void> {
    try {
      this.albums = await this.api.call('albums.list', {});
    } catch {
      // Same as loadStatus: the last list stays.
    }
  }

  openAlbum(id: number): void {
    this.viewer = null;
    this.albumId = id;
    this.view = 'album';
  }

  /** A new album (with these photos, if given), listed at once; null when it failed (the error is shown). */
  async createAlbum(name: string, photoIds: number[] = []): Promise<Album | null> {
    try {
      const album = await this.api.call('albums.create', { name, ...(photoIds.length > 0 ? { photoIds } : {}) });
      this.albums = [...this.albums.filter((known) => known.id !== album.id), album].sort((a, b) => a.name.localeCompare(b.name));
      void this.loadAlbums();
      return album;
    } catch (error) {
      this.notify('error', errorMessage(error));
      return null;
    }
  }

  openSettings(section?: 'models' | 'device' | 'folders' | 'ask'): void {
    this.viewer = null;
    this.settingsSection = section ?? null;
    this.view = 'settings';
  }

  // ---- viewer, search focus, notices ----

  openViewer(ids: ArrayLike<number>, index: number): void {
    if (ids.length === 0) return;
    this.viewer = { ids, index: Math.max(0, Math.min(ids.length - 1, index)) };
  }

  stepViewer(delta: number): void {
    const viewer = this.viewer;
    if (!viewer) return;
    const index = viewer.index + delta;
    if (index < 0 || index >= viewer.ids.length) return;
    this.viewer = { ids: viewer.ids, index };
  }

  closeViewer(): void {
    this.viewer = null;
  }

  registerSearchFocus(focus: () => void): () => void {
    this.searchFocuser = focus;
    return () => {
      if (this.searchFocuser === focus) this.searchFocuser = null;
    };
  }

  focusSearch(): void {
    this.viewer = null;
    if (this.view !== 'library' && this.view !== 'map' && this.view !== 'places') this.view = 'library';
    this.searchFocuser?.();
  }

  notify(kind: Notice['kind'], message: string): void {
    const notice: Notice = { id: ++this.noticeId, kind, message };
    // A flood of problems (a folder of broken files) should not bury the screen: keep the last four.
    this.notices = [...this.notices.filter((known) => known.message !== message), notice].slice(-4);
    setTimeout(() => this.dismiss(notice.id), kind === 'error' ? 10000 : 5000);
  }

  dismiss(id: number): void {
    if (this.notices.some((notice) => notice.id === id)) this.notices = this.notices.filter((notice) => notice.id !== id);
  }

  // ---- event handling ----

  private onProgress(event: ProgressEvent): void {
    const current = this.progress;
    if (event.phase === 'scan') this.progress = { ...current, scan: event };
    else if (event.phase === 'read') {
      this.progress = { ...current, read: event };
      // New photos were recorded: they belong in the grid.
      this.refreshTimelineSoon();
      this.refreshStatusSoon();
    } else {
      this.progress = { ...current, jobs: { ...current.jobs, [event.kind]: event } };
      if (event.kind === 'thumbnail') {
        this.bumpThumbsSoon();
        // Photos listed as still being read get their thumbnails now; the timeline says which are
        // done (otherwise they would wait for every later job, embeddings and text reading included).
        if (this.pending.size > 0) this.refreshTimelineSoon();
      } else this.refreshStatusSoon();
      this.refreshJobsSoon();
    }
  }

  private onModelProgress(event: { id: string; file: string; received: number; total: number | null; done: boolean }): void {
    let files = this.downloadFiles.get(event.id);
    if (!files) this.downloadFiles.set(event.id, (files = new Map()));
    files.set(event.file, { received: event.received, total: event.total });
    this.publishDownloadsSoon();
  }

  private publishDownloads(): void {
    const summary: Record<string, ModelDownload> = {};
    for (const [id, files] of this.downloadFiles) {
      let received = 0;
      let total: number | null = 0;
      for (const file of files.values()) {
        received += file.received;
        total = total === null || file.total === null ? null : total + file.total;
      }
      summary[id] = { received, total };
    }
    this.downloads = summary;
  }

  /** A model's download finished (or failed): forget its per-file progress. */
  clearDownload(id: string): void {
    this.downloadFiles.delete(id);
    this.publishDownloads();
  }

  /** Models whose download was paused from this window: their buttons offer to resume. */
  pausedDownloads = $state.raw<ReadonlySet<string>>(new Set());

  /**
   * Downloads a model as every Download button does (Settings, the recommended set, a "model
   * missing" place): says so when it is ready (unless `notify` is false), then forgets its
   * progress. A download paused meanwhile (pauseModel) is not a failure: nothing to show.
   */
  async installModel(id: string, options: { notify?: boolean } = {}): Promise<InstallOutcome> {
    this.pausedDownloads = new Set([...this.pausedDownloads].filter((paused) => paused !== id));
    try {
      await this.api.call('models.install', { id });
      if (options.notify ?? true) this.notify('info', t('settings.modelInstalledNow', { id }));
      return { kind: 'installed' };
    } catch (failure) {
      return this.pausedDownloads.has(id) ? { kind: 'paused' } : { kind: 'failed', problem: errorMessage(failure) };
    } finally {
      this.clearDownload(id);
    }
  }

  /** Stops a model's download where it is (models.pause); installing it again resumes from what was kept. */
  async pauseModel(id: string): Promise<void> {
    this.pausedDownloads = new Set([...this.pausedDownloads, id]);
    await this.api.call('models.pause', { id }).catch(() => undefined);
  }

  /** A running download's progress in words ("Downloading 42 %"); `expectedBytes` stands in for a total the server has not sent yet. */
  downloadText(id: string, expectedBytes: number | null = null): string {
    const progress = this.downloads[id];
    if (!progress) return t('settings.modelDownloading', { percent: '' }).trim();
    const total = progress.total ?? expectedBytes;
    return t('settings.modelDownloading', { percent: total ? formatPercent(locale(), progress.received / total) : formatBytes(locale(), progress.received) });
  }
}

/**
 * True while the library shows its "add a folder" screen: the add-folder control then lives in
 * that screen (big, where the eye is) instead of the sidebar, so there is only ever one of it.
 */
export function showsNoFolders(app: AppStore, searching: boolean): boolean {
  return app.loaded && app.view === 'library' && !searching && app.folders.length === 0;
}

export const [getApp, setApp] = createContext<AppStore>();
