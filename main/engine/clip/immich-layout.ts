import fs from 'node:fs';
import path from 'node:path';
import type { ModelEntry } from '../models/catalog.js';
import type { ClipPreprocessing } from './preprocessing.js';

/**
 * Immich's layout of a CLIP model (`immich-app/<model>` on Hugging Face, exported from open_clip
 * or M-CLIP):
 *
 *   config.json                  open_clip's model config: embed_dim, vision_cfg, text_cfg
 *                                (context_length, hf_tokenizer_name, tokenizer_kwargs.clean)
 *   visual/model.onnx            image [1, 3, S, S] float32 -> embedding (L2-normalised)
 *   visual/preprocess_cfg.json   size, mean, std, interpolation, resize_mode ("shortest"|"squash")
 *   textual/model.onnx           text [1, context_length] int32 -> embedding (L2-normalised)
 *                                (M-CLIP: input_ids and attention_mask)
 *   textual/tokenizer.json, tokenizer_config.json, special_tokens_map.json
 *
 * The catalog entry carries the same facts as data (its `preprocessing`), so one loader
 * (ClipModel) runs every layout; this file checks, when a tower opens, that the downloaded
 * configuration says what the catalog says. A catalog entry that misdescribes its files (another
 * mean and std, a crop where the model squashes, another context length) fails with the two
 * values instead of embedding every photo slightly wrong.
 */

const PREPROCESS_CFG = 'visual/preprocess_cfg.json';
const MODEL_CONFIG = 'config.json';

function isImmichLayout(entry: ModelEntry): boolean {
  return entry.files.some((file) => file.path === PREPROCESS_CFG);
}

/** The configuration files a tower of an Immich-layout entry is checked against (none for other layouts). */
export function immichConfigFiles(entry: ModelEntry, tower: 'vision' | 'text'): string[] {
  if (!isImmichLayout(entry)) return [];
  const present = new Set(entry.files.map((file) => file.path));
  return (tower === 'vision' ? [MODEL_CONFIG, PREPROCESS_CFG] : [MODEL_CONFIG]).filter((file) => present.has(file));
}

interface OpenClipConfig {
  embed_dim?: number;
  text_cfg?: { context_length?: number; tokenizer_kwargs?: { clean?: string } };
}

interface PreprocessCfg {
  size?: number | number[];
  mean?: number[];
  std?: number[];
  interpolation?: string;
  resize_mode?: string;
}

function readJson<T>(modelDir: string, file: string): T {
  try {
    return JSON.parse(fs.readFileSync(path.join(modelDir, ...file.split('/')), 'utf8')) as T;
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

const close = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= 1e-6);

/** Throws when an Immich-layout model's own configuration disagrees with its catalog entry. */
export function checkImmichConfig(modelDir: string, entry: ModelEntry, prep: ClipPreprocessing, tower: 'vision' | 'text'): void {
  const files = immichConfigFiles(entry, tower);
  if (files.length === 0) return;
  const problems: string[] = [];
  const differs = (file: string, key: string, theirs: unknown, ours: unknown) => problems.push(`${file} has ${key} ${JSON.stringify(theirs)}, the catalog ${JSON.stringify(ours)}`);

  const config = files.includes(MODEL_CONFIG) ? readJson<OpenClipConfig>(modelDir, MODEL_CONFIG) : {};
  if (config.embed_dim !== undefined && config.embed_dim !== prep.embedding_dim) differs(MODEL_CONFIG, 'embed_dim', config.embed_dim, prep.embedding_dim);
  if (tower === 'text' && config.text_cfg) {
    const context = config.text_cfg.context_length ?? 77;
    if (context !== prep.context_length) differs(MODEL_CONFIG, 'text_cfg.context_length', context, prep.context_length);
    const canonical = config.text_cfg.tokenizer_kwargs?.clean === 'canonicalize';
    if (canonical !== (prep.text_cleaning === 'canonicalize')) differs(MODEL_CONFIG, 'text_cfg.tokenizer_kwargs.clean', config.text_cfg.tokenizer_kwargs?.clean ?? null, prep.text_cleaning ?? null);
  }
  if (tower === 'vision' && files.includes(PREPROCESS_CFG)) {
    const cfg = readJson<PreprocessCfg>(modelDir, PREPROCESS_CFG);
    const size = Array.isArray(cfg.size) ? cfg.size[0] : cfg.size;
    if (size !== prep.image_size) differs(PREPROCESS_CFG, 'size', cfg.size, prep.image_size);
    if (cfg.mean && !close(cfg.mean, prep.image_mean)) differs(PREPROCESS_CFG, 'mean', cfg.mean, prep.image_mean);
    if (cfg.std && !close(cfg.std, prep.image_std)) differs(PREPROCESS_CFG, 'std', cfg.std, prep.image_std);
    if (cfg.interpolation && cfg.interpolation.toLowerCase() !== prep.resample) differs(PREPROCESS_CFG, 'interpolation', cfg.interpolation, prep.resample);
    // open_clip's default for configs that predate resize_mode is "shortest" (Immich reads it so too).
    const squash = (cfg.resize_mode ?? 'shortest') === 'squash';
    if (squash !== (prep.image_resize === 'exact')) differs(PREPROCESS_CFG, 'resize_mode', cfg.resize_mode ?? 'shortest', prep.image_resize ?? 'shortest_edge');
  }
  if (problems.length > 0) throw new Error(`model ${entry.id}: its files do not match its catalog entry: ${problems.join('; ')}`);
}
