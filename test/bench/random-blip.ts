import type { ModelEntry } from '../../main/engine/models/catalog.js';
import { encodeModel, floatTensor, valueInfo } from '../fixtures/onnx-builder.js';
import { GraphParts, vitConstants, vitEmbeddings } from '../fixtures/vit-b32-random.js';
import { attend, ensureGeneratedModel, type FileRecord, type GeneratedModelSpec, geluTanhConstants, mergedCachePositions, type RandomVitGpt2Result, runAsGeneratorScript, split, splitHeads, vitLayer } from './random-vit-gpt2.js';

/**
 * Salesforce/blip-image-captioning-large with random weights, for the generation benchmark: the real
 * dimensions, in the layout Iris's own BLIP loop runs (generation/blip-captioner.ts; the catalog
 * entry blip-image-captioning-large), so the loop and onnxruntime do the real fp32 model's work per
 * caption and per token. The captions are babble; the time and memory they take is the point.
 *
 *   onnx/vision_encoder.onnx        pixel_values float32 [batch_size, 3, 384, 384]
 *                                   -> last_hidden_state float32 [batch_size, 577, 1024]
 *   onnx/decoder_model_merged.onnx  input_ids int64, attention_mask int64, encoder_hidden_states,
 *                                   past_key_values.{0..11}.{key,value} float32 [batch, 12, past, 64],
 *                                   use_cache_branch -> logits [batch, sequence, 30524], present.*
 *
 * Dimensions (the real config.json): vision ViT-L/16 at 384 (24 pre-LayerNorm layers, width 1024,
 * 16 heads, MLP 4096, exact GELU, class token + 576 patches, post-LayerNorm); text BERT-base
 * decoder (12 post-LayerNorm layers, width 768, 12 heads, FFN 3072, learned positions), each layer
 * with self-attention over a KV cache and cross-attention to the 1024-wide image states (projected
 * again at every step), LM head dense + GELU + LayerNorm + the tied word embeddings (30524) + bias.
 *
 * Weights N(0, 0.02), norm scales N(1, 0.02), seeded. [SEP] (102), which ends a caption, has a zero
 * embedding column and a -100 bias, so it never wins and every caption runs to max tokens.
 *
 *   node dist/test/bench/random-blip.js [modelsDir]
 */

const RANDOM_BLIP_ID = 'blip-large-random';
const RANDOM_BLIP_SEED = 0xb119;
const GENERATOR_VERSION = 1;
const REVISION = `generated-v${GENERATOR_VERSION}-seed-${RANDOM_BLIP_SEED}`;
const VISION_FILE = 'onnx/vision_encoder.onnx';
const DECODER_FILE = 'onnx/decoder_model_merged.onnx';

const IMAGE_SIDE = 384;
const PATCH = 16;
const PATCHES = (IMAGE_SIDE / PATCH) ** 2;
const VISION = { hidden: 1024, heads: 16, mlp: 4096, layers: 24, eps: 1e-5 };
const TEXT = { hidden: 768, heads: 12, mlp: 3072, layers: 12, eps: 1e-12, positions: 512 };
const VOCAB = 30_524;
const SEP_ID = 102;
const DEC_ID = 30_522;
const MAX_NEW_TOKENS = 30;
const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711] as const;

