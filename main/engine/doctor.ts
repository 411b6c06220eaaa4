import fs from 'node:fs';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { irisVersion } from '../version.js';
import type { Engine } from './engine.js';

export interface DoctorReport {
  versions: Record<string, string>;
  library: { path: string; database: string; databaseBytes: number; schemaVersion: number };
  counts: ReturnType<Engine['store']['counts']>;
  jobs: ReturnType<Engine['store']['jobs']['counts']>;
  integrity: string;
  executionProviders: { name: string; bundled: boolean }[];
  recentProblems: { at: string; scope: string; path: string | null; message: string }[];
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** Everything a bug report needs, gathered without changing the library. */
export async function runDoctor(engine: Engine): Promise<DoctorReport> {
  const db = engine.database;
  const sqlite = db.prepare(`SELECT sqlite_version() AS sqlite, vec_version() AS vec`).get() as { sqlite: string; vec: string };
  const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; ');
  let executionProviders: DoctorReport['executionProviders'] = [];
  try {
    // Loaded only here: the runtime is large, and nothing else in the foundation needs it yet.
    const ort = await import('onnxruntime-node');
    executionProviders = ort.listSupportedBackends().map((backend) => ({ name: backend.name, bundled: backend.bundled }));
  } catch (error) {
    executionProviders = [{ name: `onnxruntime-node failed to load: ${(error as Error).message}`, bundled: false }];
  }
  const problems = db.prepare(`SELECT at, scope, path, message FROM problems ORDER BY id DESC LIMIT 10`).all() as { at: number; scope: string; path: string | null; message: string }[];
  return {
    versions: {
      iris: irisVersion,
      node: process.versions.node,
      electron: process.versions.electron ?? 'not running in Electron',
      sqlite: sqlite.sqlite,
      'sqlite-vec': sqlite.vec,
      'better-sqlite3': packageVersion('better-sqlite3'),
      sharp: sharp.versions.sharp ?? packageVersion('sharp'),
      libvips: sharp.versions.vips,
      'onnxruntime-node': packageVersion('onnxruntime-node'),
      chokidar: packageVersion('chokidar'),
    },
    library: {
      path: engine.layout.dir,
      database: engine.layout.database,
      databaseBytes: fs.statSync(engine.layout.database).size,
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
    },
    counts: engine.store.counts(),
    jobs: engine.store.jobs.counts(),
    integrity,
    executionProviders,
    recentProblems: problems.map((p) => ({ ...p, at: new Date(p.at).toISOString() })),
  };
}
