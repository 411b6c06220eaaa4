import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { makePhoto, runIris, runIrisAsync, tempDir, waitFor } from '../helpers/fixtures.js';

const PHOTOS = 300;

describe('kill -9 during iris index', () => {
  it('lets iris list read meanwhile, then resumes: integrity ok, every photo exactly once, every job done', async () => {
    const folder = tempDir('iris-kill-');
    for (let i = 0; i < PHOTOS; i++) await makePhoto(path.join(folder, `d${i % 7}`, `photo-${i}.jpg`), { seed: i, width: 900, height: 600 });
    const library = tempDir('iris-lib-');
    const child = runIrisAsync(['index', folder, '--library', library, '--json']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

    // Kill it in the middle of the thumbnail jobs, while it holds claimed (running) work.
    const database = path.join(library, 'iris.db');
    await waitFor(() => {
      try {
        const db = new Database(database, { readonly: true, fileMustExist: true });
        try {
          const done = db.prepare(`SELECT count(*) FROM jobs WHERE state = 'done'`).pluck().get() as number;
          return done >= 20 ? done : undefined;
        } finally {
          db.close();
        }
      } catch {
        return undefined; // not created, or its tables not yet
      }
    }, 60_000, 'some thumbnail jobs done', 10);
    // Reading the library while an index writes to it works (WAL readers do not wait for writers).
    const during = runIris(['list', '--json', '--library', library]);
    assert.equal(during.code, 0, during.stderr);
    assert.ok((JSON.parse(during.stdout) as unknown[]).length > 0);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const interrupted = new Database(database, { readonly: true });
    const left = interrupted.prepare(`SELECT count(*) FROM jobs WHERE state != 'done'`).pluck().get() as number;
    interrupted.close();
    assert.ok(left > 0, 'the kill landed before the work was finished');

    const rerun = runIris(['index', folder, '--library', library, '--json']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal((JSON.parse(rerun.stdout) as { found: number }).found, PHOTOS);

    const db = new Database(database, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const jobs = db.prepare(`SELECT state, count(*) AS n FROM jobs GROUP BY state`).all() as { state: string; n: number }[];
    assert.deepEqual(jobs, [{ state: 'done', n: PHOTOS }]);
    db.close();

    const list = JSON.parse(runIris(['list', '--json', '--library', library]).stdout) as { path: string; hash: string; status: string }[];
    assert.equal(list.length, PHOTOS);
    assert.equal(new Set(list.map((p) => p.path)).size, PHOTOS);
    assert.equal(new Set(list.map((p) => p.hash)).size, PHOTOS);
    assert.ok(list.every((p) => p.status === 'ok'));
  });
});
