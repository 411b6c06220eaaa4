import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { backupNow, listBackups } from './backups.js';
import { latestVersion, migrate } from './migrations.js';
import { loadVectorExtension } from './vector-extension.js';
import { errorMessage } from '../errors.js';
import { UserFacingError } from '../errors.js';

export type Db = Database.Database;

/**
 * A library database that SQLite cannot use (emptied to 0 bytes, not a database, malformed). Iris
 * refuses to open it rather than treat it as a new library, which would hide every caption, edit
 * and setting: the message names the newest backup and the command that restores it.
 */
export class LibraryDamagedError extends UserFacingError {
  readonly callCode = 'usage';

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    const newest = listBackups(path.dirname(file))[0];
    const restore = newest
      ? `restore the newest backup (${newest.name}, ${new Date(newest.takenAt).toLocaleString()}) with \`iris library restore ${newest.name}\``
      : 'there is no backup of it in the library folder; move the file away to start a new library';
    super(`the library database ${file} is damaged (${reason}) and was not opened: ${restore}`);
    this.name = 'LibraryDamagedError';
  }
}

/** SQLite's codes for a file that is not (or no longer) a usable database. */
const DAMAGED = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/**
 * Opens (creating if needed) a library database: WAL so that `iris list` reads while `iris watch`
 * writes, a busy timeout so two writer processes wait for each other instead of failing,
 * sqlite-vec loaded for the embedding tables, and every migration applied, after a backup of a
 * database that had data (backups.ts). An existing file that is empty or that SQLite calls damaged
 * is refused (LibraryDamagedError).
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  try {
    return openOnce(file, options);
  } catch (error) {
    // Reading a WAL database needs its -shm file, which SQLite cannot create in a folder this
    // process may not write (a read-only share after a clean close): read a private copy instead.
    const code = (error as { code?: string }).code ?? '';
    if (!options.readonly || !code.startsWith('SQLITE_CANTOPEN') && !code.startsWith('SQLITE_READONLY')) throw error;
    return openOnce(readableCopy(file), options);
  }
}

/** A copy of a database (and its write-ahead log) in a temporary folder, removed when the process exits. */
function readableCopy(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-read-only-'));
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return copy;
}

function openOnce(file: string, options: { readonly?: boolean }): Db {
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk && fs.existsSync(file) && fs.statSync(file).size === 0) throw new LibraryDamagedError(file, 'the file is empty (0 bytes)');
  let db: Db | null = null;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    db.pragma('busy_timeout = 10000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
      db.pragma('synchronous = NORMAL');
      // Checkpoint every ~40 MB of WAL rather than SQLite's 4 MB: a checkpoint writes the hot pages
      // (vec0's chunk being filled) back into the file once per checkpoint and syncs it, and at a
      // million photos that dominated small embedding commits: 16 per transaction went from
      // 16-20k to 25-32k vectors/s (bench of this machine, 2026-12-07). The WAL file stays that size.
      db.pragma('wal_autocheckpoint = 10000');
    }
    db.pragma('foreign_keys = ON');
    loadVectorExtension(db);
    // Reading the schema is what fails first on a malformed file.
    db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    if (!options.readonly) {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (onDisk && version > 0 && version < latestVersion) backupNow(db, path.dirname(path.resolve(file)), 'pre-migration');
      migrate(db);
    }
    return db;
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code;
    if (onDisk && code && DAMAGED.has(code)) throw new LibraryDamagedError(file, errorMessage(error));
    throw error;
  }
}
