import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MIRROR_BYTES, RerankFile } from '../../main/engine/search/index/rerank-file.js';
import { tempDir } from '../helpers/fixtures.js';
import { mulberry32 } from '../helpers/random.js';

function unitVectors(count: number, dim: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: dim }, () => rand() - 0.5);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += a[j]! * b[j]!;
  return sum;
}

describe('8-bit copies (rerank-file.ts)', () => {
  // 40 is not a multiple of 16: the kernel's padded dot must not read past the values into a score.
  for (const dim of [40, 512]) {
    it(`scores within the 8-bit error at ${dim}-d, from the file and from the memory mirror alike`, () => {
      const dir = tempDir();
      const file = path.join(dir, 'vector-index', 't.q8');
      const vectors = unitVectors(50, dim, dim);
      const ids = vectors.map((_, i) => 1 + i * 3); // gaps: holes have no record
      const written = RerankFile.open(file, dim, 123, true)!;
      assert.ok(written.created);
      written.writeMany(ids, vectors);
      const [q] = unitVectors(1, dim, 7);
      for (const mirrored of [false, true]) {
        const copies = RerankFile.open(file, dim, 123, false)!;
        if (mirrored) copies.loadMirror();
        assert.equal(copies.mirrorBytes > 0, mirrored);
        const score = copies.scorer(q!);
        ids.forEach((photoId, i) => {
          const got = score(photoId);
          assert.ok(got !== null && Math.abs(got - dot(q!, vectors[i]!)) < 0.004, `photo ${photoId}: ${got} vs ${dot(q!, vectors[i]!)}`);
        });
        assert.equal(score(2), null, 'a hole between records');
        assert.equal(score(10_000), null, 'past the end of the file');
        copies.close();
      }
      written.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  it('keeps its mirror in step with its own writes, and a file of another table is not read', () => {
    const dir = tempDir();
    const file = path.join(dir, 't.q8');
    const dim = 64;
    const copies = RerankFile.open(file, dim, 1, true)!;
    copies.loadMirror();
    const [a, b, q] = unitVectors(3, dim, 11);
    copies.write(5, a!);
    const score = copies.scorer(q!);
    assert.ok(Math.abs(score(5)! - dot(q!, a!)) < 0.004);
    copies.write(5, b!);
    copies.write(900, a!); // grows the mirror
    assert.ok(copies.mirrorBytes > 0 && copies.mirrorBytes <= MIRROR_BYTES);
    const again = copies.scorer(q!);
    assert.ok(Math.abs(again(5)! - dot(q!, b!)) < 0.004, 'the rewritten record, from the mirror');
    assert.ok(Math.abs(again(900)! - dot(q!, a!)) < 0.004);
    copies.close();
    assert.equal(RerankFile.open(file, dim, 2, false), null, 'another created_at: another table');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
