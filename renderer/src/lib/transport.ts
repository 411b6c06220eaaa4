/**
 * How the renderer reaches Iris. Desktop: the preload's `window.iris`. Browser mode (`iris serve`):
 * the same contract as JSON messages over a loopback WebSocket, with the access token taken from the
 * address bar once and kept in sessionStorage.
 */
import { IrisCallError, RpcClient, isRpcMessage } from '../../../main/contract/rpc.js';
import type { CallArgs, CallResult, EventName, EventPayload, IrisApi, MediaUrls, UiCallName } from './types.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface Transport {
  readonly mode: 'desktop' | 'browser';
  readonly api: IrisApi;
  readonly media: MediaUrls;
  /** The socket's state in browser mode; always `open` on the desktop. */
  connection(): ConnectionState;
  /** Returns the unsubscribe function. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

/**
 * Every call a UI may make. Spelled out (rather than imported from the contract) so the zod schemas
 * stay out of the bundle; the type below fails to compile when the contract gains a call missing here.
 */
const UI_CALLS = [
  'app.capabilities', 'app.openExternal', 'library.status', 'library.rescan', 'folders.list', 'folders.choose', 'folders.add',
  'folders.remove', 'photos.timeline', 'photos.names', 'photos.get', 'search.text', 'search.similar', 'tags.zeroShot', 'jobs.status', 'jobs.pause',
  'jobs.resume', 'settings.list', 'settings.set', 'settings.chooseOutputFolder', 'device.status', 'models.list', 'models.learnSizes', 'models.pause', 'models.recommended', 'models.install', 'models.verify', 'map.layout', 'places.list', 'library.facets',
  'people.list', 'people.update', 'people.merge', 'people.split', 'faces.ofPhoto', 'faces.assign', 'faces.draw', 'faces.status', 'faces.forget',
  'captions.status', 'captions.get', 'captions.textInPhoto', 'captions.generate', 'captions.readText', 'captions.save', 'captions.queue', 'ask.status', 'ask.send', 'streams.cancel',
  'conversations.list', 'conversations.get', 'conversations.delete', 'endpoint.setKey', 'edits.options', 'edits.edges', 'edits.run', 'edits.list',
  'photos.mark', 'photos.hide', 'photos.keywords', 'photos.writeSidecars', 'photos.showInFolder', 'photos.export', 'photos.exportTo',
  'albums.list', 'albums.create', 'albums.update', 'albums.delete', 'albums.add', 'albums.remove', 'albums.move', 'albums.photos', 'duplicates.groups',
] as const satisfies readonly UiCallName[];
type MissingCalls = Exclude<UiCallName, (typeof UI_CALLS)[number]>;
const everyCallListed: [MissingCalls] extends [never] ? true : MissingCalls = true;
void everyCallListed;

const TOKEN_KEY = 'iris.token';

/**
 * The access token of browser mode: from `?token=` on first load (then removed from the address bar,
 * so screenshots, bookmarks and shared links don't carry it), else from this tab's sessionStorage.
 */
