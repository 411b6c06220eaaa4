import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { irisVersion } from '../version.js';
import type { EmbeddingSummary, Engine } from './engine.js';
import type { HeldJobs } from './jobs/queue.js';
import { type BackupInfo, backupsDir, listBackups } from './db/backups.js';
import { type Backend, type Device, type Provider, candidateProviders } from './runtime/devices.js';
import { type ProbeResult, probeProviders, providersToProbe } from './runtime/probe.js';
import { type RuntimeReport, loadOrt, loadRuntimeReport } from './runtime/session.js';
import { type DeviceSource, resolveDeviceWithSource } from './settings.js';
import { errorMessage } from './errors.js';

export interface DoctorReport {
  versions: Record<string, string>;
  library: { path: string; database: string; databaseBytes: number; schemaVersion: number };
  /** The newest backup of the database (db/backups.ts) and how many there are. */
  backups: { newest: BackupInfo | null; count: number; dir: string };
  counts: ReturnType<Engine['store']['counts']>;
  jobs: ReturnType<Engine['store']['jobs']['counts']>;
  /** Running jobs other processes hold, with their owner and lease (doctor names them). */
  heldJobs: HeldJobs[];
  integrity: string;
  /** What onnxruntime-node lists, each tried for real on a tiny model (probe null: Iris never uses it). */
  executionProviders: { name: string; bundled: boolean; listed: boolean; probe: Omit<ProbeResult, 'provider'> | null }[];
  device: {
    /** The --device / IRIS_DEVICE value, if any. */
    requested: string | null;
    /** The library setting, if stored. */
    setting: string | null;
    effective: Device;
    source: DeviceSource;
    /** Providers the effective device tries, in order. */
    tries: Provider[];
    /** The first of those whose probe worked: what a session would get now. */
    resolvesTo: Provider | null;
    autoResolvesTo: Provider | null;
  };
  /** The last session the engine created in this library, with its fallbacks. */
  lastRuntime: RuntimeReport | null;
  /** The library's CLIP model and how many photos it has embedded (see Engine.embeddingSummary). */
  embeddings: EmbeddingSummary & { modelsDir: string };
  recentProblems: { at: string; scope: string; path: string | null; message: string }[];
}

const require = createRequire(import.meta.url);

/**
 * An installed package's version. `<name>/package.json` cannot be required from packages whose
 * `exports` leave it out (chokidar 4), so the package's entry is resolved and the folders above it
 * are searched for the package.json that names it.
 */
function packageVersion(name: string): string {
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    return 'not installed';
  }
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name && manifest.version) return manifest.version;
    } catch {
      // no package.json here (or not readable): look further up
    }
    if (path.dirname(dir) === dir) return 'installed (version unknown)';
  }
}

/** The listed backends (plus the requested device when unlisted), each probed with a real session. */
async function probeExecutionProviders(device: Device): Promise<{ executionProviders: DoctorReport['executionProviders']; backends: Backend[]; probes: ProbeResult[] }> {
  let backends: Backend[];
  try {
    backends = (await loadOrt()).listSupportedBackends();
  } catch (error) {
    const name = `onnxruntime-node failed to load: ${errorMessage(error)}`;
    return { executionProviders: [{ name, bundled: false, listed: false, probe: null }], backends: [], probes: [] };
  }
  const probes = await probeProviders(providersToProbe(device, backends));
  const unlisted = probes.filter((p) => !backends.some((b) => b.name === p.provider)).map((p) => ({ name: p.provider, bundled: false, listed: false }));
  const executionProviders = [...backends.map((b) => ({ ...b, listed: true })), ...unlisted].map((entry) => {
    const probe = probes.find((p) => p.provider === entry.name);
    return { ...entry, probe: probe ? { available: probe.available, reason: probe.reason, ms: probe.ms } : null };
  });
  return { executionProviders, backends, probes };
}

/**
 * The device this library runs models on and what each execution provider does here, every
 * provider probed with a real session (doctor, and the Settings page of the app).
 */
export async function probeDevice(engine: Engine, requested?: string): Promise<Pick<DoctorReport, 'executionProviders'> & { device: Omit<DoctorReport['device'], 'requested'> }> {
  const { device, source } = resolveDeviceWithSource(requested, engine.store);
  const { executionProviders, backends, probes } = await probeExecutionProviders(device);
  // What a session would get now: the first provider the device tries whose probe worked.
  const firstWorking = (wanted: Device) => candidateProviders(wanted, process.platform, backends).find((p) => probes.some((r) => r.provider === p && r.available)) ?? null;
  return {
    executionProviders,
    device: {
      setting: engine.store.getSetting('device') ?? null,
      effective: device,
      source,
      tries: candidateProviders(device, process.platform, backends),
      resolvesTo: firstWorking(device),
      autoResolvesTo: firstWorking('auto'),
    },
  };
}

/** Everything a bug report needs, gathered without changing the library. */
export async function runDoctor(engine: Engine, options: { device?: string } = {}): Promise<DoctorReport> {
  const db = engine.database;
  const sqlite = db.prepare(`SELECT sqlite_version() AS sqlite, vec_version() AS vec`).get() as { sqlite: string; vec: string };
  const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; ');
  const probed = await probeDevice(engine, options.device);
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
    backups: (() => {
      const all = listBackups(engine.layout.dir);
      return { newest: all[0] ?? null, count: all.length, dir: backupsDir(engine.layout.dir) };
    })(),
    counts: engine.store.counts(),
    jobs: engine.store.jobs.counts(),
    heldJobs: engine.store.jobs.heldElsewhere(),
    integrity,
    executionProviders: probed.executionProviders,
    device: { requested: options.device ?? null, ...probed.device },
    lastRuntime: loadRuntimeReport(engine.store),
    embeddings: { ...engine.clip.embeddingSummary(), modelsDir: engine.modelsDir },
    recentProblems: problems.map((p) => ({ ...p, at: new Date(p.at).toISOString() })),
  };
}
