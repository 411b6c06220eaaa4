import fs from 'node:fs';
import path from 'node:path';
import type { ModelEntry } from '../../main/engine/models/catalog.js';
import { encodeModel, ExternalDataFile, floatTensor, type GraphSpec, valueInfo } from '../fixtures/onnx-builder.js';
import { ExternalGraph, GraphParts, sha256File } from '../fixtures/vit-b32-random.js';
import { byteToUnicode } from '../fixtures/vlm/byte-tokenizer.js';
import { qwen2vlFixtureFiles } from '../fixtures/vlm/qwen2vl-fixture.js';
import { allowedKeys, decoderConstants, decoderLayer, type DecoderShape, kvCacheInfos, rotateHalf } from './llama-decoder.js';
import { byteLevelBpeTokenizer, ensureGeneratedModel, type FileRecord, type GeneratedModelSpec, RANDOM_GENERATION_MODELS_DIR, type RandomVitGpt2Result, runAsGeneratorScript } from './random-vit-gpt2.js';

/**
 * Qwen/Qwen2-VL-2B-Instruct with random weights, for the generation benchmark: the real
 * architecture, dimensions, session files and input/output names of onnx-community/Qwen2-VL-2B-Instruct
 * at fp32 (no file suffix; every graph's weights in a `<graph>_data` file beside it, as that repo's
 * fp32 graphs have them), with the real processor (Qwen2VLImageProcessor's dynamic resolution) and
 * chat template, so transformers.js 4.3.1 (Qwen2VLForConditionalGeneration + Qwen2VLProcessor) and
 * onnxruntime do the same work per answer and per token as with the real fp32 weights. The answers
 * are babble; the time and memory they take is the point.
 *
 *   onnx/vision_encoder.onnx        pixel_values float32 [num_patches, 1176] (3 x 2 x 14 x 14 per row,
 *   (+ vision_encoder.onnx_data)    rows grouped by 2x2 merged token, as the processor lays them out),
 *                                   grid_thw int64 [num_images, 3]
 *                                   -> image_features float32 [num_image_tokens, 1536]
 *   onnx/embed_tokens.onnx          input_ids int64 [batch_size, sequence_length]
 *   (+ embed_tokens.onnx_data)      -> inputs_embeds float32 [batch_size, sequence_length, 1536]
 *   onnx/decoder_model_merged.onnx  inputs_embeds float32 [batch_size, sequence_length, 1536],
 *   (+ decoder_model_merged         attention_mask int64 [batch_size, total_sequence_length],
 *      .onnx_data)                  position_ids int64 [3, batch_size, sequence_length] (M-RoPE: t, h, w),
 *                                   past_key_values.{0..27}.{key,value} float32 [batch_size, 2, past_sequence_length, 128]
 *                                   -> logits float32 [batch_size, sequence_length, 151936],
 *                                   present.{0..27}.{key,value} float32 [batch_size, 2, total_sequence_length, 128]
 *   config.json, generation_config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json,
 *   chat_template.json
 *
 * Those are what transformers.js 4.3.1 feeds: encode_image() runs vision_encoder with pixel_values
 * and `grid_thw` (image_grid_thw_name) and reads image_features, which replace the <|image_pad|>
 * embeddings from embed_tokens; the decoder gets position_ids [3, batch, seq] from get_rope_index
 * (text 1-D, image tokens the (t, h, w) of the merged grid, then rope_deltas per new token); there is
 * no num_logits_to_keep input, so the logits of every position come out (as in the real export);
 * the first step's empty cache is made from the declared shapes (batch_size resolved, the rest 0).
 *
 * Architecture (Qwen2-VL-2B-Instruct's config.json, modeling_qwen2_vl.py), exact:
 *   vision (Qwen2VisionTransformerPretrainedModel, 665.3M): PatchEmbed = Conv3d 3->1280, kernel and
 *     stride (2, 14, 14), no bias, on every row reshaped to [3, 2, 14, 14]; 2-D rotary position
 *     embedding from grid_thw (head_dim 80: 20 frequencies (theta 10000) of the patch row, 20 of
 *     its column, both twice; rows and columns in the processor's 2x2-merge order, computed in the
 *     graph from grid_thw, several images each with their own grid); 32 pre-LayerNorm blocks (eps
 *     1e-6) of [16-head self-attention (qkv 1280->3840 and proj with biases, rotate-half RoPE on q
 *     and k, scores / sqrt(80) + an additive block-diagonal mask that keeps each image to itself,
 *     as the eager attention's cu_seqlens mask) -> residual -> MLP 1280->5120, quick_gelu
 *     x*sigmoid(1.702x), ->1280 -> residual]; PatchMerger: LayerNorm (eps 1e-6), 2x2 neighbours
 *     concatenated (4 x 1280 = 5120), Linear 5120->5120, exact GELU, Linear 5120->1536: one image
 *     token per 28 x 28 pixels.
 *   embed_tokens: 151936 x 1536 (233.4M).
 *   text (Qwen2-1.5B, 1543.7M with its lm_head): 28 layers of [RMSNorm (eps 1e-6) -> attention (q
 *     1536->1536, k and v 1536->256, all with biases; 12 query heads and 2 key/value heads of 128
 *     (grouped-query: 6 query heads per cache head); M-RoPE, rotate-half, on q and k before the
 *     cache: 64 frequencies of theta 1e6, frequencies 0-15 turned by the temporal position, 16-39
 *     by the height position, 40-63 by the width position (mrope_section [16, 24, 24]), each used
 *     twice (the two halves); cache concatenated; scores / sqrt(128); causal and attention_mask
 *     masking) -> o_proj 1536->1536 without bias -> residual; RMSNorm -> SwiGLU MLP
 *     (down(silu(gate(x)) * up(x)), 1536->8960->1536, no biases) -> residual]; final RMSNorm;
 *     lm_head = the token embeddings, transposed ([1536, 151936]; tie_word_embeddings: the same
 *     values as embed_tokens, stored again in the decoder's data file as the real export does),
 *     logits at every position.
 *   Grouped-query attention is written as a broadcast over [B, 2 cache heads, 6 query heads, S, T]
 *   rather than repeat_kv's copy of the cache: the same products, without the copy. The block-
 *   diagonal vision mask and the M-RoPE frequency selection are written with plain operators
 *   (Equal/Where, a 0/1 selection and ReduceSum): the same values as the exporter's gathers.
 *
 * Weights: N(0, 0.02) (initializer_range), norm scales N(1, 0.02), seeded, so generation is
 * deterministic. The embedding rows (and so, tied, the lm_head columns) of the end tokens
 * <|endoftext|> (151643) and <|im_end|> (151645) (generation_config's eos and the catalog's
 * stop_tokens), and of the 279 ids past the tokenizer (151657-151935: padding rows the real
 * tokenizer has no token for), are zero: their logits are exactly 0 while the largest of the
 * other 151655 is always above 0, so greedy decoding never ends early, never picks an id the
 * tokenizer cannot decode, and every answer runs to max_new_tokens. Nothing else is changed.
 *
 * Tokenizer: byte-level BPE with Qwen2's layout: 151643 regular ids (the 256 bytes and 151387
 * made-up merges of two to four characters), then the 14 specials at their real ids: <|endoftext|>
 * 151643, <|im_start|> 151644, <|im_end|> 151645, <|object_ref_start|> .. <|quad_end|> 151646-151651,
 * <|vision_start|> 151652, <|vision_end|> 151653, <|vision_pad|> 151654, <|image_pad|> 151655,
 * <|video_pad|> 151656: 151657 tokens, as the real tokenizer (the model's 151936 rows include 279
 * padding ids). Its pre-tokenizer is GPT-2's ByteLevel regex, not Qwen2's own split regex and NFC:
 * the text part of the prompt (some 30 tokens against 1110 image tokens) is a few tokens longer.
 *
 * Processor and template: the fixture's copies of the real preprocessor_config.json
 * (Qwen2VLImageProcessor: min_pixels 3136, max_pixels 12845056, patch 14, merge 2, temporal patch
 * 2, bicubic, OpenAI CLIP mean/std), tokenizer_config.json and chat_template.json. A photo prepared
 * to the real entry's 1024 long edge (the bench photo: 1024x836) is resized to 1036x840, 74x60 =
 * 4440 patches, 1110 image tokens.
 *
 * Size: 2,442.4M stored parameters (the tied embedding twice), 9.77 GB fp32 (2.66 GB vision, 0.93 GB
 * embed_tokens, 6.17 GB decoder, as the real fp32 files). Generated on demand (never committed)
 * into `.cache/generation-bench-models/` (gitignored) beside the other random-weight models, in the
 * same catalog.json (real sizes and sha256, which the loader verifies). The weights are streamed to
 * the data files one tensor at a time (the largest, the embedding and its transposed copy, 0.93 GB
 * each), so generating never holds the model in memory; it takes a few minutes.
 *
 *   node dist/test/bench/random-qwen2vl.js [modelsDir]
 */


