/**
 * A fake IrisApi for component tests: every call answered by a handler (defaults describe an empty
 * browser-mode library with the CLIP model installed), every call recorded, events emitted by hand.
 * The real engine and transports are exercised by the lead's end-to-end tests.
 */
import type { ConnectionState, Transport } from '../lib/transport.js';
import type { CallArgs, CallResult, EventName, EventPayload, IrisApi, UiCallName } from '../lib/types.js';

type Handler<N extends UiCallName> = (args: CallArgs<N>) => CallResult<N> | Promise<CallResult<N>>;
export type Handlers = { [N in UiCallName]?: Handler<N> };

export interface FakeBackend {
  transport: Transport;
  api: IrisApi;
  calls: Array<{ name: UiCallName; args: unknown }>;
  callsOf<N extends UiCallName>(name: N): CallArgs<N>[];
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  setConnection(state: ConnectionState): void;
  handlers: Handlers;
}

export function libraryStatus(overrides: { folders?: number; total?: number; clipInstalled?: boolean; indexing?: boolean } = {}): CallResult<'library.status'> {
  const total = overrides.total ?? 0;
  return {
    version: '0.1.0',
    libraryDir: '/home/me/.local/share/Iris',
    modelsDir: '/opt/iris/models',
    folders: overrides.folders ?? 0,
    photos: { total, ok: total, pending: 0, failed: 0 },
    clip: {
      model: 'clip-vit-b32',
      installed: overrides.clipInstalled ?? true,
      missingModel: overrides.clipInstalled === false ? 'clip-vit-b32' : null,
      reason: overrides.clipInstalled === false ? 'clip-vit-b32 is not installed' : null,
      embedded: total,
      missing: 0,
      serving: 'clip-vit-b32',
    },
    indexing: overrides.indexing ?? false,
    paused: false,
  };
}

export function folder(id: number, path: string): CallResult<'folders.list'>[number] {
  return { id, path, addedAt: 1_700_000_000_000, scannedAt: 1_700_000_100_000, lastError: null };
}

/** A timeline of `count` photos, one per hour going back from 1 July 2024, ids count..1. */
export function timeline(count: number, undated = 0): CallResult<'photos.timeline'> {
  const ids: number[] = [];
  const takenAt: (number | null)[] = [];
  const aspect: number[] = [];
  const start = Date.UTC(2024, 6, 1);
  for (let i = 0; i < count; i++) {
    ids.push(count + undated - i);
    takenAt.push(start - i * 3_600_000);
    aspect.push(1.5);
  }
  for (let i = 0; i < undated; i++) {
    ids.push(undated - i);
    takenAt.push(null);
    aspect.push(1);
  }
  return { ids, takenAt, aspect, pending: [] };
}

export function photoDetail(id: number): CallResult<'photos.get'> {
  return {
    id,
    hash: `hash${id}`,
    path: `/photos/IMG_${id}.jpg`,
    paths: [`/photos/IMG_${id}.jpg`],
    size: 2_400_000,
    width: 4032,
    height: 3024,
    format: 'jpeg',
    takenAt: '2024-07-03T18:02:11',
    takenAtSource: 'exif',
    camera: 'Apple iPhone 13',
    lens: 'iPhone 13 back camera 5.1mm f/1.6',
    gps: { lat: 48.8584, lon: 2.2945, alt: 35 },
    place: 'Neuilly-sur-Seine, Paris, France 法国',
    orientation: 1,
    status: 'ok',
    error: null,
    tags: [],
    caption: null,
    marks: { favourite: false, rating: 0, rejected: false, label: null, hidden: false },
    keywords: [],
    albums: [],
  };
}

const defaults: Handlers = {
  'app.capabilities': () => ({ mode: 'browser', nativeFolderDialog: false, openExternal: false, storesSecrets: false }),
  'library.status': () => libraryStatus(),
  'folders.list': () => [],
  'photos.timeline': () => timeline(0),
  'photos.names': ({ ids }) => ({ names: ids.map((id) => `IMG_${id}.jpg`) }),
  'jobs.status': () => ({ paused: false, running: false, kinds: [], failures: [] }),
  'photos.get': ({ id }) => photoDetail(id),
  'search.text': () => ({ model: 'clip-vit-b32', results: [], relevant: 0, cutoff: null, notice: null, timings: { encode_ms: 1, search_ms: 1 } }),
  'search.similar': () => ({ model: 'clip-vit-b32', results: [], relevant: 0, cutoff: null, notice: null, timings: { encode_ms: 0, search_ms: 1 } }),
  'settings.list': () => [],
  'models.list': () => [],
  'models.recommended': () => ({ provider: 'cpu', gpu: false, models: [] }),
  'device.status': () => ({ setting: 'auto', resolvesTo: 'cpu', providers: [], lastRuntime: null }),
  'places.list': () => [],
  'library.facets': () => ({ cameras: [], places: [], people: [], keywords: [] }),
  'albums.list': () => [],
  'people.list': () => [],
  'faces.ofPhoto': () => [],
  'faces.status': () => ({ enabled: true, model: null, installed: false, reason: null, use: null, faces: 0, people: 0 }),
  'map.layout': () => ({ model: 'clip-vit-b32', points: [] }),
  'captions.status': () => ({ model: 'florence-2-base-ft', installed: true, reason: null, missingModel: null, detail: 'brief', readsText: true, captioned: 0, edited: 0, photos: 0 }),
  'captions.get': () => null,
  'captions.textInPhoto': () => null,
  'ask.status': () => ({ provider: 'local', model: 'smolvlm-256m-instruct', ready: true, reason: null, missingModel: null, endpointKey: 'none' }),
  'conversations.list': () => [],
  'streams.cancel': () => ({ cancelled: true }),
};

export function fakeBackend(handlers: Handlers = {}, mode: 'desktop' | 'browser' = 'browser'): FakeBackend {
  const all: Handlers = { ...defaults, ...handlers };
  const calls: FakeBackend['calls'] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let connection: ConnectionState = 'open';

  const api: IrisApi = {
    calls: Object.keys(all) as UiCallName[],
    async call<N extends UiCallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
      calls.push({ name, args });
      const handler = all[name] as Handler<N> | undefined;
      if (!handler) throw Object.assign(new Error(`${name}: not handled by the fake backend`), { code: 'unknown-call' });
      return handler(args);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };

  const transport: Transport = {
    mode,
    api,
    media: {
      thumb: (id, retry) => `/media/thumb/${id}?token=t${retry ? `&r=${retry}` : ''}`,
      preview: (id) => `/media/preview/${id}?token=t`,
      photo: (id) => `/media/photo/${id}?token=t`,
      tile: (z, x, y) => `/media/tile/${z}/${x}/${y}?token=t`,
    },
    connection: () => connection,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };

  return {
    transport,
    api,
    calls,
    handlers: all,
    callsOf: <N extends UiCallName>(name: N) => calls.filter((call) => call.name === name).map((call) => call.args as CallArgs<N>),
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    },
    setConnection(state) {
      connection = state;
      for (const listener of connectionListeners) listener(state);
    },
  };
}

/** A promise with its resolve exposed, to answer a call when the test says so. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}
