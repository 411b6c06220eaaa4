import { floatTensor, valueInfo } from '../fixtures/onnx-builder.js';
import type { GraphParts } from '../fixtures/vit-b32-random.js';

/**
 * The Llama-family decoder the random-weight VLMs share (SmolLM2 in random-smolvlm.ts, Qwen2 in
 * random-qwen2vl.ts): grouped-query attention over a KV cache, rotary positions, SwiGLU, RMSNorm.
 * What differs between them stays with each model: how the rotary angles (`rope.cos`/`rope.sin`,
 * [B, 1, S, head_dim]) are made from position_ids, the lm_head, and the q/k/v biases.
 */
export interface DecoderShape {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  mlp: number;
  layers: number;
  rmsNormEps: number;
  /** Whether q, k and v projections have biases (Qwen2's do, Llama's do not). */
  qkvBias: boolean;
}

const MASK_MIN = -3.4028234663852886e38;

/** [.., 2h] -> x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1]; `split` names the halves' sizes. */
export function rotateHalf(g: GraphParts, name: string, x: string, split: string, cos: string, sin: string): string {
  const [first, second] = g.multi('Split', [x, split], [`${name}.first_half`, `${name}.second_half`], { axis: { int: -1 } });
  const rotated = g.op('Concat', [g.op('Neg', [second!], `${name}.second_half.neg`), first!], `${name}.rotated_half`, { axis: { int: -1 } });
  return g.op('Add', [g.op('Mul', [x, cos], `${name}.cos_part`), g.op('Mul', [rotated, sin], `${name}.sin_part`)], `${name}.rope`);
}

/**
 * The constants every layer reads: attention scale, the masked score, the model's rotary table
 * (`rope`), head reshapes and axes. `extraAxes` are the model's own (before mask_axes).
 */
export function decoderConstants(g: GraphParts, shape: DecoderShape, rope: ReturnType<typeof floatTensor>, extraAxes: readonly [string, number][] = []): void {
  const { heads, kvHeads, headDim, hidden } = shape;
  g.initializers.push(floatTensor('attention.scale', [], [1 / Math.sqrt(headDim)]), floatTensor('mask.min', [], [MASK_MIN]), rope);
  g.constant('shape.q_heads', [4], [0, 0, heads, headDim]);
  g.constant('shape.kv_heads', [4], [0, 0, kvHeads, headDim]);
  g.constant('shape.q_groups', [5], [0, kvHeads, heads / kvHeads, -1, headDim]);
  g.constant('shape.q_ungroup', [4], [0, heads, -1, headDim]);
  g.constant('shape.hidden', [3], [0, 0, hidden]);
  g.constant('split.halves', [2], [headDim / 2, headDim / 2]);
  g.constant('group_axis', [1], [2]);
  g.constant('last_axis', [1], [-1]);
  g.constant('head_axis', [1], [1]);
  g.constant('row_axis', [1], [1]);
  for (const [name, axis] of extraAxes) g.constant(name, [1], [axis]);
  g.constant('mask_axes', [3], [1, 2, 3]);
  g.constant('zero', [], [0]);
  g.constant('one_step', [], [1]);
}

/** `attention.allowed` [B, 1, 1, S, T]: causal (key position <= past length + query index) and not padding (attention_mask). */
export function allowedKeys(g: GraphParts): void {
  const pastLength = g.op('Shape', ['past_key_values.0.key'], 'past_length', { start: { int: 2 }, end: { int: 3 } });
  const total = g.op('Squeeze', [g.op('Add', [pastLength, g.op('Shape', ['inputs_embeds'], 'sequence_length', { start: { int: 1 }, end: { int: 2 } })], 'total_length')], 'total_length.scalar');
  const queries = g.op('Range', [g.op('Squeeze', [pastLength], 'past_length.scalar'), total, 'one_step'], 'query_positions');
  const causal = g.op('LessOrEqual', [g.op('Range', ['zero', total, 'one_step'], 'key_positions'), g.op('Unsqueeze', [queries, 'row_axis'], 'query_positions.column')], 'causal_mask');
  const notPadding = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], 'attention_mask.bool', { to: { int: 9 } }), 'mask_axes'], 'attention_mask.keys');
  g.op('And', [causal, notPadding], 'attention.allowed');
}

/** [B, S, heads * head_dim] -> [B, heads, S, head_dim], turned by the rotary angles when `rotate`. */
function headsOf(g: GraphParts, name: string, x: string, shapeName: string, rotate: boolean): string {
  const heads = g.op('Transpose', [g.op('Reshape', [x, shapeName], `${name}.split`)], `${name}.heads`, { perm: { ints: [0, 2, 1, 3] } });
  return rotate ? rotateHalf(g, name, heads, 'split.halves', 'rope.cos', 'rope.sin') : heads;
}

/**
 * One decoder layer: RMSNorm -> attention (rotary q and k, cache concatenated, causal and padding
 * masks) -> o_proj -> residual; RMSNorm -> SwiGLU MLP -> residual. Grouped-query attention is a
 * broadcast of [B, kv, heads/kv, S, d] against the cache's [B, kv, 1, T, d], not repeat_kv's copy.
 */