export const RANDOM_QWEN2VL_ID = 'qwen2vl-random';
const RANDOM_QWEN2VL_SEED = 0x2e12;
/** Bump whenever a graph, the weight recipe or a side file changes. */
const GENERATOR_VERSION = 1;
const REVISION = `generated-v${GENERATOR_VERSION}-seed-${RANDOM_QWEN2VL_SEED}`;

const VISION_FILE = 'onnx/vision_encoder.onnx';
const EMBED_FILE = 'onnx/embed_tokens.onnx';
const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

// Vision (Qwen2-VL's ViT).
const PATCH = 14;
const TEMPORAL_PATCH = 2;
const CHANNELS = 3;
const PATCH_VALUES = CHANNELS * TEMPORAL_PATCH * PATCH * PATCH;
const MERGE = 2;
const MERGED = MERGE * MERGE;
const VISION_HIDDEN = 1280;
const VISION_HEADS = 16;
const VISION_HEAD_DIM = VISION_HIDDEN / VISION_HEADS;
const VISION_MLP = 4 * VISION_HIDDEN;
const VISION_LAYERS = 32;
const VISION_NORM_EPS = 1e-6;
const VISION_ROPE_THETA = 10_000;
const MERGER_HIDDEN = VISION_HIDDEN * MERGED;
// Text (Qwen2-1.5B).
const TEXT_HIDDEN = 1536;
const TEXT_LAYERS = 28;
const HEADS = 12;
const KV_HEADS = 2;
const HEAD_DIM = TEXT_HIDDEN / HEADS;
const TEXT_MLP = 8960;
const RMS_NORM_EPS = 1e-6;
const ROPE_THETA = 1_000_000;
const MROPE_SECTION = [16, 24, 24] as const;
const MAX_POSITIONS = 32_768;
const VOCAB = 151_936;
// Token layout (see the top).
const REGULAR_TOKENS = 151_643;
const SPECIALS = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|object_ref_start|>',
  '<|object_ref_end|>',
  '<|box_start|>',
  '<|box_end|>',
  '<|quad_start|>',
  '<|quad_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|vision_pad|>',
  '<|image_pad|>',
  '<|video_pad|>',
] as const;
const TOKENIZER_SIZE = REGULAR_TOKENS + SPECIALS.length;
const special = (token: (typeof SPECIALS)[number]) => REGULAR_TOKENS + SPECIALS.indexOf(token);
const END_OF_TEXT_ID = special('<|endoftext|>');
const IM_END_ID = special('<|im_end|>');
/** Embedding rows / lm_head columns that are zero: the end tokens and the ids past the tokenizer (see the top). */
const NEVER_WINNING_IDS: readonly number[] = [END_OF_TEXT_ID, IM_END_ID, ...Array.from({ length: VOCAB - TOKENIZER_SIZE }, (_, i) => TOKENIZER_SIZE + i)];
/** The real entry's (qwen2-vl-2b-instruct): the bench caps the answers of this row itself (--qwen2vl-max-tokens). */
const MAX_NEW_TOKENS = 512;
const IMAGE_LONG_EDGE = 1024;
const STOP_TOKENS = ['<|im_end|>', '<|endoftext|>'];
const MASK_MIN = -3.4028234663852886e38;

