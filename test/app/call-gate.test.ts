import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CallName, calls, uiCallNames } from '../../main/contract/contract.js';
import { gateRendererCall } from '../../main/app/call-gate.js';

describe('renderer call gate', () => {
  it('refuses names that are not contract calls, including inherited property names', () => {
    for (const name of ['fs.readFile', 'shell.openExternal', 'library', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 42, null, undefined, { name: 'library.status' }]) {
      const decision = gateRendererCall(name, {});
      assert.equal(decision.action, 'refuse', String(name));
      assert.equal((decision as { error: { code: string } }).error.code, 'unknown-call');
    }
  });

  it('refuses internal calls: media.read is for the iris:// handler only', () => {
    const decision = gateRendererCall('media.read', { kind: 'photo', id: 1 });
    assert.deepEqual(decision.action, 'refuse');
    assert.equal((decision as { error: { code: string } }).error.code, 'forbidden');
    // Every internal call of the contract, not only today's one.
    for (const name of Object.keys(calls) as CallName[]) {
      if ((calls[name] as { internal?: true }).internal) assert.equal(gateRendererCall(name, {}).action, 'refuse', name);
    }
  });

  it('refuses calls that take a path: folders come from the native dialog', () => {
    const decision = gateRendererCall('folders.add', { path: '/etc' });
    assert.equal(decision.action, 'refuse');
    assert.equal((decision as { error: { code: string } }).error.code, 'forbidden');
    assert.match((decision as { error: { message: string } }).error.message, /folders\.choose/);
    for (const name of Object.keys(calls) as CallName[]) {
      if ((calls[name] as { takesPath?: true }).takesPath) assert.equal(gateRendererCall(name, { path: '/x' }).action, 'refuse', name);
    }
  });

  it('validates arguments before anything runs', () => {
    const cases: [string, unknown][] = [
      ['photos.get', { id: -1 }],
      ['photos.get', { id: '1' }],
      ['photos.get', {}],
      ['search.text', { query: '' }],
      ['search.text', { query: 'dog', limit: 100000 }],
      ['library.status', { extra: true }],
      ['photos.get', { id: 1, path: '/etc/passwd' }],
      ['app.openExternal', { url: 'http://example.com' }],
      ['app.openExternal', { url: 'file:///etc/passwd' }],
    ];
    for (const [name, args] of cases) {
      const decision = gateRendererCall(name, args);
      assert.equal(decision.action, 'refuse', `${name} ${JSON.stringify(args)}`);
      assert.equal((decision as { error: { code: string } }).error.code, 'invalid-args');
      assert.match((decision as { error: { message: string } }).error.message, new RegExp(`^${name.replace('.', '\\.')}:`));
    }
  });

  it('forwards the parsed arguments, not the page\'s object', () => {
    const decision = gateRendererCall('search.text', { query: '  a dog on a beach  ' });
    assert.equal(decision.action, 'engine');
    assert.deepEqual((decision as { args: unknown }).args, { query: 'a dog on a beach' });
  });

  it('lets the page reset a folder setting but never name a folder in it (the dialog does)', () => {
    const named = gateRendererCall('settings.set', { key: 'output-folder', value: '/etc' });
    assert.equal(named.action, 'refuse');
    assert.equal((named as { error: { code: string } }).error.code, 'forbidden');
    assert.match((named as { error: { message: string } }).error.message, /folder dialog/);
    assert.equal(gateRendererCall('settings.set', { key: 'output-folder', value: null }).action, 'engine');
    assert.equal(gateRendererCall('settings.set', { key: 'caption-detail', value: 'short' }).action, 'engine');
    assert.equal(gateRendererCall('settings.chooseOutputFolder', {}).action, 'host');
  });

  it('is the same gate in browser mode, where a typed path is the way to name a folder', async () => {
    const { gateCall } = await import('../../main/contract/gate.js');
    assert.equal(gateCall('browser', 'folders.add', { path: '/photos' }).action, 'engine');
    assert.equal(gateCall('desktop', 'folders.add', { path: '/photos' }).action, 'refuse');
    assert.equal(gateCall('browser', 'settings.set', { key: 'output-folder', value: '/photos/edits' }).action, 'engine');
    for (const mode of ['desktop', 'browser'] as const) {
      assert.equal(gateCall(mode, 'media.read', { kind: 'photo', id: 1 }).action, 'refuse', `${mode}: internal calls`);
      assert.equal(gateCall(mode, 'app.capabilities', { surprise: 1 }).action, 'refuse', `${mode}: arguments checked before a host answers`);
      assert.equal(gateCall(mode, 'settings.chooseOutputFolder', {}).action, 'host');
    }
  });

  it('sends host calls to the host and the rest to the engine', () => {
    assert.equal(gateRendererCall('app.capabilities', {}).action, 'host');
    assert.equal(gateRendererCall('folders.choose', {}).action, 'host');
    assert.equal(gateRendererCall('app.openExternal', { url: 'https://example.com' }).action, 'host');
    assert.equal(gateRendererCall('library.status', {}).action, 'engine');
    assert.equal(gateRendererCall('library.status', undefined).action, 'engine', 'no arguments count as {}');
  });

  it('lets every UI call through with valid arguments, except the path-taking ones', () => {
    const passable = uiCallNames.filter((name) => !(calls[name] as { takesPath?: true }).takesPath);
    assert.ok(passable.length > 10);
    for (const name of passable) {
      const decision = gateRendererCall(name, {});
      // Calls with required arguments refuse {} as invalid-args: the gate let the name through.
      if (decision.action === 'refuse') assert.equal(decision.error.code, 'invalid-args', name);
      else assert.equal(decision.action, calls[name].handledBy, name);
    }
  });
});
