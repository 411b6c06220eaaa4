import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { colourOf, colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { makePhoto, tempDir } from '../helpers/fixtures.js';

/**
 * The search box's name signals through `iris search` (issue 19): a photo whose only link to the
 * query is its file name, its folder or its camera comes first, says why, and a name never buries
 * what CLIP sees. Real engine, fixture CLIP (embeddings encode the dominant colour), real FTS5.
 */

interface Hit {
  id: number;
  path: string;
  score: number;
  why: { signal: string; text?: string }[];
}

interface Answer {
  results: Hit[];
  relevant: number;
  ranking: string;
  name_matches: number;
}

describe('search by file name, folder and camera (iris search)', () => {
  const photos = tempDir('iris-names-');
  const library = tempDir('iris-names-lib-');
  const search = async (query: string): Promise<Answer> => {
    const run = await runIrisHere(['search', query, '--json', '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Answer;
  };

  before(async () => {
    await colourPhotos(photos, 2);
    // Coloured photos whose only link to a query is a name or a camera. (Not grey: for the fixture
    // CLIP a grey photo has no colour, which is what a query without a colour word describes.)
    await makePhoto(path.join(photos, 'IMG_0042-paris.jpg'), { color: [0, 255, 0], seed: 1 });
    await makePhoto(path.join(photos, 'Holidays 2019', 'DSC0001.jpg'), { color: [255, 0, 255], seed: 2 });
    await makePhoto(path.join(photos, 'P1000.jpg'), { color: [255, 0, 0], seed: 3, exif: { IFD0: { Make: 'FUJIFILM', Model: 'X-T4' } } });
    await makePhoto(path.join(photos, 'Screenshot_2024-01-02.png'), { color: [0, 255, 255], seed: 4, format: 'png' });
    // A yellow photo named for another colour: its name says blue, CLIP sees yellow.
    await makePhoto(path.join(photos, 'blue-sky.jpg'), { color: [240, 230, 20], seed: 5 });
    const run = await runIrisHere(['index', photos, '--json', '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { found: number }).found, 21);
  });

  it('a photo whose only link is its file name comes first, and says so', async () => {
    const answer = await search('paris');
    assert.equal(path.basename(answer.results[0]!.path), 'IMG_0042-paris.jpg');
    assert.deepEqual(answer.results[0]!.why, [{ signal: 'file name', text: 'IMG_0042-paris.jpg' }]);
    assert.equal(answer.relevant, 1);
    // Words that say nothing about a name are left out: a sentence still finds it.
    assert.equal(path.basename((await search('photos from Paris')).results[0]!.path), 'IMG_0042-paris.jpg');
  });

  it('the folder, the camera, and plurals of a file name match too', async () => {
    const holidays = await search('holidays');
    assert.equal(path.basename(holidays.results[0]!.path), 'DSC0001.jpg');
    assert.deepEqual(holidays.results[0]!.why, [{ signal: 'folder', text: 'Holidays 2019' }]);
    const camera = await search('fujifilm');
    assert.equal(path.basename(camera.results[0]!.path), 'P1000.jpg');
    assert.deepEqual(camera.results[0]!.why.map((reason) => reason.signal), ['camera']);
    assert.match(camera.results[0]!.why[0]!.text!, /FUJIFILM X-T4/);
    // Immich #12847: "screenshots" should find screenshots (Porter stemming).
    assert.equal(path.basename((await search('screenshots')).results[0]!.path), 'Screenshot_2024-01-02.png');
  });

  it('a name never buries what CLIP sees: the blue photos before the yellow one named blue', async () => {
    const answer = await search('blue');
    assert.equal(answer.ranking, 'rrf');
    const order = answer.results.map((hit) => path.basename(hit.path));
    assert.deepEqual(order.slice(0, 2).map((file) => colourOf(file)), ['blue', 'blue']);
    assert.ok(order.indexOf('blue-sky.jpg') > 1, order.join(', '));
    assert.ok(answer.results.slice(0, answer.relevant).some((hit) => path.basename(hit.path) === 'blue-sky.jpg'), 'the named one still matches');
    const first = answer.results[0]!.why.map((reason) => reason.signal);
    assert.ok(first.includes('clip') && first.includes('file name'), first.join(', '));
  });

  it('moves are seen at once: a renamed file is found by its new name and no longer by the old one', async () => {
    fs.renameSync(path.join(photos, 'IMG_0042-paris.jpg'), path.join(photos, 'IMG_0042-lisbon.jpg'));
    const run = await runIrisHere(['index', photos, '--json', '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(path.basename((await search('lisbon')).results[0]!.path), 'IMG_0042-lisbon.jpg');
    assert.equal((await search('paris')).name_matches, 0);
  });

  it('the listing says why each match matched', async () => {
    const run = await runIrisHere(['search', 'holidays', '--limit', '3', '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /DSC0001\.jpg {2}\(folder: "Holidays 2019"\)/);
    assert.match(run.stdout, /fused with 1 name matches/);
  });
});
