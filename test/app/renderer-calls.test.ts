import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallName } from '../../main/contract/contract.js';
import { IrisCallError } from '../../main/contract/rpc.js';
import { type DesktopAbilities, desktopHostCalls } from '../../main/app/host-calls.js';
import { rendererCallHandler } from '../../main/app/renderer-calls.js';

const folder = { id: 3, path: '/photos/2024', addedAt: 1, scannedAt: null, lastError: null };

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
    ...overrides,
  };
  return { handle: rendererCallHandler(desktopHostCalls(abilities, engine), engine), engineCalls, opened };
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
    assert.deepEqual(await handle('app.capabilities', {}), { ok: true, value: { mode: 'desktop', nativeFolderDialog: true, openExternal: true } });
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
});
