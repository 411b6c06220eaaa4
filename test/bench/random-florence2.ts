import type { ModelEntry } from '../../main/engine/models/catalog.js';
import { encodeModel, floatTensor, node, valueInfo } from '../fixtures/onnx-builder.js';
import { attention, GraphParts } from '../fixtures/vit-b32-random.js';
import { florenceFixtureFiles } from '../fixtures/vlm/florence2-fixture.js';
import { byteLevelBpeTokenizer, ensureGeneratedModel, type FileRecord, type GeneratedModelSpec, type RandomVitGpt2Result, runAsGeneratorScript } from './random-vit-gpt2.js';

/**
 * microsoft/Florence-2-base-ft with random weights, for the generation benchmark: the real
 * architecture, dimensions, session files and input/output names of onnx-community/Florence-2-base-ft
 * (the catalog entry florence-2-base-ft's `io`, at fp32: no file suffix), with the real processor
 * (768x768, the real task prompts), so transformers.js (Florence2ForConditionalGeneration +
 * Florence2Processor) and onnxruntime do the same work per caption and per token as with the real
 * fp32 weights. The captions are babble; the time and memory they take is the point.
 *
 *   onnx/vision_encoder.onnx        pixel_values float32 [batch_size, 3, 768, 768]
 *                                   -> image_features float32 [batch_size, 577, 768]
 *   onnx/embed_tokens.onnx          input_ids int64 [batch_size, sequence_length]
 *                                   -> inputs_embeds float32 [batch_size, sequence_length, 768]
 *   onnx/encoder_model.onnx         inputs_embeds float32 [batch_size, encoder_sequence_length, 768],
 *                                   attention_mask int64 [batch_size, encoder_sequence_length]
 *                                   -> last_hidden_state float32 [batch_size, encoder_sequence_length, 768]
 *   onnx/decoder_model_merged.onnx  encoder_attention_mask, encoder_hidden_states, inputs_embeds,
 *                                   past_key_values.{0..5}.{decoder,encoder}.{key,value} float32 [batch_size, 12, *, 64],
 *                                   use_cache_branch bool [1]
 *                                   -> logits float32 [batch_size, decoder_sequence_length, 51289],
 *                                   present.{0..5}.{decoder,encoder}.{key,value}
 *   config.json, generation_config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json
 *
 * Architecture (Florence-2-base's config.json and modeling_florence2.py), exact, not approximated:
 *   vision (DaViT): 4 stages of dims 128/256/512/1024, depths 1/1/9/1, 4/8/16/32 spatial heads and
 *     as many channel groups, window 12. Each stage opens with a ConvEmbed: stage 1 Conv 3->128,
 *     7x7 stride 4 pad 3, then LayerNorm (768x768 -> 192x192); stages 2-4 LayerNorm of the input
 *     (pre-norm), then Conv 3x3 stride 2 pad 1 (-> 96, 48, 24). Each depth is a SpatialBlock then a
 *     ChannelBlock, each [depth-wise 3x3 conv + residual -> LayerNorm -> attention -> residual ->
 *     depth-wise 3x3 conv + residual -> LayerNorm -> MLP C->4C->C, exact GELU -> residual]; the
 *     spatial attention is multi-head self-attention inside 12x12 windows (qkv C->3C, proj, scale
 *     head_dim^-0.5; every stage's side divides by 12, so no padding), the channel attention is
 *     attention across channels in groups (q^T k over the tokens, scale tokens^-0.5).
 *     Then Florence2's _encode_image: the 24x24x1024 map + learned 2D position embeddings (row and
 *     column tables of 50 x 512), + the cosine temporal embedding of frame 0, spatial average (1
 *     token) concatenated with the 576 tokens -> 577 x 1024, image_projection 1024->768 (no bias),
 *     image_proj_norm LayerNorm.
 *   language (BART-base layout): shared token embeddings 51289 x 768 (scale 1, no sqrt(d)); learned
 *     positions 1026 x 768 (offset 2); layernorm_embedding; post-LayerNorm layers; 12 heads of 64,
 *     q/k/v/out with biases, q scaled by 1/8; FFN 768->3072->768, exact GELU.
 *     encoder: positions of 0..T-1, 6 layers of [self-attention (key mask from attention_mask) ->
 *     residual -> LN -> FFN -> residual -> LN].
 *     decoder: positions from the cache length, 6 layers of [causal self-attention with the cache ->
 *     residual -> LN -> cross-attention to the encoder states (encoder_attention_mask) -> residual ->
 *     LN -> FFN -> residual -> LN]; logits = hidden x shared^T + final_logits_bias (zeros).
 *   The merged export picks a branch with an If on use_cache_branch; here one graph serves both
 *   (as in random-vit-gpt2.ts): off the cache branch the past is sliced to length 0 and the
 *   cross-attention keys/values are projected from encoder_hidden_states; on it the encoder states
 *   are sliced to length 0 and the past cross-attention keys/values are used as they are
 *   (transformers.js keeps the first step's present.*.encoder.* for every later step). So the work
 *   per step is that of the real branches.
 *
 * Weights: N(0, 0.02), LayerNorm scales N(1, 0.02), seeded, so generation is deterministic. The
 * shared embedding's row for </s> (2: eos and decoder start) is zero, in embed_tokens and in the
 * decoder's copy of it (lm_head, stored transposed, [768, 51289], as the tied weight is stored
 * twice in the real export): its logit is then exactly 0 while the largest of the others is always
 * above 0, so greedy decoding never ends early and every caption runs to max_new_tokens. Nothing
 * else is changed. (The export's unused DaViT classification head and final norm are not included.)
 *
 * Tokenizer: byte-level BPE with BART's layout of 51289 ids: <s> <pad> </s> <unk> (0-3), the 256
 * bytes, 50004 made-up merges (to 50263), <mask> (50264), then 1024 added tokens (24 Florence-2
 * task/markup tokens and <loc_0>..<loc_999>), with RobertaProcessing (<s> prompt </s>). The real
 * Florence2Processor turns <CAPTION> and <DETAILED_CAPTION> into their text prompts ("What does the
 * image describe?", "Describe in detail what is shown in the image.") from preprocessor_config.json
 * (the fixture's copy of the real task prompts, at the real 768x768 and 577 image tokens), so the
 * encoder sees 577 image tokens + a prompt of about the real length.
 *
 * Generated on demand (never committed) into `.cache/generation-bench-models/` (gitignored), beside
 * the other random-weight models, in the same catalog.json (real sizes and sha256).
 *
 *   node dist/test/bench/random-florence2.js [modelsDir]
 */

