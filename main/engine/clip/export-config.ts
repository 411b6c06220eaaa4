import fs from 'node:fs';
import path from 'node:path';
import type { ModelEntry } from '../models/catalog.js';
import type { ClipPreprocessing } from './preprocessing.js';

/**
 * A CLIP export's own configuration files, checked against its catalog entry when a tower opens.
 * The catalog carries every preprocessing fact as data (so one loader, ClipModel, runs every
 * layout); a catalog entry that misdescribes its files (another mean and std, a crop where the
 * model squashes, another context length) fails with both values instead of embedding every
 * photo slightly wrong. Two layouts carry such files:
 *
 * Immich's (`immich-app/<model>` on Hugging Face, exported from open_clip or M-CLIP):
 *
 *   config.json                  open_clip's model config: embed_dim, vision_cfg, text_cfg
 *                                (context_length, hf_tokenizer_name, tokenizer_kwargs.clean)
 *   visual/model.onnx            image [1, 3, S, S] float32 -> embedding (L2-normalised)
 *   visual/preprocess_cfg.json   size, mean, std, interpolation, resize_mode ("shortest"|"squash")
 *   textual/model.onnx           text [1, context_length] int32 -> embedding (L2-normalised)
 *                                (M-CLIP: input_ids and attention_mask)
 *   textual/tokenizer.json, tokenizer_config.json, special_tokens_map.json
 *
 * transformers.js' (Xenova/…): preprocessor_config.json, a CLIPImageProcessor's settings
 * (size.shortest_edge, crop_size, resample as a PIL code, do_normalize, image_mean/std).
 */

const PREPROCESS_CFG = 'visual/preprocess_cfg.json';
const MODEL_CONFIG = 'config.json';
const HF_PROCESSOR = 'preprocessor_config.json';

function isImmichLayout(entry: ModelEntry): boolean {
  return entry.files.some((file) => file.path === PREPROCESS_CFG);
}

/** The configuration files a tower is checked against: Immich's, or a transformers.js processor's (none when the entry lists none). */
export function exportConfigFiles(entry: ModelEntry, tower: 'vision' | 'text'): string[] {
  const present = new Set(entry.files.map((file) => file.path));
  if (!isImmichLayout(entry)) return tower === 'vision' && present.has(HF_PROCESSOR) ? [HF_PROCESSOR] : [];
  return (tower === 'vision' ? [MODEL_CONFIG, PREPROCESS_CFG] : [MODEL_CONFIG]).filter((file) => present.has(file));
}

interface HfProcessor {
  size?: { shortest_edge?: number; height?: number; width?: number } | number;
  crop_size?: { height?: number; width?: number } | number;
  do_center_crop?: boolean;
  resample?: number;
  do_normalize?: boolean;
  image_mean?: number[];
  image_std?: number[];
  rescale_factor?: number;
}

/** PIL's resampling codes, as transformers' processors store them. */
const PIL_RESAMPLE: Record<number, string> = { 0: 'nearest', 2: 'bilinear', 3: 'bicubic' };

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

/** Throws when a model's own configuration files disagree with its catalog entry. */
export function checkExportConfig(modelDir: string, entry: ModelEntry, prep: ClipPreprocessing, tower: 'vision' | 'text'): void {
  const files = exportConfigFiles(entry, tower);
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
  if (files.includes(HF_PROCESSOR)) checkHfProcessor(readJson<HfProcessor>(modelDir, HF_PROCESSOR), prep, differs);
  if (problems.length > 0) throw new Error(`model ${entry.id}: its files do not match its catalog entry: ${problems.join('; ')}`);
}

function checkHfProcessor(cfg: HfProcessor, prep: ClipPreprocessing, differs: (file: string, key: string, theirs: unknown, ours: unknown) => void): void {
  const side = (value: HfProcessor['crop_size']) => (typeof value === 'number' ? value : value?.height);
  if (cfg.resample !== undefined && PIL_RESAMPLE[cfg.resample] !== prep.resample) differs(HF_PROCESSOR, 'resample', cfg.resample, prep.resample);
  if (prep.image_resize !== 'exact') {
    const shortest = typeof cfg.size === 'number' ? cfg.size : cfg.size?.shortest_edge;
    if (shortest !== undefined && shortest !== prep.resize_shortest_edge) differs(HF_PROCESSOR, 'size.shortest_edge', shortest, prep.resize_shortest_edge);
    if (cfg.do_center_crop !== false && side(cfg.crop_size) !== undefined && side(cfg.crop_size) !== prep.crop_size) differs(HF_PROCESSOR, 'crop_size', cfg.crop_size, prep.crop_size);
  }
  // do_normalize false is mean 0, std 1 (MobileCLIP: the model takes [0, 1] pixels).
  const [mean, std] = cfg.do_normalize === false ? [[0, 0, 0], [1, 1, 1]] : [cfg.image_mean, cfg.image_std];
  if (mean && !close(mean, prep.image_mean)) differs(HF_PROCESSOR, cfg.do_normalize === false ? 'do_normalize false (mean 0)' : 'image_mean', mean, prep.image_mean);
  if (std && !close(std, prep.image_std)) differs(HF_PROCESSOR, cfg.do_normalize === false ? 'do_normalize false (std 1)' : 'image_std', std, prep.image_std);
  if (cfg.rescale_factor !== undefined && Math.abs(cfg.rescale_factor - prep.rescale_factor) > 1e-9) differs(HF_PROCESSOR, 'rescale_factor', cfg.rescale_factor, prep.rescale_factor);
}
