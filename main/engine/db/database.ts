import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { asarUnpackedPath } from './asar-path.js';
import { migrate } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) a library database: WAL so that `iris list` reads while `iris watch`
 * writes, a busy timeout so two writer processes wait for each other instead of failing,
 * sqlite-vec loaded for the embedding tables, and every migration applied.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  // In the packaged app getLoadablePath() points inside app.asar, where SQLite's own dlopen cannot look.
  db.loadExtension(asarUnpackedPath(sqliteVec.getLoadablePath()));
  if (!options.readonly) migrate(db);
  return db;
}
