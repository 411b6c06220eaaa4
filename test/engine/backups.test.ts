import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { backupNow, checkDatabaseFile, listBackups, restoreBackup } from '../../main/engine/db/backups.js';
import { LibraryDamagedError, openDatabase } from '../../main/engine/db/database.js';
import { latestVersion, migrate } from '../../main/engine/db/migrations.js';
import { Engine } from '../../main/engine/engine.js';
import { makePhoto, tempDir, waitFor } from '../helpers/fixtures.js';

/** A library folder whose database holds one folder row (something a new library would lose). */
function libraryWithData(): { dir: string; file: string } {
  const dir = tempDir('iris-backup-lib-');
  const file = path.join(dir, 'iris.db');
  const db = openDatabase(file);
  db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/photos', 1)`).run();
  db.close();
  return { dir, file };
}

const folderCount = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM folders').pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('library database backups', () => {
  it('refuses an emptied database instead of starting a new library, and leaves the file as it was', () => {
    const { dir, file } = libraryWithData();
    const db = openDatabase(file);
    const backup = backupNow(db, dir, 'manual');
    db.close();
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    fs.truncateSync(file, 0);
    assert.throws(() => openDatabase(file), (error: unknown) => {
      assert.ok(error instanceof LibraryDamagedError);
      assert.match(error.message, /empty \(0 bytes\)/);
      assert.match(error.message, new RegExp(`iris library restore ${backup.name}`));
      return true;
    });
    assert.equal(fs.statSync(file).size, 0, 'nothing was written over it');
    assert.throws(() => Engine.open({ libraryDir: dir }), LibraryDamagedError);
  });

  it('refuses a database SQLite calls malformed, and restores a backup in its place, keeping the damaged file', () => {
    const { dir, file } = libraryWithData();
    const db = openDatabase(file);
    const backup = backupNow(db, dir, 'manual');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    // Garbage over the schema page, after SQLite's 100-byte header.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(3000, 0xa5), 0, 3000, 100);
    fs.closeSync(fd);
    assert.throws(() => openDatabase(file), (error: unknown) => error instanceof LibraryDamagedError && /malformed|not a database/.test(error.message));
    assert.equal(checkDatabaseFile(file).ok, false);
    const { restored, replaced } = restoreBackup(dir, file, backup.name);
    assert.equal(restored.name, backup.name);
    assert.match(replaced!, /iris\.db\.damaged-/);
    assert.ok(fs.existsSync(replaced!), 'the damaged file is kept');
    assert.equal(folderCount(file), 1, 'the restored database has the data');
    openDatabase(file).close();
    assert.throws(() => restoreBackup(dir, file, 'iris-nope.db'), /no backup named/);
  });

  it('backs up before a migration, keeps the newest of each kind, and keeps what a restore replaces', () => {
    const dir = tempDir('iris-backup-migrate-');
    const file = path.join(dir, 'iris.db');
    const old = new Database(file);
    migrate(old, latestVersion - 1);
    old.prepare(`INSERT INTO folders (path, added_at) VALUES ('/photos', 1)`).run();
    old.close();
    openDatabase(file).close();
    const [pre] = listBackups(dir);
    assert.equal(pre?.kind, 'pre-migration');
    assert.deepEqual(checkDatabaseFile(pre!.file), { ok: true, schema: latestVersion - 1 }, 'the backup is the database as it was before');
    // A new library (nothing to lose) and an up-to-date one are not backed up on open.
    openDatabase(file).close();
    openDatabase(path.join(tempDir(), 'iris.db')).close();
    assert.equal(listBackups(dir).length, 1);

    const db = openDatabase(file);
    for (let i = 0; i < 7; i++) backupNow(db, dir, 'manual');
    db.close();
    const manual = listBackups(dir).filter((backup) => backup.kind === 'manual');
    assert.equal(manual.length, 5, 'the newest five manual backups are kept');
    const { replaced } = restoreBackup(dir, file, pre!.name);
    assert.match(path.basename(replaced!), /^iris-.*-pre-restore\.db$/);
    assert.deepEqual(checkDatabaseFile(file), { ok: true, schema: latestVersion - 1 });
    openDatabase(file).close(); // migrates the restored database again (after another backup)
  });

  it('a long-running engine takes a daily backup on its heartbeat, through the online backup API', async () => {
    const folder = tempDir('iris-backup-photos-');
    await makePhoto(path.join(folder, 'a.jpg'), { seed: 1 });
    const dir = tempDir('iris-backup-daily-');
    const engine = Engine.open({ libraryDir: dir, modelsDir: tempDir('iris-no-models-'), jobHeartbeatMs: 50 });
    try {
      await engine.index([folder]);
      const daily = await waitFor(() => listBackups(dir).find((backup) => backup.kind === 'daily'), 10_000, 'a daily backup');
      const copy = new Database(daily.file, { readonly: true });
      assert.equal(copy.prepare('SELECT count(*) FROM photos').pluck().get(), 1);
      copy.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(listBackups(dir).filter((backup) => backup.kind === 'daily').length, 1, 'one a day');
    } finally {
      await engine.close();
    }
  });
});