const RANDOM_FLORENCE2_ID = 'florence2-random';
const RANDOM_FLORENCE2_SEED = 0xf102;
/** Bump whenever a graph, the weight recipe or a side file changes. */
const GENERATOR_VERSION = 1;
const REVISION = `generated-v${GENERATOR_VERSION}-seed-${RANDOM_FLORENCE2_SEED}`;

const VISION_FILE = 'onnx/vision_encoder.onnx';
const EMBED_FILE = 'onnx/embed_tokens.onnx';
const ENCODER_FILE = 'onnx/encoder_model.onnx';
const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

// Vision (DaViT, Florence-2-base's vision_config).
const IMAGE_SIZE = 768;
const DIMS = [128, 256, 512, 1024] as const;
const DEPTHS = [1, 1, 9, 1] as const;
const HEADS_PER_STAGE = [4, 8, 16, 32] as const;
const GROUPS_PER_STAGE = [4, 8, 16, 32] as const;
const PATCH_SIZE = [7, 3, 3, 3] as const;
const PATCH_STRIDE = [4, 2, 2, 2] as const;
const PATCH_PADDING = [3, 1, 1, 1] as const;
const WINDOW = 12;
const MLP_RATIO = 4;
const VISION_LAYER_NORM_EPS = 1e-5;
/** Feature-map side per stage: 768 -> 192 -> 96 -> 48 -> 24. */
const SIDES = [192, 96, 48, 24] as const;
/** Each stage's numbers, by index (0-3). */
const STAGES = DIMS.map((c, i) => ({
  c,
  inC: i === 0 ? 3 : DIMS[i - 1]!,
  depth: DEPTHS[i]!,
  heads: HEADS_PER_STAGE[i]!,
  groups: GROUPS_PER_STAGE[i]!,
  patch: PATCH_SIZE[i]!,
  stride: PATCH_STRIDE[i]!,
  padding: PATCH_PADDING[i]!,
  side: SIDES[i]!,
}));
function stageOf(index: number): (typeof STAGES)[number] {
  const stage = STAGES[index];
  if (!stage) throw new Error(`florence2-random: no DaViT stage ${index}`);
  return stage;
}
const GRID = SIDES[3];
const POS_TABLE = 50;
const TEMPORAL_TABLE = 100;
const IMAGE_DIM = DIMS[3];
const IMAGE_TOKENS = GRID * GRID + 1;
// Language (BART-base layout).
const HIDDEN = 768;
const HEADS = 12;
const HEAD_DIM = HIDDEN / HEADS;
const FFN = 3072;
const ENCODER_LAYERS = 6;
const DECODER_LAYERS = 6;
const MAX_POSITIONS = 1024;
const POSITION_OFFSET = 2;
const LAYER_NORM_EPS = 1e-5;
const VOCAB = 51_289;
const BOS = 0;
const PAD = 1;
const EOS = 2;
const BART_VOCAB = 50_265;
const MAX_NEW_TOKENS = 256;
const IMAGE_LONG_EDGE = 1024;
const MASK_MIN = -3.4028234663852886e38;

// ---------------------------------------------------------------- shared pieces

/** Exact GELU, x/2 (1 + erf(x / sqrt 2)), as the exporter writes it at opset 17. Needs the float scalars gelu.sqrt2, one, half. */
function gelu(g: GraphParts, name: string, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, 'gelu.sqrt2'], `${name}.gelu.scaled`)], `${name}.gelu.erf`);
  const gate = g.op('Mul', [g.op('Add', [erf, 'one'], `${name}.gelu.shifted`), 'half'], `${name}.gelu.gate`);
  return g.op('Mul', [x, gate], `${name}.gelu.out`);
}

function geluConstants(): ReturnType<typeof floatTensor>[] {
  return [floatTensor('gelu.sqrt2', [], [Math.SQRT2]), floatTensor('one', [], [1]), floatTensor('half', [], [0.5])];
}

/** fc1 (width -> 4 width), exact GELU, fc2: the DaViT and BART feed-forward. */
function feedForward(g: GraphParts, prefix: string, x: string, width: number, inner: number): string {
  return g.linear(`${prefix}.fc2`, gelu(g, prefix, g.linear(`${prefix}.fc1`, x, width, inner)), inner, width);
}

// ---------------------------------------------------------------- vision encoder (DaViT)

/** [B, N, C] tokens of a side x side map -> [B, C, side, side]. */
function toGrid(g: GraphParts, name: string, x: string, stage: number): string {
  return g.op('Reshape', [g.op('Transpose', [x], `${name}.channels_first`, { perm: { ints: [0, 2, 1] } }), `shape.s${stage}.grid`], `${name}.grid`);
}

/** [B, C, side, side] -> [B, N, C]. */
function toTokens(g: GraphParts, name: string, grid: string, stage: number): string {
  return g.op('Transpose', [g.op('Reshape', [grid, `shape.s${stage}.flat`], `${name}.flat`)], `${name}.tokens`, { perm: { ints: [0, 2, 1] } });
}

