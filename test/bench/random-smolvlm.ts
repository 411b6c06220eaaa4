import type { ModelEntry } from '../../main/engine/models/catalog.js';
import { encodeModel, floatTensor, valueInfo } from '../fixtures/onnx-builder.js';
import { attention, GraphParts, vitConstants, vitEmbeddings } from '../fixtures/vit-b32-random.js';
import { smolvlmFixtureFiles } from '../fixtures/vlm/smolvlm-fixture.js';
import { allowedKeys, decoderLayer, type DecoderShape, kvCacheInfos, rope1d } from './llama-decoder.js';
import { byteLevelBpeTokenizer, ensureGeneratedModel, type FileRecord, type GeneratedModelSpec, geluTanh, geluTanhConstants, type RandomVitGpt2Result, runAsGeneratorScript } from './random-vit-gpt2.js';

/**
 * HuggingFaceTB/SmolVLM-256M-Instruct with random weights, for the generation benchmark: the real
 * architecture, dimensions, session files and input/output names (those of the catalog entry
 * smolvlm-256m-instruct's `io`, at fp32: no file suffix), processor, image splitting and chat
 * template, so transformers.js (Idefics3ForConditionalGeneration + Idefics3Processor) and
 * onnxruntime do the same work per answer and per token as with the real fp32 weights. The answers
 * are babble; the time and memory they take is the point.
 *
 *   onnx/vision_encoder.onnx        pixel_values float32 [batch_size, num_images, 3, 512, 512],
 *                                   pixel_attention_mask bool [batch_size, num_images, 512, 512]
 *                                   -> image_features float32 [batch_size_times_num_images, 64, 576]
 *   onnx/embed_tokens.onnx          input_ids int64 [batch_size, sequence_length]
 *                                   -> inputs_embeds float32 [batch_size, sequence_length, 576]
 *   onnx/decoder_model_merged.onnx  inputs_embeds float32 [batch_size, sequence_length, 576],
 *                                   attention_mask int64 [batch_size, total_sequence_length],
 *                                   position_ids int64 [batch_size, sequence_length],
 *                                   past_key_values.{0..29}.{key,value} float32 [batch_size, 3, past_sequence_length, 64]
 *                                   -> logits float32 [batch_size, sequence_length, 49280],
 *                                   present.{0..29}.{key,value} float32 [batch_size, 3, total_sequence_length, 64]
 *   config.json, generation_config.json, preprocessor_config.json, processor_config.json,
 *   tokenizer.json, tokenizer_config.json, chat_template.json
 *
 * Dimensions (SmolVLM-256M-Instruct's config.json: Idefics3, scale_factor 4, image_token_id 49190,
 * tie_word_embeddings false):
 *   vision (SigLIP base patch16-512, Idefics3VisionTransformer): every tile [3, 512, 512] -> Conv
 *     3->768, kernel and stride 16, with bias -> 32x32 = 1024 patches + 1024 position embeddings (a
 *     full tile's positions: transformers.js always sends full 512x512 tiles, the global image
 *     resized to one); 12 pre-LayerNorm layers (eps 1e-6) of 12-head self-attention (q, k, v, out
 *     with biases; keys masked where a patch has no valid pixel in pixel_attention_mask) and MLP
 *     768->3072->768 with gelu_pytorch_tanh; post-LayerNorm. Connector: pixel shuffle by 4
 *     (1024 x 768 -> 64 x 12288) and modality_projection 12288->576 without bias: 64 image tokens
 *     per tile.
 *   embed_tokens: 49280 x 576.
 *   text (SmolLM2-135M, Llama): 30 layers of [RMSNorm (eps 1e-5) -> attention (q 576->576, k and v
 *     576->192, no biases; 9 query heads and 3 key/value heads of 64 (grouped-query: 3 query heads
 *     per cache head); RoPE with theta 100000 from position_ids, rotate-half form, on q and k
 *     before the cache; cache concatenated; scores / 8; causal and attention_mask masking) -> o_proj
 *     576->576 -> residual; RMSNorm -> SwiGLU MLP (down(silu(gate(x)) * up(x)), 576->1536->576, no
 *     biases) -> residual]; final RMSNorm; lm_head 576->49280 without bias (untied: its own
 *     weight), logits at every position as in the real export.
 *   Grouped-query attention is written as a broadcast over [B, 3 cache heads, 3 query heads, S, T]
 *   rather than repeat_kv's copy of the cache: the same products, without the copy.
 *
 * Weights: N(0, 0.02) (initializer_range), norm scales N(1, 0.02), seeded, so generation is
 * deterministic. The lm_head columns of the end tokens, <|endoftext|> (0), <|im_end|> (2,
 * generation_config's eos) and <end_of_utterance> (49279, the catalog's stop token), are zero:
 * their logits are exactly 0 while the largest of the other 49277 is always above 0, so greedy
 * decoding never ends early and every answer runs to max_new_tokens. Nothing else is changed.
 *
 * Tokenizer: byte-level BPE with SmolVLM's layout of 49280 ids: 17 specials (SmolLM2's, 0-16),
 * the 256 bytes (17-272), 48879 made-up merges (to 49151), then <global-img> (49152), the 36
 * <row_r_col_c> (49153-49188), <fake_token_around_image> (49189), <image> (49190), 88 reserved
 * specials and <end_of_utterance> (49279). The prompt therefore has the real model's image tokens
 * (64 per tile) and a text length close to the real one.
 *
 * Image splitting is the real processor's (preprocessor_config.json as in the real repository):
 * resize to a 2048 long edge, then to multiples of 512, split into 512x512 tiles plus a global
 * 512x512 image. A 2048x1672 photo (Iris prepares photos to the 2048 long edge) makes 4x4 tiles + 1
 * global = 17 images, 1088 image tokens.
 *
 * Generated on demand (never committed) into `.cache/generation-bench-models/` (gitignored), beside
 * vit-gpt2-random, in the same catalog.json (real sizes and sha256, which the loader verifies).
 *
 *   node dist/test/bench/random-smolvlm.js [modelsDir]
 */

