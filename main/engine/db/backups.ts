import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './database.js';
import { loadVectorExtension } from './vector-extension.js';
import { errorMessage } from '../errors.js';

/**
 * Backups of a library's database, in `<library>/backups/`, each a complete SQLite database taken
 * by SQLite itself, so it is consistent even while other processes write:
 *
 * - `pre-migration`: VACUUM INTO, synchronously, before the schema is changed (migrate() cannot
 *   wait for an asynchronous copy, and a failed migration must find its backup already there);
 * - `daily`: the online backup API (better-sqlite3's db.backup, which copies in steps and lets
 *   other work run between them), at most once a day while an engine has the library open;
 * - `manual`: `iris library backup`; `pre-restore`: the database a restore replaced.
 *
 * Each kind keeps its newest KEEP[kind]. Everything is in a backup, CLIP vectors included (about
 * 2 KB a photo), so a restore needs no re-embedding; at a million photos a backup is ~2 GB.
 * Files are written under a temporary name and renamed, so a listed backup is always whole.
 */

export type BackupKind = 'daily' | 'pre-migration' | 'manual' | 'pre-restore';
const KINDS: readonly BackupKind[] = ['daily', 'pre-migration', 'manual', 'pre-restore'];
const KEEP: Record<BackupKind, number> = { daily: 3, 'pre-migration': 2, manual: 5, 'pre-restore': 2 };
export const DAILY_MS = 24 * 3600 * 1000;

export interface BackupInfo {
  name: string;
  file: string;
  kind: BackupKind;
  /** When it was taken (ms since the epoch, from its name). */
  takenAt: number;
  bytes: number;
}

/** iris-20261207T190512345Z-daily.db: sortable, and the time survives a copy that resets mtimes. */
const NAME = /^iris-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-([a-z-]+)\.db$/;

export function backupsDir(libraryDir: string): string {
  return path.join(libraryDir, 'backups');
}

function nameFor(kind: BackupKind, at: Date): string {
  return `iris-${at.toISOString().replace(/[-:.]/g, '')}-${kind}.db`;
}

/** The library's backups, newest first. */
export function listBackups(libraryDir: string): BackupInfo[] {
  const dir = backupsDir(libraryDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const found: BackupInfo[] = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (!match || !KINDS.includes(match[8] as BackupKind)) continue;
    const [year, month, day, hour, minute, second, ms] = match.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
    const file = path.join(dir, name);
    found.push({ name, file, kind: match[8] as BackupKind, takenAt: Date.UTC(year, month - 1, day, hour, minute, second, ms), bytes: fs.statSync(file).size });
  }
  return found.sort((a, b) => b.takenAt - a.takenAt || b.name.localeCompare(a.name));
}

function targetFor(libraryDir: string, kind: BackupKind): { file: string; temporary: string } {
  const dir = backupsDir(libraryDir);
  fs.mkdirSync(dir, { recursive: true });
  let at = Date.now();
  // Two backups of a kind within one millisecond (tests): the later one a millisecond on.
  while (fs.existsSync(path.join(dir, nameFor(kind, new Date(at))))) at++;
  const file = path.join(dir, nameFor(kind, new Date(at)));
  return { file, temporary: `${file}.${process.pid}.tmp` };
}

function finish(libraryDir: string, kind: BackupKind, temporary: string, file: string): BackupInfo {
  fs.renameSync(temporary, file);
  prune(libraryDir, kind);
  return listBackups(libraryDir).find((backup) => backup.file === file)!;
}

/** A backup now, synchronously (VACUUM INTO); for before a migration, and `iris library backup`. */
export function backupNow(db: Db, libraryDir: string, kind: BackupKind): BackupInfo {
  const { file, temporary } = targetFor(libraryDir, kind);
  try {
    db.prepare('VACUUM INTO ?').run(temporary);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return finish(libraryDir, kind, temporary, file);
}

/** A backup through the online backup API, in steps, while the engine goes on working. */
export async function backupOnline(db: Db, libraryDir: string, kind: BackupKind): Promise<BackupInfo> {
  const { file, temporary } = targetFor(libraryDir, kind);
  try {
    await db.backup(temporary);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return finish(libraryDir, kind, temporary, file);
}

function prune(libraryDir: string, kind: BackupKind): void {
  for (const old of listBackups(libraryDir).filter((backup) => backup.kind === kind).slice(KEEP[kind])) fs.rmSync(old.file, { force: true });
}

/** Whether a file is a readable SQLite database that passes a quick check; its schema version. */
export function checkDatabaseFile(file: string): { ok: true; schema: number } | { ok: false; error: string } {
  try {
    if (fs.statSync(file).size === 0) return { ok: false, error: 'the file is empty (0 bytes)' };
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const check = db.pragma('quick_check', { simple: true }) as string;
      if (check !== 'ok') return { ok: false, error: `SQLite's check failed: ${check}` };
      return { ok: true, schema: db.pragma('user_version', { simple: true }) as number };
    } finally {
      db.close();
    }
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

/**
 * Puts a backup in place of the library's database. The backup is checked first; the database it
 * replaces is kept as a `pre-restore` backup when SQLite can still read it, else renamed beside it
 * (`iris.db.damaged-<time>`), never deleted. The library must not be open elsewhere meanwhile.
 */
export function restoreBackup(libraryDir: string, databaseFile: string, name: string): { restored: BackupInfo; replaced: string | null } {
  const backup = listBackups(libraryDir).find((candidate) => candidate.name === name);
  if (!backup) throw new Error(`no backup named ${name} in ${backupsDir(libraryDir)} (see \`iris library backups\`)`);
  const checked = checkDatabaseFile(backup.file);
  if (!checked.ok) throw new Error(`backup ${name} cannot be used: ${checked.error}`);
  let replaced: string | null = null;
  if (fs.existsSync(databaseFile)) {
    const current = checkDatabaseFile(databaseFile);
    if (current.ok) {
      const db = new Database(databaseFile, { fileMustExist: true });
      try {
        loadVectorExtension(db);
        replaced = backupNow(db, libraryDir, 'pre-restore').file;
      } finally {
        db.close();
      }
    } else {
      replaced = `${databaseFile}.damaged-${new Date().toISOString().replace(/[-:.]/g, '')}`;
      fs.renameSync(databaseFile, replaced);
    }
  }
  // The old database's write-ahead log belongs to it, not to the restored file.
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${databaseFile}${suffix}`, { force: true });
  const temporary = `${databaseFile}.${process.pid}.restoring`;
  fs.copyFileSync(backup.file, temporary);
  fs.renameSync(temporary, databaseFile);
  return { restored: backup, replaced };
}
