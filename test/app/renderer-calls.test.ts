import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallName } from '../../main/contract/contract.js';
import { IrisCallError } from '../../main/contract/rpc.js';
import fs from 'node:fs';
import path from 'node:path';
import { EndpointKeyStore, type SecretBox } from '../../main/app/endpoint-key.js';
import { type DesktopAbilities, desktopHostCalls } from '../../main/app/host-calls.js';
import { tempDir } from '../helpers/fixtures.js';
import { rendererCallHandler } from '../../main/app/renderer-calls.js';

const folder = { id: 3, path: '/photos/2024', addedAt: 1, scannedAt: null, lastError: null };

/** A keychain stand-in: reversible, but the sealed bytes never contain the key in clear. */
function fakeKeychain(unavailable: string | null = null): SecretBox {
  return {
    unavailableReason: () => unavailable,
    encrypt: (text) => Buffer.from(Buffer.from(text, 'utf8').map((byte) => byte ^ 0x5a)),
    decrypt: (sealed) => Buffer.from(sealed.map((byte) => byte ^ 0x5a)).toString('utf8'),
  };
}

function setup(overrides: Partial<DesktopAbilities> = {}, engineAnswer: (name: CallName, args: unknown) => Promise<unknown> = async () => ({ fine: true })) {
  const engineCalls: { name: CallName; args: unknown }[] = [];
  const opened: string[] = [];
  const engine = {
    call: (name: CallName, args: unknown) => {
      engineCalls.push({ name, args });
      return engineAnswer(name, args);
    },
  };
  const abilities: DesktopAbilities = {
    chooseDirectory: async () => '/photos/2024',
    openInBrowser: async (url) => {
      opened.push(url);
    },
    showItemInFolder: (file) => {
      opened.push(`folder:${file}`);
    },
    endpointKey: new EndpointKeyStore(path.join(tempDir('iris-key-'), 'endpoint-key.bin'), fakeKeychain()),
    storesSecrets: () => true,
    ...overrides,
  };
  return { handle: rendererCallHandler(desktopHostCalls(abilities, engine), engine), engineCalls, opened, abilities };
}

