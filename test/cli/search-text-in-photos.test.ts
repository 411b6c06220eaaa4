import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { florenceOcrText } from '../fixtures/vlm/florence2-fixture.js';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { colourOf, colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir } from '../helpers/fixtures.js';

/**
 * Text in photos (issue 19, item 1) through the CLI: with the read-text setting on, indexing reads
 * every photo's text in the background with the captioning model's OCR task (the fixture
 * Florence-2 reads its colour's name in capitals), keeps it, and `iris search` finds photos by it
 * and says so; off, nothing is read or kept.
 */
describe('text read in photos, stored and searchable (iris settings set read-text on)', () => {
  const photos = tempDir('iris-ocr-');
  const library = tempDir('iris-ocr-lib-');
  const iris = (...args: string[]) => runIrisHere([...args, '--library', library], { env: { IRIS_MODELS: fixtureModels } });
  const search = async (query: string) => {
    const run = await iris('search', query, '--json');
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as { results: { path: string; why: { signal: string; text?: string }[] }[]; relevant: number; text_matches: number };
  };

  before(async () => {
    await colourPhotos(photos, 1);
    assert.equal((await iris('index', photos)).code, 0);
  });

  it('reads nothing while the setting is off', async () => {
    assert.equal((await search('GREEN')).text_matches, 0);
  });

  it('with it on, reads every photo in the background and finds photos by what is written in them', async () => {
    const set = await iris('settings', 'set', 'read-text', 'on');
    assert.equal(set.code, 0, set.stderr);
    // `iris index` works the queue: the text of every readable photo is read once.
    assert.equal((await iris('index', photos)).code, 0);
    const answer = await search(florenceOcrText('magenta'));
    assert.equal(answer.text_matches, 1);
    const first = answer.results[0]!;
    assert.equal(colourOf(first.path), 'magenta');
    assert.deepEqual(first.why.find((reason) => reason.signal === 'text in photo'), { signal: 'text in photo', text: 'MAGENTA' });
    // Read once: indexing again queues nothing new.
    const again = await iris('index', photos, '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await search(florenceOcrText('magenta'))).text_matches, 1);
  });

  it('exports the text read in photos to XMP sidecars on request (export-xmp --text), never by default', async () => {
    const plain = await iris('export-xmp', '--all', '--json');
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(JSON.parse(plain.stdout), [], 'no captions or tags: nothing to write without --text');
    const run = await iris('export-xmp', '--all', '--text', '--json');
    assert.equal(run.code, 0, run.stderr);
    const written = JSON.parse(run.stdout) as { path: string; sidecar: string; outcome: string }[];
    assert.equal(written.length, 8, 'every photo had its colour read');
    const magenta = written.find((result) => colourOf(result.path) === 'magenta')!;
    assert.equal(magenta.outcome, 'created');
    assert.equal(magenta.sidecar, `${magenta.path}.xmp`);
    assert.match(fs.readFileSync(magenta.sidecar, 'utf8'), /<iris:TextInPhoto>MAGENTA<\/iris:TextInPhoto>/);
    assert.deepEqual((JSON.parse((await iris('export-xmp', '--all', '--text', '--json')).stdout) as { outcome: string }[]).map((r) => r.outcome), new Array(8).fill('unchanged'));
  });

  it('refuses a setting value it does not know, naming the ones it does', async () => {
    const bad = await iris('settings', 'set', 'read-text', 'maybe');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected on or off/);
    assert.ok(path.isAbsolute(library));
  });
});
