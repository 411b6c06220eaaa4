import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { irisRoot } from '../../version.js';
import { ControlNetCatalogPreprocessingSchema, DiffusionCatalogPreprocessingSchema } from './diffusion-catalog.js';
import { FacesCatalogPreprocessingSchema } from './face-catalog.js';
import { errorMessage } from '../errors.js';

/**
 * The model catalog: every model Iris can use, as data (models/catalog.json). The runtime never
 * guesses a file, an input name or a preprocessing constant: it reads them here, and a file is
 * only loaded after its sha256 matches the catalog.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits');

const TensorSpec = z.object({
  name: z.string().min(1),
  dtype: z.enum(['float32', 'float16', 'float64', 'int64', 'int32', 'uint8', 'int8', 'bool']),
  /** Dimensions; strings name symbolic axes ("batch"). */
  shape: z.array(z.union([z.number().int().positive(), z.string()])),
});

const ModelFileSchema = z.object({
  /** Path inside the model's folder, with forward slashes (e.g. "onnx/vision_model.onnx"). */
  path: z.string().min(1).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'path must stay inside the model folder'),
  /**
   * Size and sha256 of the file at the source revision. `null` only in an entry marked
   * `"pinned": false`: the installer then asks the server for them at that revision (the Hugging
   * Face `X-Linked-Etag`/`X-Linked-Size` headers, or its tree API), verifies the download against
   * them and records them in `<modelsDir>/<id>/pinned.json`, which `verify` uses afterwards. Where
   * only one of the two is null, the catalog's value wins and the server's must agree with it.
   */
  bytes: z.number().int().nonnegative().nullable(),
  sha256: sha256.nullable(),
  /** Where to download it; default: the source repo at its pinned revision. */
  url: z.url().optional(),
});

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * The `preprocessing` keys of a `clip` entry, checked when the catalog is loaded (the runtime reads
 * them; nothing is hard-coded there). Unknown keys are refused, so a typo cannot silently fall back
 * to a default.
 */