describe('renderer calls in the desktop app', () => {
  it('forward engine calls with their parsed arguments and wrap the answer', async () => {
    const { handle, engineCalls } = setup();
    assert.deepEqual(await handle('photos.get', { id: 7 }), { ok: true, value: { fine: true } });
    assert.deepEqual(engineCalls, [{ name: 'photos.get', args: { id: 7 } }]);
  });

  it('answer refusals as envelopes and never reach the engine', async () => {
    const { handle, engineCalls } = setup();
    const answers = await Promise.all([handle('media.read', { kind: 'photo', id: 1 }), handle('folders.add', { path: '/' }), handle('nope', {}), handle('photos.get', { id: 0 })]);
    assert.deepEqual(
      answers.map((answer) => (answer.ok ? 'ok' : answer.error.code)),
      ['forbidden', 'forbidden', 'unknown-call', 'invalid-args'],
    );
    assert.deepEqual(engineCalls, []);
  });

  it('keep the engine\'s error code, and call anything else internal', async () => {
    const failing = setup({}, async (name) => {
      if (name === 'photos.get') throw new IrisCallError('not-found', 'no photo with id 9');
      throw new TypeError('boom');
    });
    assert.deepEqual(await failing.handle('photos.get', { id: 9 }), { ok: false, error: { code: 'not-found', message: 'no photo with id 9' } });
    assert.deepEqual(await failing.handle('library.status', {}), { ok: false, error: { code: 'internal', message: 'boom' } });
  });

  it('say what the desktop can do', async () => {
    const { handle, engineCalls } = setup();
    assert.deepEqual(await handle('app.capabilities', {}), { ok: true, value: { mode: 'desktop', nativeFolderDialog: true, openExternal: true, storesSecrets: true } });
    assert.deepEqual(engineCalls, []);
  });

  it('add the folder picked in the native dialog, via the engine', async () => {
    const { handle, engineCalls } = setup({}, async () => folder);
    assert.deepEqual(await handle('folders.choose', {}), { ok: true, value: folder });
    assert.deepEqual(engineCalls, [{ name: 'folders.add', args: { path: '/photos/2024' } }]);
  });

  it('add nothing when the dialog is cancelled', async () => {
    const { handle, engineCalls } = setup({ chooseDirectory: async () => null });
    assert.deepEqual(await handle('folders.choose', {}), { ok: true, value: null });
    assert.deepEqual(engineCalls, []);
  });

  it('store the output folder picked in the native dialog, via the engine, and nothing when cancelled', async () => {
    const state = { key: 'output-folder', value: '/photos/2024', default: '', source: 'setting', description: 'where edits go' };
    const { handle, engineCalls } = setup({}, async () => state);
    assert.deepEqual(await handle('settings.chooseOutputFolder', {}), { ok: true, value: state });
    assert.deepEqual(engineCalls, [{ name: 'settings.set', args: { key: 'output-folder', value: '/photos/2024' } }]);
    const cancelled = setup({ chooseDirectory: async () => null });
    assert.deepEqual(await cancelled.handle('settings.chooseOutputFolder', {}), { ok: true, value: null });
    assert.deepEqual(cancelled.engineCalls, []);
  });

  it('open checked https links only, and never links with credentials', async () => {
    const { handle, opened } = setup();
    assert.deepEqual(await handle('app.openExternal', { url: 'https://example.com/docs' }), { ok: true, value: { opened: true } });
    const withCredentials = await handle('app.openExternal', { url: 'https://user:pw@example.com/' });
    assert.equal(withCredentials.ok, false);
    assert.equal((withCredentials as { error: { code: string } }).error.code, 'forbidden');
    const http = await handle('app.openExternal', { url: 'http://example.com/' });
    assert.equal(http.ok, false);
    assert.deepEqual(opened, ['https://example.com/docs']);
  });

  it('report a browser that would not open as opened: false', async () => {
    const { handle } = setup({ openInBrowser: async () => Promise.reject(new Error('no handler')) });
    assert.deepEqual(await handle('app.openExternal', { url: 'https://example.com/' }), { ok: true, value: { opened: false } });
  });

  it('keep the endpoint key encrypted outside the library and hand it to the engine in memory', async () => {
    const dir = tempDir('iris-key-');
    const file = path.join(dir, 'endpoint-key.bin');
    const { handle, engineCalls } = setup({ endpointKey: new EndpointKeyStore(file, fakeKeychain()) });
    assert.deepEqual(await handle('endpoint.setKey', { key: '  sk-secret-123  ' }), { ok: true, value: { stored: true } });
    assert.ok(!fs.readFileSync(file).toString('latin1').includes('sk-secret'), 'the key is not in the file in clear');
    assert.equal(new EndpointKeyStore(file, fakeKeychain()).read(), 'sk-secret-123');
    assert.deepEqual(engineCalls, [{ name: 'ask.useKey', args: { key: 'sk-secret-123' } }]);
    assert.deepEqual(await handle('endpoint.setKey', { key: null }), { ok: true, value: { stored: false } });
    assert.equal(fs.existsSync(file), false);
    assert.deepEqual(engineCalls.at(-1), { name: 'ask.useKey', args: { key: null } });
  });

  it('refuse to keep a key where only plain text would hold it, and never let the page hand one to the engine', async () => {
    const file = path.join(tempDir('iris-key-'), 'endpoint-key.bin');
    const { handle, engineCalls } = setup({ endpointKey: new EndpointKeyStore(file, fakeKeychain('no keyring is running')) });
    const refused = await handle('endpoint.setKey', { key: 'sk-secret' });
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.error.message : '', /no keyring is running.*IRIS_ENDPOINT_API_KEY/);
    assert.equal(fs.existsSync(file), false);
    const direct = await handle('ask.useKey', { key: 'sk-injected' });
    assert.equal(!direct.ok && direct.error.code, 'forbidden');
    assert.deepEqual(engineCalls, []);
  });

  it('show a photo in its folder by id (the path comes from the engine), and export only to the folder the dialog gave', async () => {
    const { handle, engineCalls, opened } = setup({}, async (name) => (name === 'photos.get' ? { path: '/photos/2024/a.jpg' } : { folder: '/photos/2024', written: [], failed: [] }));
    assert.deepEqual(await handle('photos.showInFolder', { id: 3 }), { ok: true, value: { shown: true } });
    assert.deepEqual(opened, ['folder:/photos/2024/a.jpg']);
    assert.deepEqual(await handle('photos.export', { photoIds: [3, 4], as: 'jpeg', maxEdge: 2048 }), { ok: true, value: { folder: '/photos/2024', written: [], failed: [] } });
    assert.deepEqual(engineCalls.at(-1), { name: 'photos.exportTo', args: { photoIds: [3, 4], folder: '/photos/2024', as: 'jpeg', maxEdge: 2048, quality: undefined } });
    // The page cannot name the folder itself, nor a path to show.
    const direct = await handle('photos.exportTo', { photoIds: [3], folder: '/etc', as: 'original' });
    assert.equal(!direct.ok && direct.error.code, 'forbidden');
    const withPath = await handle('photos.showInFolder', { id: 3, path: '/etc/passwd' });
    assert.equal(!withPath.ok && withPath.error.code, 'invalid-args');
    const cancelled = setup({ chooseDirectory: async () => null });
    assert.deepEqual(await cancelled.handle('photos.export', { photoIds: [3], as: 'original' }), { ok: true, value: null });
    assert.deepEqual(cancelled.engineCalls, []);
  });

  it('forget a key the keychain can no longer open', () => {
    const file = path.join(tempDir('iris-key-'), 'endpoint-key.bin');
    fs.writeFileSync(file, 'garbage');
    const broken: SecretBox = { ...fakeKeychain(), decrypt: () => { throw new Error('bad mac'); } };
    assert.equal(new EndpointKeyStore(file, broken).read(), null);
  });
});
