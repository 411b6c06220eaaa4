import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../../main/engine/db/database.js';
import { latestVersion, migrate, migrations } from '../../main/engine/db/migrations.js';
import { tempDir } from '../helpers/fixtures.js';

const tables = (db: Database.Database) => db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
const version = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;

describe('migrations', () => {
  it('are numbered 1..n without gaps', () => {
    assert.deepEqual(migrations.map((m) => m.version), Array.from({ length: migrations.length }, (_, i) => i + 1));
    assert.equal(latestVersion, migrations.length);
  });

  it('1 creates folders, photos and locations with the identity constraints', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    assert.equal(version(db), 1);
    assert.deepEqual(tables(db), ['folders', 'locations', 'photos']);
    db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/p', 0)`).run();
    db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES ('h', 1, 0)`).run();
    assert.throws(() => db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES ('h', 1, 0)`).run(), /UNIQUE/);
    assert.throws(() => db.prepare(`INSERT INTO photos (hash, size, added_at, status) VALUES ('x', 1, 0, 'weird')`).run(), /CHECK/);
    db.prepare(`INSERT INTO locations (photo_id, folder_id, path, size, mtime_ms, added_at) VALUES (1, 1, '/p/a.jpg', 1, 0, 0)`).run();
    assert.throws(() => db.prepare(`INSERT INTO locations (photo_id, folder_id, path, size, mtime_ms, added_at) VALUES (1, 1, '/p/a.jpg', 1, 0, 0)`).run(), /UNIQUE/);
  });

  it('2 adds the job queue on top of existing photos, one job per kind and photo', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES ('h', 1, 0)`).run();
    migrate(db, 2);
    assert.equal(version(db), 2);
    assert.ok(tables(db).includes('jobs'));
    db.prepare(`INSERT INTO jobs (kind, photo_id, updated_at) VALUES ('thumbnail', 1, 0)`).run();
    assert.throws(() => db.prepare(`INSERT INTO jobs (kind, photo_id, updated_at) VALUES ('thumbnail', 1, 0)`).run(), /UNIQUE/);
    assert.equal(db.prepare(`SELECT state FROM jobs`).pluck().get(), 'pending');
  });

  it('3 adds problems and settings and keeps earlier data', () => {
    const db = new Database(':memory:');
    migrate(db, 2);
    db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/kept', 0)`).run();
    migrate(db, 3);
    assert.equal(version(db), 3);
    assert.ok(tables(db).includes('problems') && tables(db).includes('settings'));
    assert.equal(db.prepare(`SELECT path FROM folders`).pluck().get(), '/kept');
  });

  it('4 adds the embedding-model registry and tags, which go with their photo', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 3);
    db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES ('h', 1, 0)`).run();
    migrate(db, 4);
    assert.equal(version(db), 4);
    db.prepare(`INSERT INTO embedding_models (model_id, table_name, dim, created_at) VALUES ('clip', 'vec_clip_1', 512, 0)`).run();
    assert.throws(() => db.prepare(`INSERT INTO embedding_models (model_id, table_name, dim, created_at) VALUES ('other', 'vec_clip_1', 512, 0)`).run(), /UNIQUE/, 'one table per model');
    const tag = db.prepare(`INSERT INTO tags (photo_id, label, score, source, created_at) VALUES (?, ?, ?, 'clip', 0)`);
    tag.run(1, 'beach', 0.7);
    assert.throws(() => tag.run(1, 'beach', 0.2), /UNIQUE|PRIMARY KEY/, 'one score per label and photo');
    assert.throws(() => tag.run(99, 'dog', 0.5), /FOREIGN KEY/);
    db.prepare(`DELETE FROM photos WHERE id = 1`).run();
    assert.equal(db.prepare(`SELECT count(*) FROM tags`).pluck().get(), 0);
  });

  it('7 gives running jobs an owner and a lease, and keeps the jobs there were', () => {
    const db = new Database(':memory:');
    migrate(db, 6);
    db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES ('h', 1, 0)`).run();
    db.prepare(`INSERT INTO jobs (kind, photo_id, state, owner_pid, updated_at) VALUES ('thumbnail', 1, 'running', 4242, 0)`).run();
    migrate(db, 7);
    assert.equal(version(db), 7);
    assert.deepEqual(db.prepare(`SELECT state, owner_pid AS ownerPid, owner, lease_until AS leaseUntil FROM jobs`).get(), { state: 'running', ownerPid: 4242, owner: null, leaseUntil: null });
  });

  it('5 adds captions with a full-text index kept in step, and conversations that go with their photo', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 4);
    db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES ('h', 1, 0)`).run();
    migrate(db, 5);
    assert.equal(version(db), 5);
    const match = (word: string) => db.prepare(`SELECT rowid FROM captions_fts WHERE captions_fts MATCH ?`).pluck().all(word);
    db.prepare(`INSERT INTO captions (photo_id, text, model, detail, created_at, updated_at) VALUES (1, 'A dog on the beach', 'm', 'brief', 0, 0)`).run();
    assert.deepEqual(match('beach'), [1]);
    db.prepare(`UPDATE captions SET text = 'A cat indoors' WHERE photo_id = 1`).run();
    assert.deepEqual([match('beach'), match('cat')], [[], [1]]);
    assert.throws(() => db.prepare(`INSERT INTO captions (photo_id, text, model, detail, created_at, updated_at) VALUES (1, 'x', 'm', 'long', 0, 0)`).run(), /CHECK|UNIQUE/);
    db.prepare(`INSERT INTO conversations (photo_id, provider, model, title, created_at, updated_at) VALUES (1, 'local', 'm', 'q', 0, 0)`).run();
    db.prepare(`INSERT INTO messages (conversation_id, role, text, created_at) VALUES (1, 'user', 'q', 0)`).run();
    db.prepare(`DELETE FROM photos WHERE id = 1`).run();
    assert.deepEqual([db.prepare(`SELECT count(*) FROM captions`).pluck().get(), db.prepare(`SELECT count(*) FROM messages`).pluck().get(), match('cat')], [0, 0, []]);
  });

  it('6 adds edits, which outlive the photo they were made from', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 5);
    db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES ('h', 1, 0)`).run();
    migrate(db, 6);
    assert.equal(version(db), 6);
    db.prepare(`INSERT INTO edits (source_photo_id, mode, params, output_path, created_at, duration_ms) VALUES (1, 'img2img', '{"seed":1}', '/out/a.png', 1, 2)`).run();
    assert.throws(() => db.prepare(`INSERT INTO edits (mode, params, output_path, created_at, duration_ms) VALUES ('paint', '{}', '/o', 1, 1)`).run(), /CHECK/);
    assert.throws(() => db.prepare(`INSERT INTO edits (mode, params, output_path, created_at, duration_ms) VALUES ('txt2img', 'not json', '/o', 1, 1)`).run(), /CHECK/);
    db.prepare(`DELETE FROM photos WHERE id = 1`).run();
    assert.deepEqual(db.prepare(`SELECT source_photo_id, output_path FROM edits`).get(), { source_photo_id: null, output_path: '/out/a.png' });
  });

  it('runs each step in a transaction: a failing step leaves the previous version intact', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    db.exec(`CREATE TABLE jobs (id INTEGER)`); // makes migration 2's CREATE TABLE fail
    assert.throws(() => migrate(db, 2), /already exists/);
    assert.equal(version(db), 1);
    assert.deepEqual(db.prepare(`PRAGMA table_info(jobs)`).all().length, 1);
  });

  it('is idempotent, and two connections opening a new library both succeed', () => {
    const file = path.join(tempDir(), 'iris.db');
    const first = openDatabase(file);
    const second = openDatabase(file);
    assert.equal(version(first), latestVersion);
    assert.equal(version(second), latestVersion);
    assert.equal(first.pragma('journal_mode', { simple: true }), 'wal');
    first.close();
    second.close();
  });

  it('refuses a library made by a newer Iris', () => {
    const file = path.join(tempDir(), 'iris.db');
    const db = new Database(file);
    db.pragma(`user_version = ${latestVersion + 5}`);
    db.close();
    assert.throws(() => openDatabase(file), /newer Iris/);
  });
});
