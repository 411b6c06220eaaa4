import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { COLOURS } from '../fixtures/clip-fixture.js';
import { tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { colourOf, dominantPhoto, fixtureModels } from '../helpers/colour-photos.js';

/**
 * Semantic search end to end: the real CLI, real onnxruntime sessions on the fixture CLIP (whose
 * embeddings encode the dominant colour), real sqlite-vec. Nothing is mocked: if preprocessing,
 * tokenizing, the embed job, the vector store or the ranking is wrong, a colour lands in the wrong place.
 */


interface Hit {
  id: number;
  path: string;
  score: number;
}

async function json<T>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const run = await runIrisHere([...args, '--json'], { env: { IRIS_MODELS: fixtureModels, ...env } });
  assert.equal(run.code, 0, `iris ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}


describe('semantic search on the fixture CLIP', () => {
  const photos = tempDir('iris-colours-');
  const library = tempDir();
  const lib = ['--library', library];
  const ids = new Map<string, number>();

  before(async () => {
    // Two photos per colour; blue ones in a sub-folder, magenta as PNG, white as WebP, red ones "taken" in 2020.
    for (const [k, colour] of COLOURS.entries()) {
      for (const n of [1, 2]) {
        const accent = COLOURS[(k + n) % COLOURS.length]!.rgb;
        const format = colour.name === 'magenta' ? 'png' : colour.name === 'white' ? 'webp' : 'jpeg';
        const dir = colour.name === 'blue' ? path.join(photos, 'sea') : photos;
        const file = await dominantPhoto(path.join(dir, `${colour.name}-${n}.${format === 'jpeg' ? 'jpg' : format}`), colour.rgb, accent, format);
        const when = colour.name === 'red' ? new Date(2020, 5, 1, 12) : new Date(2023, 0, 15, 12);
        fs.utimesSync(file, when, when);
      }
    }
    const summary = (await json<{ found: number; failed: unknown[]; embeddings: { model: string; embedded: number; missing: number; skipped: string | null } }>(['index', photos, ...lib]));
    assert.equal(summary.found, 16);
    assert.deepEqual(summary.embeddings, { model: 'clip-fixture', serving: 'clip-fixture', embedded: 16, missing: 0, skipped: null });
    for (const photo of (await json<{ id: number; path: string }[]>(['list', ...lib]))) ids.set(path.basename(photo.path), photo.id);
  });

  it('ranks the photos of every colour first for that colour word, with timings', async () => {
    for (const colour of COLOURS) {
      const response = (await json<{ model: string; results: Hit[]; timings: { encode_ms: number; search_ms: number } }>(['search', colour.name, '--limit', '4', ...lib]));
      assert.equal(response.model, 'clip-fixture');
      assert.deepEqual(response.results.slice(0, 2).map((hit) => colourOf(hit.path)), [colour.name, colour.name], `query "${colour.name}"`);
      assert.ok(response.results[0]!.score > response.results[2]!.score, 'its photos score above the rest');
      assert.ok(response.timings.encode_ms >= 0 && response.timings.search_ms >= 0);
      for (let i = 1; i < response.results.length; i++) assert.ok(response.results[i - 1]!.score >= response.results[i]!.score, 'best first');
    }
  });

  it('understands a sentence that contains the colour', async () => {
    const { results } = (await json<{ results: Hit[] }>(['search', 'a photo of something red', '--limit', '2', ...lib]));
    assert.deepEqual(results.map((hit) => colourOf(hit.path)), ['red', 'red']);
  });

  it('filters by folder, capture date and format', async () => {
    const inSea = (await json<{ results: Hit[] }>(['search', 'red', '--folder', path.join(photos, 'sea'), ...lib])).results;
    assert.deepEqual(inSea.map((hit) => colourOf(hit.path)).sort(), ['blue', 'blue'], 'only the sub-folder, even for another colour');
    const old = (await json<{ results: Hit[] }>(['search', 'green', '--before', '2021-01-01', ...lib])).results;
    assert.deepEqual(old.map((hit) => colourOf(hit.path)), ['red', 'red'], 'only photos taken before 2021');
    const recent = (await json<{ results: Hit[] }>(['search', 'red', '--after', '2021-01-01', '--limit', '50', ...lib])).results;
    assert.equal(recent.length, 14);
    assert.ok(!recent.some((hit) => colourOf(hit.path) === 'red'));
    const png = (await json<{ results: Hit[] }>(['search', 'white', '--format', 'png', ...lib])).results;
    assert.deepEqual(png.map((hit) => colourOf(hit.path)), ['magenta', 'magenta']);
    const none = (await json<{ results: Hit[] }>(['search', 'red', '--format', 'tiff', ...lib])).results;
    assert.deepEqual(none, []);
  });

  it('takes date words in the query as a capture-date filter, says so, and --literal or --no-chips takes them as words', async () => {
    // The red photos were taken in 2020, every other one in 2023.
    const green2020 = await json<{ results: Hit[]; chips: { label: string; after: string; before: string }[] }>(['search', 'green 2020', ...lib]);
    assert.deepEqual(green2020.chips, [{ kind: 'date', label: '2020', after: '2020-01-01', before: '2021-01-01' }]);
    assert.deepEqual(green2020.results.map((hit) => colourOf(hit.path)), ['red', 'red'], 'only photos taken in 2020');
    const green2023 = await json<{ results: Hit[] }>(['search', 'green 2023', '--limit', '2', ...lib]);
    assert.deepEqual(green2023.results.map((hit) => colourOf(hit.path)), ['green', 'green']);
    for (const flags of [['--no-chips'], ['--literal', '2020']]) {
      const words = await json<{ results: Hit[]; chips: unknown[] }>(['search', 'green 2020', ...flags, '--limit', '2', ...lib]);
      assert.deepEqual(words.chips, [], flags.join(' '));
      assert.deepEqual(words.results.map((hit) => colourOf(hit.path)), ['green', 'green']);
    }
    const listing = await runIrisHere(['search', 'green 2020', ...lib], { env: { IRIS_MODELS: fixtureModels } });
    assert.match(listing.stdout, /date: "2020" = taken 2020-01-01 to 2020-12-31/);
  });

  it('--limit still returns the top ranked photos; the answer says how many match, --relevant keeps only those', async () => {
    const ranked = (await json<{ results: Hit[]; relevant: number; cutoff: { threshold: number; sampled: number } }>(['search', 'yellow', '--limit', '10', ...lib]));
    assert.equal(ranked.results.length, 10, '--limit as before');
    assert.equal(ranked.relevant, 2);
    assert.equal(ranked.cutoff.sampled, 16);
    assert.deepEqual(ranked.results.slice(0, 2).map((hit) => colourOf(hit.path)), ['yellow', 'yellow']);
    const relevant = (await json<{ results: Hit[]; relevant: number }>(['search', 'yellow', '--relevant', ...lib]));
    assert.deepEqual(relevant.results.map((hit) => colourOf(hit.path)), ['yellow', 'yellow']);
    const text = await runIrisHere(['search', 'yellow', '--limit', '4', ...lib], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n');
    assert.match(lines[3]!, /^-- 2 matches; less alike below \(threshold 0\.\d+\) --$/, text.stdout);
    const chinese = await runIrisHere(['search', '红色', ...lib], { env: { IRIS_MODELS: fixtureModels } });
    assert.match(chinese.stdout, /nothing stands out from the library/);
    assert.match(chinese.stdout, /note: clip-fixture does not read Chinese: this query is ranked without being understood; chinese-clip-fixture understands Chinese/);
  });

  it('refuses bad filter values with exit 2', async () => {
    const run = await runIrisHere(['search', 'red', '--after', 'last tuesday', ...lib], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--after wants a date/);
  });

  it('finds similar photos by id, by library path and by an outside image file', async () => {
    const byId = (await json<{ results: Hit[] }>(['similar', String(ids.get('green-1.jpg')), '--limit', '3', ...lib])).results;
    assert.equal(colourOf(byId[0]!.path), 'green');
    assert.ok(!byId.some((hit) => path.basename(hit.path) === 'green-1.jpg'), 'not itself');
    const byPath = (await json<{ results: Hit[] }>(['similar', path.join(photos, 'yellow-2.jpg'), '--limit', '1', ...lib])).results;
    assert.equal(path.basename(byPath[0]!.path), 'yellow-1.jpg');
    const outside = await dominantPhoto(path.join(tempDir(), 'cyan-outside.png'), [0, 1, 1], [0, 0, 0], 'png');
    const byFile = (await json<{ results: Hit[] }>(['similar', outside, '--limit', '2', ...lib])).results;
    assert.deepEqual(byFile.map((hit) => colourOf(hit.path)), ['cyan', 'cyan']);
  });

  it('groups near-duplicates', async () => {
    const { groups, threshold } = (await json<{ threshold: number; groups: { photos: Hit[] }[] }>(['duplicates', ...lib]));
    assert.equal(threshold, 0.95);
    // The fixture sees only the dominant colour, so each colour's two photos are "the same picture".
    assert.equal(groups.length, 8);
    for (const group of groups) assert.deepEqual(new Set(group.photos.map((hit) => colourOf(hit.path))).size, 1);
  });

  it('tags zero-shot: per-photo probabilities, and --all saves the best label', async () => {
    const labels = COLOURS.map((c) => c.name).join(',');
    const [one] = (await json<{ id: number; labels: { label: string; probability: number }[] }[]>(['tag', path.join(photos, 'sea', 'blue-1.jpg'), '--labels', labels, ...lib]));
    assert.equal(one!.labels[0]!.label, 'blue');
    assert.ok(one!.labels[0]!.probability > 0.5);
    assert.ok(Math.abs(one!.labels.reduce((sum, l) => sum + l.probability, 0) - 1) < 1e-3, 'probabilities sum to 1');
    const all = (await json<{ path: string; labels: { label: string }[] }[]>(['tag', '--all', '--labels', labels, ...lib]));
    assert.equal(all.length, 16);
    for (const result of all) assert.equal(result.labels[0]!.label, colourOf(result.path));
    const db = new Database(path.join(library, 'iris.db'), { readonly: true });
    const tags = db.prepare(`SELECT photo_id AS id, label, source FROM tags`).all() as { id: number; label: string; source: string }[];
    db.close();
    assert.equal(tags.length, 16);
    assert.equal(tags.find((t) => t.id === ids.get('black-2.jpg'))!.label, 'black');
    assert.ok(tags.every((t) => t.source === 'zero-shot:clip-fixture'));
  });

  it('embeds a photo added later, and only that one', async () => {
    await dominantPhoto(path.join(photos, 'red-3.jpg'), [1, 0, 0], [1, 1, 1]);
    const summary = (await json<{ indexed: number; embeddings: { embedded: number } }>(['index', ...lib]));
    assert.equal(summary.indexed, 1);
    assert.equal(summary.embeddings.embedded, 17);
    const { results } = (await json<{ results: Hit[] }>(['search', 'red', '--limit', '3', ...lib]));
    assert.deepEqual(results.map((hit) => colourOf(hit.path)), ['red', 'red', 'red']);
  });
});

describe('search without a usable model', () => {
  async function oneColourLibrary() {
    const photos = tempDir('iris-colours-');
    await dominantPhoto(path.join(photos, 'red-1.jpg'), [1, 0, 0], [0, 0, 1]);
    return { photos, library: tempDir() };
  }

  /** A models folder with the fixture catalog, and the files `keep` says. */
  function modelsCopy(keep: (file: string) => boolean): string {
    const dir = tempDir('iris-models-');
    fs.cpSync(fixtureModels, dir, { recursive: true, filter: (source) => fs.statSync(source).isDirectory() || keep(path.relative(fixtureModels, source)) });
    return dir;
  }

  it('indexes without embeddings and says how to install the model', async () => {
    const { photos, library } = await oneColourLibrary();
    const models = modelsCopy((file) => file === 'catalog.json');
    const run = await runIrisHere(['index', photos, '--library', library], { env: { IRIS_MODELS: models } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /not installed: run `iris models install clip-fixture`/);
    // A query only CLIP could answer (no file name, folder or caption has its words) says what to install.
    const search = await runIrisHere(['search', 'a sunset', '--library', library], { env: { IRIS_MODELS: models } });
    assert.equal(search.code, 2);
    assert.match(search.stderr, /iris models install clip-fixture/);
    // The file name still answers without the model.
    const byName = await runIrisHere(['search', 'red', '--library', library, '--json'], { env: { IRIS_MODELS: models } });
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual((JSON.parse(byName.stdout) as { results: { why: unknown }[] }).results.map((hit) => hit.why), [[{ signal: 'file name', text: 'red-1.jpg' }]]);
  });

  it('catches a corrupted model file by sha256 before loading it, and fails no photo', async () => {
    const { photos, library } = await oneColourLibrary();
    const models = modelsCopy(() => true);
    const vision = path.join(models, 'clip-fixture', 'onnx', 'vision_model.onnx');
    const bytes = fs.readFileSync(vision);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    fs.writeFileSync(vision, bytes);
    const run = await runIrisHere(['index', photos, '--library', library, '--json'], { env: { IRIS_MODELS: models } });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { failed: unknown[]; embeddings: { embedded: number; skipped: string } };
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.embeddings.embedded, 0);
    assert.match(summary.embeddings.skipped, /vision_model\.onnx is wrong hash.*iris models install clip-fixture/);
    const list = JSON.parse((await runIrisHere(['list', '--json', '--library', library], { env: { IRIS_MODELS: models } })).stdout) as { status: string }[];
    assert.deepEqual(list.map((p) => p.status), ['ok']);
  });
});

describe('semantic search with the Chinese-CLIP fixture chosen in the library settings', () => {
  const photos = tempDir('iris-colours-zh-');
  const library = tempDir();
  const lib = ['--library', library];

  before(async () => {
    for (const [k, colour] of COLOURS.entries()) {
      if (!['red', 'blue', 'black', 'yellow'].includes(colour.name)) continue;
      await dominantPhoto(path.join(photos, `${colour.name}-1.jpg`), colour.rgb, COLOURS[(k + 1) % COLOURS.length]!.rgb);
    }
    const set = await runIrisHere(['settings', 'set', 'clip-model', 'chinese-clip-fixture', ...lib], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(set.code, 0, set.stderr);
    const summary = (await json<{ found: number; embeddings: { model: string; embedded: number; missing: number; skipped: string | null } }>(['index', photos, ...lib]));
    assert.equal(summary.found, 4);
    assert.deepEqual(summary.embeddings, { model: 'chinese-clip-fixture', serving: 'chinese-clip-fixture', embedded: 4, missing: 0, skipped: null });
  });

  it('ranks the red photo first for 「红色的照片」, and the blue and black ones for their sentences', async () => {
    const red = (await json<{ model: string; results: Hit[] }>(['search', '红色的照片', ...lib]));
    assert.equal(red.model, 'chinese-clip-fixture');
    assert.equal(red.results.length, 4);
    assert.equal(colourOf(red.results[0]!.path), 'red');
    assert.ok(red.results[0]!.score > red.results[1]!.score + 0.5, `red stands out: ${red.results.map((hit) => hit.score).join(', ')}`);
    assert.equal(colourOf((await json<{ results: Hit[] }>(['search', '一张蓝色的照片', ...lib])).results[0]!.path), 'blue');
    assert.equal(colourOf((await json<{ results: Hit[] }>(['search', '海边的黑狗', ...lib])).results[0]!.path), 'black');
  });
});
