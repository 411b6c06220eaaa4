import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { sha256, tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';

// A library this process may only read: a read-only share, a copy from a backup disk.

async function indexedLibrary(): Promise<{ library: string; photos: string }> {
  const library = tempDir('iris-ro-lib-');
  const photos = tempDir('iris-ro-photos-');
  await colourPhotos(photos, 1);
  const indexed = await runIrisHere(['index', photos, '--library', library, '--models', fixtureModels, '--json']);
  assert.equal(indexed.code, 0, indexed.stderr);
  return { library, photos };
}

async function assertReadsButDoesNotWrite(run: (...args: string[]) => ReturnType<typeof runIrisHere>, photos: string, library: string): Promise<void> {
  // SQLite's own -wal/-shm files aside (a reader of a WAL database makes them where it can).
  const entries = () => fs.readdirSync(library).filter((name) => !/-(wal|shm)$/.test(name)).sort();
  const before = entries();
  const database = sha256(path.join(library, 'iris.db'));
  const list = await run('list');
  assert.equal(list.code, 0, list.stderr);
  assert.equal((JSON.parse(list.stdout) as unknown[]).length, 8);
  assert.equal((await run('folders')).code, 0);
  const search = await run('search', 'red', '--limit', '1');
  assert.equal(search.code, 0, search.stderr);
  assert.match(search.stdout, /red-1\.jpg/);
  const doctor = await run('doctor');
  assert.equal(doctor.code, 0, doctor.stderr);
  const index = await run('index', photos);
  assert.equal(index.code, 2, 'a command that would change the library is refused');
  assert.match(index.stderr, /read-only here.*reading works/);
  assert.deepEqual(entries(), before, 'nothing was created in the library folder');
  assert.equal(sha256(path.join(library, 'iris.db')), database, 'the database is byte for byte as it was');
}

describe('a read-only library', () => {
  it('opened with --read-only: list, folders, search and doctor work; index says why it cannot', async () => {
    const { library, photos } = await indexedLibrary();
    await assertReadsButDoesNotWrite((...args) => runIrisHere([...args, '--library', library, '--models', fixtureModels, '--json', '--read-only']), photos, library);
  });

  it('opens read-only by itself where the user may not write the folder', async (t) => {
    if (process.getuid?.() === 0) {
      // root may write whatever the permission bits say, so chmod cannot make a folder read-only for it.
      t.skip('runs as root: file permissions do not stop root from writing (the --read-only test above covers the read-only engine)');
      return;
    }
    const { library, photos } = await indexedLibrary();
    for (const name of fs.readdirSync(library)) fs.chmodSync(path.join(library, name), 0o555);
    fs.chmodSync(library, 0o555);
    try {
      await assertReadsButDoesNotWrite((...args) => runIrisHere([...args, '--library', library, '--models', fixtureModels, '--json']), photos, library);
    } finally {
      fs.chmodSync(library, 0o755);
    }
  });
});