export function takeAccessToken(location: Location, history: History, storage: Storage): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try {
      storage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // Storage can be disabled; the token still works for this page's life.
    }
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  try {
    return storage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function desktopMedia(): MediaUrls {
  return {
    thumb: (id, retry) => `iris://thumb/${id}${retry ? `?r=${retry}` : ''}`,
    preview: (id) => `iris://preview/${id}`,
    photo: (id) => `iris://photo/${id}`,
    tile: (z, x, y) => `iris://tile/${z}/${x}/${y}`,
  };
}

export function browserMedia(token: string): MediaUrls {
  const q = `?token=${encodeURIComponent(token)}`;
  return {
    thumb: (id, retry) => `/media/thumb/${id}${q}${retry ? `&r=${retry}` : ''}`,
    preview: (id) => `/media/preview/${id}${q}`,
    photo: (id) => `/media/photo/${id}${q}`,
    tile: (z, x, y) => `/media/tile/${z}/${x}/${y}${q}`,
  };
}

/** Closing codes `iris serve` may use for a refused token (no point retrying those). */
const REFUSED_CODES = new Set([4401, 4403, 1008]);

export interface SocketApiOptions {
  url: string;
  WebSocketImpl?: typeof WebSocket;
  /** Milliseconds before reconnect attempt `n` (0-based). */
  backoff?: (attempt: number) => number;
  /** How long calls made before the first connection wait for it. */
  firstConnectTimeoutMs?: number;
}

export interface SocketApi {
  api: IrisApi;
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  close(): void;
}

export function defaultBackoff(attempt: number): number {
  // 0.5 s, 1 s, 2 s, 4 s, then every 8 s, with a little jitter so many tabs don't knock in step.
  return Math.min(8000, 500 * 2 ** attempt) * (0.85 + Math.random() * 0.3);
}

export function createSocketApi(options: SocketApiOptions): SocketApi {
  const Impl = options.WebSocketImpl ?? WebSocket;
  const backoff = options.backoff ?? defaultBackoff;
  const firstConnectTimeoutMs = options.firstConnectTimeoutMs ?? 15000;
  const listeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | null = null;
  let attempt = 0;
  let everOpened = false;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let waitingForFirst: Array<{ go: () => void; fail: (error: Error) => void }> = [];

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener(next);
  };

  const rpc = new RpcClient((message) => {
    if (!socket || socket.readyState !== Impl.OPEN) throw new Error('not connected');
    socket.send(JSON.stringify(message));
  });

  const connect = () => {
    retryTimer = null;
    const ws = new Impl(options.url);
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      everOpened = true;
      setState('open');
      const waiting = waitingForFirst;
      waitingForFirst = [];
      for (const waiter of waiting) waiter.go();
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (isRpcMessage(message)) rpc.receive(message);
    };
    ws.onclose = (event: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      rpc.closeAll('The connection to Iris was lost; the call did not finish. Reconnecting…');
      if (closed) return;
      if (REFUSED_CODES.has(event.code)) {
        setState('unauthorized');
        const waiting = waitingForFirst;
        waitingForFirst = [];
        for (const waiter of waiting) waiter.fail(new IrisCallError('forbidden', 'Iris refused this page\'s access token.'));
        return;
      }
      setState(everOpened ? 'reconnecting' : 'connecting');
      retryTimer = setTimeout(connect, backoff(attempt++));
    };
    // An error is always followed by close, which does the work.
    ws.onerror = () => {};
  };

  const waitForFirstConnection = (name: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waitingForFirst = waitingForFirst.filter((waiter) => waiter !== entry);
        reject(new IrisCallError('unavailable', `${name}: could not connect to Iris at ${options.url.replace(/token=[^&]*/, 'token=…')}`));
      }, firstConnectTimeoutMs);
      const entry = {
        go: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waitingForFirst.push(entry);
    });

  const api: IrisApi = {
    calls: UI_CALLS,
    async call<N extends UiCallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
      if (state === 'unauthorized') throw new IrisCallError('forbidden', `${name}: Iris refused this page's access token.`);
      if (state !== 'open') {
        // Before the first connection, calls wait for it; after a drop they fail at once (the
        // banner says we are reconnecting, and the UI reloads what it shows when we are back).
        if (everOpened) throw new IrisCallError('unavailable', `${name}: not connected to Iris (reconnecting)`);
        await waitForFirstConnection(name);
      }
      return (await rpc.call(name, args)) as CallResult<N>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return rpc.on(event, listener);
    },
  };

  connect();

  return {
    api,
    connection: () => state,
    onConnection(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}

/** Picks the transport for this window: the preload bridge if present, else the WebSocket. */
export function createTransport(win: Window & { iris?: IrisApi } = window): Transport {
  if (win.iris) {
    const api = win.iris;
    return { mode: 'desktop', api, media: desktopMedia(), connection: () => 'open', onConnection: () => () => {} };
  }
  const token = takeAccessToken(win.location, win.history, win.sessionStorage) ?? '';
  const scheme = win.location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = createSocketApi({ url: `${scheme}://${win.location.host}/rpc?token=${encodeURIComponent(token)}` });
  if (!token) {
    // Without a token the server refuses us; say so plainly instead of spinning on reconnects.
    socket.close();
    const api: IrisApi = {
      calls: UI_CALLS,
      call: async (name) => {
        throw new IrisCallError('forbidden', `${name}: this page has no access token. Open the address that \`iris serve\` printed (it ends in ?token=…).`);
      },
      on: () => () => {},
    };
    return { mode: 'browser', api, media: browserMedia(''), connection: () => 'unauthorized', onConnection: () => () => {} };
  }
  return { mode: 'browser', api: socket.api, media: browserMedia(token), connection: socket.connection, onConnection: socket.onConnection };
}

/**
 * The message of a failed call, without the wrapping Electron adds to errors that cross IPC (what
 * a window shows goes through errors.ts errorMessage, which words it by its code).
 */
export function callMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : typeof error === 'object' && error && 'message' in error ? String((error as { message: unknown }).message) : String(error);
  const clean = raw.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, '').trim();
  return clean || 'Something went wrong (no message).';
}