export const ClipCatalogPreprocessingSchema = z
  .strictObject({
    /** Side of the square the vision tower takes (pixel_values is [N, 3, image_size, image_size]). */
    image_size: z.number().int().positive(),
    /**
     * How an image becomes image_size × image_size. "shortest_edge" (CLIPImageProcessor, the
     * default; open_clip's resize_mode "shortest"): the shortest side to `resize_shortest_edge`,
     * aspect kept, then a centre crop of `crop_size`. "exact" (ChineseCLIPImageProcessor,
     * Chinese-CLIP's own `Resize((224, 224))`, and open_clip's resize_mode "squash" that SigLIP
     * uses): both sides to image_size, aspect not kept, nothing cropped.
     */
    image_resize: z.enum(['shortest_edge', 'exact']).optional(),
    /** Required with image_resize "shortest_edge". */
    resize_shortest_edge: z.number().int().positive().optional(),
    resample: z.enum(['bicubic', 'bilinear', 'nearest']),
    crop_size: z.number().int().positive(),
    rescale_factor: z.number().positive(),
    image_mean: rgbTriple,
    image_std: rgbTriple,
    /** Tokens per text (padded and cut to it). */
    context_length: z.number().int().positive(),
    bos_token_id: z.number().int().nonnegative(),
    eos_token_id: z.number().int().nonnegative(),
    pad_token_id: z.number().int().nonnegative(),
    /** exp(learned temperature), for turning cosine similarities into probabilities; null when not established (ranking by cosine does not need it). */
    logit_scale: z.number().positive().nullable(),
    /**
     * How zero-shot scores become probabilities. "softmax" (CLIP): softmax over the labels of
     * logit_scale × cosine. "sigmoid" (SigLIP, SigLIP 2, NLLB-SigLIP): each label on its own,
     * sigmoid(logit_scale × cosine + logit_bias), so labels do not compete. Default softmax.
     */
    zero_shot: z.enum(['softmax', 'sigmoid']).optional(),
    /** SigLIP's learned bias for the sigmoid; null when not established. */
    logit_bias: z.number().nullable().optional(),
    /**
     * How query text is cleaned before the tokenizer (clip/text-clean.ts). "openai": OpenAI CLIP's
     * ftfy + html.unescape + whitespace (also open_clip's "whitespace" clean). "canonicalize":
     * that, then open_clip's canonicalize_text (underscores to spaces, ASCII punctuation dropped,
     * lower case): what SigLIP and SigLIP 2 text was trained on. "wordpiece": the repairs of
     * typed or pasted text only, punctuation kept (BERT and XLM-R tokenizers). Default: wordpiece
     * for a WordPiece tokenizer.json, else openai.
     */
    text_cleaning: z.enum(['openai', 'canonicalize', 'wordpiece']).optional(),
    embedding_dim: z.number().int().positive(),
    /**
     * The text inputs the text graph takes (by name); default ["input_ids"]
     * (CLIP). BERT-style text towers (Chinese-CLIP) also take "attention_mask" (1 for a token, 0
     * for padding) and some "token_type_ids" (all 0). Immich's open_clip exports name the ids
     * "text"; its M-CLIP exports take "input_ids" and "attention_mask".
     */
    text_inputs: z.array(z.enum(['input_ids', 'text', 'attention_mask', 'token_type_ids'])).min(1).optional(),
    /**
     * The folder of the model holding tokenizer.json and tokenizer_config.json: "" (the root,
     * transformers.js layout) or "textual" (Immich's layout). Default "".
     */
    tokenizer_dir: z.string().regex(/^([\w.-]+(\/[\w.-]+)*)?$/).optional(),
  })
  .superRefine((prep, ctx) => {
    if ((prep.image_resize ?? 'shortest_edge') === 'shortest_edge' && prep.resize_shortest_edge === undefined) {
      ctx.addIssue({ code: 'custom', path: ['resize_shortest_edge'], message: 'is required when image_resize is "shortest_edge" (the default)' });
    }
    if (prep.text_inputs && !prep.text_inputs.includes('input_ids') && !prep.text_inputs.includes('text')) {
      ctx.addIssue({ code: 'custom', path: ['text_inputs'], message: 'must include "input_ids" or "text"' });
    }
    if (prep.zero_shot === 'sigmoid' && prep.logit_bias === undefined) {
      ctx.addIssue({ code: 'custom', path: ['logit_bias'], message: 'is required (a number, or null when not established) with zero_shot "sigmoid"' });
    }
  });

/**
 * Why one would choose a CLIP model: its languages, its speed class on a CPU, and the figures
 * its authors or open_clip's results table publish (never figures Iris measured on fixtures).
 */
const ClipAboutSchema = z.strictObject({
  /** "en", "zh", or "multilingual" (with the languages named in `summary`). */
  languages: z.enum(['en', 'zh', 'multilingual']),
  /** Image embeddings per second class on a laptop CPU: fast (≲ ViT-B/32), medium (ViT-B/16), slow (ViT-L and up). */
  speed: z.enum(['fast', 'medium', 'slow']),
  /** ImageNet-1k zero-shot top-1 in [0, 1]; null where none is published. */
  imagenet_zero_shot: z.number().min(0).max(1).nullable(),
  /** Retrieval figures as published: dataset, metric (e.g. "image retrieval R@1"), value in [0, 1]. */
  retrieval: z.array(z.strictObject({ dataset: z.string().min(1), metric: z.string().min(1), value: z.number().min(0).max(1) })).default([]),
  /** One sentence for Settings: who should pick it. */
  summary: z.string().min(1),
  /** Where the figures come from (a URL or a paper). */
  figures_source: z.string().min(1),
});
export type ClipAbout = z.infer<typeof ClipAboutSchema>;

/**
 * Precision of one ONNX session of a generative model, as transformers.js names it: it picks the
 * file `onnx/<session><suffix>.onnx` (fp32 "", fp16 "_fp16", q8 "_quantized", int8 "_int8",
 * uint8 "_uint8", q4 "_q4", q4f16 "_q4f16", bnb4 "_bnb4").
 */
