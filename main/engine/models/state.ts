import fs from 'node:fs';
import { type ModelEntry, modelFilePath } from './catalog.js';
import { expectedFromLocal } from './download.js';

/** A model's files on disk, judged without hashing (list stays instant; `verify` hashes). */
export type ModelState = 'installed' | 'missing' | 'partial' | 'corrupt' | 'unpinned';

/** Total bytes of a model, when every file's size is known (from the catalog or pinned.json). */
export function modelBytes(modelsDir: string, model: ModelEntry): number | null {
  let total = 0;
  for (const file of model.files) {
    const expected = expectedFromLocal(modelsDir, model, file);
    if (!expected) return null;
    total += expected.bytes;
  }
  return total;
}

export function modelState(modelsDir: string, model: ModelEntry): ModelState {
  let present = 0;
  let unpinned = false;
  let partial = false;
  for (const file of model.files) {
    const target = modelFilePath(modelsDir, model, file);
    const stat = fs.statSync(target, { throwIfNoEntry: false });
    if (fs.existsSync(`${target}.part`)) partial = true;
    if (!stat) continue;
    present++;
    const expected = expectedFromLocal(modelsDir, model, file);
    if (!expected) unpinned = true;
    else if (stat.size !== expected.bytes) return 'corrupt';
  }
  if (present === 0) return partial ? 'partial' : 'missing';
  if (present < model.files.length) return 'partial';
  return unpinned ? 'unpinned' : 'installed';
}

export function hasAnyFile(modelsDir: string, model: ModelEntry): boolean {
  return model.files.some((file) => fs.existsSync(modelFilePath(modelsDir, model, file)));
}