// ---------------------------------------------------------------- a graph whose weights stream to external data

/**
 * A graph builder for GeneratedModelSpec whose weights go to `<graph>_data` beside the graph in
 * `modelDir` (written through a temporary name, then renamed), recorded in `records` with its size
 * and sha256 for the catalog entry. `make` adds the nodes and returns the graph's description.
 */
function withExternalData(modelDir: string, relative: string, seed: number, records: Map<string, FileRecord>, make: (g: ExternalGraph) => Omit<GraphSpec, 'initializers' | 'nodes'>) {
  return (): { bytes: Uint8Array; parameters: number } => {
    const dataRelative = `${relative}_data`;
    const dataPath = path.join(modelDir, ...dataRelative.split('/'));
    fs.mkdirSync(path.dirname(dataPath), { recursive: true });
    const temporary = `${dataPath}.${process.pid}.tmp`;
    const data = new ExternalDataFile(temporary, path.posix.basename(dataRelative));
    const g = new ExternalGraph(seed, data);
    let spec: Omit<GraphSpec, 'initializers' | 'nodes'>;
    try {
      spec = make(g);
    } catch (error) {
      data.close();
      fs.rmSync(temporary, { force: true });
      throw error;
    }
    data.close();
    const bytes = encodeModel({ ...spec, initializers: g.initializers, nodes: g.nodes });
    fs.renameSync(temporary, dataPath);
    records.set(dataRelative, { path: dataRelative, bytes: fs.statSync(dataPath).size, sha256: sha256File(dataPath) });
    return { bytes, parameters: g.parameters };
  };
}

// ---------------------------------------------------------------- vision encoder

function visionBlock(g: ExternalGraph, i: number, input: string): string {
  const prefix = `blocks.${i}`;
  // Attention: qkv [N, 3840] -> [N, 3, 16, 80] -> [3, 16, N, 80] -> q, k, v [1, 16, N, 80].
  const qkv = g.linear(`${prefix}.attn.qkv`, g.layerNorm(`${prefix}.norm1`, input, VISION_NORM_EPS, VISION_HIDDEN), VISION_HIDDEN, 3 * VISION_HIDDEN);
  const heads = g.op('Transpose', [g.op('Reshape', [qkv, 'shape.qkv'], `${prefix}.attn.qkv.split`)], `${prefix}.attn.qkv.heads`, { perm: { ints: [1, 2, 0, 3] } });
  const [q, k, v] = g.multi('Split', [heads, 'split.qkv'], [`${prefix}.attn.q`, `${prefix}.attn.k`, `${prefix}.attn.v`], { axis: { int: 0 } });
  const qRope = rotateHalf(g, `${prefix}.attn.q`, q!, 'split.vision_halves', 'vision_rope.cos', 'vision_rope.sin');
  const kRope = rotateHalf(g, `${prefix}.attn.k`, k!, 'split.vision_halves', 'vision_rope.cos', 'vision_rope.sin');
  const keysT = g.op('Transpose', [kRope], `${prefix}.attn.keys_t`, { perm: { ints: [0, 1, 3, 2] } });
  const scores = g.op('Mul', [g.op('MatMul', [qRope, keysT], `${prefix}.attn.scores`), 'vision_attention.scale'], `${prefix}.attn.scaled`);
  const weights = g.op('Softmax', [g.op('Add', [scores, 'vision_attention.mask'], `${prefix}.attn.masked`)], `${prefix}.attn.weights`, { axis: { int: -1 } });
  const context = g.op('Transpose', [g.op('MatMul', [weights, v!], `${prefix}.attn.context`)], `${prefix}.attn.context.tokens`, { perm: { ints: [0, 2, 1, 3] } });
  const joined = g.op('Reshape', [context, 'shape.vision_hidden'], `${prefix}.attn.context.joined`);
  const residual = g.op('Add', [input, g.linear(`${prefix}.attn.proj`, joined, VISION_HIDDEN, VISION_HIDDEN)], `${prefix}.residual1`);
  // MLP with quick_gelu: x * sigmoid(1.702 x).
  const fc1 = g.linear(`${prefix}.mlp.fc1`, g.layerNorm(`${prefix}.norm2`, residual, VISION_NORM_EPS, VISION_HIDDEN), VISION_HIDDEN, VISION_MLP);
  const activated = g.op('Mul', [fc1, g.op('Sigmoid', [g.op('Mul', [fc1, 'quick_gelu.alpha'], `${prefix}.mlp.scaled`)], `${prefix}.mlp.gate`)], `${prefix}.mlp.activated`);
  return g.op('Add', [residual, g.linear(`${prefix}.mlp.fc2`, activated, VISION_MLP, VISION_HIDDEN)], `${prefix}.out`);
}

