import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CAPTION_FIXTURE_ID } from '../fixtures/generate-models.js';
import { florenceBriefCaption, florenceOcrText } from '../fixtures/vlm/florence2-fixture.js';
import { colourOf, colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { makePhoto, runIrisAsync, sha256, tempDir, waitFor } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';

// `iris caption`, caption search fused with CLIP, `iris export-xmp`, through the real CLI with the
// fixture captioner (it names the dominant colour) and the fixture CLIP.

const models = ['--models', fixtureModels];

interface CaptionSummary {
  model: string;
  detail: string;
  queued: number;
  keptEdited: number;
  captioned: number;
  failed: unknown[];
  captions: { id: number; caption: { text: string; edited: boolean; model: string } | null }[];
}

async function iris(library: string, ...args: string[]): Promise<unknown> {
  const result = await runIrisHere([...args, '--library', library, ...models, '--json']);
  assert.equal(result.code, 0, `iris ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

describe('iris caption', () => {
  const library = tempDir('iris-captions-lib-');
  let photos: string[];
  let idOf: Map<string, number>;

  before(async () => {
    const folder = tempDir('iris-captions-');
    photos = await colourPhotos(folder, 2);
    (await iris(library, 'index', folder));
    const list = (await iris(library, 'list')) as { id: number; paths: string[] }[];
    idOf = new Map(list.flatMap((photo) => photo.paths.map((p) => [p, photo.id] as const)));
  });

  it('captions every photo with the dominant colour, and a person\'s caption survives a batch with --redo', async () => {
    const first = (await iris(library, 'caption', '--all')) as CaptionSummary;
    assert.equal(first.queued, photos.length);
    assert.equal(first.captioned, photos.length);
    assert.deepEqual(first.failed, []);
    for (const photo of photos) {
      const one = (await iris(library, 'caption', photo)) as CaptionSummary;
      assert.equal(one.queued, 0, 'a photo that has a caption is not captioned again without --redo');
      assert.equal(one.captions[0]!.caption!.text, florenceBriefCaption(colourOf(photo)!));
    }
    const mine = photos.find((p) => colourOf(p) === 'green')!;
    const set = (await iris(library, 'caption', mine, '--set', '我的绿色花园 in the morning')) as { caption: { edited: boolean } }[];
    assert.equal(set[0]!.caption.edited, true);
    const redo = (await iris(library, 'caption', '--all', '--redo', '--detail', 'detailed')) as CaptionSummary;
    assert.equal(redo.keptEdited, 1);
    assert.equal(redo.queued, photos.length - 1);
    const kept = (await iris(library, 'caption', mine)) as CaptionSummary;
    assert.equal(kept.captions[0]!.caption!.text, '我的绿色花园 in the morning');
  });

  it('says which photos it could not caption because another live Iris process holds their jobs, and exits 1', async () => {
    const photo = photos[0]!;
    const id = idOf.get(photo)!;
    const kind = `caption:${CAPTION_FIXTURE_ID}:brief`;
    const db = new Database(path.join(library, 'iris.db'));
    const lease = Date.now() + 60_000;
    try {
      // Held by this test's process (alive, on this host) under a lease that still runs: as when the
      // recorded owner died and its PID was reused, before the lease runs out.
      db.prepare(`INSERT INTO jobs (kind, photo_id, state, owner, owner_pid, lease_until, updated_at) VALUES (?, ?, 'running', ?, ?, ?, 0)
                  ON CONFLICT (kind, photo_id) DO UPDATE SET state = 'running', owner = excluded.owner, owner_pid = excluded.owner_pid, lease_until = excluded.lease_until`)
        .run(kind, id, `${os.hostname()}:${process.pid}:test`, process.pid, lease);
    } finally {
      db.close();
    }
    const json = await runIrisHere(['caption', photo, '--redo', '--library', library, ...models, '--json']);
    assert.equal(json.code, 1, json.stderr);
    const summary = JSON.parse(json.stdout) as CaptionSummary & { heldElsewhere: { ownerPid: number; count: number; kind: string; leaseUntil: number }[] };
    assert.deepEqual(summary.heldElsewhere, [{ ownerPid: process.pid, owner: `${os.hostname()}:${process.pid}:test`, kind, count: 1, leaseUntil: lease }]);
    const human = await runIrisHere(['caption', photo, '--redo', '--library', library, ...models]);
    assert.match(human.stdout, new RegExp(`not done  1 photos \\(${kind}\\): held by another Iris process \\(pid ${process.pid}\\)`));
    const doctor = await runIrisHere(['doctor', '--library', library, ...models]);
    assert.match(doctor.stdout, /held by another Iris process/);
    // Once that lease has run out, the next command takes the job back and does it.
    const expire = new Database(path.join(library, 'iris.db'));
    expire.prepare(`UPDATE jobs SET lease_until = 1 WHERE kind = ? AND photo_id = ?`).run(kind, id);
    expire.close();
    const after = (await iris(library, 'caption', photo, '--redo')) as CaptionSummary & { heldElsewhere: unknown[] };
    assert.deepEqual(after.heldElsewhere, []);
    assert.equal(after.captions[0]!.caption!.text, florenceBriefCaption(colourOf(photo)!));
  });

  it('read-text prints the text the model reads in each photo and leaves the photo\'s caption alone', async () => {
    const red = photos.find((p) => colourOf(p) === 'red')!;
    const blue = photos.find((p) => colourOf(p) === 'blue')!;
    const captionOf = async (photo: string) => ((await iris(library, 'caption', photo)) as CaptionSummary).captions[0]!.caption;
    const before = (await captionOf(red));
    assert.ok(before, 'the earlier test captioned it');
    const read = (await iris(library, 'read-text', red, String(idOf.get(blue)))) as { id: number; model: string; text: string; finish: string }[];
    assert.deepEqual(read, [
      { id: idOf.get(red), model: CAPTION_FIXTURE_ID, text: florenceOcrText('red'), finish: 'stop' },
      { id: idOf.get(blue), model: CAPTION_FIXTURE_ID, text: florenceOcrText('blue'), finish: 'stop' },
    ]);
    assert.deepEqual((await captionOf(red)), before, 'the text read is not stored as the caption');
    const human = await runIrisHere(['read-text', red, '--library', library, ...models]);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout, `${idOf.get(red)}  ${florenceOcrText('red')}\n`);
  });

  it('read-text refuses a captioning model whose catalog entry declares no OCR task, before loading it', async () => {
    const dir = tempDir('iris-models-no-ocr-');
    const wanted = (source: string) => ['', 'catalog.json', CAPTION_FIXTURE_ID].includes(path.relative(fixtureModels, source).split(path.sep)[0]!);
    fs.cpSync(fixtureModels, dir, { recursive: true, filter: wanted });
    // A damaged decoder: loading the model would fail on its sha256, so the refusal must come first.
    const decoder = path.join(dir, CAPTION_FIXTURE_ID, 'onnx', 'decoder_model_merged.onnx');
    const bytes = fs.readFileSync(decoder);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    fs.writeFileSync(decoder, bytes);
    const catalogFile = path.join(dir, 'catalog.json');
    const catalog = JSON.parse(fs.readFileSync(catalogFile, 'utf8')) as { models: { id: string; preprocessing: { caption_tasks?: { ocr?: string } } }[] };
    delete catalog.models.find((m) => m.id === CAPTION_FIXTURE_ID)!.preprocessing.caption_tasks!.ocr;
    fs.writeFileSync(catalogFile, JSON.stringify(catalog));
    const run = await runIrisHere(['read-text', photos[0]!, '--library', library, '--models', dir]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`model ${CAPTION_FIXTURE_ID} cannot read text in photos`));
  });

  it('search fuses caption matches with CLIP, and finds Chinese captions by substring', async () => {
    const garden = (await iris(library, 'search', 'morning')) as { ranking: string; caption_matches: number; results: { path: string }[] };
    assert.equal(garden.ranking, 'rrf');
    assert.equal(garden.caption_matches, 1);
    assert.equal(colourOf(garden.results[0]!.path), 'green', 'the only photo whose caption says morning comes first');
    // Search filters apply to caption matches too (in SQL, beside the full-text match).
    assert.equal(((await iris(library, 'search', 'morning', '--format', 'jpeg')) as { caption_matches: number }).caption_matches, 1);
    assert.equal(((await iris(library, 'search', 'morning', '--format', 'png')) as { caption_matches: number }).caption_matches, 0);
    assert.equal(((await iris(library, 'search', '花园', '--format', 'png')) as { caption_matches: number }).caption_matches, 0);
    const chinese = (await iris(library, 'search', '花园')) as { caption_matches: number; results: { id: number }[] };
    assert.equal(chinese.caption_matches, 1);
    const red = (await iris(library, 'search', 'red')) as { ranking: string; results: { path: string }[] };
    assert.deepEqual(red.results.slice(0, 2).map((hit) => colourOf(hit.path)), ['red', 'red'], 'CLIP and captions agree');
    void idOf;
  });

  it('export-xmp writes sidecars beside the photos, merges into an existing one and never touches a photo', async () => {
    const target = photos.find((p) => colourOf(p) === 'blue')!;
    const existing = `${target}.xmp`;
    fs.writeFileSync(
      existing,
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/></rdf:RDF></x:xmpmeta>',
    );
    const before = new Map(photos.map((p) => [p, [sha256(p), fs.statSync(p).mtimeMs]]));
    const results = (await iris(library, 'export-xmp', '--all')) as { path: string; sidecar: string; outcome: string }[];
    assert.equal(results.length, photos.length);
    assert.equal(results.find((r) => r.path === target)!.outcome, 'updated');
    const merged = fs.readFileSync(existing, 'utf8');
    assert.match(merged, /xmp:Rating="4"/, 'what another app wrote is kept');
    assert.match(merged, /The image shows a photo that is mostly blue\./);
    for (const photo of photos) {
      assert.deepEqual([sha256(photo), fs.statSync(photo).mtimeMs], before.get(photo), `${photo} unchanged`);
      assert.ok(fs.existsSync(`${photo}.xmp`));
    }
    const again = (await iris(library, 'export-xmp', '--all')) as { outcome: string }[];
    assert.ok(again.every((r) => r.outcome === 'unchanged'));
  });
});

describe('kill -9 during iris caption --all', () => {
  it('resumes: every photo captioned once, every job done', async () => {
    const count = 120;
    const folder = tempDir('iris-caption-kill-');
    for (let i = 0; i < count; i++) await makePhoto(path.join(folder, `photo-${i}.jpg`), { seed: i, color: [200, 30, 30], width: 320, height: 240 });
    const library = tempDir('iris-caption-kill-lib-');
    (await iris(library, 'index', folder));
    const child = runIrisAsync(['caption', '--all', '--library', library, ...models, '--json']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const database = path.join(library, 'iris.db');
    const captioned = () => {
      const db = new Database(database, { readonly: true });
      try {
        return db.prepare(`SELECT count(*) FROM captions`).pluck().get() as number;
      } finally {
        db.close();
      }
    };
    await waitFor(() => (captioned() >= 5 ? true : undefined), 60_000, 'five captions', 10);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const partial = captioned();
    assert.ok(partial < count, `the kill landed before the batch finished (${partial} of ${count})`);

    // Opening the library again (any command) takes the dead process's running job back; an index works the queue.
    (await iris(library, 'index'));
    const db = new Database(database, { readonly: true });
    assert.equal(db.prepare(`SELECT count(*) FROM captions`).pluck().get(), count);
    assert.deepEqual(db.prepare(`SELECT state, count(*) AS n FROM jobs WHERE kind LIKE 'caption:%' GROUP BY state`).all(), [{ state: 'done', n: count }]);
    assert.equal(db.prepare(`SELECT count(DISTINCT text) FROM captions`).pluck().get(), 1, 'every photo: "A photo of red."');
    db.close();
  });
});
