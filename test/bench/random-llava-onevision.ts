import type { ModelEntry } from '../../main/engine/models/catalog.js';
import { floatTensor, type GraphSpec, valueInfo } from '../fixtures/onnx-builder.js';
import { type ExternalGraph, vitConstants, vitEmbeddings } from '../fixtures/vit-b32-random.js';
import { llavaOnevisionFixtureFiles } from '../fixtures/vlm/llava-onevision-fixture.js';
import { allowedKeys, decoderLayer, type DecoderShape, kvCacheInfos, rope1d } from './llama-decoder.js';
import { externalDataVlmSpec, qwen2TokenizerJson, tiedEmbeddingTransposed } from './random-qwen2vl.js';
import { sigLipLayer } from './random-smolvlm.js';
import { ensureGeneratedModel, type FileRecord, type GeneratedModelSpec, geluTanhConstants, RANDOM_GENERATION_MODELS_DIR, type RandomVitGpt2Result, runAsGeneratorScript } from './random-vit-gpt2.js';

/**
 * llava-hf/llava-onevision-qwen2-0.5b-ov-hf with random weights, for the generation benchmark: the
 * real dimensions and the session files, input and output names Iris's loader feeds (the catalog
 * entry llava-onevision-qwen2-0.5b, at fp32: no file suffix, weights in `<graph>_data` files), so
 * transformers.js (LlavaOnevisionForConditionalGeneration) and onnxruntime do the real model's work
 * per answer and per token as Iris runs it: one square 384-pixel view (transformers.js 4.3.1 has no
 * anyres tiling), 729 image features, the prompt's <image> token repeated once per feature
 * (generation/local-chat.ts). The answers are babble; the time and memory they take is the point.
 *
 *   onnx/vision_encoder.onnx        pixel_values float32 [batch_size, 3, 384, 384]
 *                                   -> image_features float32 [batch_size, 729, 896]
 *   onnx/embed_tokens.onnx          input_ids int64 -> inputs_embeds float32 [batch, sequence, 896]
 *   onnx/decoder_model_merged.onnx  inputs_embeds, attention_mask, position_ids, past_key_values.{0..23}.{key,value}
 *                                   float32 [batch, 2, past, 64] -> logits [batch, sequence, 151936], present.*
 *
 * Dimensions (the real config.json): vision SigLIP-so400m-patch14-384 as LLaVA-OneVision uses it, 26
 * pre-LayerNorm layers of width 1152 (16 heads of 72, MLP 4304, gelu_pytorch_tanh), 27x27 = 729
 * patches with learned positions, no class token, post-LayerNorm; projector linear 1152 -> 896, GELU,
 * linear 896 -> 896. Text Qwen2-0.5B: 24 layers, hidden 896, 14 query / 2 key-value heads of 64 with
 * q/k/v biases, RoPE theta 1e6 (one position row), SwiGLU 4864, RMSNorm 1e-6, tied lm_head
 * (stored again in the decoder), KV cache.
 *
 * Weights: N(0, 0.02), norm scales N(1, 0.02), seeded. The end tokens (<|endoftext|>, <|im_end|>)
 * and the ids past the tokenizer have zero embedding rows and so zero tied lm_head columns: their
 * logits are exactly 0 while the largest of the others is above 0, so every answer runs to max tokens.
 *
 *   node dist/test/bench/random-llava-onevision.js [modelsDir]
 */

const RANDOM_LLAVA_ID = 'llava-onevision-random';
const RANDOM_LLAVA_SEED = 0x11a7;
const GENERATOR_VERSION = 1;
const REVISION = `generated-v${GENERATOR_VERSION}-seed-${RANDOM_LLAVA_SEED}`;