const SESSION_DTYPE_SUFFIX = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4' } as const;
export type SessionDtype = keyof typeof SESSION_DTYPE_SUFFIX;

/**
 * The `preprocessing` keys of a `caption` or `vqa` entry (models run by @huggingface/transformers
 * on our onnxruntime-node; main/engine/generation). Unknown keys are refused.
 */
export const GenerativeCatalogPreprocessingSchema = z.strictObject({
  /** Which transformers.js model class and prompt format. */
  architecture: z.enum(['florence2', 'vision-encoder-decoder', 'idefics3', 'qwen2-vl', 'llava-onevision', 'blip']),
  /** Precision per ONNX session (mixed precisions pay: e.g. fp16 vision encoder + q4 decoder). */
  sessions: z.record(z.string().regex(/^[a-z_]+$/), z.enum(Object.keys(SESSION_DTYPE_SUFFIX) as [SessionDtype, ...SessionDtype[]])),
  /**
   * Florence-2's task token for each caption detail (e.g. "<CAPTION>", "<DETAILED_CAPTION>") and,
   * optionally, for reading the text in a photo (`ocr`, "<OCR>"; a model without one cannot).
   */
  caption_tasks: z.strictObject({ brief: z.string().min(1), detailed: z.string().min(1), ocr: z.string().min(1).optional() }).optional(),
  /** Default most new tokens of an answer or caption. */
  max_new_tokens: z.number().int().positive(),
  /** The photo's long edge is brought down to this before the model's own processor resizes it (decoding a 24 MP photo whole is wasted work). */
  image_long_edge: z.number().int().positive(),
  /** Tokens (by text) that end an answer besides generation_config's eos_token_id. */
  stop_tokens: z.array(z.string().min(1)).optional(),
  /**
   * LLaVA: the placeholder token of the image in the prompt ("<image>"), repeated once per image
   * feature before tokenising (transformers.js has no LLaVA-OneVision processor to do it).
   */
  image_token: z.string().min(1).optional(),
  /**
   * BLIP (run by Iris's own generate loop, generation/blip-captioner.ts: transformers.js has no
   * BLIP): the image squashed to `image_size` with bicubic and normalised by mean/std, and the
   * caption continued from `prompt` ("a picture of", BLIP's convention), whose ids follow
   * `decoder_start_token` ("[DEC]", which stands where the tokenizer would put [CLS]).
   */
  blip: z
    .strictObject({
      image_size: z.number().int().positive(),
      image_mean: z.tuple([z.number(), z.number(), z.number()]),
      image_std: z.tuple([z.number(), z.number(), z.number()]),
      prompt: z.string(),
      decoder_start_token: z.string().min(1),
    })
    .optional(),
});
export type GenerativePreprocessing = z.infer<typeof GenerativeCatalogPreprocessingSchema>;

/** The ONNX file transformers.js loads for a session at a precision. */
export function sessionFile(session: string, dtype: SessionDtype): string {
  return `onnx/${session}${SESSION_DTYPE_SUFFIX[dtype]}.onnx`;
}

