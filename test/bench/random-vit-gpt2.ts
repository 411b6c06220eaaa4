import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatalogSchema, CATALOG_FILE, type Catalog, type ModelEntry } from '../../main/engine/models/catalog.js';
import { ensureVerified } from '../../main/engine/models/verified.js';
import { declaredIo, encodeModel, floatTensor, node, valueInfo } from '../fixtures/onnx-builder.js';
import { byteToUnicode } from '../fixtures/vlm/byte-tokenizer.js';
import { attention, GraphParts, vitConstants, vitEmbeddings, writeIfChanged } from '../fixtures/vit-b32-random.js';

/**
 * Xenova/vit-gpt2-image-captioning with random weights, for the generation benchmark: the real
 * architecture, dimensions, operators, session files and input/output names, so onnxruntime and
 * transformers.js do the same work per caption and per token as with the real weights. The
 * captions are babble; the time and memory they take is the point.
 *
 *   onnx/encoder_model.onnx         pixel_values float32 [batch_size, 3, 224, 224]
 *                                   -> last_hidden_state float32 [batch_size, 197, 768]
 *   onnx/decoder_model_merged.onnx  input_ids int64 [batch_size, sequence_length],
 *                                   encoder_hidden_states float32 [batch_size, encoder_sequence_length, 768],
 *                                   past_key_values.{0..11}.{key,value} float32 [batch_size, 12, past_sequence_length, 64],
 *                                   use_cache_branch bool [1]
 *                                   -> logits float32 [batch_size, sequence_length, 50257],
 *                                   present.{0..11}.{key,value} float32 [batch_size, 12, past_sequence_length + sequence_length, 64]
 *   config.json, generation_config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json
 *
 * Those are the names transformers.js 4.3.1 uses for a `vision-encoder-decoder` model whose
 * decoder is gpt2 (VisionEncoderDecoderModel, a Vision2Seq model): sessions `model` =
 * encoder_model and decoder_model_merged, with the dtype's suffix (none for fp32); the decoder is
 * fed input_ids (the last token once there is a cache), encoder_hidden_states at every step,
 * use_cache_branch (true once past_key_values hold earlier steps) and, because the normalized gpt2
 * config has num_layers but no num_decoder_layers, the self-attention cache only:
 * past_key_values.<layer>.key/value (no .decoder/.encoder split, no encoder cache: GPT-2's
 * cross-attention projects the encoder states again at every step, as the real export does). No
 * attention_mask, no position_ids: positions come from the cache length, as in the real graph. The
 * first step's empty cache is made from the declared shapes (batch_size resolved, other names 0).
 *
 * Architecture:
 *   encoder (ViTModel, google/vit-base-patch16-224-in21k): Conv 3->768, kernel and stride 16, with
 *     bias -> 196 patches; class token; 197 position embeddings; 12 pre-LayerNorm layers (eps 1e-12)
 *     of 12-head self-attention (q, k, v, out with biases) and MLP 768->3072->768 with exact GELU
 *     (x/2 (1 + erf(x/sqrt 2))); final LayerNorm -> last_hidden_state. (No pooler: the export drops it.)
 *   decoder (GPT2LMHeadModel with add_cross_attention): token embeddings 50257x768 + position
 *     embeddings 1024x768; 12 layers of [ln_1 -> causal self-attention (c_attn 768->2304 split q/k/v,
 *     12 heads of 64, cache concatenated, scores/8, causal mask) -> c_proj -> residual; ln_cross_attn
 *     -> cross-attention (q_attn 768->768 on the tokens, c_attn 768->1536 on the encoder states) ->
 *     c_proj -> residual; ln_2 -> c_fc 768->3072, gelu_new (tanh form), c_proj 3072->768 -> residual]
 *     (LayerNorm eps 1e-5); ln_f; logits = hidden x token embeddings^T (tied, no bias).
 *   The merged export picks a branch with an If on use_cache_branch; here one graph serves both:
 *   when use_cache_branch is false the past is sliced to length 0 (what the no-cache branch
 *   ignores it to), so the work per step is that of the real branches.
 *
 * Weights: N(0, 0.02) (GPT-2's and ViT's initializer_range), LayerNorm scales N(1, 0.02), seeded,
 * so generation is deterministic. The token embedding is stored transposed ([768, 50257], one
 * copy, read by the logits MatMul as is and by a Gather on axis 1 for the input embedding), and its
 * column for <|endoftext|> (50256, also the decoder start token) is zero: that token's logit is
 * then exactly 0 while the largest of the 50256 others is always above 0, so greedy decoding never
 * ends early and every caption runs to max_new_tokens (20, the real model's max_length). Nothing
 * else is changed to make that so (no min_length, no logits processor).
 *
 * Tokenizer: byte-level BPE with GPT-2's layout of 50257 ids (256 bytes, 50000 merges, then
 * <|endoftext|> = 50256); the merges are made up (two- and three-character ASCII pieces), so every
 * id decodes to printable text.
 *
 * Generated on demand (never committed) into `.cache/generation-bench-models/` (gitignored): a
 * models folder with its own catalog.json (real sizes and sha256, which the loader verifies) and
 * `vit-gpt2-random/`. Regenerated only when missing, of another generator version, or when a file
 * no longer verifies.
 *
 *   node dist/test/bench/random-vit-gpt2.js [modelsDir]
 */

