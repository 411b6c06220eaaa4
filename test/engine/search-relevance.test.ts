import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COLOURS } from '../fixtures/clip-fixture.js';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { ALWAYS_KEEP, MIN_Z, SPREAD_FLOOR, backgroundOf, cutRanked, minimumZ } from '../../main/engine/search/relevance.js';
import { modelLanguages, queryLanguage } from '../../main/engine/search/query-language.js';
import { colourOf, colourPhotos, dominantPhoto, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';
import { call } from '../helpers/service-calls.js';

/**
 * Relevance: a search answers with what matches (a cut-off from the query's own score
 * distribution), not the whole library in rank order; a Chinese query on an English-only CLIP is
 * flagged; the grid honours the filters while browsing. Real engine, fixture CLIP (embeddings encode
 * a photo's dominant colour), real sqlite-vec.
 */

/** A seeded normal generator (Box-Muller over a linear congruential generator). */
function normals(seed: number): (mean: number, sd: number) => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return (mean, sd) => mean + sd * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe('the relevance cut-off, on score distributions shaped like real CLIP', () => {
  const normal = normals(7);
  const descending = (scores: number[]) => [...scores].sort((a, b) => b - a);

  it('keeps the photos that stand out from a ViT-B/32-like background (unrelated ~0.19 ± 0.025, matches ~0.31)', () => {
    const unrelated = Array.from({ length: 2000 }, () => normal(0.19, 0.025));
    const matches = Array.from({ length: 12 }, () => normal(0.31, 0.01));
    const background = backgroundOf(unrelated.slice(0, 1024));
    assert.ok(Math.abs(background.centre - 0.19) < 0.01, `centre ${background.centre}`);
    assert.ok(Math.abs(background.spread - 0.025) < 0.007, `spread ${background.spread}`);
    const { relevant, cutoff } = cutRanked(descending([...unrelated, ...matches]), background, 2012);
    assert.ok(relevant >= 10 && relevant <= 16, `12 matches among 2012: kept ${relevant} (threshold ${cutoff?.threshold})`);
  });

  it('is not fooled when a quarter of the library matches (the background comes from the lower percentiles)', () => {
    const scores = [...Array.from({ length: 300 }, () => normal(0.19, 0.025)), ...Array.from({ length: 100 }, () => normal(0.31, 0.012))];
    const background = backgroundOf(scores);
    assert.ok(Math.abs(background.centre - 0.19) < 0.015, `centre ${background.centre}`);
    const { relevant } = cutRanked(descending(scores), background);
    assert.ok(relevant >= 75 && relevant <= 110, `100 matches of 400: kept ${relevant}`);
  });

  it('asks more of a result in a large library, where chance alone reaches further', () => {
    assert.equal(minimumZ(30), MIN_Z);
    assert.ok(Math.abs(minimumZ(100_000) - 4.265) < 0.01, String(minimumZ(100_000)));
    assert.ok(Math.abs(minimumZ(1_000_000) - 4.753) < 0.01, String(minimumZ(1_000_000)));
    // 100k unrelated photos (pure noise) and 5 real matches: the matches, not the ~130 noise photos past z 3.
    const noise = Array.from({ length: 100_000 }, () => normal(0.19, 0.025));
    const ranked = descending([...noise, ...Array.from({ length: 5 }, () => normal(0.33, 0.005))]);
    const background = backgroundOf(noise.slice(0, 1024));
    assert.ok(cutRanked(ranked, background).relevant > 50, 'a fixed z 3 keeps many noise photos');
    const { relevant } = cutRanked(ranked, background, ranked.length);
    assert.ok(relevant >= 5 && relevant <= 8, `kept ${relevant}`);
  });

  it('says nothing stands out for a query every photo scores alike, whatever the decimals', () => {
    const flat = Array.from({ length: 300 }, () => normal(0.35, 0.0008));
    const background = backgroundOf(flat);
    assert.equal(background.spread, SPREAD_FLOOR, 'the spread floor, not a spread of 0.0008');
    assert.deepEqual(cutRanked(descending(flat), background).relevant, 0);
    assert.equal(cutRanked(descending(flat), background).cutoff?.threshold, null);
  });

  it('drops a long flat tail behind a clear match, but keeps the best two that stand out', () => {
    const background = { centre: 0.2, spread: 0.02, sampled: 384 };
    // z: 12 (clear), 4, 3.5, 3.2: the tail is under half the best z, but the second stands out (over a quarter of it).
    const ranked = [0.44, 0.28, 0.27, 0.264, 0.25, 0.21];
    const { relevant, cutoff } = cutRanked(ranked, background);
    assert.equal(relevant, ALWAYS_KEEP);
    assert.ok(cutoff!.threshold! > 0.28 && cutoff!.threshold! < 0.44);
    assert.equal(cutRanked([0.2 + (MIN_Z - 0.1) * 0.02], background).relevant, 0, 'just under MIN_Z: not relevant');
    // z 40 then 5: the runner-up stands out from the library but is negligible next to the best.
    assert.equal(cutRanked([1.0, 0.3, 0.25], background).relevant, 1);
  });
});

describe('search relevance, CJK notice and filtered browsing on the fixture CLIP', () => {
  const photos = tempDir('iris-relevance-photos-');
  const library = tempDir('iris-relevance-lib-');
  let service: EngineService;
  const idOf = new Map<string, number>();
  const colourById = new Map<number, string>();
  const colourOfId = (id: number) => colourById.get(id);

  before(async () => {
    // Three JPEGs of every colour (red newest, one month apart per colour), and two PNGs (green) in a sub-folder.
    await colourPhotos(photos, 3);
    for (const n of [1, 2]) {
      const file = await dominantPhoto(path.join(photos, 'png', `green-png${n}.png`), [0, 1, 0], n === 1 ? [0, 0, 0] : [1, 1, 1], 'png');
      const when = new Date(2021, 2, n, 12);
      fs.utimesSync(file, when, when);
    }
    service = EngineService.open({ libraryDir: library, modelsDir: fixtureModels }, { watch: false });
    service.start();
    (await call(service, 'folders.add', { path: photos }));
    await waitFor(async () => {
      const status = (await call(service, 'library.status', {}));
      return !status.indexing && status.photos.total === 26 && status.clip.embedded === 26 ? status : undefined;
    }, 60_000, 'the library to be indexed and embedded');
    for (const id of (await call(service, 'photos.timeline', {})).ids) {
      const photo = (await call(service, 'photos.get', { id }));
      idOf.set(path.basename(photo.path), id);
      colourById.set(id, colourOf(photo.path)!);
    }
  });

  after(async () => {
    await service.close();
  });

  it('answers "red" with the red photos, not the library; the rest stay ranked behind them for "show more"', async () => {
    const answer = (await call(service, 'search.text', { query: 'red', limit: 100 }));
    assert.equal(answer.results.length, 26, 'every photo ranked, as the reserve');
    assert.equal(answer.relevant, 3, JSON.stringify(answer.cutoff));
    assert.deepEqual(answer.results.slice(0, 3).map((hit) => colourOfId(hit.id)), ['red', 'red', 'red']);
    assert.ok(answer.cutoff && answer.cutoff.threshold !== null && answer.cutoff.sampled === 26);
    assert.ok(answer.results[3]!.score < answer.cutoff.threshold!, 'the first photo past the cut scores under the threshold');
    assert.equal(answer.notice, null);
  });

  it('finds exactly each colour\'s photos for its word, and a sentence around it', async () => {
    for (const colour of COLOURS) {
      const answer = (await call(service, 'search.text', { query: `a photo of something ${colour.name}`, limit: 50 }));
      const matched = answer.results.slice(0, answer.relevant).map((hit) => colourOfId(hit.id));
      const expected = colour.name === 'green' ? 5 : 3;
      assert.deepEqual(matched, new Array(expected).fill(colour.name), `"${colour.name}": ${JSON.stringify(answer.results.slice(0, 6))} cut ${JSON.stringify(answer.cutoff)}`);
    }
  });

  it('says when nothing stands out, and still ranks; cutoff: false keeps the old answer', async () => {
    const answer = (await call(service, 'search.text', { query: 'waterfall', limit: 100 }));
    assert.equal(answer.relevant, 0);
    assert.equal(answer.cutoff?.threshold, null);
    assert.equal(answer.results.length, 26);
    const uncut = (await call(service, 'search.text', { query: 'red', limit: 10, cutoff: false }));
    assert.equal(uncut.relevant, 10);
    assert.equal(uncut.cutoff, null);
  });

  it('lets a caption match bring a photo in that CLIP would cut', async () => {
    const blue = idOf.get('blue-2.jpg')!;
    (await call(service, 'captions.save', { photoId: blue, text: 'a waterfall in the forest' }));
    try {
      const answer = (await call(service, 'search.text', { query: 'waterfall', limit: 100 }));
      assert.equal(answer.relevant, 1);
      assert.equal(answer.results[0]!.id, blue);
      const red = (await call(service, 'search.text', { query: 'red', limit: 100 }));
      assert.equal(red.relevant, 3, 'a caption without the words changes nothing');
    } finally {
      (await call(service, 'captions.save', { photoId: blue, text: '' }));
    }
  });

  it('cuts "find similar" the same way: the other photos of its colour', async () => {
    const answer = (await call(service, 'search.similar', { photoId: idOf.get('cyan-1.jpg')!, limit: 100 }));
    assert.equal(answer.results.length, 25);
    assert.deepEqual(answer.results.slice(0, answer.relevant).map((hit) => colourOfId(hit.id)), ['cyan', 'cyan']);
    assert.equal(answer.notice, null);
  });

  it('applies filters before the cut: red among PNGs is nothing, green among PNGs is both', async () => {
    const redPng = (await call(service, 'search.text', { query: 'red', formats: ['png'] }));
    assert.equal(redPng.relevant, 0);
    assert.equal(redPng.results.length, 2);
    const greenPng = (await call(service, 'search.text', { query: 'green', formats: ['png'] }));
    assert.equal(greenPng.relevant, 2);
  });

  it('says a Chinese query is not understood by the English-only CLIP, and offers the Chinese one', async () => {
    const answer = (await call(service, 'search.text', { query: '红色', limit: 100 }));
    assert.deepEqual(answer.notice, {
      kind: 'language',
      language: 'zh',
      model: 'clip-fixture',
      suggestion: { id: 'chinese-clip-fixture', title: answer.notice!.suggestion!.title, installed: true },
    });
    assert.equal(answer.relevant, 0, 'and the English model finds nothing that stands out for it');
    assert.equal((await call(service, 'search.text', { query: 'red' })).notice, null);
    assert.equal(queryLanguage('赤い花'), 'ja');
    assert.equal(queryLanguage('빨간 꽃'), 'ko');
    assert.equal(queryLanguage('a red flower'), null);
    assert.deepEqual(modelLanguages({ id: 'chinese-clip-vit-b16-q8', family: 'chinese-clip-vit-b16' }), ['zh', 'en']);
  });

  it('with the Chinese model chosen, 红色 finds the red photos and there is no notice', async () => {
    (await call(service, 'settings.set', { key: 'clip-model', value: 'chinese-clip-fixture' }));
    try {
      await waitFor(async () => {
        const status = (await call(service, 'library.status', {}));
        return status.clip.model === 'chinese-clip-fixture' && status.clip.embedded === 26 && !status.indexing ? status : undefined;
      }, 60_000, 'the library to be embedded with the Chinese model');
      const answer = (await call(service, 'search.text', { query: '红色', limit: 100 }));
      assert.equal(answer.model, 'chinese-clip-fixture');
      assert.equal(answer.notice, null);
      assert.deepEqual(answer.results.slice(0, answer.relevant).map((hit) => colourOfId(hit.id)), ['red', 'red', 'red']);
      const japanese = (await call(service, 'search.text', { query: '赤い花' }));
      assert.deepEqual(
        japanese.notice,
        { kind: 'language', language: 'ja', model: 'chinese-clip-fixture', suggestion: { id: 'mclip-fixture', title: japanese.notice!.suggestion!.title, installed: true } },
        'the multilingual model reads Japanese',
      );
    } finally {
      (await call(service, 'settings.set', { key: 'clip-model', value: null }));
    }
  });

  it('shows only the photos that pass the filters while browsing (no query)', async () => {
    const all = (await call(service, 'photos.timeline', {}));
    assert.equal(all.ids.length, 26);
    const png = (await call(service, 'photos.timeline', { filters: { formats: ['png'] } }));
    assert.deepEqual(new Set(png.ids), new Set([idOf.get('green-png1.png'), idOf.get('green-png2.png')]));
    // colourPhotos dates colour k in month 12 - k of 2024: red December ... black May.
    const autumn = (await call(service, 'photos.timeline', { filters: { after: '2024-10-01', before: '2024-12-01' } }));
    assert.deepEqual(new Set(autumn.ids.map(colourOfId)), new Set(['green', 'blue']));
    const [folder] = (await call(service, 'folders.list', {}));
    const both = (await call(service, 'photos.timeline', { folderId: folder!.id, filters: { formats: ['jpeg'], before: '2024-07-01' } }));
    assert.deepEqual(new Set(both.ids.map(colourOfId)), new Set(['white', 'black']));
    assert.equal(both.ids.length, 6);
    const unknown = await service.handle('photos.timeline', { filters: { folderId: 999 } });
    assert.ok(!unknown.ok && unknown.error.code === 'not-found');
  });
});