function visionEncoder(seed = RANDOM_BLIP_SEED): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  g.initializers.push(floatTensor('attention.scale', [], [1 / Math.sqrt(VISION.hidden / VISION.heads)]), floatTensor('gelu.sqrt2', [], [Math.SQRT2]), floatTensor('one', [], [1]), floatTensor('half', [], [0.5]));
  vitConstants(g, PATCHES, VISION.hidden, VISION.heads);
  let hidden = vitEmbeddings(g, PATCH, PATCHES, true, { width: VISION.hidden });
  for (let layer = 0; layer < VISION.layers; layer++) hidden = vitLayer(g, layer, hidden, VISION);
  g.op('Identity', [g.layerNorm('post_layernorm', hidden, VISION.eps, VISION.hidden)], 'last_hidden_state');
  const bytes = encodeModel({
    name: 'blip_large_random_vision_encoder',
    doc: `Iris benchmark model: BLIP-large's ViT-L/16 at 384 with random N(0, 0.02) weights, seed ${seed}. Same work as the real one; meaningless states.`,
    inputs: [valueInfo('pixel_values', 'float32', ['batch_size', 3, IMAGE_SIDE, IMAGE_SIDE])],
    outputs: [valueInfo('last_hidden_state', 'float32', ['batch_size', PATCHES + 1, VISION.hidden])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

/** BERT's post-LayerNorm layer with BLIP's cross-attention: self (cached) -> add & norm -> cross -> add & norm -> FFN -> add & norm. */
function textLayer(g: GraphParts, i: number, input: string): string {
  const prefix = `bert.encoder.layer.${i}`;
  const { hidden, mlp, eps } = TEXT;
  const [q, k, v] = (['query', 'key', 'value'] as const).map((part) => {
    const projected = g.linear(`${prefix}.attention.self.${part}`, input, hidden, hidden);
    return splitHeads(g, projected, projected);
  });
  const present = (['key', 'value'] as const).map((part, j) => {
    const past = g.op('Slice', [`past_key_values.${i}.${part}`, 'zero_1d', 'cache.kept', 'sequence_axis'], `${prefix}.past.${part}`);
    return g.op('Concat', [past, [k, v][j]!], `present.${i}.${part}`, { axis: { int: 2 } });
  });
  const selfOut = attend(g, `${prefix}.attention`, q!, present[0]!, present[1]!, 'causal_mask');
  const afterSelf = g.layerNorm(`${prefix}.attention.output.LayerNorm`, g.op('Add', [input, selfOut], `${prefix}.residual1`), eps, hidden);
  const crossQ = g.linear(`${prefix}.crossattention.self.query`, afterSelf, hidden, hidden);
  const crossKv = g.linear(`${prefix}.crossattention.self.key_value`, 'encoder_hidden_states', VISION.hidden, 2 * hidden);
  const [crossK, crossV] = split(g, crossKv, ['k', 'v'], 'split.kv').map((x) => splitHeads(g, x, x));
  const crossOut = attend(g, `${prefix}.crossattention`, splitHeads(g, crossQ, crossQ), crossK!, crossV!, null);
  const afterCross = g.layerNorm(`${prefix}.crossattention.output.LayerNorm`, g.op('Add', [afterSelf, crossOut], `${prefix}.residual2`), eps, hidden);
  const intermediate = gelu(g, `${prefix}.intermediate`, g.linear(`${prefix}.intermediate.dense`, afterCross, hidden, mlp));
  const out = g.linear(`${prefix}.output.dense`, intermediate, mlp, hidden);
  return g.layerNorm(`${prefix}.output.LayerNorm`, g.op('Add', [afterCross, out], `${prefix}.residual3`), eps, hidden);
}

/** Exact GELU as the exporter writes it: x/2 (1 + erf(x / sqrt 2)). */
function gelu(g: GraphParts, name: string, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, 'gelu.sqrt2'], `${name}.gelu.scaled`)], `${name}.gelu.erf`);
  return g.op('Mul', [x, g.op('Mul', [g.op('Add', [erf, 'one'], `${name}.gelu.shifted`), 'half'], `${name}.gelu.gate`)], `${name}.gelu.out`);
}

