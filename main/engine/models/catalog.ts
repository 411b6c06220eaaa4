import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The model catalog: every model Iris can use, as data (models/catalog.json). The runtime never
 * guesses a file, an input name or a preprocessing constant: it reads them here, and a file is
 * only loaded after its sha256 matches the catalog.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits');

const TensorSpec = z.object({
  name: z.string().min(1),
  dtype: z.enum(['float32', 'float16', 'int64', 'int32', 'uint8', 'int8', 'bool']),
  /** Dimensions; strings name symbolic axes ("batch"). */
  shape: z.array(z.union([z.number().int().positive(), z.string()])),
});

export const ModelFileSchema = z.object({
  /** Path inside the model's folder, with forward slashes (e.g. "onnx/vision_model.onnx"). */
  path: z.string().min(1).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'path must stay inside the model folder'),
  bytes: z.number().int().nonnegative(),
  sha256,
  /** Where to download it; default: the source repo at its pinned revision. */
  url: z.url().optional(),
});

export const ModelEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'ids are lowercase letters, digits, dots and dashes'),
  task: z.enum(['clip', 'caption', 'vqa', 'diffusion', 'controlnet']),
  title: z.string().min(1),
  licence: z.string().min(1),
  source: z.object({
    /** Hugging Face repository ("owner/name") and the revision (commit) the hashes belong to. */
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
    revision: z.string().min(1),
    /** Base URL the files are served from; default https://huggingface.co. */
    baseUrl: z.url().optional(),
  }),
  /** Which precision this entry is (variants of one model share a `family`). */
  dtype: z.enum(['fp32', 'fp16', 'q8', 'q4', 'mixed']).default('fp32'),
  family: z.string().optional(),
  default: z.boolean().default(false),
  files: z.array(ModelFileSchema).min(1),
  /** Inputs and outputs per ONNX file, by the file's path. */
  io: z.record(z.string(), z.object({ inputs: z.array(TensorSpec), outputs: z.array(TensorSpec) })).default({}),
  /** Task-specific constants (image size, mean/std, token ids, logit scale, ...). */
  preprocessing: z.record(z.string(), z.unknown()).default({}),
  notes: z.string().optional(),
});

export const CatalogSchema = z.object({
  version: z.literal(1),
  models: z.array(ModelEntrySchema),
});

export type ModelFile = z.infer<typeof ModelFileSchema>;
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type Catalog = z.infer<typeof CatalogSchema>;

export const CATALOG_FILE = 'catalog.json';

/** Reads and validates `<modelsDir>/catalog.json`; errors name the file and the bad field. */
export function loadCatalog(modelsDir: string): Catalog {
  const file = path.join(modelsDir, CATALOG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read model catalog ${file}: ${(error as Error).message}`);
  }
  const parsed = CatalogSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid model catalog ${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const ids = new Set<string>();
  for (const model of parsed.data.models) {
    if (ids.has(model.id)) throw new Error(`invalid model catalog ${file}: duplicate id ${model.id}`);
    ids.add(model.id);
  }
  return parsed.data;
}

/** The URL a catalog file is downloaded from. */
export function fileUrl(model: ModelEntry, file: ModelFile): string {
  if (file.url) return file.url;
  const base = model.source.baseUrl ?? 'https://huggingface.co';
  return `${base.replace(/\/$/, '')}/${model.source.repo}/resolve/${encodeURIComponent(model.source.revision)}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Where a model's files live: `<modelsDir>/<id>/<file.path>`. */
export function modelFilePath(modelsDir: string, model: ModelEntry, file: ModelFile): string {
  return path.join(modelsDir, model.id, ...file.path.split('/'));
}
