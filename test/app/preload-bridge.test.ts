import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { eventNames, uiCallNames } from '../../main/contract/contract.js';
import type { IpcAnswer } from '../../main/app/ipc-channels.js';
import { type BridgeIpc, createIrisApi } from '../../preload/bridge.js';

/** ipcRenderer as the bridge sees it: records invokes, lets the test push events. */
function fakeIpc(answer: (name: unknown, args: unknown) => IpcAnswer = () => ({ ok: true, value: 'fine' })) {
  const invoked: unknown[][] = [];
  const listeners = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>();
  const ipc: BridgeIpc = {
    invoke: async (channel, ...args) => {
      invoked.push([channel, ...args]);
      return answer(args[0], args[1]);
    },
    on: (channel, listener) => listeners.set(channel, [...(listeners.get(channel) ?? []), listener]),
  };
  const push = (name: unknown, payload: unknown) => {
    const ipcEvent = { sender: { send: () => 'ipcRenderer itself' }, ports: [] };
    for (const listener of listeners.get('iris:event') ?? []) listener(ipcEvent, name, payload);
  };
  return { ipc, invoked, listeners, push };
}

const names = { calls: uiCallNames, events: eventNames };

describe('preload bridge (window.iris)', () => {
  it('exposes exactly calls, call and on', () => {
    const api = createIrisApi(fakeIpc().ipc, names);
    assert.deepEqual(Object.keys(api).sort(), ['call', 'calls', 'on']);
  });

  it('lists the UI calls of the contract, frozen, without internal ones', () => {
    const api = createIrisApi(fakeIpc().ipc, names);
    assert.deepEqual([...api.calls], uiCallNames);
    assert.ok(!(api.calls as readonly string[]).includes('media.read'));
    assert.ok(Object.isFrozen(api.calls));
  });

  it('sends a call over iris:call with its name and arguments and resolves with the value', async () => {
    const { ipc, invoked } = fakeIpc(() => ({ ok: true, value: { total: 3 } }));
    const api = createIrisApi(ipc, names);
    assert.deepEqual(await api.call('photos.get', { id: 3 }), { total: 3 });
    assert.deepEqual(invoked, [['iris:call', 'photos.get', { id: 3 }]]);
  });

  it('refuses names outside the contract before any IPC', async () => {
    const { ipc, invoked } = fakeIpc();
    const api = createIrisApi(ipc, names);
    for (const name of ['media.read', 'fs.readFile', 'constructor', '__proto__']) {
      await assert.rejects(api.call(name as never, {} as never), (error: { code?: string }) => error.code === 'unknown-call');
    }
    assert.deepEqual(invoked, []);
  });

  it('rejects with the code and message main answered', async () => {
    const api = createIrisApi(fakeIpc(() => ({ ok: false, error: { code: 'forbidden', message: 'folders.add takes a path' } })).ipc, names);
    await assert.rejects(api.call('folders.add', { path: '/' }), (error: { name?: string; code?: string; message?: string }) => {
      assert.equal(error.name, 'IrisCallError');
      assert.equal(error.code, 'forbidden');
      assert.equal(error.message, 'folders.add takes a path');
      return true;
    });
  });

  it('rejects a malformed answer as internal', async () => {
    const api = createIrisApi(fakeIpc(() => 'garbage' as unknown as IpcAnswer).ipc, names);
    await assert.rejects(api.call('library.status', {}), (error: { code?: string }) => error.code === 'internal');
  });

  it('registers one IPC listener, and gives listeners the payload only, never the IPC event', () => {
    const { ipc, listeners, push } = fakeIpc();
    const api = createIrisApi(ipc, names);
    const received: unknown[][] = [];
    api.on('progress', (...args: unknown[]) => received.push(args));
    api.on('jobs.state', (...args: unknown[]) => received.push(args));
    assert.equal(listeners.get('iris:event')?.length, 1);
    assert.deepEqual([...listeners.keys()], ['iris:event']);
    push('progress', { phase: 'scan', found: 1, current: null });
    assert.deepEqual(received, [[{ phase: 'scan', found: 1, current: null }]]);
  });

  it('accepts only contract event names and drops events main should never send', () => {
    const { ipc, push } = fakeIpc();
    const api = createIrisApi(ipc, names);
    assert.throws(() => api.on('not-an-event' as never, () => {}), TypeError);
    assert.throws(() => api.on('progress', 'not a function' as never), TypeError);
    let calls = 0;
    api.on('progress', () => calls++);
    push('__proto__', {});
    push(42, {});
    assert.equal(calls, 0);
  });

  it('unsubscribes, and one failing listener does not stop the others', () => {
    const { ipc, push } = fakeIpc();
    const api = createIrisApi(ipc, names);
    let first = 0;
    let second = 0;
    const originalError = console.error;
    console.error = () => {};
    try {
      const off = api.on('photo', () => {
        first++;
        throw new Error('listener bug');
      });
      api.on('photo', () => second++);
      push('photo', {});
      off();
      push('photo', {});
    } finally {
      console.error = originalError;
    }
    assert.equal(first, 1);
    assert.equal(second, 2);
  });
});

describe('preload bundle', () => {
  const bundle = path.resolve('dist', 'preload', 'preload.cjs');

  it('is one small CommonJS file that requires only electron and carries no zod', (t) => {
    if (!fs.existsSync(bundle)) {
      const why = `${bundle} not built (vite build --config preload/vite.config.ts)`;
      console.log(`# skipped: ${why}`);
      t.skip(why);
      return;
    }
    const code = fs.readFileSync(bundle, 'utf8');
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((match) => match[1]);
    assert.deepEqual([...new Set(required)], ['electron']);
    assert.ok(!/^\s*(import|export)\s/m.test(code), 'no ES module syntax');
    assert.ok(!/zod|safeParse|ZodError/.test(code), 'zod is not bundled');
    assert.ok(code.length < 20_000, `${code.length} bytes`);
    assert.match(code, /exposeInMainWorld\("iris"/);
    for (const name of uiCallNames) assert.ok(code.includes(`"${name}"`), name);
    assert.ok(!code.includes('"media.read"'));
  });
});
