import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSettingValue } from '../../main/engine/settings.js';

// The settings issue 5 added: what a user may type, and the message when it is wrong.
describe('caption and ask settings', () => {
  it('take valid values and normalise them', () => {
    assert.equal(parseSettingValue('caption-detail', ' Detailed '), 'detailed');
    assert.equal(parseSettingValue('ask-provider', 'ENDPOINT'), 'endpoint');
    assert.equal(parseSettingValue('endpoint-url', 'http://localhost:11434/v1'), 'http://localhost:11434/v1');
    assert.equal(parseSettingValue('endpoint-image-edge', '768'), 768);
    assert.equal(parseSettingValue('output-folder', ' /home/me/Pictures/Iris '), '/home/me/Pictures/Iris');
    assert.equal(parseSettingValue('caption-model', ''), '', 'empty = the catalog default');
  });

  it('refuse bad values with a message that says what is expected', () => {
    assert.throws(() => parseSettingValue('caption-detail', 'long'), /brief or detailed/);
    assert.throws(() => parseSettingValue('ask-provider', 'cloud'), /local or endpoint/);
    assert.throws(() => parseSettingValue('endpoint-url', 'ftp://example.com'), /http\(s\) URL/);
    assert.throws(() => parseSettingValue('endpoint-image-edge', '100'), /at least 256/);
    assert.throws(() => parseSettingValue('endpoint-image-edge', 'big'), /whole number/);
    assert.throws(() => parseSettingValue('output-folder', 'Pictures/Iris'), /absolute folder path/);
    assert.throws(() => parseSettingValue('ask-model', 'Not An Id'), /model id/);
  });
});
