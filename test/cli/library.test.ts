import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';

// `iris library backups | backup | restore`, and what every command does with an emptied database,
// through the real CLI on a library with CLIP vectors (sqlite-vec tables) and a caption a person wrote.

describe('iris library', () => {
  it('backs up, refuses an emptied database with the way back, restores it, and doctor names the newest backup', async () => {
    const library = tempDir('iris-library-cli-');
    const photos = tempDir('iris-library-photos-');
    await colourPhotos(photos, 1);
    const iris = (...args: string[]) => runIrisHere([...args, '--library', library, '--models', fixtureModels, '--json']);
    assert.equal((await iris('index', photos)).code, 0);
    const [first] = JSON.parse((await iris('list')).stdout) as { id: number }[];
    assert.equal((await iris('caption', String(first!.id), '--set', 'my own words')).code, 0);

    const made = (await iris('library', 'backup'));
    assert.equal(made.code, 0, made.stderr);
    const backup = JSON.parse(made.stdout) as { name: string; kind: string; bytes: number };
    assert.equal(backup.kind, 'manual');
    const listed = JSON.parse((await iris('library', 'backups')).stdout) as { name: string }[];
    assert.deepEqual(listed.map((b) => b.name), [backup.name]);
    assert.match((await runIrisHere(['doctor', '--library', library, '--models', fixtureModels])).stdout, new RegExp(`backups +newest ${backup.name}`));

    // Emptied (a sync tool, a bad copy): every command refuses it, and says how to get it back.
    const database = path.join(library, 'iris.db');
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${database}${suffix}`, { force: true });
    fs.truncateSync(database, 0);
    for (const args of [['list'], ['index', photos]]) {
      const refused = (await iris(...args));
      assert.equal(refused.code, 1, `${args.join(' ')} exits 1`);
      assert.match(refused.stderr, new RegExp(`damaged \\(the file is empty \\(0 bytes\\)\\).*iris library restore ${backup.name}`));
    }
    assert.equal(fs.statSync(database).size, 0, 'nothing was created over it');

    const restored = (await iris('library', 'restore', backup.name));
    assert.equal(restored.code, 0, restored.stderr);
    const result = JSON.parse(restored.stdout) as { replaced: string };
    assert.match(result.replaced, /iris\.db\.damaged-/);
    const after = JSON.parse((await iris('list')).stdout) as { id: number }[];
    assert.equal(after.length, 8);
    const caption = JSON.parse((await iris('caption', String(first!.id))).stdout) as { captions: { caption: { text: string; edited: boolean } }[] };
    assert.deepEqual(caption.captions[0]!.caption, { ...caption.captions[0]!.caption, text: 'my own words', edited: true });
    const search = (await iris('search', 'red', '--limit', '1'));
    assert.equal(search.code, 0, `the CLIP vectors came back too: ${search.stderr}`);
    assert.equal((await iris('library', 'restore', 'iris-nope.db')).code, 2);
  });
});