const RANDOM_SMOLVLM_ID = 'smolvlm-random';
const RANDOM_SMOLVLM_SEED = 0x5e71;
/** Bump whenever a graph, the weight recipe or a side file changes. */
const GENERATOR_VERSION = 2;
const REVISION = `generated-v${GENERATOR_VERSION}-seed-${RANDOM_SMOLVLM_SEED}`;

const VISION_FILE = 'onnx/vision_encoder.onnx';
const EMBED_FILE = 'onnx/embed_tokens.onnx';
const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

// Vision (SigLIP base patch16-512).
const TILE = 512;
const PATCH = 16;
const GRID = TILE / PATCH;
const PATCHES = GRID * GRID;
const VISION_HIDDEN = 768;
const VISION_HEADS = 12;
const VISION_MLP = 3072;
const VISION_LAYERS = 12;
const VISION_LAYER_NORM_EPS = 1e-6;
const SCALE_FACTOR = 4;
const IMAGE_SEQ_LEN = PATCHES / (SCALE_FACTOR * SCALE_FACTOR);
const SHUFFLED = VISION_HIDDEN * SCALE_FACTOR * SCALE_FACTOR;
// Text (SmolLM2-135M).
const TEXT_HIDDEN = 576;
const TEXT_LAYERS = 30;
const HEADS = 9;
const KV_HEADS = 3;
const HEAD_DIM = 64;
const TEXT_MLP = 1536;
const RMS_NORM_EPS = 1e-5;
const ROPE_THETA = 100_000;
const MAX_POSITIONS = 8192;
const VOCAB = 49_280;
// Token layout (see the top).
const LEADING_SPECIALS = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<repo_name>',
  '<reponame>',
  '<file_sep>',
  '<filename>',
  '<gh_stars>',
  '<issue_start>',
  '<issue_comment>',
  '<issue_closed>',
  '<jupyter_start>',
  '<jupyter_text>',
  '<jupyter_code>',
  '<jupyter_output>',
  '<jupyter_script>',
  '<empty_output>',
];
const BASE_VOCAB = 49_152;
const ROW_COL = Array.from({ length: 36 }, (_, i) => `<row_${Math.floor(i / 6) + 1}_col_${(i % 6) + 1}>`);
const TRAILING_SPECIALS = ['<global-img>', ...ROW_COL, '<fake_token_around_image>', '<image>', ...Array.from({ length: 88 }, (_, i) => `<|reserved_special_token_${i}|>`), '<end_of_utterance>'];
const IMAGE_TOKEN_ID = 49_190;
const BOS_ID = 1;
const PAD_ID = 2;
const END_OF_UTTERANCE_ID = VOCAB - 1;
/** lm_head columns that are zero: every token that ends an answer (see the top). */
const NEVER_WINNING_IDS = [0, PAD_ID, END_OF_UTTERANCE_ID] as const;
/** A short answer's worth: tokens/s settles long before; the real catalog's 512 would make every bench run minutes long. */
const MAX_NEW_TOKENS = 64;
const IMAGE_LONG_EDGE = 2048;

