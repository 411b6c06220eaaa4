import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appFilePath, appResponse } from '../../main/app/app-protocol.js';
import { CONTENT_SECURITY_POLICY } from '../../main/app/csp.js';

describe('app:// (the renderer bundle)', () => {
  let root: string;
  let renderer: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-app-protocol-'));
    renderer = path.join(root, 'renderer');
    fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Iris</title>');
    fs.writeFileSync(path.join(renderer, 'assets', 'index-abc123.js'), 'console.log(1)');
    // A file beside the bundle that must never be served.
    fs.writeFileSync(path.join(root, 'secret.txt'), 'secret');
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('serves index.html with the CSP header and no caching', async () => {
    const response = await appResponse('app://iris/index.html', renderer);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.match(await response.text(), /<title>Iris/);
    assert.equal((await appResponse('app://iris/', renderer)).status, 200, '/ is index.html');
  });

  it('serves scripts as JavaScript, with the CSP too', async () => {
    const response = await appResponse('app://iris/assets/index-abc123.js', renderer);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(response.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  it('never leaves the bundle folder', async () => {
    for (const url of ['app://iris/../secret.txt', 'app://iris/%2e%2e/secret.txt', 'app://iris/assets/..%2f..%2fsecret.txt', 'app://iris/..%5csecret.txt', 'app://iris/%00index.html', 'app://iris/%E0%A4%A']) {
      const response = await appResponse(url, renderer);
      assert.notEqual(response.status, 200, url);
      assert.ok(!(await response.text()).includes('secret'), url);
    }
    assert.equal(appFilePath('app://iris/assets/..%2f..%2fsecret.txt', renderer), null);
  });

  it('answers 400 for another host or scheme, 404 for a missing file', async () => {
    assert.equal((await appResponse('app://other/index.html', renderer)).status, 400);
    assert.equal((await appResponse('file:///etc/passwd', renderer)).status, 400);
    assert.equal((await appResponse('app://iris/missing.js', renderer)).status, 404);
    assert.equal((await appResponse('app://iris/assets', renderer)).status, 404, 'a folder is not a file');
  });
});