/**
 * Each patch row's image, and its (row, column) in that image's patch grid, from grid_thw: the
 * processor orders an image's rows by frame, then 2x2 merged token (row-major), then within the
 * token (row-major). Writes the vision RoPE tables vision_rope.cos/sin [N, 80] and the additive
 * mask vision_attention.mask [N, N] (0 within an image, the float minimum across images).
 */
function visionPositions(g: ExternalGraph): void {
  const count = g.op('Squeeze', [g.op('Shape', ['pixel_values'], 'patches.count_1d', { start: { int: 0 }, end: { int: 1 } })], 'patches.count');
  const index = g.op('Range', ['int.zero', count, 'int.one'], 'patches.index');
  const perImage = g.op('ReduceProd', ['grid_thw'], 'images.patches', { axes: { ints: [1] }, keepdims: { int: 0 } });
  const ends = g.op('CumSum', [perImage, 'int.zero'], 'images.ends');
  const starts = g.op('Sub', [ends, perImage], 'images.starts');
  const after = g.op('GreaterOrEqual', [g.op('Unsqueeze', [index, 'axis.one'], 'patches.index.column'), g.op('Unsqueeze', [ends, 'axis.zero'], 'images.ends.row')], 'patches.after_ends');
  const image = g.op('ReduceSum', [g.op('Cast', [after], 'patches.after_ends.int', { to: { int: 7 } }), 'axis.one'], 'patches.image', { keepdims: { int: 0 } });
  const local = g.op('Sub', [index, g.op('Gather', [starts, image], 'patches.image_start', { axis: { int: 0 } })], 'patches.local');
  const side = (name: string, column: string) => g.op('Gather', [g.op('Gather', ['grid_thw', column], `images.${name}`, { axis: { int: 1 } }), image], `patches.grid_${name}`, { axis: { int: 0 } });
  const height = side('height', 'int.one');
  const width = side('width', 'int.two');
  const inFrame = g.op('Mod', [local, g.op('Mul', [height, width], 'patches.frame_size')], 'patches.in_frame');
  const token = g.op('Div', [inFrame, 'int.merged'], 'patches.token');
  const within = g.op('Mod', [inFrame, 'int.merged'], 'patches.within');
  const tokensPerRow = g.op('Div', [width, 'int.merge'], 'patches.tokens_per_row');
  const row = g.op('Add', [g.op('Mul', [g.op('Div', [token, tokensPerRow], 'patches.token_row'), 'int.merge'], 'patches.token_row.scaled'), g.op('Div', [within, 'int.merge'], 'patches.within_row')], 'patches.row');
  const column = g.op('Add', [g.op('Mul', [g.op('Mod', [token, tokensPerRow], 'patches.token_column'), 'int.merge'], 'patches.token_column.scaled'), g.op('Mod', [within, 'int.merge'], 'patches.within_column')], 'patches.column');
  const angles = (name: string, positions: string) =>
    g.op('Mul', [g.op('Unsqueeze', [g.op('Cast', [positions], `vision_rope.${name}.float`, { to: { int: 1 } }), 'axis.one'], `vision_rope.${name}.column`), 'vision_rope.inverse_frequencies'], `vision_rope.${name}.angles`);
  const halves = g.op('Concat', [angles('row', row), angles('column', column)], 'vision_rope.angles', { axis: { int: -1 } });
  const doubled = g.op('Concat', [halves, halves], 'vision_rope.angles.doubled', { axis: { int: -1 } });
  g.op('Cos', [doubled], 'vision_rope.cos');
  g.op('Sin', [doubled], 'vision_rope.sin');
  const sameImage = g.op('Equal', [g.op('Unsqueeze', [image, 'axis.one'], 'patches.image.column'), g.op('Unsqueeze', [image, 'axis.zero'], 'patches.image.row')], 'patches.same_image');
  g.op('Where', [sameImage, 'float.zero', 'float.mask_min'], 'vision_attention.mask');
}

