import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makePhoto, repoRoot, runIris, tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { colourPhotos, fixtureModels } from '../helpers/colour-photos.js';

async function folderWithPhotos(count: number, broken = false): Promise<string> {
  const dir = tempDir('iris-photos-');
  for (let i = 0; i < count; i++) await makePhoto(path.join(dir, `p${i}.jpg`), { seed: i });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a photo');
  if (broken) fs.writeFileSync(path.join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a]));
  return dir;
}

describe('iris CLI', () => {
  // The other CLI suites run the CLI in-process (runIrisHere); this runs the built bin as processes,
  // one call per command family, to keep its start, its exit codes and its streams honest.
  it('runs as a process: index, list, folders, search, doctor, settings, models, and a usage error', async () => {
    const photos = tempDir('iris-smoke-photos-');
    await colourPhotos(photos, 1);
    const lib = ['--library', tempDir(), '--models', fixtureModels];
    const json = (...args: string[]) => {
      const run = runIris([...args, ...lib, '--json']);
      assert.equal(run.code, 0, `iris ${args.join(' ')}: ${run.stderr}`);
      return JSON.parse(run.stdout) as unknown;
    };
    assert.match(runIris(['--version']).stdout, /^\d+\.\d+\.\d+/);
    assert.equal((json('index', photos) as { indexed: number }).indexed, 8);
    assert.equal((json('list') as unknown[]).length, 8);
    assert.equal((json('folders') as unknown[]).length, 1);
    const search = runIris(['search', 'red', '--limit', '1', ...lib]);
    assert.equal(search.code, 0, search.stderr);
    assert.match(search.stdout, /red-1\.jpg/);
    assert.equal((json('doctor') as { integrity: string }).integrity, 'ok');
    assert.equal(runIris(['settings', 'get', 'device', ...lib]).stdout, 'auto\n');
    assert.ok((json('models', 'list') as unknown[]).length > 0);
    const unknown = runIris(['frobnicate', ...lib]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command/);
    assert.equal(unknown.stdout, '');
  });

  it('index --json prints exactly one JSON object with the documented shape', async () => {
    const photos = await folderWithPhotos(3);
    const library = tempDir();
    const run = await runIrisHere(['index', photos, '--library', library, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const { embeddings, ...result } = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(result, { found: 3, indexed: 3, read: 3, unchanged: 0, removed: 0, failed: [], heldElsewhere: [] });
    // The bundled catalog's default CLIP model is not installed in a fresh checkout: said, not fatal.
    assert.deepEqual(Object.keys(embeddings as object).sort(), ['embedded', 'missing', 'model', 'serving', 'skipped']);
    const again = JSON.parse((await runIrisHere(['index', '--library', library, '--json'])).stdout) as Record<string, unknown>;
    assert.deepEqual([again.indexed, again.unchanged], [0, 3]);
  });

  it('exits 1 when some files failed, and still records them', async () => {
    const photos = await folderWithPhotos(2, true);
    const library = tempDir();
    const run = await runIrisHere(['index', photos, '--library', library, '--json']);
    assert.equal(run.code, 1);
    const result = JSON.parse(run.stdout) as { failed: { path: string; error: string }[]; found: number };
    assert.equal(result.found, 3);
    assert.equal(result.failed.length, 1);
    assert.equal(path.basename(result.failed[0]!.path), 'broken.jpg');
    assert.match(result.failed[0]!.error, /truncated|corrupt|not a readable image/);
    const list = JSON.parse((await runIrisHere(['list', '--library', library, '--json'])).stdout) as { path: string; status: string; error: string | null }[];
    assert.deepEqual(list.map((p) => p.status).sort(), ['failed', 'ok', 'ok']);
    assert.equal(list.find((p) => p.status === 'failed')!.error, result.failed[0]!.error);
  });

  it('counts only the photos it could read as "read" in its summary; the broken one is "failed"', async () => {
    const photos = await folderWithPhotos(2, true);
    const library = tempDir();
    const run = await runIrisHere(['index', photos, '--library', library]);
    assert.equal(run.code, 1);
    // broken.jpg is hashed like the others but cannot be decoded: 2 read, not 3.
    assert.match(run.stdout, /^found 3 photos: 2 read, 0 unchanged, 0 gone, 1 failed$/m);
    // Indexed again, nothing changed: nothing read this time, and the old failure is still listed.
    const again = await runIrisHere(['index', '--library', library]);
    assert.match(again.stdout, /^found 3 photos: 0 read, 3 unchanged, 0 gone, 1 failed$/m);
    const json = JSON.parse((await runIrisHere(['index', photos, '--library', tempDir(), '--json'])).stdout) as { indexed: number; read: number };
    assert.deepEqual([json.indexed, json.read], [3, 2]);
  });

  it('list --json gives id, hash, path, size, format, takenAt, status and error for every photo', async () => {
    const photos = await folderWithPhotos(2);
    const library = tempDir();
    await runIrisHere(['index', photos, '--library', library]);
    const list = JSON.parse((await runIrisHere(['list', '--json', '--library', library])).stdout) as Record<string, unknown>[];
    assert.equal(list.length, 2);
    for (const photo of list) {
      for (const key of ['id', 'hash', 'path', 'width', 'height', 'format', 'takenAt', 'status', 'error']) assert.ok(key in photo, key);
      assert.equal(photo.status, 'ok');
      assert.match(String(photo.hash), /^[0-9a-f]{64}$/);
      assert.match(String(photo.takenAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    }
  });

  it('adds, lists and removes folders; removing never deletes files', async () => {
    const photos = await folderWithPhotos(1);
    const library = tempDir();
    assert.equal((await runIrisHere(['add', photos, '--library', library])).code, 0);
    const folders = JSON.parse((await runIrisHere(['folders', '--json', '--library', library])).stdout) as { path: string }[];
    assert.deepEqual(folders.map((f) => f.path), [fs.realpathSync(photos)]);
    fs.mkdirSync(path.join(photos, 'inner'));
    const inner = await runIrisHere(['add', path.join(photos, 'inner'), '--library', library]);
    assert.equal(inner.code, 0);
    assert.match(inner.stdout, /inner is already covered by /);
    await runIrisHere(['index', '--library', library]);
    const removed = await runIrisHere(['remove', photos, '--library', library, '--json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), { removed: true, photos: 1 });
    assert.ok(fs.existsSync(path.join(photos, 'p0.jpg')));
    assert.deepEqual(JSON.parse((await runIrisHere(['list', '--json', '--library', library])).stdout), []);
  });

  it('exits 2 with a clear message on usage errors', async () => {
    const library = tempDir();
    const unknown = await runIrisHere(['frobnicate', '--library', library]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const missing = await runIrisHere(['index', '/definitely/not/here', '--library', library]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /folder not found: \/definitely\/not\/here/);
    const empty = await runIrisHere(['index', '--library', library]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no folders in this library yet/);
    const noArgument = await runIrisHere(['add', '--library', library]);
    assert.equal(noArgument.code, 2);
    assert.match(noArgument.stderr, /missing required argument/);
    assert.equal((await runIrisHere(['--help'])).code, 0);
  });

  it('doctor reports versions, library, counts, integrity and execution providers', async () => {
    const photos = await folderWithPhotos(2);
    const library = tempDir();
    await runIrisHere(['index', photos, '--library', library]);
    const run = await runIrisHere(['doctor', '--json', '--library', library]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      versions: Record<string, string>; library: { path: string }; counts: { photos: number; ok: number }; integrity: string;
      executionProviders: { name: string }[]; jobs: { done: number; pending: number };
    };
    assert.equal(report.integrity, 'ok');
    assert.equal(report.library.path, fs.realpathSync(library));
    assert.deepEqual([report.counts.photos, report.counts.ok, report.jobs.done, report.jobs.pending], [2, 2, 2, 0]);
    assert.match(report.versions['sqlite-vec']!, /^v0\.1/);
    // Read from each package's own package.json, also where its `exports` hide it (chokidar 4).
    const installed = (name: string) => (JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(report.versions.chokidar, installed('chokidar'));
    assert.equal(report.versions['onnxruntime-node'], installed('onnxruntime-node'));
    assert.ok(report.executionProviders.some((p) => p.name === 'cpu'));
    const human = await runIrisHere(['doctor', '--library', library]);
    assert.match(human.stdout, /integrity\s+ok/);
  });
});
