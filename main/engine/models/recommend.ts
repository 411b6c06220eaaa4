import type { Catalog, ModelEntry } from './catalog.js';

/** The tasks a first run sets up: search, captions and questions (Stable Diffusion is gigabytes, and asked for by choice). */
export const RECOMMENDED_TASKS = ['clip', 'caption', 'vqa'] as const;
export type RecommendedTask = (typeof RECOMMENDED_TASKS)[number];

/**
 * Precisions a device runs best, best first. A GPU runs half precision natively and its memory
 * is the limit; a CPU runs 8-bit integer kernels fastest, and they are a quarter of fp32's download.
 */
const PREFERENCE: Record<'gpu' | 'cpu', readonly ModelEntry['dtype'][]> = {
  gpu: ['fp16', 'q4f16', 'mixed', 'fp32', 'q8', 'q4'],
  cpu: ['q8', 'fp32', 'q4', 'mixed', 'fp16', 'q4f16'],
};

/**
 * The models to set this library up with on this machine, one per task: the one the library
 * uses when it is already downloaded (never switch what works), else the variant of its family
 * (the chosen model's, else the catalog's default) whose precision suits the device best.
 */
export function recommendModels(catalog: Catalog, gpu: boolean, chosen: Partial<Record<RecommendedTask, string>>, installed: (model: ModelEntry) => boolean): ModelEntry[] {
  const order = PREFERENCE[gpu ? 'gpu' : 'cpu'];
  const picks: ModelEntry[] = [];
  for (const task of RECOMMENDED_TASKS) {
    const candidates = catalog.models.filter((model) => model.task === task);
    const base = candidates.find((model) => model.id === chosen[task]) ?? candidates.find((model) => model.default) ?? candidates[0];
    if (!base) continue;
    if (chosen[task] === base.id && installed(base)) {
      picks.push(base);
      continue;
    }
    const family = base.family ?? base.id;
    const variants = candidates.filter((model) => (model.family ?? model.id) === family);
    const rank = (model: ModelEntry) => {
      const index = order.indexOf(model.dtype);
      return index < 0 ? order.length : index;
    };
    picks.push(variants.reduce((best, model) => (rank(model) < rank(best) ? model : best), base));
  }
  return picks;
}