const IMAGE_SIDE = 384;
const PATCH = 14;
/** A 14-pixel stride over 384 pixels: 27 patches a side (the last 6 pixels unread, as in the real model). */
const GRID = Math.floor(IMAGE_SIDE / PATCH);
const PATCHES = GRID * GRID;
const VISION = { hidden: 1152, heads: 16, mlp: 4304, layers: 26, eps: 1e-6 };
const TEXT_HIDDEN = 896;
const DECODER: DecoderShape = { hidden: TEXT_HIDDEN, heads: 14, kvHeads: 2, headDim: 64, mlp: 4864, layers: 24, rmsNormEps: 1e-6, qkvBias: true };
const ROPE_THETA = 1_000_000;
const VOCAB = 151_936;
const REGULAR_TOKENS = 151_643;
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<image>', '<video>'] as const;
const TOKENIZER_SIZE = REGULAR_TOKENS + SPECIALS.length;
const special = (token: (typeof SPECIALS)[number]) => REGULAR_TOKENS + SPECIALS.indexOf(token);
const NEVER_WINNING_IDS: readonly number[] = [special('<|endoftext|>'), special('<|im_end|>'), ...Array.from({ length: VOCAB - TOKENIZER_SIZE }, (_, i) => TOKENIZER_SIZE + i)];
/** A short answer's worth, as smolvlm-random's: tokens/s settles long before the catalog's 256. */
const MAX_NEW_TOKENS = 64;
const IMAGE_LONG_EDGE = 768;

function zeroNeverWinningRows(values: Float32Array): void {
  for (const id of NEVER_WINNING_IDS) values.fill(0, id * TEXT_HIDDEN, (id + 1) * TEXT_HIDDEN);
}

function visionGraph(g: ExternalGraph, seed: number): Omit<GraphSpec, 'initializers' | 'nodes'> {
  g.initializers.push(floatTensor('attention.scale', [], [1 / Math.sqrt(VISION.hidden / VISION.heads)]), floatTensor('gelu.sqrt2', [], [Math.SQRT2]), ...geluTanhConstants());
  vitConstants(g, PATCHES, VISION.hidden, VISION.heads);
  let hidden = vitEmbeddings(g, PATCH, PATCHES, true, { classToken: false, width: VISION.hidden });
  for (let layer = 0; layer < VISION.layers; layer++) hidden = sigLipLayer(g, layer, hidden, undefined, VISION);
  hidden = g.layerNorm('post_layernorm', hidden, VISION.eps, VISION.hidden);
  // multi_modal_projector: linear_1, exact GELU (x/2 (1 + erf(x / sqrt 2))), linear_2.
  const projected = g.linear('multi_modal_projector.linear_1', hidden, VISION.hidden, TEXT_HIDDEN);
  const erf = g.op('Erf', [g.op('Div', [projected, 'gelu.sqrt2'], 'projector.gelu.scaled')], 'projector.gelu.erf');
  const activated = g.op('Mul', [projected, g.op('Mul', [g.op('Add', [erf, 'one'], 'projector.gelu.shifted'), 'half'], 'projector.gelu.gate')], 'projector.gelu.out');
  g.op('Identity', [g.linear('multi_modal_projector.linear_2', activated, TEXT_HIDDEN, TEXT_HIDDEN)], 'image_features');
  // vitConstants' class-token constants go unused without a class token; onnxruntime would warn about them.
  const used = new Set(g.nodes.flatMap((n) => n.input ?? []));
  g.initializers.splice(0, g.initializers.length, ...g.initializers.filter((tensor) => used.has(tensor.name ?? '')));
  return {
    name: 'llava_onevision_random_vision_encoder',
    doc: `Iris benchmark model: LLaVA-OneVision's SigLIP-so400m (26 layers) + projector with random N(0, 0.02) weights, seed ${seed}. Same work as the real one; meaningless features.`,
    inputs: [valueInfo('pixel_values', 'float32', ['batch_size', 3, IMAGE_SIDE, IMAGE_SIDE])],
    outputs: [valueInfo('image_features', 'float32', ['batch_size', PATCHES, TEXT_HIDDEN])],
  };
}

function embedGraph(g: ExternalGraph, seed: number): Omit<GraphSpec, 'initializers' | 'nodes'> {
  g.op('Gather', [g.weight('embed_tokens.weight', [VOCAB, TEXT_HIDDEN], undefined, 0, zeroNeverWinningRows), 'input_ids'], 'inputs_embeds', { axis: { int: 0 } });
  return {
    name: 'llava_onevision_random_embed_tokens',
    doc: `Iris benchmark model: Qwen2-0.5B's token embeddings (151936 x 896) with random N(0, 0.02) weights, seed ${seed}; the end tokens' and padding ids' rows are zero.`,
    inputs: [valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('inputs_embeds', 'float32', ['batch_size', 'sequence_length', TEXT_HIDDEN])],
  };
}

