import type Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { asarUnpackedPath } from './asar-path.js';

/**
 * Loads sqlite-vec into a connection: every connection that reads or copies a library's vec0
 * tables needs it. In the packaged app getLoadablePath() points inside app.asar, where SQLite's
 * own dlopen cannot look, hence the unpacked path.
 */
export function loadVectorExtension(db: Database.Database): void {
  db.loadExtension(asarUnpackedPath(sqliteVec.getLoadablePath()));
}
