import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkExternalUrl } from '../../main/app/external-url.js';

describe('external links', () => {
  it('open plain https links, normalised', () => {
    assert.deepEqual(checkExternalUrl('https://huggingface.co/openai/clip-vit-base-patch32'), { ok: true, url: 'https://huggingface.co/openai/clip-vit-base-patch32' });
    assert.deepEqual(checkExternalUrl('HTTPS://Example.COM'), { ok: true, url: 'https://example.com/' });
  });

  it('refuse every other scheme', () => {
    for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:/id', 'vscode://x', 'data:text/html,hi', 'app://iris/index.html', 'iris://photo/1']) {
      const checked = checkExternalUrl(url);
      assert.equal(checked.ok, false, url);
    }
  });

  it('refuse links with credentials', () => {
    const checked = checkExternalUrl('https://user:secret@example.com/');
    assert.equal(checked.ok, false);
    assert.match((checked as { reason: string }).reason, /credentials/);
    assert.equal(checkExternalUrl('https://user@example.com/').ok, false);
  });

  it('refuse whitespace, control characters, non-strings, garbage and very long links', () => {
    for (const url of [' https://example.com', 'https://exa mple.com', 'https://example.com/\n', 'https://example.com/\u0000', 'https://example.com/\u007f']) {
      assert.equal(checkExternalUrl(url).ok, false, JSON.stringify(url));
    }
    for (const value of [undefined, null, 42, { href: 'https://example.com' }]) assert.equal(checkExternalUrl(value).ok, false);
    assert.equal(checkExternalUrl('https://').ok, false);
    assert.equal(checkExternalUrl(`https://example.com/${'a'.repeat(2100)}`).ok, false);
  });
});