function textDecoder(seed = RANDOM_BLIP_SEED + 1): { bytes: Uint8Array; parameters: number } {
  const g = new GraphParts(seed);
  const { hidden, heads, layers, eps, positions: maxPositions } = TEXT;
  g.initializers.push(floatTensor('attention.scale', [], [1 / Math.sqrt(hidden / heads)]), floatTensor('mask.min', [], [-3.4028234663852886e38]), floatTensor('gelu.sqrt2', [], [Math.SQRT2]), ...geluTanhConstants());
  g.constant('shape.heads', [4], [0, 0, heads, hidden / heads]);
  g.constant('shape.hidden', [3], [0, 0, hidden]);
  g.constant('split.kv', [2], [hidden, hidden]);
  g.constant('zero', [], [0]);
  g.constant('zero_1d', [1], [0]);
  g.constant('one_step', [], [1]);
  g.constant('sequence_axis', [1], [2]);
  g.constant('row_axis', [1], [1]);
  g.constant('positions.max', [1], [maxPositions]);
  const positions = mergedCachePositions(g);
  // attention_mask is all ones in Iris's loop (one caption, no padding); it is read so the input is real.
  const maskSum = g.op('ReduceSum', [g.op('Cast', ['attention_mask'], 'attention_mask.float', { to: { int: 1 } })], 'attention_mask.sum', { keepdims: { int: 0 } });
  const noChange = g.op('Mul', [maskSum, 'zero.f'], 'attention_mask.no_change');
  g.initializers.push(floatTensor('zero.f', [], [0]));
  // Word embeddings stored transposed for the tied LM head; [SEP]'s column is zero.
  const zeroSep = (values: Float32Array) => {
    for (let row = 0; row < hidden; row++) values[row * VOCAB + SEP_ID] = 0;
  };
  const words = g.weight('bert.embeddings.word_embeddings.weight_t', [hidden, VOCAB], undefined, 0, zeroSep);
  const tokens = g.op('Transpose', [g.op('Gather', [words, 'input_ids'], 'words.columns', { axis: { int: 1 } })], 'words.out', { perm: { ints: [1, 2, 0] } });
  const embedded = g.op('Add', [tokens, g.op('Gather', [g.weight('bert.embeddings.position_embeddings.weight', [maxPositions, hidden]), positions], 'positions.out', { axis: { int: 0 } })], 'embeddings.sum');
  let state = g.layerNorm('bert.embeddings.LayerNorm', g.op('Add', [embedded, noChange], 'embeddings.read_mask'), eps, hidden);
  for (let layer = 0; layer < layers; layer++) state = textLayer(g, layer, state);
  // LM head: transform (dense, GELU, LayerNorm), then the tied embeddings and a bias that keeps [SEP] from winning.
  const transformed = g.layerNorm('cls.predictions.transform.LayerNorm', gelu(g, 'cls.predictions.transform', g.linear('cls.predictions.transform.dense', state, hidden, hidden)), eps, hidden);
  const bias = g.weight('cls.predictions.bias', [VOCAB], undefined, 0, (values) => (values[SEP_ID] = -100));
  g.op('Add', [g.op('MatMul', [transformed, words], 'cls.predictions.scores'), bias], 'logits');
  const cache = (prefix: 'past_key_values' | 'present', axis: string) =>
    Array.from({ length: layers }, (_, i) => (['key', 'value'] as const).map((part) => valueInfo(`${prefix}.${i}.${part}`, 'float32', ['batch_size', heads, axis, hidden / heads]))).flat();
  const bytes = encodeModel({
    name: 'blip_large_random_decoder_merged',
    doc: `Iris benchmark model: BLIP-large's merged text decoder (BERT-base with cross-attention, KV cache, tied LM head) with random N(0, 0.02) weights, seed ${seed}. [SEP] never wins.`,
    inputs: [
      valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', 'int64', ['batch_size', 'total_sequence_length']),
      valueInfo('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', VISION.hidden]),
      ...cache('past_key_values', 'past_sequence_length'),
      valueInfo('use_cache_branch', 'bool', [1]),
    ],
    outputs: [valueInfo('logits', 'float32', ['batch_size', 'sequence_length', VOCAB]), ...cache('present', 'total_sequence_length')],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  return { bytes, parameters: g.parameters };
}

const VISION_PARAMETERS = (() => {
  const linear = (i: number, o: number) => i * o + o;
  const layer = 4 * linear(VISION.hidden, VISION.hidden) + linear(VISION.hidden, VISION.mlp) + linear(VISION.mlp, VISION.hidden) + 4 * VISION.hidden;
  return VISION.hidden * (3 * PATCH * PATCH + 1) + VISION.hidden + (PATCHES + 1) * VISION.hidden + VISION.layers * layer + 2 * VISION.hidden;
})();
const DECODER_PARAMETERS = (() => {
  const linear = (i: number, o: number) => i * o + o;
  const { hidden, mlp, layers, positions } = TEXT;
  const layer = 4 * linear(hidden, hidden) + 2 * linear(hidden, hidden) + linear(VISION.hidden, 2 * hidden) + linear(hidden, mlp) + linear(mlp, hidden) + 6 * hidden;
  return VOCAB * hidden + positions * hidden + 2 * hidden + layers * layer + linear(hidden, hidden) + 2 * hidden + VOCAB;
})();

/** A WordPiece vocabulary of BLIP's size: BERT's specials where bert-base-uncased has them, the prompt's words, made-up pieces, then [DEC] and [ENC]. */
function tokenizerJson(): Record<string, unknown> {
  const tokens = ['[PAD]', ...Array.from({ length: 99 }, (_, i) => `[unused${i + 1}]`), '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'picture', 'of'];
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let n = 0; tokens.length < DEC_ID; n++) {
    const piece = `${letters[n % 26]}${letters[Math.floor(n / 26) % 26]}${letters[Math.floor(n / 676) % 26]}`;
    tokens.push(n % 2 === 0 ? piece : `##${piece}`);
  }
  tokens.push('[DEC]', '[ENC]');
  const vocab = Object.fromEntries(tokens.map((token, id) => [token, id]));
  const special = (id: number) => ({ id, content: tokens[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [0, 100, 101, 102, 103, DEC_ID, DEC_ID + 1].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [101], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [SEP_ID], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

function sideFiles(): Map<string, Uint8Array> {
  const json = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  return new Map<string, Uint8Array>([
    ['config.json', json({ architectures: ['BlipForConditionalGeneration'], model_type: 'blip', text_config: { vocab_size: VOCAB, hidden_size: TEXT.hidden, num_hidden_layers: TEXT.layers, num_attention_heads: TEXT.heads, encoder_hidden_size: VISION.hidden, bos_token_id: DEC_ID, sep_token_id: SEP_ID, pad_token_id: 0 }, vision_config: { hidden_size: VISION.hidden, num_hidden_layers: VISION.layers, num_attention_heads: VISION.heads, intermediate_size: VISION.mlp, image_size: IMAGE_SIDE, patch_size: PATCH } })],
    ['tokenizer.json', Buffer.from(JSON.stringify(tokenizerJson()))],
    ['tokenizer_config.json', json({ tokenizer_class: 'BertTokenizer', do_lower_case: true, bos_token: '[DEC]', cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]', model_max_length: 512 })],
  ]);
}

function catalogEntry(files: FileRecord[], io: ModelEntry['io']): ModelEntry {
  return {
    id: RANDOM_BLIP_ID,
    task: 'caption',
    title: 'BLIP large with random weights (benchmark model), same shapes as Salesforce/blip-image-captioning-large (fp32)',
    licence: 'MIT',
    source: { repo: 'iris-fixtures/blip-large-random', revision: REVISION },
    dtype: 'fp32',
    family: RANDOM_BLIP_ID,
    default: false,
    files,
    io,
    preprocessing: {
      architecture: 'blip',
      sessions: { vision_encoder: 'fp32', decoder_model_merged: 'fp32' },
      max_new_tokens: MAX_NEW_TOKENS,
      image_long_edge: 768,
      stop_tokens: ['[SEP]'],
      blip: { image_size: IMAGE_SIDE, image_mean: [...OPENAI_MEAN], image_std: [...OPENAI_STD], prompt: 'a picture of', decoder_start_token: '[DEC]' },
    },
    notes:
      `Generated by test/bench/random-blip.ts (seed ${RANDOM_BLIP_SEED}, ${((VISION_PARAMETERS + DECODER_PARAMETERS) / 1e6).toFixed(1)}M parameters, fp32); never downloaded. ` +
      `Random weights in the real shapes: the work per caption and per token is the real fp32 model's, the captions are babble; [SEP] never wins, so every caption runs to ${MAX_NEW_TOKENS} tokens.`,
  };
}

const BLIP_SPEC: GeneratedModelSpec = {
  id: RANDOM_BLIP_ID,
  revision: REVISION,
  graphs: [
    [VISION_FILE, visionEncoder, VISION_PARAMETERS],
    [DECODER_FILE, textDecoder, DECODER_PARAMETERS],
  ],
  sideFiles,
  entry: catalogEntry,
};

/** Makes sure `<modelsDir>/blip-large-random/` holds the model (about 1.8 GB) and the catalog there lists it. */
export function ensureRandomBlip(modelsDir?: string, log?: (message: string) => void): Promise<RandomVitGpt2Result> {
  return ensureGeneratedModel(BLIP_SPEC, modelsDir, log);
}

runAsGeneratorScript(import.meta.url, BLIP_SPEC);