const RANDOM_VIT_GPT2_ID = 'vit-gpt2-random';
const RANDOM_VIT_GPT2_SEED = 0x7e57;
/** Bump whenever a graph, the weight recipe or a side file changes. */
const GENERATOR_VERSION = 1;
const REVISION = `generated-v${GENERATOR_VERSION}-seed-${RANDOM_VIT_GPT2_SEED}`;

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RANDOM_GENERATION_MODELS_DIR = path.join(REPO_ROOT, '.cache', 'generation-bench-models');

const ENCODER_FILE = 'onnx/encoder_model.onnx';
const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

const IMAGE_SIZE = 224;
const PATCH = 16;
const PATCHES = (IMAGE_SIZE / PATCH) ** 2;
const IMAGE_TOKENS = PATCHES + 1;
const HIDDEN = 768;
const HEADS = 12;
const HEAD_DIM = HIDDEN / HEADS;
const MLP = 3072;
const LAYERS = 12;
const VIT_LAYER_NORM_EPS = 1e-12;
const GPT2_LAYER_NORM_EPS = 1e-5;
const VOCAB = 50_257;
const POSITIONS = 1024;
/** <|endoftext|>: GPT-2's bos, eos, pad and the decoder start token. */
const END_ID = 50_256;
const MERGES = 50_000;
const MAX_NEW_TOKENS = 20;
const IMAGE_LONG_EDGE = 448;

// ---------------------------------------------------------------- encoder

/**
 * A pre-LayerNorm ViT encoder layer with exact GELU: ViT-B/16's (vit-gpt2) unless `shape` says
 * (BLIP-large's ViT-L: 1024 wide, MLP 4096). Needs the constants gelu.sqrt2, one and half.
 */
export function vitLayer(g: GraphParts, index: number, input: string, shape: { hidden: number; mlp: number; eps: number } = { hidden: HIDDEN, mlp: MLP, eps: VIT_LAYER_NORM_EPS }): string {
  const prefix = `encoder.layer.${index}`;
  const attended = attention(g, `${prefix}.attention`, g.layerNorm(`${prefix}.layernorm_before`, input, shape.eps, shape.hidden), undefined, shape.hidden);
  const residual = g.op('Add', [input, attended], `${prefix}.residual1`);
  const intermediate = g.linear(`${prefix}.intermediate.dense`, g.layerNorm(`${prefix}.layernorm_after`, residual, shape.eps, shape.hidden), shape.hidden, shape.mlp);
  // Exact GELU as the exporter writes it at opset 17: x * 0.5 * (1 + erf(x / sqrt(2))).
  const erf = g.op('Erf', [g.op('Div', [intermediate, 'gelu.sqrt2'], `${prefix}.gelu.scaled`)], `${prefix}.gelu.erf`);
  const gate = g.op('Mul', [g.op('Add', [erf, 'one'], `${prefix}.gelu.shifted`), 'half'], `${prefix}.gelu.gate`);
  const activated = g.op('Mul', [intermediate, gate], `${prefix}.gelu.out`);
  return g.op('Add', [residual, g.linear(`${prefix}.output.dense`, activated, shape.mlp, shape.hidden)], `${prefix}.out`);
}

