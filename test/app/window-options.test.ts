import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { windowOptions } from '../../main/app/window-options.js';

describe('window options', () => {
  const preload = '/app/dist/preload/preload.cjs';

  it('isolate, sandbox and strip Node from the renderer', () => {
    const web = windowOptions(preload, { devTools: false }).webPreferences!;
    assert.equal(web.contextIsolation, true);
    assert.equal(web.sandbox, true);
    assert.equal(web.nodeIntegration, false);
    assert.equal(web.nodeIntegrationInWorker, false);
    assert.equal(web.nodeIntegrationInSubFrames, false);
  });

  it('keep web security on and webviews and experimental features off', () => {
    const web = windowOptions(preload, { devTools: false }).webPreferences!;
    assert.equal(web.webSecurity, true);
    assert.equal(web.allowRunningInsecureContent, false);
    assert.equal(web.webviewTag, false);
    assert.equal(web.experimentalFeatures, false);
    assert.equal(web.enableBlinkFeatures, undefined);
    assert.equal(web.navigateOnDragDrop, false);
  });

  it('load the given preload and nothing else from disk', () => {
    const options = windowOptions(preload, { devTools: false });
    assert.equal(options.webPreferences!.preload, preload);
    assert.equal((options as { webPreferences: { additionalArguments?: unknown } }).webPreferences.additionalArguments, undefined);
  });

  it('offer developer tools only when asked (unpackaged runs)', () => {
    assert.equal(windowOptions(preload, { devTools: false }).webPreferences!.devTools, false);
    assert.equal(windowOptions(preload, { devTools: true }).webPreferences!.devTools, true);
  });

  it('open hidden, to be shown on the first paint', () => {
    assert.equal(windowOptions(preload, { devTools: false }).show, false);
  });
});
