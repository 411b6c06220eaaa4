import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_ENTRY_URL, isAppUrl, privilegedSchemes } from '../../main/app/schemes.js';

describe('custom schemes', () => {
  it('register app: and iris: as standard, secure and fetchable, without bypassing CSP or opening CORS', () => {
    const byName = new Map(privilegedSchemes.map((scheme) => [scheme.scheme, scheme.privileges]));
    assert.deepEqual([...byName.keys()].sort(), ['app', 'iris']);
    for (const [name, privileges] of byName) {
      assert.equal(privileges?.standard, true, name);
      assert.equal(privileges?.secure, true, name);
      assert.equal(privileges?.supportFetchAPI, true, name);
      assert.notEqual(privileges?.bypassCSP, true, name);
      assert.notEqual(privileges?.corsEnabled, true, name);
      assert.notEqual(privileges?.allowServiceWorkers, true, name);
    }
  });

  it('load the window from the app origin', () => {
    assert.equal(APP_ENTRY_URL, 'app://iris/index.html');
    assert.ok(isAppUrl(APP_ENTRY_URL));
  });

  it('recognise only the app origin as the app', () => {
    for (const url of ['app://iris/', 'app://iris/index.html', 'app://iris/assets/index-abc.js', 'app://iris/index.html#/search']) assert.ok(isAppUrl(url), url);
    for (const url of [
      'app://other/index.html',
      'app://iris.evil.example/index.html',
      'app://user:pass@iris/index.html',
      'app://iris:8080/index.html',
      'https://iris/index.html',
      'file:///app/dist/renderer/index.html',
      'iris://thumb/1',
      'about:blank',
      'not a url',
      '',
      null,
      undefined,
    ]) {
      assert.ok(!isAppUrl(url), String(url));
    }
  });
});