export function decoderLayer(g: GraphParts, shape: DecoderShape, i: number, input: string): string {
  const { hidden, heads, kvHeads, headDim, mlp, rmsNormEps, qkvBias } = shape;
  const prefix = `layers.${i}`;
  const normed = g.rmsNorm(`${prefix}.input_layernorm`, input, hidden, rmsNormEps);
  const q = headsOf(g, `${prefix}.q`, g.linear(`${prefix}.self_attn.q_proj`, normed, hidden, heads * headDim, qkvBias), 'shape.q_heads', true);
  const k = headsOf(g, `${prefix}.k`, g.linear(`${prefix}.self_attn.k_proj`, normed, hidden, kvHeads * headDim, qkvBias), 'shape.kv_heads', true);
  const v = headsOf(g, `${prefix}.v`, g.linear(`${prefix}.self_attn.v_proj`, normed, hidden, kvHeads * headDim, qkvBias), 'shape.kv_heads', false);
  const [keys, values] = (['key', 'value'] as const).map((part, j) => g.op('Concat', [`past_key_values.${i}.${part}`, [k, v][j]!], `present.${i}.${part}`, { axis: { int: 2 } }));
  const grouped = g.op('Reshape', [q, 'shape.q_groups'], `${prefix}.q.groups`);
  const keysT = g.op('Transpose', [g.op('Unsqueeze', [keys!, 'group_axis'], `${prefix}.keys.grouped`)], `${prefix}.keys_t`, { perm: { ints: [0, 1, 2, 4, 3] } });
  const scores = g.op('Mul', [g.op('MatMul', [grouped, keysT], `${prefix}.scores`), 'attention.scale'], `${prefix}.scaled`);
  const weights = g.op('Softmax', [g.op('Where', ['attention.allowed', scores, 'mask.min'], `${prefix}.masked`)], `${prefix}.weights`, { axis: { int: -1 } });
  const context = g.op('MatMul', [weights, g.op('Unsqueeze', [values!, 'group_axis'], `${prefix}.values.grouped`)], `${prefix}.context`);
  const tokens = g.op('Transpose', [g.op('Reshape', [context, 'shape.q_ungroup'], `${prefix}.context.heads`)], `${prefix}.context.tokens`, { perm: { ints: [0, 2, 1, 3] } });
  const attended = g.linear(`${prefix}.self_attn.o_proj`, g.op('Reshape', [tokens, 'shape.hidden'], `${prefix}.context.joined`), heads * headDim, hidden, false);
  const residual = g.op('Add', [input, attended], `${prefix}.residual1`);
  // SwiGLU: down(silu(gate(x)) * up(x)).
  const mlpIn = g.rmsNorm(`${prefix}.post_attention_layernorm`, residual, hidden, rmsNormEps);
  const gate = g.linear(`${prefix}.mlp.gate_proj`, mlpIn, hidden, mlp, false);
  const up = g.linear(`${prefix}.mlp.up_proj`, mlpIn, hidden, mlp, false);
  const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate], `${prefix}.mlp.sigmoid`)], `${prefix}.mlp.silu`);
  const down = g.linear(`${prefix}.mlp.down_proj`, g.op('Mul', [silu, up], `${prefix}.mlp.gated`), mlp, hidden, false);
  return g.op('Add', [residual, down], `${prefix}.out`);
}

/** The inputs (past_key_values.*) or outputs (present.*) of the cache, [B, kv heads, `axis`, head_dim] per layer. */
export function kvCacheInfos(shape: DecoderShape, prefix: 'past_key_values' | 'present', axis: string): ReturnType<typeof valueInfo>[] {
  return Array.from({ length: shape.layers }, (_, i) => (['key', 'value'] as const).map((part) => valueInfo(`${prefix}.${i}.${part}`, 'float32', ['batch_size', shape.kvHeads, axis, shape.headDim]))).flat();
}

/**
 * One-row rotary positions (Llama, SmolLM2, Qwen2): the constants (decoderConstants with the
 * inverse frequencies of `theta`) and `rope.cos` / `rope.sin` [B, 1, S, head_dim] from position_ids.
 */
export function rope1d(g: GraphParts, shape: DecoderShape, theta: number): void {
  const { headDim } = shape;
  const inverseFrequencies = Array.from({ length: headDim / 2 }, (_, i) => theta ** (-(2 * i) / headDim));
  decoderConstants(g, shape, floatTensor('rope.inverse_frequencies', [headDim / 2], inverseFrequencies));
  const angles = g.op('Mul', [g.op('Unsqueeze', [g.op('Cast', ['position_ids'], 'rope.positions', { to: { int: 1 } }), 'last_axis'], 'rope.positions.column'), 'rope.inverse_frequencies'], 'rope.angles');
  const doubled = g.op('Unsqueeze', [g.op('Concat', [angles, angles], 'rope.angles.doubled', { axis: { int: -1 } }), 'head_axis'], 'rope.angles.heads');
  g.op('Cos', [doubled], 'rope.cos');
  g.op('Sin', [doubled], 'rope.sin');
}