export const ModelEntrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'ids are lowercase letters, digits, dots and dashes'),
    task: z.enum(['clip', 'caption', 'vqa', 'diffusion', 'controlnet', 'faces']),
    title: z.string().min(1),
    licence: z.string().min(1),
    source: z.object({
      /**
       * Hugging Face repository ("owner/name") and the revision (commit) the hashes belong to. An
       * unpinned entry may name a branch ("main") where no commit could be established offline:
       * the installer then resolves it to a commit on first contact, keeps that commit in
       * pinned.json and downloads every file at it, so the hashes it learns belong to one commit
       * (models/download.ts, resolveRevision).
       */
      repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
      revision: z.string().min(1),
      /** Base URL the files are served from; default https://huggingface.co. */
      baseUrl: z.url().optional(),
    }),
    /**
     * Which precision this entry is (variants of one model share a `family`). q4f16: 4-bit weights
     * with fp16 arithmetic (transformers.js' `_q4f16` files, for GPUs); mixed: sessions differ.
     */
    dtype: z.enum(['fp32', 'fp16', 'q8', 'q4', 'q4f16', 'mixed']).default('fp32'),
    family: z.string().optional(),
    default: z.boolean().default(false),
    /**
     * false when some file's `bytes`/`sha256` could not be established for the catalog (they are
     * null there, and the installer pins them from the server; see ModelFileSchema). Absent means
     * true: every file has both.
     */
    pinned: z.boolean().optional(),
    files: z.array(ModelFileSchema).min(1),
    /** Inputs and outputs per ONNX file, by the file's path. */
    io: z.record(z.string(), z.object({ inputs: z.array(TensorSpec), outputs: z.array(TensorSpec) })).default({}),
    /** Task-specific constants (image size, mean/std, token ids, logit scale, ...); for `clip`, see ClipCatalogPreprocessingSchema. */
    preprocessing: z.record(z.string(), z.unknown()).default({}),
    notes: z.string().optional(),
    /** What a person choosing a CLIP model needs (Settings shows it); published figures, not ours. */
    about: ClipAboutSchema.optional(),
  })
  .superRefine((model, ctx) => {
    const pinned = model.pinned ?? true;
    const paths = new Set<string>();
    model.files.forEach((file, i) => {
      if (paths.has(file.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `${file.path} is listed twice` });
      paths.add(file.path);
      for (const key of ['bytes', 'sha256'] as const) {
        if (file[key] === null && pinned) ctx.addIssue({ code: 'custom', path: ['files', i, key], message: `is null, which only an entry marked "pinned": false may have` });
      }
    });
    if (!pinned) {
      if (model.files.every((file) => file.bytes !== null && file.sha256 !== null)) {
        ctx.addIssue({ code: 'custom', path: ['pinned'], message: 'is false but every file has bytes and sha256: drop "pinned": false' });
      }
    }
    for (const file of Object.keys(model.io)) {
      if (!paths.has(file)) ctx.addIssue({ code: 'custom', path: ['io', file], message: 'names no file in files' });
    }
    if (model.task === 'caption' || model.task === 'vqa') {
      const prep = GenerativeCatalogPreprocessingSchema.safeParse(model.preprocessing);
      for (const issue of prep.success ? [] : prep.error.issues) ctx.addIssue({ code: 'custom', path: ['preprocessing', ...issue.path.map(String)], message: issue.message });
      if (prep.success) {
        for (const [session, dtype] of Object.entries(prep.data.sessions)) {
          if (!paths.has(sessionFile(session, dtype))) ctx.addIssue({ code: 'custom', path: ['preprocessing', 'sessions', session], message: `${dtype} needs ${sessionFile(session, dtype)}, which is not in files` });
        }
        if (model.task === 'caption' && prep.data.architecture === 'florence2' && !prep.data.caption_tasks) ctx.addIssue({ code: 'custom', path: ['preprocessing', 'caption_tasks'], message: 'is required for a florence2 captioner' });
        if (prep.data.architecture === 'llava-onevision' && !prep.data.image_token) ctx.addIssue({ code: 'custom', path: ['preprocessing', 'image_token'], message: 'is required for a llava-onevision model' });
        if (prep.data.architecture === 'blip' && !prep.data.blip) ctx.addIssue({ code: 'custom', path: ['preprocessing', 'blip'], message: 'is required for a blip captioner' });
        if (prep.data.architecture === 'blip' && !('vision_encoder' in prep.data.sessions && 'decoder_model_merged' in prep.data.sessions)) {
          ctx.addIssue({ code: 'custom', path: ['preprocessing', 'sessions'], message: 'a blip captioner has a vision_encoder and a decoder_model_merged session' });
        }
      }
    }
    if (model.task === 'diffusion' || model.task === 'controlnet') {
      const schema = model.task === 'diffusion' ? DiffusionCatalogPreprocessingSchema : ControlNetCatalogPreprocessingSchema;
      const prep = schema.safeParse(model.preprocessing);
      for (const issue of prep.success ? [] : prep.error.issues) ctx.addIssue({ code: 'custom', path: ['preprocessing', ...issue.path.map(String)], message: issue.message });
      const sessions = prep.success ? ('sessions' in prep.data ? Object.values(prep.data.sessions) : [prep.data.session]) : [];
      for (const file of sessions) if (!paths.has(file)) ctx.addIssue({ code: 'custom', path: ['preprocessing'], message: `names ${file}, which is not in files` });
    }
    if (model.task === 'faces') {
      const prep = FacesCatalogPreprocessingSchema.safeParse(model.preprocessing);
      for (const issue of prep.success ? [] : prep.error.issues) ctx.addIssue({ code: 'custom', path: ['preprocessing', ...issue.path.map(String)], message: issue.message });
      if (prep.success) {
        for (const part of ['detector', 'recognizer'] as const) {
          if (!paths.has(prep.data[part].file)) ctx.addIssue({ code: 'custom', path: ['preprocessing', part, 'file'], message: `names ${prep.data[part].file}, which is not in files` });
        }
      }
    }
    if (model.task === 'clip' && Object.keys(model.preprocessing).length > 0) {
      const prep = ClipCatalogPreprocessingSchema.safeParse(model.preprocessing);
      for (const issue of prep.success ? [] : prep.error.issues) ctx.addIssue({ code: 'custom', path: ['preprocessing', ...issue.path.map(String)], message: issue.message });
    }
  });

