import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenTextStream } from '../../main/engine/generation/text-stream.js';

// Byte-level tokens: each token is one byte, decoded like a byte-level BPE decoder does (invalid
// UTF-8 at the end becomes U+FFFD), so characters split across tokens are the normal case.
function byteStream(text: string, options: { stop?: string[] } = {}) {
  const bytes = [...Buffer.from(text, 'utf8')];
  const pieces: string[] = [];
  let stopped = 0;
  const stream = new TokenTextStream({ decode: (ids) => Buffer.from(ids.map((i) => bytes[i]!)).toString('utf8'), onText: (p) => pieces.push(p), stop: options.stop, onStop: () => stopped++ });
  stream.put([[0n]]); // the prompt, skipped
  bytes.forEach((_, i) => stream.put([[BigInt(i)]]));
  stream.end();
  return { stream, pieces, stopped };
}

describe('TokenTextStream', () => {
  it('never emits half a character: Chinese (3 bytes) and emoji (4 bytes) split over tokens', () => {
    const { stream, pieces } = byteStream('是红色 🌅 ok');
    assert.ok(pieces.every((p) => !p.includes('\uFFFD')), JSON.stringify(pieces));
    assert.equal(pieces.join(''), '是红色 🌅 ok');
    assert.equal(stream.text, '是红色 🌅 ok');
    assert.equal(stream.tokenCount, Buffer.byteLength('是红色 🌅 ok'));
  });

  it('drops leading and trailing whitespace of the answer', () => {
    const { pieces } = byteStream('  It is red.  ');
    assert.equal(pieces.join(''), 'It is red.');
  });

  it('cuts at the first stop string, even one that arrives over several tokens, and says so once', () => {
    const { stream, pieces, stopped } = byteStream('It is red.\nUser: more', { stop: ['\nUser:'] });
    assert.equal(stream.text, 'It is red.');
    assert.ok(pieces.join('').length <= 'It is red.\n'.length);
    assert.equal(stream.stoppedByString, true);
    assert.equal(stopped, 1);
  });
});