/** PreNorm(None, DepthWiseConv2d(C, 3, pad 1)): x + dwconv(x). */
function depthWise(g: GraphParts, prefix: string, x: string, stage: number): string {
  const { c } = stageOf(stage);
  const conv = g.op('Conv', [toGrid(g, prefix, x, stage), g.weight(`${prefix}.dw.weight`, [c, 1, 3, 3]), g.weight(`${prefix}.dw.bias`, [c])], `${prefix}.dw.out`, {
    kernel_shape: { ints: [3, 3] },
    pads: { ints: [1, 1, 1, 1] },
    group: { int: c },
  });
  return g.op('Add', [x, toTokens(g, prefix, conv, stage)], `${prefix}.out`);
}

/** qkv Linear C -> 3C split into q, k, v, each [B', T, C]. */
function qkv(g: GraphParts, prefix: string, x: string, c: number): string[] {
  const joined = g.linear(`${prefix}.qkv`, x, c, 3 * c);
  const outputs = ['q', 'k', 'v'].map((part) => `${joined}.${part}`);
  g.nodes.push(node('Split', [joined, `split.c${c}`], outputs, { axis: { int: -1 } }));
  return outputs;
}

/** WindowAttention: multi-head self-attention inside non-overlapping 12x12 windows. */
function windowAttention(g: GraphParts, prefix: string, x: string, stage: number): string {
  const { c, heads } = stageOf(stage);
  // [B, N, C] -> [B, n, 12, n, 12, C] -> [B, n, n, 12, 12, C] -> [B * n * n, 144, C].
  const partitioned = g.op('Transpose', [g.op('Reshape', [x, `shape.s${stage}.windows`], `${prefix}.split`)], `${prefix}.partitioned`, { perm: { ints: [0, 1, 3, 2, 4, 5] } });
  const windows = g.op('Reshape', [partitioned, `shape.s${stage}.window_tokens`], `${prefix}.windows`);
  const [q, k, v] = qkv(g, `${prefix}.attn`, windows, c);
  const split = (name: string, t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, `shape.s${stage}.window_heads`], `${name}.heads_split`)], `${name}.heads`, { perm: { ints: perm } });
  const scaled = g.op('Mul', [split(`${prefix}.q`, q!, [0, 2, 1, 3]), g.scalar(`scale.head.${c / heads}`, (c / heads) ** -0.5)], `${prefix}.q_scaled`);
  const scores = g.op('MatMul', [scaled, split(`${prefix}.k`, k!, [0, 2, 3, 1])], `${prefix}.scores`);
  const weights = g.op('Softmax', [scores], `${prefix}.weights`, { axis: { int: -1 } });
  const context = g.op('Transpose', [g.op('MatMul', [weights, split(`${prefix}.v`, v!, [0, 2, 1, 3])], `${prefix}.context`)], `${prefix}.context.tokens`, { perm: { ints: [0, 2, 1, 3] } });
  const projected = g.linear(`${prefix}.attn.proj`, g.op('Reshape', [context, `shape.s${stage}.window_joined`], `${prefix}.context.joined`), c, c);
  // Windows back: [B, n, n, 12, 12, C] -> [B, n, 12, n, 12, C] -> [B, N, C].
  const merged = g.op('Transpose', [g.op('Reshape', [projected, `shape.s${stage}.window_grid`], `${prefix}.merged`)], `${prefix}.merged_t`, { perm: { ints: [0, 1, 3, 2, 4, 5] } });
  return g.op('Reshape', [merged, `shape.s${stage}.tokens`], `${prefix}.attn.out`);
}

/** ChannelAttention: attention across channels, in groups, over all the tokens. */
function channelAttention(g: GraphParts, prefix: string, x: string, stage: number): string {
  const { c, side } = stageOf(stage);
  const tokens = side ** 2;
  const [q, k, v] = qkv(g, `${prefix}.attn`, x, c);
  const split = (name: string, t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, `shape.s${stage}.groups`], `${name}.groups_split`)], `${name}.groups`, { perm: { ints: perm } });
  // q^T [B, g, cg, N] (scaled by N^-0.5) x k [B, g, N, cg] -> [B, g, cg, cg].
  const scaled = g.op('Mul', [split(`${prefix}.q`, q!, [0, 2, 3, 1]), g.scalar(`scale.tokens.${tokens}`, tokens ** -0.5)], `${prefix}.q_scaled`);
  const weights = g.op('Softmax', [g.op('MatMul', [scaled, split(`${prefix}.k`, k!, [0, 2, 1, 3])], `${prefix}.scores`)], `${prefix}.weights`, { axis: { int: -1 } });
  // weights x v^T [B, g, cg, N] -> [B, g, cg, N] -> [B, N, g, cg] -> [B, N, C].
  const context = g.op('MatMul', [weights, split(`${prefix}.v`, v!, [0, 2, 3, 1])], `${prefix}.context`);
  const joined = g.op('Reshape', [g.op('Transpose', [context], `${prefix}.context.tokens`, { perm: { ints: [0, 3, 1, 2] } }), `shape.s${stage}.tokens`], `${prefix}.context.joined`);
  return g.linear(`${prefix}.attn.proj`, joined, c, c);
}

/** A SpatialBlock or ChannelBlock: conv1, PreNorm(attention), conv2, PreNorm(MLP). */
function davitBlock(g: GraphParts, prefix: string, x: string, stage: number, attend: typeof windowAttention): string {
  const { c } = stageOf(stage);
  const conv1 = depthWise(g, `${prefix}.conv1`, x, stage);
  const attended = g.op('Add', [conv1, attend(g, prefix, g.layerNorm(`${prefix}.norm1`, conv1, VISION_LAYER_NORM_EPS, c), stage)], `${prefix}.residual1`);
  const conv2 = depthWise(g, `${prefix}.conv2`, attended, stage);
  const mlp = feedForward(g, `${prefix}.mlp`, g.layerNorm(`${prefix}.norm2`, conv2, VISION_LAYER_NORM_EPS, c), c, MLP_RATIO * c);
  return g.op('Add', [conv2, mlp], `${prefix}.out`);
}

