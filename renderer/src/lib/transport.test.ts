import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { browserMedia, callMessage, createSocketApi, desktopMedia, takeAccessToken } from './transport.js';

/** A WebSocket double: the test opens, answers and drops it. */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static instances: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.drop(1000);
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  drop(code = 1006) {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code });
  }
  reply(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

const latestSocket = () => FakeSocket.instances[FakeSocket.instances.length - 1]!;

describe('takeAccessToken', () => {
  it('takes ?token= from the address bar, keeps it in sessionStorage and removes it from the URL', () => {
    const replaced: string[] = [];
    const storage = new Map<string, string>();
    const token = takeAccessToken(
      { href: 'http://127.0.0.1:7860/?token=s3cret&view=map#x' } as Location,
      { state: null, replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History,
      { setItem: (k: string, v: string) => storage.set(k, v), getItem: (k: string) => storage.get(k) ?? null } as unknown as Storage,
    );
    expect(token).toBe('s3cret');
    expect(replaced).toEqual(['/?view=map#x']);
    expect([...storage.values()]).toEqual(['s3cret']);
  });

  it('falls back to the token kept in this tab after a reload', () => {
    const token = takeAccessToken(
      { href: 'http://127.0.0.1:7860/' } as Location,
      { state: null, replaceState: () => {} } as unknown as History,
      { setItem: () => {}, getItem: () => 'kept' } as unknown as Storage,
    );
    expect(token).toBe('kept');
  });
});

describe('media URLs', () => {
  it('are by id: iris:// on the desktop, /media/... with the token in browser mode', () => {
    expect(desktopMedia().thumb(7)).toBe('iris://thumb/7');
    expect(desktopMedia().photo(7)).toBe('iris://photo/7');
    expect(browserMedia('a b').preview(7)).toBe('/media/preview/7?token=a%20b');
    expect(browserMedia('t').thumb(7, 3)).toBe('/media/thumb/7?token=t&r=3');
  });
});

describe('createSocketApi', () => {
  beforeEach(() => {
    FakeSocket.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  const make = () =>
    createSocketApi({ url: 'ws://127.0.0.1:7860/rpc?token=t', WebSocketImpl: FakeSocket as unknown as typeof WebSocket, backoff: (n) => 100 * (n + 1) });

  it('holds calls made before the first connection, then sends them and resolves with the answer', async () => {
    const socket = make();
    const answer = socket.api.call('folders.list', {});
    latestSocket().open();
    await vi.advanceTimersByTimeAsync(0);
    const sent = latestSocket().sent[0] as { id: number; name: string };
    expect(sent).toMatchObject({ type: 'call', name: 'folders.list', args: {} });
    latestSocket().reply({ type: 'result', id: sent.id, ok: true, value: [] });
    await expect(answer).resolves.toEqual([]);
  });

  it('rejects calls with the engine error code and message', async () => {
    const socket = make();
    latestSocket().open();
    const answer = socket.api.call('folders.add', { path: '/nope' });
    await vi.advanceTimersByTimeAsync(0);
    const sent = latestSocket().sent[0] as { id: number };
    latestSocket().reply({ type: 'result', id: sent.id, ok: false, error: { code: 'usage', message: 'folders.add: /nope does not exist' } });
    await expect(answer).rejects.toMatchObject({ code: 'usage', message: 'folders.add: /nope does not exist' });
  });

  it('on a drop: open calls reject as unavailable, the state says reconnecting, and it reconnects with backoff', async () => {
    const socket = make();
    const states: string[] = [];
    socket.onConnection((state) => states.push(state));
    latestSocket().open();
    const events: unknown[] = [];
    socket.api.on('jobs.state', (payload) => events.push(payload));
    const open = socket.api.call('library.status', {});
    await vi.advanceTimersByTimeAsync(0);
    latestSocket().drop();
    await expect(open).rejects.toMatchObject({ code: 'unavailable' });
    expect(socket.connection()).toBe('reconnecting');
    // New calls fail at once while reconnecting rather than hanging.
    await expect(socket.api.call('folders.list', {})).rejects.toMatchObject({ code: 'unavailable' });
    expect(FakeSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.instances).toHaveLength(2);
    latestSocket().drop(); // the second try fails too: the next one waits longer
    await vi.advanceTimersByTimeAsync(150);
    expect(FakeSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(50);
    expect(FakeSocket.instances).toHaveLength(3);
    latestSocket().open();
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    // Event listeners survive the reconnect.
    latestSocket().reply({ type: 'event', name: 'jobs.state', payload: { running: true, paused: false } });
    expect(events).toEqual([{ running: true, paused: false }]);
    socket.close();
  });

  it('stops retrying when the server refuses the token', async () => {
    const socket = make();
    latestSocket().drop(4401);
    expect(socket.connection()).toBe('unauthorized');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.instances).toHaveLength(1);
    await expect(socket.api.call('folders.list', {})).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('callMessage', () => {
  it('strips the wrapping Electron adds to errors that cross IPC', () => {
    expect(callMessage(new Error("Error invoking remote method 'iris:call': IrisCallError: folders.add: no such folder"))).toBe('folders.add: no such folder');
    expect(callMessage({ code: 'internal', message: 'boom' })).toBe('boom');
    expect(callMessage(new Error(''))).not.toBe('');
  });
});