function visionGraph(g: ExternalGraph, seed: number): Omit<GraphSpec, 'initializers' | 'nodes'> {
  const inverseFrequencies = Array.from({ length: VISION_HEAD_DIM / 4 }, (_, i) => VISION_ROPE_THETA ** (-(2 * i) / (VISION_HEAD_DIM / 2)));
  g.initializers.push(
    floatTensor('vision_attention.scale', [], [1 / Math.sqrt(VISION_HEAD_DIM)]),
    floatTensor('vision_rope.inverse_frequencies', [inverseFrequencies.length], inverseFrequencies),
    floatTensor('quick_gelu.alpha', [], [1.702]),
    floatTensor('float.zero', [], [0]),
    floatTensor('float.mask_min', [], [MASK_MIN]),
    floatTensor('gelu.sqrt2', [], [Math.SQRT2]),
    floatTensor('one', [], [1]),
    floatTensor('half', [], [0.5]),
  );
  g.constant('int.zero', [], [0]);
  g.constant('int.one', [], [1]);
  g.constant('int.two', [], [2]);
  g.constant('int.merge', [], [MERGE]);
  g.constant('int.merged', [], [MERGED]);
  g.constant('axis.zero', [1], [0]);
  g.constant('axis.one', [1], [1]);
  g.constant('shape.patch_input', [5], [-1, CHANNELS, TEMPORAL_PATCH, PATCH, PATCH]);
  g.constant('shape.vision_hidden', [2], [-1, VISION_HIDDEN]);
  g.constant('shape.qkv', [4], [0, 3, VISION_HEADS, VISION_HEAD_DIM]);
  g.constant('shape.merged', [2], [-1, MERGER_HIDDEN]);
  g.constant('split.qkv', [3], [1, 1, 1]);
  g.constant('split.vision_halves', [2], [VISION_HEAD_DIM / 2, VISION_HEAD_DIM / 2]);

  visionPositions(g);
  // PatchEmbed: Conv3d 3->1280 with kernel = stride = (2, 14, 14), no bias, one patch per row.
  const patches = g.op('Reshape', ['pixel_values', 'shape.patch_input'], 'patch_embed.input');
  const kernel = g.weight('patch_embed.proj.weight', [VISION_HIDDEN, CHANNELS, TEMPORAL_PATCH, PATCH, PATCH]);
  const embedded = g.op('Conv', [patches, kernel], 'patch_embed.conv', { kernel_shape: { ints: [TEMPORAL_PATCH, PATCH, PATCH] }, strides: { ints: [TEMPORAL_PATCH, PATCH, PATCH] } });
  let hidden = g.op('Reshape', [embedded, 'shape.vision_hidden'], 'patch_embed.out');
  for (let layer = 0; layer < VISION_LAYERS; layer++) hidden = visionBlock(g, layer, hidden);
  // PatchMerger: LayerNorm, the 4 rows of each merged token side by side, MLP 5120 -> 5120 -> GELU -> 1536.
  const merged = g.op('Reshape', [g.layerNorm('merger.ln_q', hidden, VISION_NORM_EPS, VISION_HIDDEN), 'shape.merged'], 'merger.merged');
  const fc1 = g.linear('merger.mlp.0', merged, MERGER_HIDDEN, MERGER_HIDDEN);
  const erf = g.op('Erf', [g.op('Div', [fc1, 'gelu.sqrt2'], 'merger.gelu.scaled')], 'merger.gelu.erf');
  const gelu = g.op('Mul', [fc1, g.op('Mul', [g.op('Add', [erf, 'one'], 'merger.gelu.shifted'), 'half'], 'merger.gelu.gate')], 'merger.gelu.out');
  g.op('Identity', [g.linear('merger.mlp.2', gelu, MERGER_HIDDEN, TEXT_HIDDEN)], 'image_features');
  return {
    name: 'qwen2vl_random_vision_encoder',
    doc: `Iris benchmark model: Qwen2-VL-2B-Instruct's vision transformer (32 blocks, 2-D RoPE) + PatchMerger with random N(0, 0.02) weights, seed ${seed}, weights in vision_encoder.onnx_data. Same work as the real one; meaningless features.`,
    inputs: [valueInfo('pixel_values', 'float32', ['num_patches', PATCH_VALUES]), valueInfo('grid_thw', 'int64', ['num_images', 3])],
    outputs: [valueInfo('image_features', 'float32', ['num_image_tokens', TEXT_HIDDEN])],
  };
}

// ---------------------------------------------------------------- embed_tokens and the tied lm_head

/** The edit of the token embedding [151936, 1536] (in embed_tokens and in its tied lm_head copy): the never-winning rows zero. */
function zeroNeverWinningRows(values: Float32Array): void {
  for (const id of NEVER_WINNING_IDS) values.fill(0, id * TEXT_HIDDEN, (id + 1) * TEXT_HIDDEN);
}

function embedGraph(g: ExternalGraph, seed: number): Omit<GraphSpec, 'initializers' | 'nodes'> {
  g.op('Gather', [g.weight('embed_tokens.weight', [VOCAB, TEXT_HIDDEN], undefined, 0, zeroNeverWinningRows), 'input_ids'], 'inputs_embeds', { axis: { int: 0 } });
  return {
    name: 'qwen2vl_random_embed_tokens',
    doc: `Iris benchmark model: Qwen2-VL-2B-Instruct's token embeddings (151936 x 1536) with random N(0, 0.02) weights, seed ${seed}, weights in embed_tokens.onnx_data; the end tokens' and padding ids' rows are zero.`,
    inputs: [valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('inputs_embeds', 'float32', ['batch_size', 'sequence_length', TEXT_HIDDEN])],
  };
}

/** embed_tokens' weight drawn again from its seed and transposed to [1536, 151936]: the tied lm_head (one tensor in memory besides it). */
function tiedLmHead(embedSeed: number): Float32Array {
  return tiedEmbeddingTransposed(embedSeed, VOCAB, TEXT_HIDDEN, zeroNeverWinningRows);
}

/**
 * A token embedding [vocab, hidden] drawn again from its seed (with the same `edit`, as
 * GraphParts.weight draws it) and transposed to [hidden, vocab]: a tied lm_head for a decoder graph.
 */
export function tiedEmbeddingTransposed(embedSeed: number, vocab: number, hidden: number, edit: (values: Float32Array) => void): Float32Array {
  const draw = new GraphParts(embedSeed);
  draw.weight('embed_tokens.weight', [vocab, hidden], undefined, 0, edit);
  const raw = draw.initializers.pop()!.rawData!;
  const embedding = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const transposed = new Float32Array(vocab * hidden);
  const tile = 64;
  for (let r0 = 0; r0 < vocab; r0 += tile) {
    const r1 = Math.min(r0 + tile, vocab);
    for (let c0 = 0; c0 < hidden; c0 += tile) {
      for (let r = r0; r < r1; r++) for (let c = c0; c < Math.min(c0 + tile, hidden); c++) transposed[c * vocab + r] = embedding[r * hidden + c]!;
    }
  }
  return transposed;
}