/** ConvEmbed of a stage: stage 0 conv then norm; later stages norm (of the input) then conv. */
function convEmbed(g: GraphParts, stage: number, x: string): string {
  const prefix = `convs.${stage}`;
  const { c, inC, patch: k, stride, padding } = stageOf(stage);
  const grid = stage === 0 ? x : toGrid(g, `${prefix}.input`, g.layerNorm(`${prefix}.norm`, x, VISION_LAYER_NORM_EPS, inC), stage - 1);
  const conv = g.op('Conv', [grid, g.weight(`${prefix}.proj.weight`, [c, inC, k, k]), g.weight(`${prefix}.proj.bias`, [c])], `${prefix}.proj.out`, {
    kernel_shape: { ints: [k, k] },
    strides: { ints: [stride, stride] },
    pads: { ints: Array<number>(4).fill(padding) },
  });
  const tokens = toTokens(g, prefix, conv, stage);
  return stage === 0 ? g.layerNorm(`${prefix}.norm`, tokens, VISION_LAYER_NORM_EPS, c) : tokens;
}

/** PositionalEmbeddingCosine1D's row for frame 0: sin(0) = 0 at even, cos(0) = 1 at odd features (a buffer, not a weight). */
function temporalEmbeddingFrame0(): Float32Array {
  return Float32Array.from({ length: IMAGE_DIM }, (_, i) => (i % 2 === 0 ? 0 : 1));
}

