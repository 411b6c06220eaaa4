import assert from 'node:assert/strict';
import fs from 'node:fs';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../../main/app/csp.js';
import type { RpcMessage } from '../../main/contract/rpc.js';

/**
 * dist/main/app/main.js run in plain Node against a fake `electron` (fakes/electron.ts): checks
 * that main wires the pure modules to Electron as intended (schemes before ready, the IPC gate,
 * the protocols, the engine's utility process and its restart) where no Electron binary exists.
 * It cannot show that real Electron behaves as the fake does: the launch test does that.
 */
type Fake = typeof import('./fakes/electron.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const fakeUrl = pathToFileURL(path.join(here, 'fakes', 'electron.js')).href;

describe('desktop main, wired to a fake Electron', () => {
  let fake: Fake;
  let tempDir: string;
  let libraryDir: string;
  const originalArgv = process.argv;
  const originalWarn = console.warn;
  const warnings: string[] = [];

  before(async () => {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-wiring-'));
    libraryDir = path.join(tempDir, 'library');
    register(pathToFileURL(path.join(here, 'fakes', 'electron-hooks.js')).href, { data: { fakeUrl } });
    fake = (await import(fakeUrl)) as Fake;
    process.argv = ['electron', '.', '--library', libraryDir, '--user-data-dir', path.join(tempDir, 'user-data')];
    console.warn = (line: string) => warnings.push(line);
    await import('../../main/app/main.js');
  });

  after(() => {
    process.argv = originalArgv;
    console.warn = originalWarn;
    fs.rmSync(tempDir, { recursive: true, force: true });
  });

  /** Main's end of the n-th engine's port, and the messages main sent on it. */
  const mainPort = (n: number) => fake.recorded.channels[n]!.port1;
  const callsSent = (n: number) => mainPort(n).posted.filter((message) => (message as RpcMessage).type === 'call') as Extract<RpcMessage, { type: 'call' }>[];

  /** Plays the engine: answers main's call named `name` on engine n. */
  async function answer(n: number, name: string, value: unknown): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const call = callsSent(n).find((message) => message.name === name);
      if (call) {
        mainPort(n).deliver({ type: 'result', id: call.id, ok: true, value });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail(`main never called ${name} on engine ${n}`);
  }

  it('before ready: registers the schemes, sandboxes every renderer and sets its data folder', () => {
    assert.deepEqual(fake.recorded.privilegedSchemes.map((scheme) => scheme.scheme).sort(), ['app', 'iris']);
    assert.equal(fake.recorded.sandboxEnabled, true);
    assert.equal(fake.recorded.paths.get('userData'), path.join(tempDir, 'user-data'));
    assert.equal(fake.recorded.windows.length, 0, 'no window before ready');
  });

  it('on ready: denies permissions, serves both protocols, handles one IPC channel and opens the window on app://iris', async () => {
    fake.app.becomeReady();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual([...fake.recorded.ipcHandlers.keys()], ['iris:call']);
    assert.deepEqual([...fake.recorded.protocolHandlers.keys()].sort(), ['app', 'iris']);
    assert.equal((fake.recorded.permissionHandlers.check as () => boolean)(), false);
    assert.equal(fake.recorded.windows.length, 1);
    const window = fake.recorded.windows[0]!;
    assert.equal(window.loadedUrl, 'app://iris/index.html');
    assert.equal(window.options.webPreferences?.sandbox, true);
    assert.equal(window.options.webPreferences?.contextIsolation, true);
    assert.match(String(window.options.webPreferences?.preload), /dist[/\\]preload[/\\]preload\.cjs$/);
    assert.ok(window.webContents.windowOpenHandler, 'the window was hardened');
  });

  it('starts the engine in a utility process with the library and models folders, and hands it a port', () => {
    assert.equal(fake.recorded.forks.length, 1);
    const child = fake.recorded.forks[0]!;
    assert.match(child.modulePath, /dist[/\\]main[/\\]engine[/\\]service[/\\]utility-entry\.js$/);
    assert.deepEqual(child.args.slice(0, 2), ['--library', libraryDir]);
    assert.equal(child.args[2], '--models');
    assert.match(child.args[3]!, /models$/);
    assert.equal(child.options.serviceName, 'Iris engine');
    assert.deepEqual(child.posted[0]!.message, { type: 'connect' });
    assert.equal(child.posted[0]!.transfer[0], fake.recorded.channels[0]!.port2);
    assert.equal(mainPort(0).started, true);
  });

  it('answers the window\'s calls through the gate: host calls here, engine calls over the port', async () => {
    await answer(0, 'library.status', { probe: true });
    const window = fake.recorded.windows[0]!;
    const handle = fake.recorded.ipcHandlers.get('iris:call')!;
    const fromPage = { sender: window.webContents, senderFrame: { url: 'app://iris/index.html', processId: 1, routingId: 1 } };
    assert.deepEqual(await handle(fromPage, 'app.capabilities', {}), { ok: true, value: { mode: 'desktop', nativeFolderDialog: true, openExternal: true, storesSecrets: false } });
    assert.equal(((await handle(fromPage, 'folders.add', { path: '/' })) as { error: { code: string } }).error.code, 'forbidden');
    assert.equal(((await handle(fromPage, 'media.read', { kind: 'photo', id: 1 })) as { error: { code: string } }).error.code, 'forbidden');
    const pending = handle(fromPage, 'folders.list', {});
    await answer(0, 'folders.list', []);
    assert.deepEqual(await pending, { ok: true, value: [] });
  });

  it('refuses calls from another sender or a frame away from the app', async () => {
    const handle = fake.recorded.ipcHandlers.get('iris:call')!;
    const window = fake.recorded.windows[0]!;
    const stranger = new fake.FakeWebContents();
    const refusals = await Promise.all([
      handle({ sender: stranger, senderFrame: { url: 'app://iris/index.html', processId: 1, routingId: 1 } }, 'app.capabilities', {}),
      handle({ sender: window.webContents, senderFrame: { url: 'https://evil.example/', processId: 1, routingId: 1 } }, 'app.capabilities', {}),
      handle({ sender: window.webContents, senderFrame: { url: 'app://iris/index.html', processId: 1, routingId: 5 } }, 'app.capabilities', {}),
      handle({ sender: window.webContents, senderFrame: null }, 'app.capabilities', {}),
    ]);
    for (const refusal of refusals) assert.equal((refusal as { error: { code: string } }).error.code, 'forbidden');
  });

  it('serves app:// with the CSP and iris:// from the engine', async () => {
    const appResponse = await fake.recorded.protocolHandlers.get('app')!({ url: 'app://iris/index.html', method: 'GET' });
    assert.equal(appResponse.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    const media = fake.recorded.protocolHandlers.get('iris')!({ url: 'iris://thumb/7', method: 'GET' });
    await answer(0, 'media.read', { mime: 'image/webp', bytes: new Uint8Array([1, 2, 3]) });
    const response = await media;
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/webp');
    assert.deepEqual(callsSent(0).find((call) => call.name === 'media.read')!.args, { kind: 'thumb', id: 7 });
    assert.equal((await fake.recorded.protocolHandlers.get('iris')!({ url: 'iris://photo/../../etc/passwd', method: 'GET' })).status, 400);
  });

  it('forwards the engine\'s events to the window', () => {
    const window = fake.recorded.windows[0]!;
    window.webContents.sent = [];
    mainPort(0).deliver({ type: 'event', name: 'progress', payload: { phase: 'scan', found: 2, current: null } });
    mainPort(0).deliver({ type: 'event', name: 'no-such-event', payload: {} });
    assert.deepEqual(window.webContents.sent, [['iris:event', 'progress', { phase: 'scan', found: 2, current: null }]]);
  });

  it('restarts a crashed engine and tells the window', async () => {
    const window = fake.recorded.windows[0]!;
    window.webContents.sent = [];
    fake.recorded.forks[0]!.emit('exit', 139);
    assert.equal(mainPort(0).closed, true);
    assert.deepEqual(window.webContents.sent[0]?.slice(0, 2), ['iris:event', 'engine.state']);
    assert.equal((window.webContents.sent[0]![2] as { state: string }).state, 'restarting');
    for (let i = 0; i < 200 && fake.recorded.forks.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(fake.recorded.forks.length, 2, 'a second engine was started');
    await answer(1, 'library.status', {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal((window.webContents.sent.at(-1)![2] as { state: string }).state, 'ready');
  });

  it('on quit: closes the engine\'s port first, then quits', async () => {
    let prevented = false;
    const quitsBefore = fake.recorded.quitCalls;
    fake.app.emit('will-quit', { preventDefault: () => (prevented = true) });
    assert.equal(prevented, true, 'quitting waits for the engine');
    assert.equal(mainPort(1).closed, true);
    fake.recorded.forks[1]!.emit('exit', 0);
    for (let i = 0; i < 100 && fake.recorded.quitCalls === quitsBefore; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(fake.recorded.quitCalls, quitsBefore + 1);
    assert.equal(fake.recorded.forks[1]!.killed, false, 'it exited by itself, no kill needed');
    let preventedAgain = false;
    fake.app.emit('will-quit', { preventDefault: () => (preventedAgain = true) });
    assert.equal(preventedAgain, false, 'the second will-quit goes through');
  });
});
