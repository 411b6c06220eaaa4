import type { CallResult, EngineCallName, EventPayload, ParsedArgs } from '../../contract/contract.js';
import type { Engine } from '../engine.js';
import type { Folder } from '../library-store.js';
import type { MapPoint } from './map-layout.js';
import type { ModelsService } from './models-service.js';
import type { TextStreams } from './text-streams.js';

/**
 * What the contract's handlers may use: the engine, and the few things the service around it
 * owns (background indexing, the watcher, streams, the endpoint key held in memory). Narrower
 * than EngineService, so that handlers and the service do not depend on each other.
 */
export interface HandlerContext {
  readonly engine: Engine;
  readonly models: ModelsService;
  /** Captions and answers being streamed to a UI. */
  readonly streams: TextStreams;
  /** A scan or queue run is under way (in the background or in the engine). */
  readonly indexing: boolean;
  /** The endpoint API key the desktop app keeps in the OS keychain, handed over by ask.useKey (memory only). */
  endpointKey(): string | null;
  useEndpointKey(key: string | null): void;
  indexInBackground(folders: readonly Folder[]): boolean;
  workQueueInBackground(): void;
  addFolder(folderPath: string): Folder;
  removeFolder(folderId: number): { photos: number };
  pauseJobs(): Promise<{ paused: boolean }>;
  resumeJobs(): { paused: boolean };
  /** A setting was written or cleared: whatever depends on it follows. */
  settingChanged(key: string): void;
  mapLayout(): Promise<{ model: string | null; points: MapPoint[] }>;
  /** A running edit's step (and preview) for the UI. */
  emitEditPreview(payload: EventPayload<'edit.preview'>): void;
}

/** One handler per engine call: the compiler refuses a contract entry without one. */
export type EngineHandlers = { [N in EngineCallName]: (args: ParsedArgs<N>) => Promise<CallResult<N>> | CallResult<N> };