/** DaViT + Florence2's _encode_image as .onnx bytes, and its parameter count. */
function randomDavitEncoder(seed = RANDOM_FLORENCE2_SEED): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  g.initializers.push(...geluConstants(), floatTensor('temporal_embed.frame0', [IMAGE_DIM], temporalEmbeddingFrame0()));
  STAGES.forEach(({ c, side, heads, groups }, stage) => {
    const n = side / WINDOW;
    g.constant(`shape.s${stage}.grid`, [4], [0, c, side, side]);
    g.constant(`shape.s${stage}.flat`, [3], [0, c, side * side]);
    g.constant(`shape.s${stage}.tokens`, [3], [-1, side * side, c]);
    g.constant(`shape.s${stage}.windows`, [6], [0, n, WINDOW, n, WINDOW, c]);
    g.constant(`shape.s${stage}.window_tokens`, [3], [-1, WINDOW * WINDOW, c]);
    g.constant(`shape.s${stage}.window_heads`, [4], [0, 0, heads, c / heads]);
    g.constant(`shape.s${stage}.window_joined`, [3], [0, 0, c]);
    g.constant(`shape.s${stage}.window_grid`, [6], [-1, n, n, WINDOW, WINDOW, c]);
    g.constant(`shape.s${stage}.groups`, [4], [0, 0, groups, c / groups]);
    g.constant(`split.c${c}`, [3], [c, c, c]);
  });
  g.constant('shape.map', [4], [0, GRID, GRID, IMAGE_DIM]);
  g.constant('shape.map_tokens', [3], [0, GRID * GRID, IMAGE_DIM]);
  g.constant('slice.start', [1], [0]);
  g.constant('slice.grid', [1], [GRID]);
  g.constant('axis.rows', [1], [0]);
  g.constant('axis.zero', [1], [0]);
  g.constant('axis.one', [1], [1]);
  g.constant('shape.pos', [3], [GRID, GRID, IMAGE_DIM / 2]);

  let x = 'pixel_values';
  for (let stage = 0; stage < DIMS.length; stage++) {
    x = convEmbed(g, stage, x);
    for (let j = 0; j < stageOf(stage).depth; j++) {
      x = davitBlock(g, `blocks.${stage}.${j}.spatial_block`, x, stage, windowAttention);
      x = davitBlock(g, `blocks.${stage}.${j}.channel_block`, x, stage, channelAttention);
    }
  }
  // image_pos_embed (LearnedAbsolutePositionEmbedding2D): [column embedding of x | row embedding of y] at every (y, x).
  const first = (table: string) => g.op('Slice', [g.weight(table, [POS_TABLE, IMAGE_DIM / 2]), 'slice.start', 'slice.grid', 'axis.rows'], `${table}.used`);
  const columns = g.op('Expand', [g.op('Unsqueeze', [first('image_pos_embed.column_embeddings.weight'), 'axis.zero'], 'pos.columns'), 'shape.pos'], 'pos.columns.grid');
  const rows = g.op('Expand', [g.op('Unsqueeze', [first('image_pos_embed.row_embeddings.weight'), 'axis.one'], 'pos.rows'), 'shape.pos'], 'pos.rows.grid');
  const position = g.op('Concat', [columns, rows], 'pos.embed', { axis: { int: -1 } });
  const placed = g.op('Add', [g.op('Reshape', [x, 'shape.map'], 'features.map'), position], 'features.positioned');
  const timed = g.op('Add', [g.op('Reshape', [placed, 'shape.map_tokens'], 'features.tokens'), 'temporal_embed.frame0'], 'features.timed');
  // image_feature_source [spatial_avg_pool, temporal_avg_pool]: the mean token, then the 576 tokens (one frame: its own mean).
  const pooled = g.op('ReduceMean', [timed], 'features.spatial_avg_pool', { axes: { ints: [1] }, keepdims: { int: 1 } });
  const features = g.op('Concat', [pooled, timed], 'features.all', { axis: { int: 1 } });
  const projected = g.linear('image_projection', features, IMAGE_DIM, HIDDEN, false);
  g.op('Identity', [g.layerNorm('image_proj_norm', projected, LAYER_NORM_EPS, HIDDEN)], 'image_features');
  const bytes = encodeModel({
    name: 'florence2_random_vision_encoder',
    doc: `Iris benchmark model: DaViT vision tower + image projection of Florence-2-base with random N(0, 0.02) weights, seed ${seed}. Same work as the real one; meaningless features.`,
    inputs: [valueInfo('pixel_values', 'float32', ['batch_size', 3, IMAGE_SIZE, IMAGE_SIZE])],
    outputs: [valueInfo('image_features', 'float32', ['batch_size', IMAGE_TOKENS, HIDDEN])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

// ---------------------------------------------------------------- embed_tokens

const SHARED_SEED = RANDOM_FLORENCE2_SEED + 1;

/** The shared token table [51289, 768] with </s>'s row zero, drawn from SHARED_SEED (the same values in embed_tokens and lm_head). */
function sharedTable(g: GraphParts, name: string): string {
  return g.weight(name, [VOCAB, HIDDEN], undefined, 0, (values) => values.fill(0, EOS * HIDDEN, (EOS + 1) * HIDDEN));
}

function randomEmbedTokens(): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(SHARED_SEED);
  g.op('Gather', [sharedTable(g, 'shared.weight'), 'input_ids'], 'inputs_embeds', { axis: { int: 0 } });
  const bytes = encodeModel({
    name: 'florence2_random_embed_tokens',
    doc: `Iris benchmark model: Florence-2-base's shared token embeddings (51289 x 768) with random N(0, 0.02) weights, seed ${SHARED_SEED}; </s> is a zero row.`,
    inputs: [valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('inputs_embeds', 'float32', ['batch_size', 'sequence_length', HIDDEN])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

// ---------------------------------------------------------------- encoder

/** Constants every language graph reads: attention (shape.heads, shape.hidden, attention.scale), GELU, positions. */
function languageConstants(g: GraphParts): void {
  g.initializers.push(floatTensor('attention.scale', [], [1 / Math.sqrt(HEAD_DIM)]), floatTensor('mask.min', [], [MASK_MIN]), floatTensor('zero.f', [], [0]), ...geluConstants());
  g.constant('shape.heads', [4], [0, 0, HEADS, HEAD_DIM]);
  g.constant('shape.hidden', [3], [0, 0, HIDDEN]);
  g.constant('zero', [], [0]);
  g.constant('one_step', [], [1]);
  g.constant('position.offset', [], [POSITION_OFFSET]);
  g.constant('mask_axes', [2], [1, 2]);
}

/** Learned positions (offset 2) of `start` .. `start` + length of `embeds`, added, then layernorm_embedding. */
function embedPositions(g: GraphParts, embeds: string, start: string): string {
  const length = g.op('Squeeze', [g.op('Shape', [embeds], 'sequence_length', { start: { int: 1 }, end: { int: 2 } })], 'sequence_length.scalar');
  const positions = g.op('Add', [g.op('Range', [start, g.op('Add', [start, length], 'positions.end'), 'one_step'], 'positions'), 'position.offset'], 'positions.offset');
  const table = g.weight('embed_positions.weight', [MAX_POSITIONS + POSITION_OFFSET, HIDDEN]);
  const positioned = g.op('Add', [embeds, g.op('Gather', [table, positions], 'positions.embeds', { axis: { int: 0 } })], 'embeds.positioned');
  return g.layerNorm('layernorm_embedding', positioned, LAYER_NORM_EPS);
}

/** [B, T] int64 mask -> additive key bias [B, 1, 1, T]: 0 where 1, the float minimum where 0. */
function keyBias(g: GraphParts, mask: string): string {
  const allowed = g.op('Unsqueeze', [g.op('Cast', [mask], `${mask}.bool`, { to: { int: 9 } }), 'mask_axes'], `${mask}.keys`);
  return g.op('Where', [allowed, 'zero.f', 'mask.min'], `${mask}.bias`);
}

/** Residual add, then LayerNorm (BART is post-norm). */
function addNorm(g: GraphParts, prefix: string, residual: string, x: string): string {
  return g.layerNorm(prefix, g.op('Add', [residual, x], `${prefix}.residual`), LAYER_NORM_EPS);
}

function randomBartEncoder(seed = RANDOM_FLORENCE2_SEED + 2): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  languageConstants(g);
  let hidden = embedPositions(g, 'inputs_embeds', 'zero');
  const bias = keyBias(g, 'attention_mask');
  for (let i = 0; i < ENCODER_LAYERS; i++) {
    const prefix = `layers.${i}`;
    hidden = addNorm(g, `${prefix}.self_attn_layer_norm`, hidden, attention(g, `${prefix}.self_attn`, hidden, bias));
    hidden = addNorm(g, `${prefix}.final_layer_norm`, hidden, feedForward(g, prefix, hidden, HIDDEN, FFN));
  }
  g.op('Identity', [hidden], 'last_hidden_state');
  const bytes = encodeModel({
    name: 'florence2_random_encoder',
    doc: `Iris benchmark model: Florence-2-base's 6-layer BART encoder with random N(0, 0.02) weights, seed ${seed}.`,
    inputs: [valueInfo('inputs_embeds', 'float32', ['batch_size', 'encoder_sequence_length', HIDDEN]), valueInfo('attention_mask', 'int64', ['batch_size', 'encoder_sequence_length'])],
    outputs: [valueInfo('last_hidden_state', 'float32', ['batch_size', 'encoder_sequence_length', HIDDEN])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

// ---------------------------------------------------------------- decoder

/** [B, S, 768] -> [B, 12, S, 64]. */
function heads(g: GraphParts, name: string, x: string): string {
  return g.op('Transpose', [g.op('Reshape', [x, 'shape.heads'], `${name}.split`)], `${name}.heads`, { perm: { ints: [0, 2, 1, 3] } });
}

/** q (already scaled, in heads) against keys/values [B, 12, T, 64]; `mask` a bool to keep (Where) or `bias` an additive bias; merged and out_proj'd. */
function attend(g: GraphParts, prefix: string, q: string, k: string, v: string, mask: { keep: string } | { bias: string }): string {
  const scores = g.op('MatMul', [q, g.op('Transpose', [k], `${prefix}.keys_t`, { perm: { ints: [0, 1, 3, 2] } })], `${prefix}.scores`);
  const masked = 'keep' in mask ? g.op('Where', [mask.keep, scores, 'mask.min'], `${prefix}.masked`) : g.op('Add', [scores, mask.bias], `${prefix}.masked`);
  const weights = g.op('Softmax', [masked], `${prefix}.weights`, { axis: { int: -1 } });
  const context = g.op('Transpose', [g.op('MatMul', [weights, v], `${prefix}.context`)], `${prefix}.context.tokens`, { perm: { ints: [0, 2, 1, 3] } });
  return g.linear(`${prefix}.out_proj`, g.op('Reshape', [context, 'shape.hidden'], `${prefix}.context.joined`), HIDDEN, HIDDEN);
}

function decoderLayer(g: GraphParts, i: number, input: string): string {
  const prefix = `layers.${i}`;
  const query = (name: string, x: string) => heads(g, `${name}.q`, g.op('Mul', [g.linear(`${name}.q_proj`, x, HIDDEN, HIDDEN), 'attention.scale'], `${name}.q_scaled`));
  // Self-attention: present = past (none off the cache branch) + this step's keys/values.
  const [selfK, selfV] = (['k', 'v'] as const).map((part) => heads(g, `${prefix}.self_attn.${part}`, g.linear(`${prefix}.self_attn.${part}_proj`, input, HIDDEN, HIDDEN)));
  const [keys, values] = (['key', 'value'] as const).map((part, j) => {
    const past = g.op('Slice', [`past_key_values.${i}.decoder.${part}`, 'zero_1d', 'cache.kept', 'sequence_axis'], `${prefix}.past.${part}`);
    return g.op('Concat', [past, [selfK, selfV][j]!], `present.${i}.decoder.${part}`, { axis: { int: 2 } });
  });
  const selfOut = attend(g, `${prefix}.self_attn`, query(`${prefix}.self_attn`, input), keys!, values!, { keep: 'causal_mask' });
  const afterSelf = addNorm(g, `${prefix}.self_attn_layer_norm`, input, selfOut);
  // Cross-attention: keys/values projected from the encoder states off the cache branch (none on it), the past ones on it.
  const [crossK, crossV] = (['k', 'v'] as const).map((part) => heads(g, `${prefix}.encoder_attn.${part}`, g.linear(`${prefix}.encoder_attn.${part}_proj`, 'encoder.states_used', HIDDEN, HIDDEN)));
  const [encKeys, encValues] = (['key', 'value'] as const).map((part, j) => {
    const past = g.op('Slice', [`past_key_values.${i}.encoder.${part}`, 'zero_1d', 'cache.kept', 'sequence_axis'], `${prefix}.past_encoder.${part}`);
    return g.op('Concat', [past, [crossK, crossV][j]!], `present.${i}.encoder.${part}`, { axis: { int: 2 } });
  });
  const crossOut = attend(g, `${prefix}.encoder_attn`, query(`${prefix}.encoder_attn`, afterSelf), encKeys!, encValues!, { bias: 'encoder_attention_mask.bias' });
  const afterCross = addNorm(g, `${prefix}.encoder_attn_layer_norm`, afterSelf, crossOut);
  return addNorm(g, `${prefix}.final_layer_norm`, afterCross, feedForward(g, prefix, afterCross, HIDDEN, FFN));
}

/** The merged BART decoder (cache, cross-attention, tied lm_head) as .onnx bytes, and its parameter count (lm_head included: the export stores it). */
function randomBartDecoder(seed = RANDOM_FLORENCE2_SEED + 3): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  languageConstants(g);
  g.constant('zero_1d', [1], [0]);
  g.constant('sequence_axis', [1], [2]);
  g.constant('encoder_axis', [1], [1]);
  g.constant('row_axis', [1], [1]);
  g.constant('cache.all', [1], [2 ** 30]);
  g.constant('one_1d', [1], [1]);
  // The cache in use: all of past_key_values on the cache branch, none of it off it; the encoder states the other way round.
  const cacheOn = g.op('Cast', ['use_cache_branch'], 'cache.on', { to: { int: 7 } });
  g.op('Mul', [cacheOn, 'cache.all'], 'cache.kept');
  const cacheOff = g.op('Sub', ['one_1d', cacheOn], 'cache.off');
  g.op('Slice', ['encoder_hidden_states', 'zero_1d', g.op('Mul', [cacheOff, 'cache.all'], 'encoder.kept'), 'encoder_axis'], 'encoder.states_used');
  // Positions past_length .. past_length + S - 1 and the causal mask over them.
  const pastLength = g.op('Squeeze', [g.op('Mul', [g.op('Shape', ['past_key_values.0.decoder.key'], 'past_length.given', { start: { int: 2 }, end: { int: 3 } }), cacheOn], 'past_length')], 'past_length.scalar');
  let hidden = embedPositions(g, 'inputs_embeds', pastLength);
  const total = g.op('Add', [pastLength, 'sequence_length.scalar'], 'total_length');
  const queries = g.op('Unsqueeze', [g.op('Range', [pastLength, total, 'one_step'], 'query_positions'), 'row_axis'], 'query_positions.column');
  g.op('LessOrEqual', [g.op('Range', ['zero', total, 'one_step'], 'key_positions'), queries], 'causal_mask');
  keyBias(g, 'encoder_attention_mask');
  for (let i = 0; i < DECODER_LAYERS; i++) hidden = decoderLayer(g, i, hidden);
  // lm_head: the shared table (same seed, same zero row for </s>) transposed, as the export stores the tied weight again.
  const shared = new GraphParts(SHARED_SEED);
  sharedTable(shared, 'shared');
  const table = new Float32Array(shared.initializers[0]!.rawData!.slice().buffer);
  const transposed = new Float32Array(table.length);
  for (let row = 0; row < VOCAB; row++) for (let col = 0; col < HIDDEN; col++) transposed[col * VOCAB + row] = table[row * HIDDEN + col]!;
  g.initializers.push(floatTensor('lm_head.weight_t', [HIDDEN, VOCAB], transposed), floatTensor('final_logits_bias', [VOCAB], new Float32Array(VOCAB)));
  g.parameters += transposed.length;
  g.op('Add', [g.op('MatMul', [hidden, 'lm_head.weight_t'], 'lm_logits'), 'final_logits_bias'], 'logits');

  const cache = (prefix: 'past_key_values' | 'present', self: string, cross: string) =>
    Array.from({ length: DECODER_LAYERS }, (_, i) =>
      (['decoder', 'encoder'] as const).flatMap((kind) => (['key', 'value'] as const).map((part) => valueInfo(`${prefix}.${i}.${kind}.${part}`, 'float32', ['batch_size', HEADS, kind === 'decoder' ? self : cross, HEAD_DIM]))),
    ).flat();
  const bytes = encodeModel({
    name: 'florence2_random_decoder_merged',
    doc: `Iris benchmark model: merged 6-layer BART decoder (cross-attention, KV cache, tied lm_head) of Florence-2-base with random N(0, 0.02) weights, seed ${seed}. </s> never wins.`,
    inputs: [
      valueInfo('encoder_attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']),
      valueInfo('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', HIDDEN]),
      valueInfo('inputs_embeds', 'float32', ['batch_size', 'decoder_sequence_length', HIDDEN]),
      ...cache('past_key_values', 'past_decoder_sequence_length', 'encoder_sequence_length_out'),
      valueInfo('use_cache_branch', 'bool', [1]),
    ],
    outputs: [valueInfo('logits', 'float32', ['batch_size', 'decoder_sequence_length', VOCAB]), ...cache('present', 'past_decoder_sequence_length + 1', 'encoder_sequence_length_out')],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

// ---------------------------------------------------------------- parameter counts

const linear = (i: number, o: number, bias = true) => i * o + (bias ? o : 0);

const VISION_PARAMETERS = (() => {
  let total = 0;
  STAGES.forEach(({ c, inC, patch, depth }, stage) => {
    total += c * inC * patch ** 2 + c + 2 * (stage === 0 ? c : inC);
    const block = 2 * (9 * c + c) + 4 * c + linear(c, 3 * c) + linear(c, c) + linear(c, MLP_RATIO * c) + linear(MLP_RATIO * c, c);
    total += depth * 2 * block;
  });
  return total + 2 * POS_TABLE * (IMAGE_DIM / 2) + IMAGE_DIM * HIDDEN + 2 * HIDDEN;
})();
const EMBED_PARAMETERS = VOCAB * HIDDEN;
const POSITION_PARAMETERS = (MAX_POSITIONS + POSITION_OFFSET) * HIDDEN + 2 * HIDDEN;
const FFN_PARAMETERS = linear(HIDDEN, FFN) + linear(FFN, HIDDEN);
const ENCODER_PARAMETERS = POSITION_PARAMETERS + ENCODER_LAYERS * (4 * linear(HIDDEN, HIDDEN) + FFN_PARAMETERS + 4 * HIDDEN);
const DECODER_PARAMETERS = POSITION_PARAMETERS + DECODER_LAYERS * (8 * linear(HIDDEN, HIDDEN) + FFN_PARAMETERS + 6 * HIDDEN) + VOCAB * HIDDEN;

/** Distinct parameters (the decoder's lm_head is the shared table again, counted once), to compare with the real model's. */
const RANDOM_FLORENCE2_PARAMETERS = VISION_PARAMETERS + EMBED_PARAMETERS + ENCODER_PARAMETERS + DECODER_PARAMETERS - VOCAB * HIDDEN;

// ---------------------------------------------------------------- side files for transformers.js

const IDS = { bos_token_id: BOS, eos_token_id: EOS, pad_token_id: PAD, decoder_start_token_id: EOS };

/** config.json with Florence-2-base-ft's dimensions (trimmed to what describes the model). */
function config(): Record<string, unknown> {
  return {
    _name_or_path: RANDOM_FLORENCE2_ID,
    architectures: ['Florence2ForConditionalGeneration'],
    model_type: 'florence2',
    is_encoder_decoder: true,
    projection_dim: HIDDEN,
    vocab_size: VOCAB,
    ...IDS,
    text_config: {
      model_type: 'florence2_language',
      activation_function: 'gelu',
      d_model: HIDDEN,
      encoder_layers: ENCODER_LAYERS,
      decoder_layers: DECODER_LAYERS,
      encoder_attention_heads: HEADS,
      decoder_attention_heads: HEADS,
      encoder_ffn_dim: FFN,
      decoder_ffn_dim: FFN,
      max_position_embeddings: MAX_POSITIONS,
      scale_embedding: false,
      init_std: 0.02,
      is_encoder_decoder: true,
      vocab_size: VOCAB,
      forced_bos_token_id: BOS,
      forced_eos_token_id: EOS,
      ...IDS,
    },
    vision_config: {
      model_type: 'davit',
      depths: DEPTHS,
      dim_embed: DIMS,
      num_heads: HEADS_PER_STAGE,
      num_groups: GROUPS_PER_STAGE,
      patch_size: PATCH_SIZE,
      patch_stride: PATCH_STRIDE,
      patch_padding: PATCH_PADDING,
      patch_prenorm: [false, true, true, true],
      window_size: WINDOW,
      projection_dim: HIDDEN,
      image_pos_embed: { type: 'learned_abs_2d', max_pos_embeddings: POS_TABLE },
      visual_temporal_embedding: { type: 'COSINE', max_temporal_embeddings: TEMPORAL_TABLE },
      image_feature_source: ['spatial_avg_pool', 'temporal_avg_pool'],
    },
  };
}

/** Florence-2's 1024 tokens after BART's 50265: task/markup tokens, then the 1000 location bins. */
const FLORENCE_ADDED = [
  ...['od', 'ocr', 'cap', 'dcap', 'ncap', 'grounding', 'seg'].flatMap((t) => [`<${t}>`, `</${t}>`]),
  '<sep>',
  '<region_cap>',
  '</region_cap>',
  '<region_to_desciption>',
  '</region_to_desciption>',
  '<proposal>',
  '</proposal>',
  '<poly>',
  '</poly>',
  '<and>',
  ...Array.from({ length: 1000 }, (_, i) => `<loc_${i}>`),
];

function tokenizerJson(): Record<string, unknown> {
  const leading = ['<s>', '<pad>', '</s>', '<unk>'];
  const json = byteLevelBpeTokenizer({ leading, merges: BART_VOCAB - 1 - leading.length - 256, trailing: ['<mask>', ...FLORENCE_ADDED], normalized: false });
  const added = json.added_tokens as { id: number; content: string }[];
  if (added.at(-1)?.id !== VOCAB - 1 || added.find((t) => t.content === '<mask>')?.id !== BART_VOCAB - 1) throw new Error('florence2-random tokenizer: not 51289 ids with <mask> at 50264');
  // BART's post-processor: <s> prompt </s>.
  return { ...json, post_processor: { type: 'RobertaProcessing', sep: ['</s>', EOS], cls: ['<s>', BOS], trim_offsets: true, add_prefix_space: false } };
}

function sideFiles(): Map<string, Uint8Array> {
  const fixture = florenceFixtureFiles();
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  // The fixture's copy of the real processor config (Florence2Processor, CLIPImageProcessor, bicubic, ImageNet mean/std, the real task prompts) at the real size.
  const preprocessor = JSON.parse(Buffer.from(fixture.get('preprocessor_config.json')!).toString('utf8')) as Record<string, unknown>;
  return new Map<string, Uint8Array>([
    ['config.json', json(config())],
    // The real generation_config.json (3 beams, no_repeat_ngram_size 3, forced bos/eos), as the fixture has it.
    ['generation_config.json', fixture.get('generation_config.json')!],
    ['preprocessor_config.json', json({ ...preprocessor, size: { height: IMAGE_SIZE, width: IMAGE_SIZE }, image_seq_length: IMAGE_TOKENS })],
    ['tokenizer.json', Buffer.from(JSON.stringify(tokenizerJson()))],
    ['tokenizer_config.json', fixture.get('tokenizer_config.json')!],
  ]);
}

// ---------------------------------------------------------------- catalog and files on disk

function catalogEntry(files: FileRecord[], io: ModelEntry['io']): ModelEntry {
  return {
    id: RANDOM_FLORENCE2_ID,
    task: 'caption',
    title: 'Florence-2 base with random weights (benchmark model), same shapes and files as onnx-community/Florence-2-base-ft (fp32)',
    licence: 'MIT',
    source: { repo: 'iris-fixtures/florence2-random', revision: REVISION },
    dtype: 'fp32',
    family: RANDOM_FLORENCE2_ID,
    default: true,
    files,
    io,
    preprocessing: {
      architecture: 'florence2',
      sessions: { vision_encoder: 'fp32', embed_tokens: 'fp32', encoder_model: 'fp32', decoder_model_merged: 'fp32' },
      caption_tasks: { brief: '<CAPTION>', detailed: '<DETAILED_CAPTION>', ocr: '<OCR>' },
      max_new_tokens: MAX_NEW_TOKENS,
      image_long_edge: IMAGE_LONG_EDGE,
    },
    notes:
      `Generated by test/bench/random-florence2.ts (seed ${RANDOM_FLORENCE2_SEED}, ${(RANDOM_FLORENCE2_PARAMETERS / 1e6).toFixed(1)}M distinct parameters, fp32); never downloaded ` +
      '(the source repo does not exist). Random weights in the real shapes: the work per caption and per token is the real fp32 model’s, the captions are babble. ' +
      `</s> has a zero embedding row (and lm_head column), so it never wins and every caption runs to max_new_tokens (${MAX_NEW_TOKENS}, as the real entry).`,
  };
}

const FLORENCE2_SPEC: GeneratedModelSpec = {
  id: RANDOM_FLORENCE2_ID,
  revision: REVISION,
  graphs: [
    [VISION_FILE, randomDavitEncoder, VISION_PARAMETERS],
    [EMBED_FILE, randomEmbedTokens, EMBED_PARAMETERS],
    [ENCODER_FILE, randomBartEncoder, ENCODER_PARAMETERS],
    [DECODER_FILE, randomBartDecoder, DECODER_PARAMETERS],
  ],
  sideFiles,
  entry: catalogEntry,
};

/**
 * Makes sure `<modelsDir>/florence2-random/` holds the model and `<modelsDir>/catalog.json` lists it
 * beside the other random-weight models. About 1.1 GB; generating takes tens of seconds.
 */
export function ensureRandomFlorence2(modelsDir?: string, log?: (message: string) => void): Promise<RandomVitGpt2Result> {
  return ensureGeneratedModel(FLORENCE2_SPEC, modelsDir, log);
}

runAsGeneratorScript(import.meta.url, FLORENCE2_SPEC);
