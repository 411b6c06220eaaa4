import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine, type IndexSummary, type PhotoRecord } from '../../main/engine/index.js';
import { thumbnailPath } from '../../main/engine/library/thumbnails.js';
import { imageDistance, samplePhotosDir, sha256, tempDir } from '../helpers/fixtures.js';

/** The files of the shared corpus that must fail, and how their error must read. */
const EXPECTED_FAILURES: Record<string, RegExp> = {
  'corrupt-header.jpg': /^corrupt image header: /,
  'truncated.jpg': /^truncated or damaged image data: .*premature end/,
  'truncated.png': /^truncated or damaged image data: /,
  'giant-image.jpg': /^refused: 20000×14000 is 280 MP, over the 268 MP limit/,
  '65536-uint32-limit.png': /^refused: 65536×65536 is 4295 MP/,
};

const haveCorpus = fs.existsSync(samplePhotosDir);
if (!haveCorpus) console.log(`# sample-photos tests skipped: ${samplePhotosDir} not found (it sits beside the repository in CI)`);

describe('the shared sample-photos corpus', { skip: !haveCorpus && `no corpus at ${samplePhotosDir}` }, () => {
  const photos = tempDir('iris-corpus-');
  const library = tempDir('iris-lib-');
  const originalHashes = new Map<string, string>();
  let summary: IndexSummary;
  let maxRssBytes: number;
  let list: PhotoRecord[];

  before(() => {
    for (const name of fs.readdirSync(samplePhotosDir)) {
      if (name === 'README.md') continue;
      fs.copyFileSync(path.join(samplePhotosDir, name), path.join(photos, name));
      fs.chmodSync(path.join(photos, name), 0o644);
      originalHashes.set(name, sha256(path.join(photos, name)));
    }
    // In its own process, so that its peak RSS is the engine's alone.
    const child = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'index-child.js');
    const run = spawnSync(process.execPath, [child, library, photos], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(run.status, 0, run.stderr);
    ({ summary, maxRssBytes } = JSON.parse(run.stdout) as { summary: IndexSummary; maxRssBytes: number });
    const engine = Engine.open({ libraryDir: library });
    list = engine.listPhotos();
    void engine.close();
  });

  it('finds every image file and records each one exactly once', () => {
    assert.equal(summary.found, originalHashes.size);
    assert.equal(list.length, new Set(originalHashes.values()).size);
  });

  it('decodes every readable file, with upright dimensions and both thumbnails', () => {
    for (const photo of list) {
      const name = path.basename(photo.path);
      if (name in EXPECTED_FAILURES) continue;
      assert.equal(photo.status, 'ok', `${name}: ${photo.error}`);
      assert.ok(photo.width! > 0 && photo.height! > 0 && photo.format, name);
      for (const size of [256, 1024] as const) assert.ok(fs.existsSync(thumbnailPath(path.join(library, 'thumbnails'), photo.hash, size)), `${name} ${size}`);
    }
  });

  it('fails broken files and refuses decompression bombs, each with a specific error', () => {
    const failed = Object.fromEntries(summary.failed.map((f) => [path.basename(f.path), f.error]));
    assert.deepEqual(Object.keys(failed).sort(), Object.keys(EXPECTED_FAILURES).sort());
    for (const [name, pattern] of Object.entries(EXPECTED_FAILURES)) {
      assert.match(failed[name]!, pattern, name);
      const record = list.find((p) => path.basename(p.path) === name)!;
      assert.equal(record.status, 'failed');
      assert.equal(record.error, failed[name]);
    }
  });

  it('makes every EXIF orientation (1-8) into an upright thumbnail', async () => {
    const thumb = (name: string) => thumbnailPath(path.join(library, 'thumbnails'), originalHashes.get(name)!, 256);
    for (const [reference, variants] of [
      ['Landscape_1.jpg', [2, 3, 4, 5, 6, 7, 8].map((n) => `Landscape_${n}.jpg`)],
      ['Portrait_1.jpg', [5, 6, 8].map((n) => `Portrait_${n}.jpg`)],
    ] as const) {
      for (const variant of variants) {
        const upright = await imageDistance(thumb(reference), thumb(variant));
        if (process.env.IRIS_TEST_VERBOSE) console.log(`# ${variant}: ${upright.toFixed(2)}`);
        assert.ok(upright < 12, `${variant} looks like ${reference} (distance ${upright.toFixed(1)})`);
      }
    }
    // The check can tell: the raw pixels of an orientation-6 file, not rotated, are far from upright.
    const sideways = await imageDistance(thumb('Landscape_1.jpg'), await (await import('sharp')).default(path.join(photos, 'Landscape_6.jpg')).png().toBuffer());
    assert.ok(sideways > 25, `unrotated pixels differ (distance ${sideways.toFixed(1)})`);
  });

  it('stays under 1.5 GB peak RSS', () => {
    assert.ok(maxRssBytes < 1.5 * 1024 ** 3, `peak RSS ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
    console.log(`# engine peak RSS indexing the corpus: ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  });

  it('leaves every original byte-identical', () => {
    for (const [name, hash] of originalHashes) assert.equal(sha256(path.join(photos, name)), hash, name);
  });
});
