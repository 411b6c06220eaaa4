import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { makePhoto, repoRoot, runIris, runIrisAsync, tempDir, waitFor } from '../helpers/fixtures.js';
import { FACES_FIXTURE_ID } from '../fixtures/face-fixtures.js';

const PHOTOS = 300;
/** The fixture CLIP is installed, so an index makes thumbnails and then embeddings. */
const models = ['--models', path.join(repoRoot, 'test', 'fixtures', 'models')];

const hasFaceModel = fs.existsSync(path.join(repoRoot, 'test', 'fixtures', 'models', FACES_FIXTURE_ID, 'detection', 'model.onnx'));

function countDone(database: string, kindLike: string): number | undefined {
  try {
    const db = new Database(database, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(`SELECT count(*) FROM jobs WHERE state = 'done' AND kind LIKE ?`).pluck().get(kindLike) as number;
    } finally {
      db.close();
    }
  } catch {
    return undefined; // not created, or its tables not yet
  }
}

/**
 * Runs `iris index` over PHOTOS photos and kills it with SIGKILL once `minDone` jobs of the kinds
 * matching `kindLike` are done (while it holds claimed, running work), checking meanwhile that
 * `iris list` can read the library. Then indexes again and checks that everything was finished
 * exactly once.
 */
async function killAndResume(kindLike: string, minDone: number): Promise<void> {
  const folder = tempDir('iris-kill-');
  for (let i = 0; i < PHOTOS; i++) await makePhoto(path.join(folder, `d${i % 7}`, `photo-${i}.jpg`), { seed: i, width: 900, height: 600 });
  const library = tempDir('iris-lib-');
  const child = runIrisAsync(['index', folder, '--library', library, ...models, '--json']);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

  const database = path.join(library, 'iris.db');
  await waitFor(() => {
    const done = countDone(database, kindLike);
    return done !== undefined && done >= minDone ? done : undefined;
  }, 60_000, `${minDone} ${kindLike} jobs done`, 10);
  // Reading the library while an index writes to it works (WAL readers do not wait for writers).
  const during = runIris(['list', '--json', '--library', library]);
  assert.equal(during.code, 0, during.stderr);
  assert.ok((JSON.parse(during.stdout) as unknown[]).length > 0);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  const interrupted = new Database(database, { readonly: true });
  const left = interrupted.prepare(`SELECT count(*) FROM jobs WHERE state != 'done' AND kind LIKE ?`).pluck().get(kindLike) as number;
  interrupted.close();
  assert.ok(left > 0, 'the kill landed before the work was finished');

  const rerun = runIris(['index', folder, '--library', library, ...models, '--json']);
  assert.equal(rerun.code, 0, rerun.stderr);
  const summary = JSON.parse(rerun.stdout) as { found: number; embeddings: { embedded: number; missing: number } };
  assert.equal(summary.found, PHOTOS);
  assert.deepEqual([summary.embeddings.embedded, summary.embeddings.missing], [PHOTOS, 0], 'every photo embedded once');

  const db = new Database(database, { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const jobs = db.prepare(`SELECT kind, state, count(*) AS n FROM jobs GROUP BY kind, state ORDER BY kind`).all() as { kind: string; state: string; n: number }[];
  assert.deepEqual(jobs, [
    { kind: 'embed:clip-fixture', state: 'done', n: PHOTOS },
    // The fixture catalog's face model (real SCRFD) looks at every photo once too, when it is there.
    ...(hasFaceModel ? [{ kind: `faces:${FACES_FIXTURE_ID}`, state: 'done', n: PHOTOS }] : []),
    { kind: 'thumbnail', state: 'done', n: PHOTOS },
  ]);
  assert.equal(db.prepare(`SELECT count(*) FROM face_scans`).pluck().get(), hasFaceModel ? PHOTOS : 0, 'every photo scanned for faces exactly once');
  db.close();

  const list = JSON.parse(runIris(['list', '--json', '--library', library]).stdout) as { path: string; hash: string; status: string }[];
  assert.equal(list.length, PHOTOS);
  assert.equal(new Set(list.map((p) => p.path)).size, PHOTOS);
  assert.equal(new Set(list.map((p) => p.hash)).size, PHOTOS);
  assert.ok(list.every((p) => p.status === 'ok'));
}

describe('kill -9 during iris index', () => {
  it('in the thumbnail jobs: lets iris list read meanwhile, then resumes with every photo once and every job done', async () => {
    await killAndResume('thumbnail', 20);
  });

  it('in the embedding jobs: resumes, and every photo has exactly one embedding', async () => {
    await killAndResume('embed:%', 32);
  });
});

describe('kill -9 during iris generate', () => {
  it('leaves neither a truncated PNG nor a PNG without its record, whenever it lands', async () => {
    const library = tempDir('iris-kill-edit-lib-');
    const outputs = tempDir('iris-kill-edit-out-');
    const setup = runIris(['settings', 'set', 'output-folder', outputs, '--library', library, ...models]);
    assert.equal(setup.code, 0, setup.stderr);
    // Kills at several moments of a generation (loading, denoising, writing), one run each.
    for (const [i, delayMs] of [300, 900, 1500, 2100, 2700, 3300].entries()) {
      const child = runIrisAsync(['generate', '--prompt', 'a red kite', '--seed', String(i), '--steps', '30', '--width', '64', '--height', '64', '--library', library, ...models, '--json']);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await exited;
    }
    // The next command (any) finishes an edit recorded just before a kill.
    assert.equal(runIris(['edits', '--library', library, ...models]).code, 0);
    const db = new Database(path.join(library, 'iris.db'), { readonly: true });
    const recorded = new Set(db.prepare('SELECT output_path FROM edits').pluck().all() as string[]);
    db.close();
    const pngs = fs.readdirSync(outputs).filter((name) => name.endsWith('.png')).map((name) => path.join(fs.realpathSync(outputs), name));
    for (const png of pngs) {
      assert.ok(recorded.has(png), `${png} has its edit record`);
      const { width, height } = await sharp(png).metadata();
      assert.deepEqual([width, height], [64, 64], `${png} is whole`);
    }
    for (const file of recorded) assert.ok(fs.existsSync(file), `the recorded ${file} exists`);
  });
});