// ---------------------------------------------------------------- vision encoder

/** A SigLIP encoder layer (pre-LayerNorm attention and gelu_pytorch_tanh MLP); SmolVLM's base width unless `shape` says (LLaVA-OneVision's so400m). */
export function sigLipLayer(g: GraphParts, index: number, input: string, keyBias: string | undefined, shape: { hidden: number; mlp: number; eps: number } = { hidden: VISION_HIDDEN, mlp: VISION_MLP, eps: VISION_LAYER_NORM_EPS }): string {
  const prefix = `encoder.layers.${index}`;
  const attended = attention(g, `${prefix}.self_attn`, g.layerNorm(`${prefix}.layer_norm1`, input, shape.eps, shape.hidden), keyBias, shape.hidden);
  const residual = g.op('Add', [input, attended], `${prefix}.residual1`);
  const fc1 = g.linear(`${prefix}.mlp.fc1`, g.layerNorm(`${prefix}.layer_norm2`, residual, shape.eps, shape.hidden), shape.hidden, shape.mlp);
  return g.op('Add', [residual, g.linear(`${prefix}.mlp.fc2`, geluTanh(g, `${prefix}.mlp.gelu`, fc1), shape.mlp, shape.hidden)], `${prefix}.out`);
}

/** The SigLIP encoder + pixel-shuffle connector as .onnx bytes, and its parameter count. */
function randomVisionEncoder(seed = RANDOM_SMOLVLM_SEED): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  g.initializers.push(floatTensor('attention.scale', [], [1 / Math.sqrt(VISION_HIDDEN / VISION_HEADS)]), floatTensor('mask.min', [], [-3.4028234663852886e38]), floatTensor('zero.f', [], [0]), ...geluTanhConstants());
  vitConstants(g, PATCHES);
  g.constant('shape.tiles', [4], [-1, 3, TILE, TILE]);
  g.constant('shape.mask_patches', [5], [-1, GRID, PATCH, GRID, PATCH]);
  g.constant('shape.key_bias', [4], [-1, 1, 1, PATCHES]);
  g.constant('shape.shuffle1', [4], [0, GRID, GRID / SCALE_FACTOR, VISION_HIDDEN * SCALE_FACTOR]);
  g.constant('shape.shuffle2', [4], [0, GRID / SCALE_FACTOR, GRID / SCALE_FACTOR, SHUFFLED]);
  g.constant('shape.shuffle3', [3], [0, IMAGE_SEQ_LEN, SHUFFLED]);
  // Every image of every batch row as one tile batch [M, 3, 512, 512]; a patch is masked where none of its pixels is valid.
  const tiles = g.op('Reshape', ['pixel_values', 'shape.tiles'], 'tiles');
  const validPixels = g.op('Reshape', [g.op('Cast', ['pixel_attention_mask'], 'mask.float', { to: { int: 1 } }), 'shape.mask_patches'], 'mask.patches');
  const validPatches = g.op('ReduceMax', [validPixels], 'mask.patch_valid', { axes: { ints: [2, 4] }, keepdims: { int: 0 } });
  const valid = g.op('Greater', [g.op('Reshape', [validPatches, 'shape.key_bias'], 'mask.keys'), 'zero.f'], 'mask.keys_valid');
  const keyBias = g.op('Where', [valid, 'zero.f', 'mask.min'], 'mask.key_bias');
  let hidden = vitEmbeddings(g, PATCH, PATCHES, true, { classToken: false, input: tiles });
  for (let layer = 0; layer < VISION_LAYERS; layer++) hidden = sigLipLayer(g, layer, hidden, keyBias);
  hidden = g.layerNorm('post_layernorm', hidden, VISION_LAYER_NORM_EPS);
  // Idefics3Connector.pixel_shuffle: [M, 1024, 768] -> [M, 32, 8, 3072] -> swap -> [M, 8, 8, 12288] -> swap -> [M, 64, 12288].
  const rows = g.op('Transpose', [g.op('Reshape', [hidden, 'shape.shuffle1'], 'connector.rows')], 'connector.rows_t', { perm: { ints: [0, 2, 1, 3] } });
  const blocks = g.op('Transpose', [g.op('Reshape', [rows, 'shape.shuffle2'], 'connector.blocks')], 'connector.blocks_t', { perm: { ints: [0, 2, 1, 3] } });
  const shuffled = g.op('Reshape', [blocks, 'shape.shuffle3'], 'connector.shuffled');
  g.op('Identity', [g.linear('connector.modality_projection.proj', shuffled, SHUFFLED, TEXT_HIDDEN, false)], 'image_features');
  // vitConstants' class-token constants go unused without a class token; onnxruntime would warn about them.
  const used = new Set(g.nodes.flatMap((n) => n.input ?? []));
  const initializers = g.initializers.filter((tensor) => used.has(tensor.name ?? ''));
  const bytes = encodeModel({
    name: 'smolvlm_random_vision_encoder',
    doc: `Iris benchmark model: SigLIP-512 encoder + pixel-shuffle connector of SmolVLM-256M-Instruct with random N(0, 0.02) weights, seed ${seed}. Same work as the real one; meaningless features.`,
    inputs: [valueInfo('pixel_values', 'float32', ['batch_size', 'num_images', 3, TILE, TILE]), valueInfo('pixel_attention_mask', 'bool', ['batch_size', 'num_images', TILE, TILE])],
    outputs: [valueInfo('image_features', 'float32', ['batch_size_times_num_images', IMAGE_SEQ_LEN, TEXT_HIDDEN])],
    initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

// ---------------------------------------------------------------- embed_tokens

function randomEmbedTokens(seed = RANDOM_SMOLVLM_SEED + 1): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  g.op('Gather', [g.weight('embed_tokens.weight', [VOCAB, TEXT_HIDDEN]), 'input_ids'], 'inputs_embeds', { axis: { int: 0 } });
  const bytes = encodeModel({
    name: 'smolvlm_random_embed_tokens',
    doc: `Iris benchmark model: SmolVLM-256M-Instruct's token embeddings (49280 x 576) with random N(0, 0.02) weights, seed ${seed}.`,
    inputs: [valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('inputs_embeds', 'float32', ['batch_size', 'sequence_length', TEXT_HIDDEN])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

// ---------------------------------------------------------------- decoder

/** SmolLM2-135M's decoder shape (Llama: no q/k/v biases). */
const DECODER: DecoderShape = { hidden: TEXT_HIDDEN, heads: HEADS, kvHeads: KV_HEADS, headDim: HEAD_DIM, mlp: TEXT_MLP, layers: TEXT_LAYERS, rmsNormEps: RMS_NORM_EPS, qkvBias: false };

/** The merged SmolLM2 decoder (KV cache, lm_head) as .onnx bytes, and its parameter count. */
function randomSmolLmDecoder(seed = RANDOM_SMOLVLM_SEED + 2): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  // RoPE angles from position_ids, shared by every layer: cos/sin of [B, 1, S, 64] (the 32 frequencies twice).
  rope1d(g, DECODER, ROPE_THETA);
  allowedKeys(g);

  let hidden = 'inputs_embeds';
  for (let layer = 0; layer < TEXT_LAYERS; layer++) hidden = decoderLayer(g, DECODER, layer, hidden);
  const zeroEnds = (values: Float32Array) => {
    for (let row = 0; row < TEXT_HIDDEN; row++) for (const id of NEVER_WINNING_IDS) values[row * VOCAB + id] = 0;
  };
  const lmHead = g.weight('lm_head.weight_t', [TEXT_HIDDEN, VOCAB], undefined, 0, zeroEnds);
  g.op('MatMul', [g.rmsNorm('norm', hidden, TEXT_HIDDEN, RMS_NORM_EPS), lmHead], 'logits');

  const bytes = encodeModel({
    name: 'smolvlm_random_decoder_merged',
    doc: `Iris benchmark model: merged SmolLM2-135M decoder (GQA, RoPE, KV cache, untied lm_head) of SmolVLM-256M-Instruct with random N(0, 0.02) weights, seed ${seed}. End tokens never win.`,
    inputs: [
      valueInfo('inputs_embeds', 'float32', ['batch_size', 'sequence_length', TEXT_HIDDEN]),
      valueInfo('attention_mask', 'int64', ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', 'int64', ['batch_size', 'sequence_length']),
      ...kvCacheInfos(DECODER, 'past_key_values', 'past_sequence_length'),
    ],
    outputs: [valueInfo('logits', 'float32', ['batch_size', 'sequence_length', VOCAB]), ...kvCacheInfos(DECODER, 'present', 'total_sequence_length')],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

const VISION_PARAMETERS = (() => {
  const linear = (i: number, o: number) => i * o + o;
  const layer = 4 * linear(VISION_HIDDEN, VISION_HIDDEN) + linear(VISION_HIDDEN, VISION_MLP) + linear(VISION_MLP, VISION_HIDDEN) + 4 * VISION_HIDDEN;
  return VISION_HIDDEN * 3 * PATCH * PATCH + VISION_HIDDEN + PATCHES * VISION_HIDDEN + VISION_LAYERS * layer + 2 * VISION_HIDDEN + SHUFFLED * TEXT_HIDDEN;
})();
const EMBED_PARAMETERS = VOCAB * TEXT_HIDDEN;
const DECODER_PARAMETERS = (() => {
  const attentionWeights = TEXT_HIDDEN * HEADS * HEAD_DIM * 2 + TEXT_HIDDEN * KV_HEADS * HEAD_DIM * 2;
  const layer = attentionWeights + 3 * TEXT_HIDDEN * TEXT_MLP + 2 * TEXT_HIDDEN;
  return TEXT_LAYERS * layer + TEXT_HIDDEN + TEXT_HIDDEN * VOCAB;
})();

const RANDOM_SMOLVLM_PARAMETERS = VISION_PARAMETERS + EMBED_PARAMETERS + DECODER_PARAMETERS;

// ---------------------------------------------------------------- side files for transformers.js

const END_IDS = { bos_token_id: BOS_ID, eos_token_id: PAD_ID, pad_token_id: PAD_ID };

/** config.json with SmolVLM-256M-Instruct's dimensions (trimmed to what describes the model). */
function config(): Record<string, unknown> {
  return {
    _name_or_path: RANDOM_SMOLVLM_ID,
    architectures: ['Idefics3ForConditionalGeneration'],
    model_type: 'idefics3',
    image_token_id: IMAGE_TOKEN_ID,
    scale_factor: SCALE_FACTOR,
    tie_word_embeddings: false,
    vocab_size: VOCAB,
    ...END_IDS,
    text_config: {
      model_type: 'llama',
      architectures: ['VLlama3ForCausalLM'],
      hidden_act: 'silu',
      hidden_size: TEXT_HIDDEN,
      intermediate_size: TEXT_MLP,
      num_hidden_layers: TEXT_LAYERS,
      num_attention_heads: HEADS,
      num_key_value_heads: KV_HEADS,
      head_dim: HEAD_DIM,
      rms_norm_eps: RMS_NORM_EPS,
      rope_theta: ROPE_THETA,
      max_position_embeddings: MAX_POSITIONS,
      initializer_range: 0.02,
      tie_word_embeddings: false,
      vocab_size: VOCAB,
      ...END_IDS,
    },
    vision_config: {
      model_type: 'idefics3_vision',
      hidden_act: 'gelu_pytorch_tanh',
      hidden_size: VISION_HIDDEN,
      image_size: TILE,
      patch_size: PATCH,
      num_channels: 3,
      num_attention_heads: VISION_HEADS,
      num_hidden_layers: VISION_LAYERS,
      intermediate_size: VISION_MLP,
      layer_norm_eps: VISION_LAYER_NORM_EPS,
      initializer_range: 0.02,
    },
  };
}

/** The real Idefics3ImageProcessor settings: 2048 long edge, 512x512 tiles with splitting, resample 1, mean = std = 0.5. */
function preprocessorConfig(): Record<string, unknown> {
  const half = [0.5, 0.5, 0.5];
  return {
    processor_class: 'Idefics3Processor',
    image_processor_type: 'Idefics3ImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: { longest_edge: IMAGE_LONG_EDGE },
    resample: 1,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: half,
    image_std: half,
    do_pad: true,
    do_image_splitting: true,
    max_image_size: { longest_edge: TILE },
  };
}

function tokenizerJson(): Record<string, unknown> {
  const json = byteLevelBpeTokenizer({ leading: LEADING_SPECIALS, merges: BASE_VOCAB - LEADING_SPECIALS.length - 256, trailing: TRAILING_SPECIALS, normalized: false });
  const ids = new Map((json.added_tokens as { id: number; content: string }[]).map((token) => [token.content, token.id]));
  const expected: [string, number][] = [
    ['<global-img>', BASE_VOCAB],
    ['<image>', IMAGE_TOKEN_ID],
    ['<end_of_utterance>', END_OF_UTTERANCE_ID],
    ['<|im_end|>', PAD_ID],
  ];
  for (const [token, id] of expected) if (ids.get(token) !== id) throw new Error(`smolvlm-random tokenizer: ${token} is ${ids.get(token)}, expected ${id}`);
  return json;
}

function sideFiles(): Map<string, Uint8Array> {
  const fixture = smolvlmFixtureFiles();
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  return new Map<string, Uint8Array>([
    ['config.json', json(config())],
    ['generation_config.json', json({ _from_model_config: true, ...END_IDS, eos_token_id: [PAD_ID, END_OF_UTTERANCE_ID] })],
    ['preprocessor_config.json', json(preprocessorConfig())],
    ['processor_config.json', json({ processor_class: 'Idefics3Processor', image_seq_len: IMAGE_SEQ_LEN })],
    ['tokenizer.json', Buffer.from(JSON.stringify(tokenizerJson()))],
    // The fixture's copies of the real tokenizer_config.json (tokens, GPT2Tokenizer, 8192) and chat_template.json (the template is there, not in tokenizer_config.json).
    ...['tokenizer_config.json', 'chat_template.json'].map((file): [string, Uint8Array] => [file, fixture.get(file)!]),
  ]);
}

// ---------------------------------------------------------------- catalog and files on disk

function catalogEntry(files: FileRecord[], io: ModelEntry['io']): ModelEntry {
  return {
    id: RANDOM_SMOLVLM_ID,
    task: 'vqa',
    title: 'SmolVLM 256M Instruct with random weights (benchmark model), same shapes and files as HuggingFaceTB/SmolVLM-256M-Instruct (fp32)',
    licence: 'MIT',
    source: { repo: 'iris-fixtures/smolvlm-random', revision: REVISION },
    dtype: 'fp32',
    family: RANDOM_SMOLVLM_ID,
    default: true,
    files,
    io,
    preprocessing: {
      architecture: 'idefics3',
      sessions: { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' },
      max_new_tokens: MAX_NEW_TOKENS,
      image_long_edge: IMAGE_LONG_EDGE,
      stop_tokens: ['<end_of_utterance>'],
    },
    notes:
      `Generated by test/bench/random-smolvlm.ts (seed ${RANDOM_SMOLVLM_SEED}, ${(RANDOM_SMOLVLM_PARAMETERS / 1e6).toFixed(1)}M parameters, fp32); never downloaded ` +
      '(the source repo does not exist). Random weights in the real shapes: the work per answer and per token is the real fp32 model’s, the answers are babble. ' +
      `The end tokens have zero lm_head columns, so they never win and every answer runs to max_new_tokens (${MAX_NEW_TOKENS} here; the real entry allows 512).`,
  };
}

const SMOLVLM_SPEC: GeneratedModelSpec = {
  id: RANDOM_SMOLVLM_ID,
  revision: REVISION,
  graphs: [
    [VISION_FILE, randomVisionEncoder, VISION_PARAMETERS],
    [EMBED_FILE, randomEmbedTokens, EMBED_PARAMETERS],
    [DECODER_FILE, randomSmolLmDecoder, DECODER_PARAMETERS],
  ],
  sideFiles,
  entry: catalogEntry,
};

/**
 * Makes sure `<modelsDir>/smolvlm-random/` holds the model and `<modelsDir>/catalog.json` lists it
 * beside the other random-weight models. About 1.03 GB; generating takes tens of seconds.
 */
export function ensureRandomSmolVlm(modelsDir?: string, log?: (message: string) => void): Promise<RandomVitGpt2Result> {
  return ensureGeneratedModel(SMOLVLM_SPEC, modelsDir, log);
}

runAsGeneratorScript(import.meta.url, SMOLVLM_SPEC);
