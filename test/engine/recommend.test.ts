import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { recommendModels } from '../../main/engine/models/recommend.js';
import { repoRoot } from '../helpers/fixtures.js';

/** The recommended set, on the catalog Iris ships: the variant of each family that the device runs best. */
describe('recommended models for this machine', () => {
  const catalog = loadCatalog(path.join(repoRoot, 'models'));
  const ids = (gpu: boolean, chosen: Record<string, string> = {}, installed: (id: string) => boolean = () => false) =>
    recommendModels(catalog, gpu, chosen, (model) => installed(model.id)).map((model) => model.id);

  it('on a CPU: the 8-bit variants (fastest there, a quarter of the download)', () => {
    assert.deepEqual(ids(false), ['clip-vit-b32-q8', 'florence-2-base-ft', 'smolvlm-256m-instruct']);
  });

  it('on a GPU: half precision where the family has it, else what it has', () => {
    assert.deepEqual(ids(true), ['clip-vit-b32-fp16', 'florence-2-base-ft-gpu', 'smolvlm-256m-instruct']);
  });

  it('follows the family the library chose, and keeps a chosen model that is already downloaded', () => {
    assert.deepEqual(ids(false, { clip: 'chinese-clip-vit-b16' }), ['chinese-clip-vit-b16-q8', 'florence-2-base-ft', 'smolvlm-256m-instruct']);
    assert.deepEqual(ids(false, { clip: 'chinese-clip-vit-b16' }, (id) => id === 'chinese-clip-vit-b16'), ['chinese-clip-vit-b16', 'florence-2-base-ft', 'smolvlm-256m-instruct']);
  });
});
