import fs from 'node:fs';
import path from 'node:path';
import { type ModelEntry, modelFilePath } from './catalog.js';
import { checkFile } from './download.js';
import { UserFacingError } from '../errors.js';

/**
 * "A bad model file is caught by sha256 before it is loaded" without hashing 600 MB on every
 * `iris search`: a file is hashed once, and its (size, mtime, inode) at that moment are kept in
 * `<model>/.verified.json`. Any later change to the file changes one of them and it is hashed
 * again. (A bit flip that leaves size and mtime alone is not seen; `iris models verify` hashes
 * everything.)
 */
interface Stamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

const STAMP_FILE = '.verified.json';

export class ModelNotInstalledError extends UserFacingError {
  readonly callCode = 'usage';

  override readonly modelToInstall: string;

  constructor(readonly modelId: string, detail: string) {
    super(`model ${modelId} is not installed (${detail}): run \`iris models install ${modelId}\``);
    this.name = 'ModelNotInstalledError';
    this.modelToInstall = modelId;
  }
}

export class ModelCorruptError extends UserFacingError {
  readonly callCode = 'usage';

  override readonly modelToInstall: string;

  constructor(readonly modelId: string, file: string, state: string) {
    super(`model ${modelId}: ${file} is ${state.replace('-', ' ')}; run \`iris models install ${modelId}\` to fetch it again`);
    this.name = 'ModelCorruptError';
    this.modelToInstall = modelId;
  }
}

/** Cheap check (no hashing): every file of the model is present. */
export function isInstalled(modelsDir: string, model: ModelEntry, only?: readonly string[]): boolean {
  return model.files.filter((file) => !only || only.includes(file.path)).every((file) => fs.existsSync(modelFilePath(modelsDir, model, file)));
}

function stampOf(file: string): Stamp | undefined {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino } : undefined;
}

function sameStamp(a: Stamp | undefined, b: Stamp | undefined): boolean {
  return !!a && !!b && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/**
 * Makes sure the named files of a model (all when `only` is not given) are present and match the
 * catalog's sha256, hashing only files that changed since they were last verified. Throws
 * ModelNotInstalledError or ModelCorruptError with what to do.
 */
export async function ensureVerified(modelsDir: string, model: ModelEntry, only?: readonly string[]): Promise<void> {
  const stampsFile = path.join(modelsDir, model.id, STAMP_FILE);
  let stamps: Record<string, Stamp> = {};
  try {
    stamps = JSON.parse(fs.readFileSync(stampsFile, 'utf8')) as Record<string, Stamp>;
  } catch {
    // no stamps yet (or unreadable ones): everything is hashed
  }
  let changed = false;
  for (const file of model.files.filter((f) => !only || only.includes(f.path))) {
    const target = modelFilePath(modelsDir, model, file);
    const stamp = stampOf(target);
    if (!stamp) throw new ModelNotInstalledError(model.id, `${file.path} is missing`);
    if (sameStamp(stamps[file.path], stamp)) continue;
    const state = await checkFile(modelsDir, model, file);
    if (state === 'missing') throw new ModelNotInstalledError(model.id, `${file.path} is missing`);
    if (state !== 'ok') throw new ModelCorruptError(model.id, file.path, state);
    stamps[file.path] = stamp;
    changed = true;
  }
  if (changed) {
    // Written whole then renamed, so a reader never sees half a file; a lost race only costs a re-hash.
    const temp = `${stampsFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(stamps, null, 2));
    fs.renameSync(temp, stampsFile);
  }
}