export const CatalogSchema = z.object({
  version: z.literal(1),
  models: z.array(ModelEntrySchema),
});

export type ModelFile = z.infer<typeof ModelFileSchema>;
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type Catalog = z.infer<typeof CatalogSchema>;

export const CATALOG_FILE = 'catalog.json';

/** Reads and validates `<dir>/catalog.json`; errors name the file, the model and the bad field. */
export function loadCatalog(modelsDir: string): Catalog {
  const file = path.join(modelsDir, CATALOG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read model catalog ${file}: ${errorMessage(error)}`);
  }
  const parsed = CatalogSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid model catalog ${file}: ${describePath(raw, issue.path)}: ${issue.message}`);
  }
  const ids = new Set<string>();
  for (const model of parsed.data.models) {
    if (ids.has(model.id)) throw new Error(`invalid model catalog ${file}: duplicate id ${model.id}`);
    ids.add(model.id);
  }
  return parsed.data;
}

/** "models.2.files.0.sha256" with the model's id after its index: "models.2 (clip-vit-b32).files.0.sha256". */
function describePath(raw: unknown, issuePath: readonly PropertyKey[]): string {
  const parts = issuePath.map(String);
  if (parts[0] === 'models' && parts[1] !== undefined) {
    const models = (raw as { models?: unknown }).models;
    const id = Array.isArray(models) ? (models[Number(parts[1])] as { id?: unknown } | undefined)?.id : undefined;
    if (typeof id === 'string') return [`models.${parts[1]} (${id})`, ...parts.slice(2)].join('.');
  }
  return parts.join('.');
}

/**
 * The folder whose catalog.json describes the models in `modelsDir`: `modelsDir` itself when it
 * has one (the install's models/, a test's folder), else the catalog bundled with the install
 * (a models folder in app data holds only downloads).
 */
export function catalogDirFor(modelsDir: string, bundledDir: string = path.join(irisRoot, 'models')): string {
  return fs.existsSync(path.join(modelsDir, CATALOG_FILE)) ? modelsDir : bundledDir;
}

/** True when the catalog gives both the size and the sha256 of the file. */
export function isPinnedFile(file: ModelFile): file is ModelFile & { bytes: number; sha256: string } {
  return file.bytes !== null && file.sha256 !== null;
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