// ---------------------------------------------------------------- decoder

/** Qwen2-1.5B's decoder shape (q, k and v with biases). */
const DECODER: DecoderShape = { hidden: TEXT_HIDDEN, heads: HEADS, kvHeads: KV_HEADS, headDim: HEAD_DIM, mlp: TEXT_MLP, layers: TEXT_LAYERS, rmsNormEps: RMS_NORM_EPS, qkvBias: true };

/**
 * M-RoPE's frequency table as a selection: row k (t, h, w) holds the 64 inverse frequencies where
 * mrope_section gives that frequency to position row k, else 0, so sum_k position[k] * row[k] is
 * each frequency's angle from its own position row (exactly: the other two terms are 0).
 */
function mropeFrequencies(): number[] {
  const sectionOf = (j: number) => (j < MROPE_SECTION[0] ? 0 : j < MROPE_SECTION[0] + MROPE_SECTION[1] ? 1 : 2);
  const frequencies = HEAD_DIM / 2;
  return Array.from({ length: 3 * frequencies }, (_, n) => {
    const row = Math.floor(n / frequencies);
    const j = n % frequencies;
    return sectionOf(j) === row ? ROPE_THETA ** (-(2 * j) / HEAD_DIM) : 0;
  });
}

function decoderGraph(g: ExternalGraph, seed: number, embedSeed: number): Omit<GraphSpec, 'initializers' | 'nodes'> {
  decoderConstants(g, DECODER, floatTensor('rope.section_frequencies', [3, 1, 1, HEAD_DIM / 2], mropeFrequencies()), [['section_axis', 0]]);

  // M-RoPE angles from position_ids [3, B, S], shared by every layer: cos/sin of [B, 1, S, 128].
  const positions = g.op('Unsqueeze', [g.op('Cast', ['position_ids'], 'rope.positions', { to: { int: 1 } }), 'last_axis'], 'rope.positions.column');
  const sectioned = g.op('Mul', [positions, 'rope.section_frequencies'], 'rope.angles.by_section');
  const angles = g.op('ReduceSum', [sectioned, 'section_axis'], 'rope.angles', { keepdims: { int: 0 } });
  const doubled = g.op('Unsqueeze', [g.op('Concat', [angles, angles], 'rope.angles.doubled', { axis: { int: -1 } }), 'head_axis'], 'rope.angles.heads');
  g.op('Cos', [doubled], 'rope.cos');
  g.op('Sin', [doubled], 'rope.sin');
  allowedKeys(g);

  let hidden = 'inputs_embeds';
  for (let layer = 0; layer < TEXT_LAYERS; layer++) hidden = decoderLayer(g, DECODER, layer, hidden);
  const normed = g.rmsNorm('norm', hidden, TEXT_HIDDEN, RMS_NORM_EPS);
  g.op('MatMul', [normed, g.given('lm_head.weight_t', [TEXT_HIDDEN, VOCAB], tiedLmHead(embedSeed))], 'logits');

  return {
    name: 'qwen2vl_random_decoder_merged',
    doc: `Iris benchmark model: merged Qwen2-1.5B decoder (GQA 12/2, M-RoPE [16, 24, 24], KV cache, tied lm_head) of Qwen2-VL-2B-Instruct with random N(0, 0.02) weights, seed ${seed} (lm_head: embed_tokens' seed ${embedSeed}), weights in decoder_model_merged.onnx_data. End tokens never win.`,
    inputs: [
      valueInfo('inputs_embeds', 'float32', ['batch_size', 'sequence_length', TEXT_HIDDEN]),
      valueInfo('attention_mask', 'int64', ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', 'int64', [3, 'batch_size', 'sequence_length']),
      ...kvCacheInfos(DECODER, 'past_key_values', 'past_sequence_length'),
    ],
    outputs: [valueInfo('logits', 'float32', ['batch_size', 'sequence_length', VOCAB]), ...kvCacheInfos(DECODER, 'present', 'total_sequence_length')],
  };
}

const VISION_PARAMETERS = (() => {
  const linear = (i: number, o: number) => i * o + o;
  const block = linear(VISION_HIDDEN, 3 * VISION_HIDDEN) + linear(VISION_HIDDEN, VISION_HIDDEN) + linear(VISION_HIDDEN, VISION_MLP) + linear(VISION_MLP, VISION_HIDDEN) + 4 * VISION_HIDDEN;
  const merger = 2 * VISION_HIDDEN + linear(MERGER_HIDDEN, MERGER_HIDDEN) + linear(MERGER_HIDDEN, TEXT_HIDDEN);
  return VISION_HIDDEN * PATCH_VALUES + VISION_LAYERS * block + merger;
})();
const EMBED_PARAMETERS = VOCAB * TEXT_HIDDEN;
const DECODER_PARAMETERS = (() => {
  const linear = (i: number, o: number, bias: boolean) => i * o + (bias ? o : 0);
  const attentionWeights = linear(TEXT_HIDDEN, HEADS * HEAD_DIM, true) + 2 * linear(TEXT_HIDDEN, KV_HEADS * HEAD_DIM, true) + linear(HEADS * HEAD_DIM, TEXT_HIDDEN, false);
  const layer = attentionWeights + 3 * TEXT_HIDDEN * TEXT_MLP + 2 * TEXT_HIDDEN;
  return TEXT_LAYERS * layer + TEXT_HIDDEN + TEXT_HIDDEN * VOCAB;
})();

/** Stored parameters: the tied embedding counts twice (embed_tokens and the decoder's lm_head), as both files hold it. */
const RANDOM_QWEN2VL_PARAMETERS = VISION_PARAMETERS + EMBED_PARAMETERS + DECODER_PARAMETERS;
/** Distinct parameters (the tied embedding once): the real model's ~2.2B. */
const RANDOM_QWEN2VL_DISTINCT_PARAMETERS = RANDOM_QWEN2VL_PARAMETERS - EMBED_PARAMETERS;

// ---------------------------------------------------------------- side files for transformers.js

/** config.json with Qwen2-VL-2B-Instruct's values (the flat qwen2_vl layout transformers.js 4.3.1 normalises: num_key_value_heads, num_hidden_layers, ...). */
function config(): Record<string, unknown> {
  return {
    _name_or_path: RANDOM_QWEN2VL_ID,
    architectures: ['Qwen2VLForConditionalGeneration'],
    model_type: 'qwen2_vl',
    attention_dropout: 0,
    bos_token_id: END_OF_TEXT_ID,
    eos_token_id: IM_END_ID,
    vision_start_token_id: special('<|vision_start|>'),
    vision_end_token_id: special('<|vision_end|>'),
    vision_token_id: special('<|vision_pad|>'),
    image_token_id: special('<|image_pad|>'),
    video_token_id: special('<|video_pad|>'),
    hidden_act: 'silu',
    hidden_size: TEXT_HIDDEN,
    initializer_range: 0.02,
    intermediate_size: TEXT_MLP,
    max_position_embeddings: MAX_POSITIONS,
    max_window_layers: TEXT_LAYERS,
    num_attention_heads: HEADS,
    num_hidden_layers: TEXT_LAYERS,
    num_key_value_heads: KV_HEADS,
    rms_norm_eps: RMS_NORM_EPS,
    rope_theta: ROPE_THETA,
    rope_scaling: { type: 'mrope', mrope_section: [...MROPE_SECTION] },
    sliding_window: MAX_POSITIONS,
    use_sliding_window: false,
    tie_word_embeddings: true,
    use_cache: true,
    vocab_size: VOCAB,
    vision_config: {
      depth: VISION_LAYERS,
      embed_dim: VISION_HIDDEN,
      mlp_ratio: VISION_MLP / VISION_HIDDEN,
      num_heads: VISION_HEADS,
      in_chans: CHANNELS,
      hidden_act: 'quick_gelu',
      hidden_size: TEXT_HIDDEN,
      patch_size: PATCH,
      spatial_merge_size: MERGE,
      spatial_patch_size: PATCH,
      temporal_patch_size: TEMPORAL_PATCH,
    },
  };
}

/**
 * Qwen2's id layout (see the top): byteLevelBpeTokenizer's 256 bytes and 78280 two- and
 * three-character merges, 73107 more four-character ones (three-character lowercase/space pieces +
 * one printable character), then the 14 specials from 151643.
 */
function tokenizerJson(): Record<string, unknown> {
  const json = qwen2TokenizerJson(SPECIALS);
  if (Object.keys((json.model as { vocab: object }).vocab).length !== TOKENIZER_SIZE) throw new Error(`qwen2vl-random tokenizer: expected ${TOKENIZER_SIZE} tokens`);
  return json;
}

/** Qwen2's tokenizer layout with `specials` from id 151643 (see tokenizerJson): Qwen2-VL's, LLaVA-OneVision's. */
export function qwen2TokenizerJson(specials: readonly string[]): Record<string, unknown> {
  const baseMerges = 78_280;
  const json = byteLevelBpeTokenizer({ merges: baseMerges, trailing: [], normalized: false });
  const model = json.model as { vocab: Record<string, number>; merges: [string, string][] };
  const chars = byteToUnicode();
  const printable = Array.from({ length: 95 }, (_, i) => chars[32 + i]!);
  const wordy = [chars[32]!, ...Array.from({ length: 26 }, (_, i) => chars[97 + i]!)];
  let size = Object.keys(model.vocab).length;
  outer: for (const a of wordy) {
    for (const b of wordy) {
      for (const c of wordy) {
        for (const d of printable) {
          if (size === REGULAR_TOKENS) break outer;
          model.merges.push([a + b + c, d]);
          model.vocab[a + b + c + d] = size++;
        }
      }
    }
  }
  if (size !== REGULAR_TOKENS) throw new Error(`Qwen2 tokenizer: ${size} regular tokens, expected ${REGULAR_TOKENS}`);
  const added = specials.map((content, i) => {
    model.vocab[content] = REGULAR_TOKENS + i;
    return { id: REGULAR_TOKENS + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  return { ...json, added_tokens: added };
}

function sideFiles(): Map<string, Uint8Array> {
  const fixture = qwen2vlFixtureFiles();
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  return new Map<string, Uint8Array>([
    ['config.json', json(config())],
    // Upstream's generation_config.json: two end tokens, and sampling settings Iris' own decoding options override.
    [
      'generation_config.json',
      json({ bos_token_id: END_OF_TEXT_ID, pad_token_id: END_OF_TEXT_ID, do_sample: true, eos_token_id: [IM_END_ID, END_OF_TEXT_ID], repetition_penalty: 1.0, temperature: 0.01, top_p: 0.001, top_k: 1 }),
    ],
    ['tokenizer.json', Buffer.from(JSON.stringify(tokenizerJson()))],
    // The fixture's copies of the real Qwen2VLImageProcessor settings, tokenizer_config.json (Qwen2Tokenizer, eos <|im_end|>, pad <|endoftext|>) and chat template.
    ...['preprocessor_config.json', 'tokenizer_config.json', 'chat_template.json'].map((file): [string, Uint8Array] => [file, fixture.get(file)!]),
  ]);
}

// ---------------------------------------------------------------- catalog and files on disk

function catalogEntry(withData: FileRecord[], io: ModelEntry['io']): ModelEntry {
  return {
    id: RANDOM_QWEN2VL_ID,
    task: 'vqa',
    title: 'Qwen2-VL 2B Instruct with random weights (benchmark model), same shapes and files as onnx-community/Qwen2-VL-2B-Instruct (fp32)',
    licence: 'MIT',
    source: { repo: 'iris-fixtures/qwen2vl-random', revision: REVISION },
    dtype: 'fp32',
    family: RANDOM_QWEN2VL_ID,
    default: true,
    files: withData,
    io,
    preprocessing: {
      architecture: 'qwen2-vl',
      sessions: { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' },
      max_new_tokens: MAX_NEW_TOKENS,
      image_long_edge: IMAGE_LONG_EDGE,
      stop_tokens: STOP_TOKENS,
    },
    notes:
      `Generated by test/bench/random-qwen2vl.ts (seed ${RANDOM_QWEN2VL_SEED}, ${(RANDOM_QWEN2VL_DISTINCT_PARAMETERS / 1e6).toFixed(1)}M distinct parameters, ` +
      `${(RANDOM_QWEN2VL_PARAMETERS / 1e6).toFixed(1)}M stored with the tied embedding twice, fp32, weights in external data); never downloaded ` +
      '(the source repo does not exist). Random weights in the real shapes: the work per answer and per token is the real fp32 model’s, the answers are babble. ' +
      'The end tokens and the padding ids past the tokenizer have zero embedding rows (and tied lm_head columns), so they never win and every answer runs to max tokens ' +
      `(${MAX_NEW_TOKENS} here, as the real entry; the generation bench caps this row lower, see --qwen2vl-max-tokens).`,
  };
}

/** The spec for `modelsDir`: the graph builders write their data files into that folder's model directory. */
function qwen2vlSpec(modelsDir: string = RANDOM_GENERATION_MODELS_DIR): GeneratedModelSpec {
  return externalDataVlmSpec(
    {
      id: RANDOM_QWEN2VL_ID,
      revision: REVISION,
      seed: RANDOM_QWEN2VL_SEED,
      vision: [visionGraph, VISION_PARAMETERS],
      embed: [embedGraph, EMBED_PARAMETERS],
      decoder: [decoderGraph, DECODER_PARAMETERS],
      sideFiles,
      entry: catalogEntry,
    },
    modelsDir,
  );
}

type GraphMaker = (g: ExternalGraph, seed: number) => Omit<GraphSpec, 'initializers' | 'nodes'>;

/** A vision encoder + embed_tokens + merged decoder model whose graphs keep their weights in `<graph>_data` files (seeds: seed, +1, +2). */
export interface ExternalDataVlm {
  id: string;
  revision: string;
  seed: number;
  vision: readonly [GraphMaker, number];
  embed: readonly [GraphMaker, number];
  /** The decoder also gets embed_tokens' seed (its tied lm_head is drawn from it). */
  decoder: readonly [(g: ExternalGraph, seed: number, embedSeed: number) => Omit<GraphSpec, 'initializers' | 'nodes'>, number];
  sideFiles: () => Map<string, Uint8Array>;
  /** The catalog entry; `files` lists each graph's data file right after it, as the real repositories do. */
  entry: (files: FileRecord[], io: ModelEntry['io']) => ModelEntry;
}

export function externalDataVlmSpec(vlm: ExternalDataVlm, modelsDir: string = RANDOM_GENERATION_MODELS_DIR): GeneratedModelSpec {
  const modelDir = path.join(path.resolve(modelsDir), vlm.id);
  const dataFiles = new Map<string, FileRecord>();
  const [visionSeed, embedSeed, decoderSeed] = [vlm.seed, vlm.seed + 1, vlm.seed + 2];
  return {
    id: vlm.id,
    revision: vlm.revision,
    graphs: [
      [VISION_FILE, withExternalData(modelDir, VISION_FILE, visionSeed, dataFiles, (g) => vlm.vision[0](g, visionSeed)), vlm.vision[1]],
      [EMBED_FILE, withExternalData(modelDir, EMBED_FILE, embedSeed, dataFiles, (g) => vlm.embed[0](g, embedSeed)), vlm.embed[1]],
      [DECODER_FILE, withExternalData(modelDir, DECODER_FILE, decoderSeed, dataFiles, (g) => vlm.decoder[0](g, decoderSeed, embedSeed)), vlm.decoder[1]],
    ],
    sideFiles: vlm.sideFiles,
    entry: (files, io) => vlm.entry(files.flatMap((file) => [file, ...(dataFiles.has(`${file.path}_data`) ? [dataFiles.get(`${file.path}_data`)!] : [])]), io),
  };
}

/**
 * Makes sure `<modelsDir>/qwen2vl-random/` holds the model and `<modelsDir>/catalog.json` lists it
 * beside the other random-weight models. About 9.8 GB on disk; generating takes a few minutes, a
 * cached copy is checked by sha256 (once per file change: models/verified.ts).
 */
export function ensureRandomQwen2Vl(modelsDir?: string, log?: (message: string) => void): Promise<RandomVitGpt2Result> {
  return ensureGeneratedModel(qwen2vlSpec(modelsDir), modelsDir, log);
}

runAsGeneratorScript(import.meta.url, qwen2vlSpec(process.argv[2]));