function decoderGraph(g: ExternalGraph, seed: number, embedSeed: number): Omit<GraphSpec, 'initializers' | 'nodes'> {
  rope1d(g, DECODER, ROPE_THETA);
  allowedKeys(g);
  let hidden = 'inputs_embeds';
  for (let layer = 0; layer < DECODER.layers; layer++) hidden = decoderLayer(g, DECODER, layer, hidden);
  const normed = g.rmsNorm('norm', hidden, TEXT_HIDDEN, DECODER.rmsNormEps);
  g.op('MatMul', [normed, g.given('lm_head.weight_t', [TEXT_HIDDEN, VOCAB], tiedEmbeddingTransposed(embedSeed, VOCAB, TEXT_HIDDEN, zeroNeverWinningRows))], 'logits');
  return {
    name: 'llava_onevision_random_decoder_merged',
    doc: `Iris benchmark model: merged Qwen2-0.5B decoder (GQA 14/2, RoPE, KV cache, tied lm_head) with random N(0, 0.02) weights, seed ${seed} (lm_head: embed_tokens' seed ${embedSeed}). End tokens never win.`,
    inputs: [
      valueInfo('inputs_embeds', 'float32', ['batch_size', 'sequence_length', TEXT_HIDDEN]),
      valueInfo('attention_mask', 'int64', ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', 'int64', ['batch_size', 'sequence_length']),
      ...kvCacheInfos(DECODER, 'past_key_values', 'past_sequence_length'),
    ],
    outputs: [valueInfo('logits', 'float32', ['batch_size', 'sequence_length', VOCAB]), ...kvCacheInfos(DECODER, 'present', 'total_sequence_length')],
  };
}

const VISION_PARAMETERS = (() => {
  const linear = (i: number, o: number) => i * o + o;
  const layer = 4 * linear(VISION.hidden, VISION.hidden) + linear(VISION.hidden, VISION.mlp) + linear(VISION.mlp, VISION.hidden) + 4 * VISION.hidden;
  return VISION.hidden * 3 * PATCH * PATCH + VISION.hidden + PATCHES * VISION.hidden + VISION.layers * layer + 2 * VISION.hidden + linear(VISION.hidden, TEXT_HIDDEN) + linear(TEXT_HIDDEN, TEXT_HIDDEN);
})();
const EMBED_PARAMETERS = VOCAB * TEXT_HIDDEN;
const DECODER_PARAMETERS = (() => {
  const { hidden, heads, kvHeads, headDim, mlp, layers } = DECODER;
  const attentionWeights = hidden * heads * headDim + heads * headDim + 2 * (hidden * kvHeads * headDim + kvHeads * headDim) + heads * headDim * hidden;
  return layers * (attentionWeights + 3 * hidden * mlp + 2 * hidden) + hidden + hidden * VOCAB;
})();
const DISTINCT_PARAMETERS = VISION_PARAMETERS + DECODER_PARAMETERS;

const END_IDS = { bos_token_id: special('<|im_start|>'), eos_token_id: special('<|im_end|>'), pad_token_id: special('<|endoftext|>') };

function config(): Record<string, unknown> {
  return {
    _name_or_path: RANDOM_LLAVA_ID,
    architectures: ['LlavaOnevisionForConditionalGeneration'],
    model_type: 'llava_onevision',
    image_token_index: special('<image>'),
    video_token_index: special('<video>'),
    vision_feature_select_strategy: 'full',
    vision_feature_layer: -1,
    tie_word_embeddings: true,
    ...END_IDS,
    text_config: {
      model_type: 'qwen2',
      hidden_size: TEXT_HIDDEN,
      intermediate_size: DECODER.mlp,
      num_hidden_layers: DECODER.layers,
      num_attention_heads: DECODER.heads,
      num_key_value_heads: DECODER.kvHeads,
      rms_norm_eps: DECODER.rmsNormEps,
      rope_theta: ROPE_THETA,
      max_position_embeddings: 32_768,
      tie_word_embeddings: true,
      vocab_size: VOCAB,
      ...END_IDS,
    },
    vision_config: { model_type: 'siglip_vision_model', hidden_size: VISION.hidden, intermediate_size: VISION.mlp, num_hidden_layers: VISION.layers, num_attention_heads: VISION.heads, image_size: IMAGE_SIDE, patch_size: PATCH },
  };
}

function sideFiles(): Map<string, Uint8Array> {
  const fixture = llavaOnevisionFixtureFiles();
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const half = [0.5, 0.5, 0.5];
  return new Map<string, Uint8Array>([
    ['config.json', json(config())],
    ['generation_config.json', json({ ...END_IDS })],
    [
      'preprocessor_config.json',
      json({ processor_class: 'LlavaOnevisionProcessor', image_processor_type: 'LlavaOnevisionImageProcessor', do_convert_rgb: true, do_resize: true, size: { height: IMAGE_SIDE, width: IMAGE_SIDE }, resample: 3, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: half, image_std: half }),
    ],
    ['tokenizer.json', Buffer.from(JSON.stringify(qwen2TokenizerJson(SPECIALS)))],
    // The fixture's tokenizer_config.json (Qwen2Tokenizer, eos <|im_end|>) and llava-hf's chat template.
    ...['tokenizer_config.json', 'chat_template.json'].map((file): [string, Uint8Array] => [file, fixture.get(file)!]),
  ]);
}

function catalogEntry(withData: FileRecord[], io: ModelEntry['io']): ModelEntry {
  return {
    id: RANDOM_LLAVA_ID,
    task: 'vqa',
    title: 'LLaVA-OneVision 0.5B with random weights (benchmark model), same shapes as llava-hf/llava-onevision-qwen2-0.5b-ov-hf (fp32)',
    licence: 'MIT',
    source: { repo: 'iris-fixtures/llava-onevision-random', revision: REVISION },
    dtype: 'fp32',
    family: RANDOM_LLAVA_ID,
    default: false,
    files: withData,
    io,
    preprocessing: {
      architecture: 'llava-onevision',
      sessions: { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' },
      max_new_tokens: MAX_NEW_TOKENS,
      image_long_edge: IMAGE_LONG_EDGE,
      stop_tokens: ['<|im_end|>'],
      image_token: '<image>',
    },
    notes:
      `Generated by test/bench/random-llava-onevision.ts (seed ${RANDOM_LLAVA_SEED}, ${(DISTINCT_PARAMETERS / 1e6).toFixed(1)}M distinct parameters, fp32, weights in external data); ` +
      'never downloaded (the source repo does not exist). Random weights in the real shapes: the work per answer and per token is the real fp32 model’s as Iris runs it ' +
      `(one 384-pixel view, 729 image tokens), the answers are babble; end tokens never win, so every answer runs to ${MAX_NEW_TOKENS} tokens.`,
  };
}

function llavaSpec(modelsDir: string = RANDOM_GENERATION_MODELS_DIR): GeneratedModelSpec {
  return externalDataVlmSpec(
    {
      id: RANDOM_LLAVA_ID,
      revision: REVISION,
      seed: RANDOM_LLAVA_SEED,
      vision: [visionGraph, VISION_PARAMETERS],
      embed: [embedGraph, EMBED_PARAMETERS],
      decoder: [decoderGraph, DECODER_PARAMETERS],
      sideFiles,
      entry: catalogEntry,
    },
    modelsDir,
  );
}

/**
 * Makes sure `<modelsDir>/llava-onevision-random/` holds the model and the catalog there lists it.
 * About 4 GB on disk (the tied embedding stored twice); generating takes a few minutes.
 */
export function ensureRandomLlavaOnevision(modelsDir?: string, log?: (message: string) => void): Promise<RandomVitGpt2Result> {
  return ensureGeneratedModel(llavaSpec(modelsDir), modelsDir, log);
}

runAsGeneratorScript(import.meta.url, llavaSpec(process.argv[2]));