/** The ViT-B/16 encoder as .onnx bytes, and its parameter count. */
function randomVitEncoder(seed = RANDOM_VIT_GPT2_SEED): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  g.initializers.push(floatTensor('attention.scale', [], [1 / Math.sqrt(HEAD_DIM)]), floatTensor('gelu.sqrt2', [], [Math.SQRT2]), floatTensor('one', [], [1]), floatTensor('half', [], [0.5]));
  vitConstants(g, PATCHES);
  let hidden = vitEmbeddings(g, PATCH, PATCHES, true);
  for (let layer = 0; layer < LAYERS; layer++) hidden = vitLayer(g, layer, hidden);
  g.op('Identity', [g.layerNorm('layernorm', hidden, VIT_LAYER_NORM_EPS)], 'last_hidden_state');
  const bytes = encodeModel({
    name: 'vit_gpt2_random_encoder',
    doc: `Iris benchmark model: ViT-B/16 encoder of vit-gpt2-image-captioning with random N(0, 0.02) weights, seed ${seed}. Same work as the real one; meaningless states.`,
    inputs: [valueInfo('pixel_values', 'float32', ['batch_size', 3, IMAGE_SIZE, IMAGE_SIZE])],
    outputs: [valueInfo('last_hidden_state', 'float32', ['batch_size', IMAGE_TOKENS, HIDDEN])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

// ---------------------------------------------------------------- decoder

/** [B, S, 768] -> [B, 12, S, 64]. */
export function splitHeads(g: GraphParts, name: string, x: string): string {
  return g.op('Transpose', [g.op('Reshape', [x, 'shape.heads'], `${name}.split`)], `${name}.heads`, { perm: { ints: [0, 2, 1, 3] } });
}

/** Scaled dot-product attention over heads, masked where `mask` is false, merged back to [B, S, 768] and projected (`${prefix}.c_proj`). */
export function attend(g: GraphParts, prefix: string, q: string, k: string, v: string, mask: string | null): string {
  const keys = g.op('Transpose', [k], `${prefix}.keys_t`, { perm: { ints: [0, 1, 3, 2] } });
  const scores = g.op('Mul', [g.op('MatMul', [q, keys], `${prefix}.scores`), 'attention.scale'], `${prefix}.scaled`);
  const masked = mask ? g.op('Where', [mask, scores, 'mask.min'], `${prefix}.masked`) : scores;
  const weights = g.op('Softmax', [masked], `${prefix}.weights`, { axis: { int: -1 } });
  const context = g.op('Transpose', [g.op('MatMul', [weights, v], `${prefix}.context`)], `${prefix}.context.tokens`, { perm: { ints: [0, 2, 1, 3] } });
  return g.linear(`${prefix}.c_proj`, g.op('Reshape', [context, 'shape.hidden'], `${prefix}.context.joined`), HIDDEN, HIDDEN);
}

/** Splits the last axis of `x` into equal parts named `${x}.<part>`. */
export function split(g: GraphParts, x: string, parts: readonly string[], sizes: string): string[] {
  const outputs = parts.map((part) => `${x}.${part}`);
  g.nodes.push(node('Split', [x, sizes], outputs, { axis: { int: 2 } }));
  return outputs;
}

/** The float scalars geluTanh reads, as initializers: one, half, gelu.three, gelu.coefficient, gelu.sqrt_2_over_pi. */
export function geluTanhConstants(): ReturnType<typeof floatTensor>[] {
  return [
    floatTensor('one', [], [1]),
    floatTensor('half', [], [0.5]),
    floatTensor('gelu.three', [], [3]),
    floatTensor('gelu.coefficient', [], [0.044715]),
    floatTensor('gelu.sqrt_2_over_pi', [], [Math.sqrt(2 / Math.PI)]),
  ];
}

/**
 * GELU in its tanh form (GPT-2's gelu_new, PyTorch's gelu(approximate="tanh"), SigLIP's
 * gelu_pytorch_tanh) as opset-17 primitives: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); node
 * outputs are named `${name}.<step>`. Needs geluTanhConstants().
 */
export function geluTanh(g: GraphParts, name: string, x: string): string {
  const cubic = g.op('Mul', [g.op('Pow', [x, 'gelu.three'], `${name}.cube`), 'gelu.coefficient'], `${name}.cubic`);
  const inner = g.op('Mul', [g.op('Add', [x, cubic], `${name}.inner`), 'gelu.sqrt_2_over_pi'], `${name}.scaled`);
  const gate = g.op('Add', [g.op('Tanh', [inner], `${name}.tanh`), 'one'], `${name}.gate`);
  return g.op('Mul', [g.op('Mul', [x, 'half'], `${name}.half`), gate], `${name}.activated`);
}

function gpt2Layer(g: GraphParts, i: number, input: string): string {
  const prefix = `h.${i}`;
  // Self-attention with the cache: present = past (or nothing, off the cache branch) + this step.
  const qkv = g.linear(`${prefix}.attn.c_attn`, g.layerNorm(`${prefix}.ln_1`, input, GPT2_LAYER_NORM_EPS), HIDDEN, 3 * HIDDEN);
  const [q, k, v] = split(g, qkv, ['q', 'k', 'v'], 'split.qkv').map((x) => splitHeads(g, x, x));
  const present = (['key', 'value'] as const).map((part, j) => {
    const past = g.op('Slice', [`past_key_values.${i}.${part}`, 'zero_1d', 'cache.kept', 'sequence_axis'], `${prefix}.past.${part}`);
    return g.op('Concat', [past, [k, v][j]!], `present.${i}.${part}`, { axis: { int: 2 } });
  });
  const selfOut = attend(g, `${prefix}.attn`, q!, present[0]!, present[1]!, 'causal_mask');
  const afterSelf = g.op('Add', [input, selfOut], `${prefix}.residual1`);
  // Cross-attention to the encoder states (projected again at every step, as in the real export).
  const crossQ = g.linear(`${prefix}.crossattention.q_attn`, g.layerNorm(`${prefix}.ln_cross_attn`, afterSelf, GPT2_LAYER_NORM_EPS), HIDDEN, HIDDEN);
  const crossKv = g.linear(`${prefix}.crossattention.c_attn`, 'encoder_hidden_states', HIDDEN, 2 * HIDDEN);
  const [crossK, crossV] = split(g, crossKv, ['k', 'v'], 'split.kv').map((x) => splitHeads(g, x, x));
  const crossOut = attend(g, `${prefix}.crossattention`, splitHeads(g, crossQ, crossQ), crossK!, crossV!, null);
  const afterCross = g.op('Add', [afterSelf, crossOut], `${prefix}.residual2`);
  const fc = g.linear(`${prefix}.mlp.c_fc`, g.layerNorm(`${prefix}.ln_2`, afterCross, GPT2_LAYER_NORM_EPS), HIDDEN, MLP);
  const activated = geluTanh(g, `${prefix}.mlp`, fc);
  return g.op('Add', [afterCross, g.linear(`${prefix}.mlp.c_proj`, activated, MLP, HIDDEN)], `${prefix}.out`);
}

/**
 * The merged decoders' cache branch (GPT-2's, BLIP's): `cache.kept` (how much of past_key_values
 * is used: all on the cache branch, none off it), the positions of this step's tokens (returned)
 * and `causal_mask` over them. Needs the constants positions.max, zero, one_step, row_axis.
 */
export function mergedCachePositions(g: GraphParts): string {
  const cacheOn = g.op('Cast', ['use_cache_branch'], 'cache.on', { to: { int: 7 } });
  g.op('Mul', [cacheOn, 'positions.max'], 'cache.kept');
  // Positions past_length .. past_length + sequence_length - 1; the causal mask over them.
  const pastLength = g.op('Mul', [g.op('Shape', ['past_key_values.0.key'], 'past_length.given', { start: { int: 2 }, end: { int: 3 } }), cacheOn], 'past_length');
  const total = g.op('Add', [pastLength, g.op('Shape', ['input_ids'], 'sequence_length', { start: { int: 1 }, end: { int: 2 } })], 'total_length');
  const end = g.op('Squeeze', [total], 'total_length.scalar');
  const positions = g.op('Range', [g.op('Squeeze', [pastLength], 'past_length.scalar'), end, 'one_step'], 'positions');
  const columns = g.op('Range', ['zero', end, 'one_step'], 'key_positions');
  g.op('LessOrEqual', [columns, g.op('Unsqueeze', [positions, 'row_axis'], 'query_positions')], 'causal_mask');
  return positions;
}

/** The merged GPT-2 decoder as .onnx bytes, and its parameter count. */
function randomGpt2Decoder(seed = RANDOM_VIT_GPT2_SEED + 1): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  g.initializers.push(
    floatTensor('attention.scale', [], [1 / Math.sqrt(HEAD_DIM)]),
    floatTensor('mask.min', [], [-3.4028234663852886e38]),
    ...geluTanhConstants(),
  );
  g.constant('shape.heads', [4], [0, 0, HEADS, HEAD_DIM]);
  g.constant('shape.hidden', [3], [0, 0, HIDDEN]);
  g.constant('split.qkv', [3], [HIDDEN, HIDDEN, HIDDEN]);
  g.constant('split.kv', [2], [HIDDEN, HIDDEN]);
  g.constant('zero', [], [0]);
  g.constant('zero_1d', [1], [0]);
  g.constant('one_step', [], [1]);
  g.constant('sequence_axis', [1], [2]);
  g.constant('row_axis', [1], [1]);
  g.constant('positions.max', [1], [POSITIONS]);

  const positions = mergedCachePositions(g);

  // Token embeddings, stored transposed for the tied logits MatMul; <|endoftext|>'s column is zero (see the top).
  const zeroEnd = (values: Float32Array) => {
    for (let row = 0; row < HIDDEN; row++) values[row * VOCAB + END_ID] = 0;
  };
  const wte = g.weight('wte.weight_t', [HIDDEN, VOCAB], undefined, 0, zeroEnd);
  const tokens = g.op('Transpose', [g.op('Gather', [wte, 'input_ids'], 'wte.columns', { axis: { int: 1 } })], 'wte.out', { perm: { ints: [1, 2, 0] } });
  let hidden = g.op('Add', [tokens, g.op('Gather', [g.weight('wpe.weight', [POSITIONS, HIDDEN]), positions], 'wpe.out', { axis: { int: 0 } })], 'embeddings');
  for (let layer = 0; layer < LAYERS; layer++) hidden = gpt2Layer(g, layer, hidden);
  g.op('MatMul', [g.layerNorm('ln_f', hidden, GPT2_LAYER_NORM_EPS), wte], 'logits');

  const cache = (prefix: 'past_key_values' | 'present', axis: string) =>
    Array.from({ length: LAYERS }, (_, i) => (['key', 'value'] as const).map((part) => valueInfo(`${prefix}.${i}.${part}`, 'float32', ['batch_size', HEADS, axis, HEAD_DIM]))).flat();
  const bytes = encodeModel({
    name: 'vit_gpt2_random_decoder_merged',
    doc: `Iris benchmark model: merged GPT-2 decoder (cross-attention, KV cache) of vit-gpt2-image-captioning with random N(0, 0.02) weights, seed ${seed}. <|endoftext|> never wins.`,
    inputs: [
      valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length']),
      valueInfo('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', HIDDEN]),
      ...cache('past_key_values', 'past_sequence_length'),
      valueInfo('use_cache_branch', 'bool', [1]),
    ],
    outputs: [valueInfo('logits', 'float32', ['batch_size', 'sequence_length', VOCAB]), ...cache('present', 'past_sequence_length + sequence_length')],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

const ENCODER_PARAMETERS = (() => {
  const linear = (i: number, o: number) => i * o + o;
  const layer = 4 * linear(HIDDEN, HIDDEN) + linear(HIDDEN, MLP) + linear(MLP, HIDDEN) + 4 * HIDDEN;
  return HIDDEN * 3 * PATCH * PATCH + HIDDEN + HIDDEN + IMAGE_TOKENS * HIDDEN + LAYERS * layer + 2 * HIDDEN;
})();

const DECODER_PARAMETERS = (() => {
  const linear = (i: number, o: number) => i * o + o;
  const layer = linear(HIDDEN, 3 * HIDDEN) + linear(HIDDEN, HIDDEN) + linear(HIDDEN, HIDDEN) + linear(HIDDEN, 2 * HIDDEN) + linear(HIDDEN, HIDDEN) + linear(HIDDEN, MLP) + linear(MLP, HIDDEN) + 6 * HIDDEN;
  return VOCAB * HIDDEN + POSITIONS * HIDDEN + LAYERS * layer + 2 * HIDDEN;
})();

const RANDOM_VIT_GPT2_PARAMETERS = ENCODER_PARAMETERS + DECODER_PARAMETERS;

// ---------------------------------------------------------------- side files for transformers.js

function ids(): Record<string, number> {
  return { bos_token_id: END_ID, eos_token_id: END_ID, pad_token_id: END_ID, decoder_start_token_id: END_ID };
}

/** config.json with the real dimensions (nlpconnect/vit-gpt2-image-captioning's, trimmed to what describes the model). */
function config(): Record<string, unknown> {
  return {
    _name_or_path: RANDOM_VIT_GPT2_ID,
    architectures: ['VisionEncoderDecoderModel'],
    model_type: 'vision-encoder-decoder',
    is_encoder_decoder: true,
    tie_word_embeddings: false,
    ...ids(),
    decoder: {
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      activation_function: 'gelu_new',
      add_cross_attention: true,
      is_decoder: true,
      n_ctx: POSITIONS,
      n_embd: HIDDEN,
      n_head: HEADS,
      n_inner: null,
      n_layer: LAYERS,
      n_positions: POSITIONS,
      layer_norm_epsilon: GPT2_LAYER_NORM_EPS,
      initializer_range: 0.02,
      scale_attn_weights: true,
      tie_word_embeddings: true,
      use_cache: true,
      vocab_size: VOCAB,
      max_length: MAX_NEW_TOKENS,
      bos_token_id: END_ID,
      eos_token_id: END_ID,
    },
    encoder: {
      model_type: 'vit',
      architectures: ['ViTModel'],
      hidden_act: 'gelu',
      hidden_size: HIDDEN,
      image_size: IMAGE_SIZE,
      patch_size: PATCH,
      num_channels: 3,
      num_attention_heads: HEADS,
      num_hidden_layers: LAYERS,
      intermediate_size: MLP,
      layer_norm_eps: VIT_LAYER_NORM_EPS,
      initializer_range: 0.02,
      qkv_bias: true,
      encoder_stride: PATCH,
    },
  };
}

/** ViTFeatureExtractor as in the real model: 224x224 bilinear, no crop, x/255, mean = std = 0.5. */
function preprocessorConfig(): Record<string, unknown> {
  const half = [0.5, 0.5, 0.5];
  return { do_normalize: true, do_rescale: true, do_resize: true, feature_extractor_type: 'ViTFeatureExtractor', image_mean: half, image_std: half, resample: 2, rescale_factor: 1 / 255, size: { height: IMAGE_SIZE, width: IMAGE_SIZE } };
}

/** How byteLevelBpeTokenizer lays out its ids: specials first, then the 256 bytes, the merges, and more specials. */
export interface ByteLevelBpeLayout {
  /** Special tokens at ids 0, 1, … (before the bytes). */
  leading?: readonly string[];
  merges: number;
  /** Special tokens after the merged pieces. */
  trailing: readonly string[];
  /** The added tokens' `normalized` flag. */
  normalized: boolean;
}

/**
 * A byte-level BPE tokenizer.json (GPT-2's pre-tokenizer, decoder and byte characters) with
 * made-up merges: `leading` specials, the 256 bytes (GPT-2's printable byte characters), then
 * `merges` merged pieces (every pair of printable ASCII characters, then lowercase/space pairs
 * followed by one more printable character; up to 78280), then the `trailing` specials. Every id
 * decodes to printable text. GPT-2's layout is { merges: 50000, trailing: [<|endoftext|>] }.
 */
export function byteLevelBpeTokenizer(layout: ByteLevelBpeLayout): Record<string, unknown> {
  const chars = byteToUnicode();
  const leading = layout.leading ?? [];
  const vocab = new Map<string, number>(leading.map((token, id) => [token, id]));
  for (const char of chars) vocab.set(char, vocab.size);
  const merges: [string, string][] = [];
  const printable = Array.from({ length: 95 }, (_, i) => chars[32 + i]!);
  const wordy = [chars[32]!, ...Array.from({ length: 26 }, (_, i) => chars[97 + i]!)];
  const merge = (left: string, right: string) => {
    if (merges.length === layout.merges) return;
    merges.push([left, right]);
    vocab.set(left + right, vocab.size);
  };
  for (const left of printable) for (const right of printable) merge(left, right);
  for (const first of wordy) for (const second of wordy) for (const third of printable) merge(first + second, third);
  if (merges.length !== layout.merges) throw new Error(`byte-level tokenizer: only ${merges.length} merges can be made up, ${layout.merges} asked`);
  for (const token of layout.trailing) vocab.set(token, vocab.size);
  const added = [...leading, ...layout.trailing].map((content) => ({ id: vocab.get(content)!, content, single_word: false, lstrip: false, rstrip: false, normalized: layout.normalized, special: true }));
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: { type: 'ByteLevel', ...byteLevel, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab: Object.fromEntries(vocab), merges },
  };
}

/** GPT-2's tokenizer.json layout: ids 0-255 the bytes, 50000 made-up merges, then <|endoftext|> = 50256. */
function tokenizerJson(): Record<string, unknown> {
  const json = byteLevelBpeTokenizer({ merges: MERGES, trailing: ['<|endoftext|>'], normalized: true });
  if ((json.added_tokens as { id: number }[])[0]?.id !== END_ID) throw new Error(`vit-gpt2-random tokenizer: <|endoftext|> is not ${END_ID}`);
  return json;
}

function sideFiles(): Map<string, Uint8Array> {
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  const end = '<|endoftext|>';
  return new Map<string, Uint8Array>([
    ['config.json', json(config())],
    ['generation_config.json', json({ _from_model_config: true, ...ids() })],
    ['preprocessor_config.json', json(preprocessorConfig())],
    ['tokenizer.json', Buffer.from(JSON.stringify(tokenizerJson()))],
    ['tokenizer_config.json', json({ add_prefix_space: false, bos_token: end, eos_token: end, unk_token: end, model_max_length: POSITIONS, tokenizer_class: 'GPT2Tokenizer' })],
  ]);
}

// ---------------------------------------------------------------- catalog and files on disk

export type FileRecord = ModelEntry['files'][number];

function catalogEntry(files: readonly FileRecord[], io: ModelEntry['io']): ModelEntry {
  return {
    id: RANDOM_VIT_GPT2_ID,
    task: 'caption',
    title: 'ViT-GPT2 captioner with random weights (benchmark model), same shapes and files as Xenova/vit-gpt2-image-captioning (fp32)',
    licence: 'MIT',
    source: { repo: 'iris-fixtures/vit-gpt2-random', revision: REVISION },
    dtype: 'fp32',
    family: RANDOM_VIT_GPT2_ID,
    default: true,
    files: [...files],
    io,
    preprocessing: {
      architecture: 'vision-encoder-decoder',
      sessions: { encoder_model: 'fp32', decoder_model_merged: 'fp32' },
      max_new_tokens: MAX_NEW_TOKENS,
      image_long_edge: IMAGE_LONG_EDGE,
    },
    notes:
      `Generated by test/bench/random-vit-gpt2.ts (seed ${RANDOM_VIT_GPT2_SEED}, ${(RANDOM_VIT_GPT2_PARAMETERS / 1e6).toFixed(1)}M parameters, fp32); never downloaded ` +
      '(the source repo does not exist). Random weights in the real shapes: the work per caption and per token is the real model’s, the captions are babble. ' +
      '<|endoftext|> has a zero embedding column, so it never wins and every caption runs to max_new_tokens.',
  };
}

export interface RandomVitGpt2Result {
  modelsDir: string;
  modelDir: string;
  entry: ModelEntry;
  /** True when the .onnx files were (re)generated in this call, false when the cached ones verified. */
  generated: boolean;
  seconds: number;
}

/** The cached entry `id` when the catalog lists it at `revision` and every file verifies by sha256; else null. */
async function cachedEntry(modelsDir: string, id: string, revision: string): Promise<ModelEntry | null> {
  try {
    const catalog = CatalogSchema.parse(JSON.parse(fs.readFileSync(path.join(modelsDir, CATALOG_FILE), 'utf8')));
    const entry = catalog.models.find((model) => model.id === id);
    if (entry?.source.revision !== revision) return null;
    await ensureVerified(modelsDir, entry);
    return entry;
  } catch {
    return null;
  }
}

function record(relative: string, bytes: Uint8Array): FileRecord {
  return { path: relative, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Puts `entry` into `<modelsDir>/catalog.json`, replacing an entry of the same id and keeping the
 * other generators' entries (several random-weight models share the folder).
 */
function writeCatalogEntry(modelsDir: string, entry: ModelEntry): ModelEntry {
  const file = path.join(modelsDir, CATALOG_FILE);
  let others: ModelEntry[] = [];
  try {
    others = CatalogSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).models.filter((model) => model.id !== entry.id);
  } catch {
    // No catalog yet, or an unreadable one: it is rewritten with this entry (the others regenerate theirs).
  }
  const catalog = CatalogSchema.parse({ version: 1, models: [...others, entry] } satisfies Catalog);
  writeIfChanged(file, Buffer.from(`${JSON.stringify(catalog, null, 2)}\n`));
  return catalog.models.find((model) => model.id === entry.id)!;
}

/** A generated random-weight model: its graphs (built one at a time), side files and catalog entry. */
export interface GeneratedModelSpec {
  id: string;
  /** The catalog's source.revision: a cached copy of another revision is regenerated. */
  revision: string;
  /** [file, build, expected parameter count]; each graph is built, checked and written before the next. */
  graphs: readonly (readonly [string, () => { bytes: Uint8Array; parameters: number }, number])[];
  sideFiles: () => Map<string, Uint8Array>;
  entry: (files: FileRecord[], io: ModelEntry['io']) => ModelEntry;
}

/**
 * Makes sure `<modelsDir>/<id>/` holds the model and `<modelsDir>/catalog.json` lists it (that
 * catalog only: never models/catalog.json). A cached copy is checked by the loader's own sha256
 * stamps (models/verified.ts); else the graphs are generated, one in memory at a time.
 */
export async function ensureGeneratedModel(spec: GeneratedModelSpec, modelsDir = RANDOM_GENERATION_MODELS_DIR, log: (message: string) => void = () => {}): Promise<RandomVitGpt2Result> {
  const started = performance.now();
  const root = path.resolve(modelsDir);
  const modelDir = path.join(root, spec.id);
  const done = (entry: ModelEntry, generated: boolean): RandomVitGpt2Result => ({ modelsDir: root, modelDir, entry, generated, seconds: (performance.now() - started) / 1000 });
  const cached = await cachedEntry(root, spec.id, spec.revision);
  if (cached) return done(cached, false);
  const files: FileRecord[] = [];
  const io: ModelEntry['io'] = {};
  for (const [relative, build, expected] of spec.graphs) {
    log(`generating ${path.join(modelDir, relative)} (random weights, ${spec.revision})`);
    const { bytes, parameters } = build();
    if (parameters !== expected) throw new Error(`${spec.id}: ${relative} has ${parameters} parameters, expected ${expected}`);
    writeIfChanged(path.join(modelDir, ...relative.split('/')), bytes);
    files.push(record(relative, bytes));
    io[relative] = declaredIo(bytes);
  }
  for (const [relative, bytes] of spec.sideFiles()) {
    writeIfChanged(path.join(modelDir, relative), bytes);
    files.push(record(relative, bytes));
  }
  return done(writeCatalogEntry(root, spec.entry(files, io)), true);
}

const VIT_GPT2_SPEC: GeneratedModelSpec = {
  id: RANDOM_VIT_GPT2_ID,
  revision: REVISION,
  graphs: [
    [ENCODER_FILE, randomVitEncoder, ENCODER_PARAMETERS],
    [DECODER_FILE, randomGpt2Decoder, DECODER_PARAMETERS],
  ],
  sideFiles,
  entry: catalogEntry,
};

/**
 * Makes sure `<modelsDir>/vit-gpt2-random/` holds the model and `<modelsDir>/catalog.json` lists
 * it. About 960 MB; generating takes tens of seconds (the decoder alone is 611 MB, twice while
 * encoding), a cached copy is checked by sha256.
 */
export function ensureRandomVitGpt2(modelsDir?: string, log?: (message: string) => void): Promise<RandomVitGpt2Result> {
  return ensureGeneratedModel(VIT_GPT2_SPEC, modelsDir, log);
}

/** `node <generator>.js [modelsDir]`: when `moduleUrl` is the script Node was started with, generates (or verifies) `spec`'s model. */
export function runAsGeneratorScript(moduleUrl: string, spec: GeneratedModelSpec): void {
  if (process.argv[1] === undefined || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  ensureGeneratedModel(spec, process.argv[2], (message) => console.error(`${spec.id}: ${message}`)).then(
    (result) => console.log(`${result.entry.id} in ${path.relative(process.cwd(), result.modelDir) || '.'}: ${result.generated ? 'generated' : 'up to date (sha256 verified)'} in ${result.seconds.toFixed(1)} s`),
    (error: unknown) => {
      console.error(`${spec.id}: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
}

runAsGeneratorScript(import.meta.url, VIT_GPT2_SPEC);
