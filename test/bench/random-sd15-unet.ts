import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { sha256OfFile } from '../../main/engine/models/download.js';
import { encodeModel, ExternalDataFile, floatTensor, valueInfo } from '../fixtures/onnx-builder.js';
import { BENCH_MODELS_DIR, ExternalGraph, writeIfChanged } from '../fixtures/vit-b32-random.js';

/**
 * Stable Diffusion 1.5's UNet (diffusers UNet2DConditionModel, runwayml/stable-diffusion-v1-5's
 * unet/config.json) with random weights, for the diffusion benchmark: the real architecture,
 * parameter count (859.5M, 3.44 GB fp32), operators and input/output names of the diffusers ONNX
 * export, so an onnxruntime session does the same work per denoising step as with the real weights.
 * The noise it predicts means nothing; the time and memory it takes is the point.
 *
 *   unet/model.onnx   sample float32 [batch, 4, height, width] (latents: pixels / 8),
 *                     timestep int64 [1], encoder_hidden_states float32 [batch, 77, 768]
 *                     -> out_sample float32 [batch, 4, height, width]
 *   unet/weights.pb   every weight, as external data (a 3.4 GB protobuf is over onnxruntime's 2 GB limit)
 *
 * Architecture (diffusers unet_2d_condition.py, unet_2d_blocks.py, resnet.py, transformer_2d.py,
 * attention.py, embeddings.py; SD 1.5's config):
 *   time: sinusoidal embedding of the timestep, 320 wide (flip_sin_to_cos, freq_shift 0) ->
 *     linear_1 320->1280, SiLU, linear_2 1280->1280; each ResNet adds time_emb_proj(SiLU(temb)).
 *   conv_in 4->320 (3x3).
 *   down: CrossAttnDownBlock2D 320, 640, 1280 and DownBlock2D 1280, 2 layers each (ResNet [+
 *     Transformer2D]), a stride-2 3x3 conv after each block but the last; 12 skip states in all.
 *   mid: ResNet, Transformer2D, ResNet at 1280.
 *   up: UpBlock2D 1280 and CrossAttnUpBlock2D 1280, 640, 320, 3 layers each, every ResNet fed the
 *     hidden state concatenated with the next skip state; nearest x2 + 3x3 conv after each but the last.
 *   out: GroupNorm, SiLU, conv_out 320->4.
 *   ResNet (ResnetBlock2D): GroupNorm(32, eps 1e-5), SiLU, conv 3x3, + time projection, GroupNorm,
 *     SiLU, conv 3x3, + the input (a 1x1 conv_shortcut where the channels change).
 *   Transformer2D: GroupNorm(32, eps 1e-6), proj_in (1x1 conv), tokens [B, HW, C], one
 *     BasicTransformerBlock (LayerNorm, 8-head self-attention; LayerNorm, 8-head cross-attention on
 *     encoder_hidden_states (k, v 768->C); LayerNorm, GEGLU feed-forward C->8C, half x GELU(other
 *     half), 4C->C; each with a residual), proj_out (1x1 conv), + the input. q, k, v have no bias,
 *     to_out has one. ("attention_head_dim": 8 in SD 1.5's config is the number of heads.)
 *   GroupNorm is written as the PyTorch exporter writes it at opset 17 (no GroupNormalization op):
 *   Reshape [B, 32, -1], InstanceNormalization, Reshape back, x gamma + beta. GELU is the erf form
 *   (onnxruntime fuses both). Upsampling is Resize with its default (nearest) attributes, which at
 *   an exact x2 picks the same pixels as PyTorch's nearest.
 *
 * Weights: N(0, 0.02), norm scales N(1, 0.02), seeded (GraphParts: sfc32 + Box-Muller), so the
 * files are the same bytes on every machine. Generated on demand (never committed) into
 * `.cache/bench-models/sd15-unet-random/` (gitignored), with a manifest of the files' sizes and
 * sha256; regenerated only when missing, of another generator version, or when a file no longer
 * verifies.
 *
 *   node dist/test/bench/random-sd15-unet.js [modelsDir] [--check]
 *
 * --check also runs one guided step at 512x512 (batch 2, latents 64x64) on the CPU and checks the
 * output's shape and that it is finite.
 */

const { onnx } = onnxProto;

const RANDOM_SD15_UNET_ID = 'sd15-unet-random';
const RANDOM_SD15_UNET_SEED = 0x5d15;
/** Bump whenever the graph or the weight recipe changes. */
const GENERATOR_VERSION = 1;
const REVISION = `generated-v${GENERATOR_VERSION}-seed-${RANDOM_SD15_UNET_SEED}`;

const UNET_FILE = 'unet/model.onnx';
const UNET_WEIGHTS_FILE = 'unet/weights.pb';
const MANIFEST_FILE = 'manifest.json';

/** runwayml/stable-diffusion-v1-5's UNet2DConditionModel, as diffusers counts it (sum of p.numel()). */
export const SD15_UNET_PARAMETERS = 859_520_964;

const IN_CHANNELS = 4;
const BLOCK_CHANNELS = [320, 640, 1280, 1280] as const;
const LAYERS_PER_BLOCK = 2;
/** Down blocks 0-2 and up blocks 1-3 have Transformer2D layers (CrossAttn*Block2D). */
const CROSS_ATTENTION_DOWN = [true, true, true, false] as const;
const HEADS = 8;
const CROSS_DIM = 768;
const CONTEXT_LENGTH = 77;
const GROUPS = 32;
const RESNET_EPS = 1e-5;
const TRANSFORMER_NORM_EPS = 1e-6;
const LAYER_NORM_EPS = 1e-5;
const TIME_CHANNELS = BLOCK_CHANNELS[0];
const TIME_EMBED = BLOCK_CHANNELS[0] * 4;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

// ---------------------------------------------------------------- the graph

/** The shared ExternalGraph, with constants defined once however often a block asks for them. */
class UnetGraph extends ExternalGraph {
  private readonly defined = new Set<string>();

  /** A float constant (not a parameter), stored in the .onnx, defined once however often it is asked for. */
  floats(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    if (!this.defined.has(name)) this.initializers.push(floatTensor(name, dims, values));
    this.defined.add(name);
    return name;
  }

  /** An int64 constant, defined once. */
  ints(name: string, values: readonly number[]): string {
    if (!this.defined.has(name)) this.constant(name, [values.length], values);
    this.defined.add(name);
    return name;
  }
}

function conv(g: UnetGraph, prefix: string, x: string, cin: number, cout: number, kernel = 3, stride = 1): string {
  const pad = (kernel - 1) / 2;
  const weights = [g.weight(`${prefix}.weight`, [cout, cin, kernel, kernel]), g.weight(`${prefix}.bias`, [cout])];
  return g.op('Conv', [x, ...weights], `${prefix}.out`, { kernel_shape: { ints: [kernel, kernel] }, pads: { ints: [pad, pad, pad, pad] }, strides: { ints: [stride, stride] } });
}

function silu(g: UnetGraph, name: string, x: string): string {
  return g.op('Mul', [x, g.op('Sigmoid', [x], `${name}.sigmoid`)], `${name}.silu`);
}

/** GroupNorm(32) as the exporter writes it at opset 17: per-group InstanceNormalization, then the per-channel affine. */
function groupNorm(g: UnetGraph, prefix: string, x: string, channels: number, epsilon: number): string {
  const grouped = g.op('Reshape', [x, g.ints('shape.groups', [0, GROUPS, -1])], `${prefix}.grouped`);
  const unit = [g.floats('groups.ones', [GROUPS], new Float32Array(GROUPS).fill(1)), g.floats('groups.zeros', [GROUPS], new Float32Array(GROUPS))];
  const normed = g.op('InstanceNormalization', [grouped, ...unit], `${prefix}.normed`, { epsilon: { float: epsilon } });
  const back = g.op('Reshape', [normed, g.op('Shape', [x], `${prefix}.shape`)], `${prefix}.ungrouped`);
  const scaled = g.op('Mul', [back, g.weight(`${prefix}.weight`, [channels, 1, 1], undefined, 1)], `${prefix}.scaled`);
  return g.op('Add', [scaled, g.weight(`${prefix}.bias`, [channels, 1, 1])], `${prefix}.out`);
}

function layerNorm(g: UnetGraph, prefix: string, x: string, channels: number): string {
  const weights = [g.weight(`${prefix}.weight`, [channels], undefined, 1), g.weight(`${prefix}.bias`, [channels])];
  return g.op('LayerNormalization', [x, ...weights], `${prefix}.out`, { axis: { int: -1 }, epsilon: { float: LAYER_NORM_EPS } });
}

/** ResnetBlock2D; `timeSilu` is SiLU(temb) [1, 1280], shared by every block. */
function resnet(g: UnetGraph, prefix: string, x: string, cin: number, cout: number, timeSilu: string): string {
  let h = conv(g, `${prefix}.conv1`, silu(g, `${prefix}.norm1`, groupNorm(g, `${prefix}.norm1`, x, cin, RESNET_EPS)), cin, cout);
  const time = g.op('Reshape', [g.linear(`${prefix}.time_emb_proj`, timeSilu, TIME_EMBED, cout), g.ints('shape.channels_only', [0, -1, 1, 1])], `${prefix}.time`);
  h = g.op('Add', [h, time], `${prefix}.timed`);
  h = conv(g, `${prefix}.conv2`, silu(g, `${prefix}.norm2`, groupNorm(g, `${prefix}.norm2`, h, cout, RESNET_EPS)), cout, cout);
  const shortcut = cin === cout ? x : conv(g, `${prefix}.conv_shortcut`, x, cin, cout, 1);
  return g.op('Add', [shortcut, h], `${prefix}.out`);
}

/** Multi-head attention of `x` [B, N, C] over `context` [B, M, contextDim] (self-attention when it is x). */
function attention(g: UnetGraph, prefix: string, x: string, context: string, channels: number, contextDim: number): string {
  const headDim = channels / HEADS;
  const heads = g.ints(`shape.heads.${channels}`, [0, 0, HEADS, headDim]);
  const split = (name: string, value: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [value, heads], `${prefix}.${name}.split`)], `${prefix}.${name}.heads`, { perm: { ints: perm } });
  const scale = g.floats(`attention.scale.${headDim}`, [], [1 / Math.sqrt(headDim)]);
  const q = split('q', g.op('Mul', [g.linear(`${prefix}.to_q`, x, channels, channels, false), scale], `${prefix}.q_scaled`), [0, 2, 1, 3]);
  const k = split('k', g.linear(`${prefix}.to_k`, context, contextDim, channels, false), [0, 2, 3, 1]);
  const v = split('v', g.linear(`${prefix}.to_v`, context, contextDim, channels, false), [0, 2, 1, 3]);
  const weights = g.op('Softmax', [g.op('MatMul', [q, k], `${prefix}.scores`)], `${prefix}.weights`, { axis: { int: -1 } });
  const merged = g.op('Transpose', [g.op('MatMul', [weights, v], `${prefix}.context`)], `${prefix}.context.tokens`, { perm: { ints: [0, 2, 1, 3] } });
  return g.linear(`${prefix}.to_out.0`, g.op('Reshape', [merged, g.ints(`shape.tokens.${channels}`, [0, 0, channels])], `${prefix}.context.joined`), channels, channels);
}

/** GEGLU feed-forward: C -> 2 x 4C, one half x GELU(the other), 4C -> C. */
function feedForward(g: UnetGraph, prefix: string, x: string, channels: number): string {
  const inner = channels * 4;
  const projected = g.linear(`${prefix}.net.0.proj`, x, channels, inner * 2);
  const [hidden, gate] = g.multi('Split', [projected, g.ints(`split.geglu.${channels}`, [inner, inner])], [`${prefix}.hidden`, `${prefix}.gate`], { axis: { int: -1 } }) as [string, string];
  // Exact GELU as the exporter writes it at opset 17: x * 0.5 * (1 + erf(x / sqrt 2)).
  const erf = g.op('Erf', [g.op('Div', [gate, g.floats('gelu.sqrt2', [], [Math.SQRT2])], `${prefix}.gelu.scaled`)], `${prefix}.gelu.erf`);
  const halfGate = g.op('Mul', [g.op('Add', [erf, g.floats('one', [], [1])], `${prefix}.gelu.shifted`), g.floats('half', [], [0.5])], `${prefix}.gelu.half`);
  const activated = g.op('Mul', [hidden, g.op('Mul', [gate, halfGate], `${prefix}.gelu.out`)], `${prefix}.activated`);
  return g.linear(`${prefix}.net.2`, activated, inner, channels);
}

/** Transformer2DModel (SD 1.5: conv proj_in/proj_out, one BasicTransformerBlock). */
function transformer(g: UnetGraph, prefix: string, x: string, channels: number): string {
  const projected = conv(g, `${prefix}.proj_in`, groupNorm(g, `${prefix}.norm`, x, channels, TRANSFORMER_NORM_EPS), channels, channels, 1);
  const flat = g.op('Reshape', [projected, g.ints(`shape.flat.${channels}`, [0, channels, -1])], `${prefix}.flat`);
  let tokens = g.op('Transpose', [flat], `${prefix}.tokens`, { perm: { ints: [0, 2, 1] } });
  const block = `${prefix}.transformer_blocks.0`;
  tokens = g.op('Add', [tokens, attention(g, `${block}.attn1`, layerNorm(g, `${block}.norm1`, tokens, channels), `${block}.norm1.out`, channels, channels)], `${block}.self`);
  tokens = g.op('Add', [tokens, attention(g, `${block}.attn2`, layerNorm(g, `${block}.norm2`, tokens, channels), 'encoder_hidden_states', channels, CROSS_DIM)], `${block}.cross`);
  tokens = g.op('Add', [tokens, feedForward(g, `${block}.ff`, layerNorm(g, `${block}.norm3`, tokens, channels), channels)], `${block}.out`);
  const grid = g.op('Reshape', [g.op('Transpose', [tokens], `${prefix}.channels`, { perm: { ints: [0, 2, 1] } }), g.op('Shape', [projected], `${prefix}.grid_shape`)], `${prefix}.grid`);
  return g.op('Add', [conv(g, `${prefix}.proj_out`, grid, channels, channels, 1), x], `${prefix}.out`);
}

/** Timesteps(320, flip_sin_to_cos=True, freq_shift=0) -> TimestepEmbedding(320, 1280); returns SiLU(temb), what every ResNet reads. */
function timeEmbedding(g: UnetGraph): string {
  const half = TIME_CHANNELS / 2;
  const frequencies = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10_000) * i) / half));
  const t = g.op('Reshape', [g.op('Cast', ['timestep'], 'time.float', { to: { int: FLOAT } }), g.ints('shape.column', [-1, 1])], 'time.column');
  const angles = g.op('Mul', [t, g.floats('time.frequencies', [1, half], frequencies)], 'time.angles');
  const sinusoid = g.op('Concat', [g.op('Cos', [angles], 'time.cos'), g.op('Sin', [angles], 'time.sin')], 'time.proj', { axis: { int: 1 } });
  const hidden = silu(g, 'time_embedding.act', g.linear('time_embedding.linear_1', sinusoid, TIME_CHANNELS, TIME_EMBED));
  return silu(g, 'time_embedding.out', g.linear('time_embedding.linear_2', hidden, TIME_EMBED, TIME_EMBED));
}

function unetGraph(g: UnetGraph): void {
  const timeSilu = timeEmbedding(g);
  let h = conv(g, 'conv_in', 'sample', IN_CHANNELS, BLOCK_CHANNELS[0]);
  let channels: number = BLOCK_CHANNELS[0];
  const skips: { name: string; channels: number }[] = [{ name: h, channels }];
  BLOCK_CHANNELS.forEach((out, i) => {
    for (let j = 0; j < LAYERS_PER_BLOCK; j++) {
      h = resnet(g, `down_blocks.${i}.resnets.${j}`, h, channels, out, timeSilu);
      channels = out;
      if (CROSS_ATTENTION_DOWN[i]) h = transformer(g, `down_blocks.${i}.attentions.${j}`, h, out);
      skips.push({ name: h, channels });
    }
    if (i < BLOCK_CHANNELS.length - 1) {
      h = conv(g, `down_blocks.${i}.downsamplers.0.conv`, h, out, out, 3, 2);
      skips.push({ name: h, channels });
    }
  });
  const top = BLOCK_CHANNELS.at(-1)!;
  h = resnet(g, 'mid_block.resnets.0', h, top, top, timeSilu);
  h = transformer(g, 'mid_block.attentions.0', h, top);
  h = resnet(g, 'mid_block.resnets.1', h, top, top, timeSilu);
  [...BLOCK_CHANNELS].reverse().forEach((out, i) => {
    for (let j = 0; j <= LAYERS_PER_BLOCK; j++) {
      const skip = skips.pop()!;
      const joined = g.op('Concat', [h, skip.name], `up_blocks.${i}.resnets.${j}.in`, { axis: { int: 1 } });
      h = resnet(g, `up_blocks.${i}.resnets.${j}`, joined, channels + skip.channels, out, timeSilu);
      channels = out;
      // The up path mirrors the down path: its first block is the plain UpBlock2D.
      if (CROSS_ATTENTION_DOWN[BLOCK_CHANNELS.length - 1 - i]) h = transformer(g, `up_blocks.${i}.attentions.${j}`, h, out);
    }
    if (i < BLOCK_CHANNELS.length - 1) {
      const upsampled = g.op('Resize', [h, '', g.floats('resize.scales', [4], [1, 1, 2, 2])], `up_blocks.${i}.upsamplers.0.resized`);
      h = conv(g, `up_blocks.${i}.upsamplers.0.conv`, upsampled, out, out);
    }
  });
  if (skips.length !== 0) throw new Error(`random-sd15-unet: ${skips.length} skip states left over`);
  const normed = silu(g, 'conv_norm_out', groupNorm(g, 'conv_norm_out', h, channels, RESNET_EPS));
  g.op('Identity', [conv(g, 'conv_out', normed, channels, IN_CHANNELS)], 'out_sample');
}

/** Writes model.onnx and its weights file into `unetDir`; returns the parameter count. */
function writeRandomSd15Unet(unetDir: string, seed = RANDOM_SD15_UNET_SEED): { parameters: number } {
  fs.mkdirSync(unetDir, { recursive: true });
  const weightsName = path.basename(UNET_WEIGHTS_FILE);
  const temporary = `${weightsName}.${process.pid}.tmp`;
  const data = new ExternalDataFile(path.join(unetDir, temporary), weightsName);
  const g = new UnetGraph(seed, data);
  try {
    unetGraph(g);
  } finally {
    data.close();
  }
  const bytes = encodeModel({
    name: 'sd15_unet_random',
    doc: `Iris benchmark model: Stable Diffusion 1.5's UNet2DConditionModel with random N(0, 0.02) weights, seed ${seed}, weights in ${weightsName}. Same work as the real one; meaningless noise predictions.`,
    inputs: [
      valueInfo('sample', 'float32', ['batch', IN_CHANNELS, 'height', 'width']),
      valueInfo('timestep', 'int64', [1]),
      valueInfo('encoder_hidden_states', 'float32', ['batch', CONTEXT_LENGTH, CROSS_DIM]),
    ],
    outputs: [valueInfo('out_sample', 'float32', ['batch', IN_CHANNELS, 'height', 'width'])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
  fs.renameSync(path.join(unetDir, temporary), path.join(unetDir, weightsName));
  writeIfChanged(path.join(unetDir, path.basename(UNET_FILE)), bytes);
  return { parameters: g.parameters };
}

// ---------------------------------------------------------------- FLOPs, read from the graph

export interface GraphFlops {
  /** 2 x multiply-accumulates, by kind: convolutions, MatMuls by a weight (linear layers), MatMuls of two activations (attention). */
  conv: number;
  linear: number;
  attention: number;
  total: number;
}

/**
 * The multiply-add FLOPs (2 per MAC) of every Conv and MatMul in `modelFile` for concrete input
 * shapes, by propagating shapes through the graph's nodes (the operators this generator writes;
 * any other throws). Element-wise work (norms, softmax, activations) is not counted: it is a few
 * percent of the arithmetic and bound by memory, not by the multipliers.
 */
export function graphFlops(modelFile: string, inputs: Record<string, number[]>): GraphFlops {
  const graph = onnx.ModelProto.decode(fs.readFileSync(modelFile)).graph!;
  const shapes = new Map<string, number[]>(Object.entries(inputs));
  const values = new Map<string, number[]>();
  const weights = new Set<string>();
  for (const tensor of graph.initializer ?? []) {
    const dims = (tensor.dims ?? []).map(Number);
    shapes.set(tensor.name!, dims);
    weights.add(tensor.name!);
    const raw = tensor.rawData && tensor.rawData.length > 0 ? Buffer.from(tensor.rawData) : null;
    if (raw && tensor.dataType === onnx.TensorProto.DataType.INT64) values.set(tensor.name!, Array.from({ length: raw.length / 8 }, (_, i) => Number(raw.readBigInt64LE(i * 8))));
    if (raw && tensor.dataType === FLOAT) values.set(tensor.name!, Array.from({ length: raw.length / 4 }, (_, i) => raw.readFloatLE(i * 4)));
  }
  const flops: GraphFlops = { conv: 0, linear: 0, attention: 0, total: 0 };
  const shapeOf = (name: string) => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`graphFlops: no shape for ${name}`);
    return shape;
  };
  const valueOf = (name: string) => {
    const value = values.get(name);
    if (!value) throw new Error(`graphFlops: ${name} is not a constant`);
    return value;
  };
  for (const n of graph.node ?? []) {
    const ins = (n.input ?? []).map((name) => (name === '' ? [] : shapeOf(name)));
    const attr = (name: string) => n.attribute?.find((a) => a.name === name);
    const out = n.output![0]!;
    const x = ins[0]!;
    switch (n.opType) {
      case 'Add':
      case 'Mul':
      case 'Div':
        shapes.set(out, broadcast(x, ins[1]!));
        break;
      case 'Shape':
        shapes.set(out, [x.length]);
        values.set(out, x);
        break;
      case 'Reshape':
        shapes.set(out, reshape(x, valueOf(n.input![1]!)));
        break;
      case 'Transpose':
        shapes.set(out, attr('perm')!.ints!.map((axis) => x[Number(axis)]!));
        break;
      case 'Concat': {
        const axis = normalAxis(Number(attr('axis')!.i), x.length);
        shapes.set(out, x.map((d, i) => (i === axis ? ins.reduce((sum, shape) => sum + shape[i]!, 0) : d)));
        break;
      }
      case 'Split': {
        const axis = normalAxis(Number(attr('axis')!.i), x.length);
        valueOf(n.input![1]!).forEach((size, i) => shapes.set(n.output![i]!, x.map((d, j) => (j === axis ? size : d))));
        break;
      }
      case 'Resize':
        shapes.set(out, x.map((d, i) => Math.floor(d * valueOf(n.input![2]!)[i]!)));
        break;
      case 'Conv': {
        const [cout, cin, kh, kw] = ins[1]! as [number, number, number, number];
        const pads = attr('pads')!.ints!.map(Number);
        const strides = attr('strides')!.ints!.map(Number);
        const result = [x[0]!, cout, Math.floor((x[2]! + pads[0]! + pads[2]! - kh) / strides[0]!) + 1, Math.floor((x[3]! + pads[1]! + pads[3]! - kw) / strides[1]!) + 1];
        shapes.set(out, result);
        flops.conv += 2 * product(result) * cin * kh * kw;
        break;
      }
      case 'MatMul': {
        const [a, b] = [x, ins[1]!];
        const result = [...broadcast(a.slice(0, -2), b.slice(0, -2)), a.at(-2)!, b.at(-1)!];
        shapes.set(out, result);
        const macs = 2 * product(result) * a.at(-1)!;
        if (weights.has(n.input![1]!)) flops.linear += macs;
        else flops.attention += macs;
        break;
      }
      case 'Cast':
      case 'Sigmoid':
      case 'Erf':
      case 'Cos':
      case 'Sin':
      case 'Identity':
      case 'Softmax':
      case 'InstanceNormalization':
      case 'LayerNormalization':
        shapes.set(out, x);
        break;
      default:
        throw new Error(`graphFlops: no shape rule for ${n.opType}`);
    }
  }
  flops.total = flops.conv + flops.linear + flops.attention;
  return flops;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const normalAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`graphFlops: cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
    return Math.max(da, db);
  });
}

/** ONNX Reshape: 0 copies the input's dimension, -1 takes what is left. */
function reshape(input: readonly number[], target: readonly number[]): number[] {
  const dims = target.map((d, i) => (d === 0 ? input[i]! : d));
  const known = product(dims.filter((d) => d !== -1));
  return dims.map((d) => (d === -1 ? product(input) / known : d));
}

// ---------------------------------------------------------------- files on disk

interface FileRecord {
  path: string;
  bytes: number;
  sha256: string;
}

interface Manifest {
  id: string;
  revision: string;
  parameters: number;
  files: FileRecord[];
}

async function fileRecord(modelDir: string, relative: string): Promise<FileRecord> {
  const file = path.join(modelDir, ...relative.split('/'));
  return { path: relative, bytes: fs.statSync(file).size, sha256: await sha256OfFile(file) };
}

/** The manifest when it is this generator's and every file on disk still has its size and sha256; else null (generate). */
async function verifiedManifest(modelDir: string): Promise<Manifest | null> {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, MANIFEST_FILE), 'utf8')) as Manifest;
    if (manifest.revision !== REVISION || manifest.files.length !== 2) return null;
    for (const record of manifest.files) {
      const file = path.join(modelDir, ...record.path.split('/'));
      if (fs.statSync(file).size !== record.bytes || (await sha256OfFile(file)) !== record.sha256) return null;
    }
    return manifest;
  } catch {
    return null;
  }
}

export interface RandomSd15UnetResult {
  modelDir: string;
  /** unet/model.onnx (its weights beside it in unet/weights.pb). */
  unetFile: string;
  parameters: number;
  /** model.onnx + weights.pb. */
  bytes: number;
  /** True when the files were (re)generated in this call, false when the cached ones verified. */
  generated: boolean;
  seconds: number;
}

/**
 * Makes sure `<modelsDir>/sd15-unet-random/` holds the UNet (model.onnx + weights.pb) and a
 * manifest of their sizes and sha256. Generating takes about a minute; verifying a few seconds.
 */
export async function ensureRandomSd15Unet(modelsDir = BENCH_MODELS_DIR, log: (message: string) => void = () => {}): Promise<RandomSd15UnetResult> {
  const started = performance.now();
  const modelDir = path.join(path.resolve(modelsDir), RANDOM_SD15_UNET_ID);
  let manifest = await verifiedManifest(modelDir);
  const generated = manifest === null;
  if (!manifest) {
    log(`generating ${path.join(modelDir, UNET_FILE)} (SD 1.5 UNet, random weights, seed ${RANDOM_SD15_UNET_SEED}; 3.4 GB)`);
    const { parameters } = writeRandomSd15Unet(path.join(modelDir, path.dirname(UNET_FILE)));
    if (parameters !== SD15_UNET_PARAMETERS) throw new Error(`random-sd15-unet: ${parameters} parameters, expected ${SD15_UNET_PARAMETERS}`);
    manifest = { id: RANDOM_SD15_UNET_ID, revision: REVISION, parameters, files: [await fileRecord(modelDir, UNET_FILE), await fileRecord(modelDir, UNET_WEIGHTS_FILE)] };
    writeIfChanged(path.join(modelDir, MANIFEST_FILE), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  }
  return {
    modelDir,
    unetFile: path.join(modelDir, ...UNET_FILE.split('/')),
    parameters: manifest.parameters,
    bytes: manifest.files.reduce((sum, file) => sum + file.bytes, 0),
    generated,
    seconds: (performance.now() - started) / 1000,
  };
}

/** One guided step at 512x512 (batch 2, latents 64x64) on the CPU: the output's shape and whether it is all finite. */
async function checkOneStep(unetFile: string): Promise<string> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(unetFile, { graphOptimizationLevel: 'all' });
  try {
    const sample = new Float32Array(2 * IN_CHANNELS * 64 * 64).map((_, i) => Math.sin(i));
    const context = new Float32Array(2 * CONTEXT_LENGTH * CROSS_DIM).map((_, i) => Math.cos(i));
    const started = performance.now();
    const out = await session.run({
      sample: new ort.Tensor('float32', sample, [2, IN_CHANNELS, 64, 64]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([981n]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', context, [2, CONTEXT_LENGTH, CROSS_DIM]),
    });
    const seconds = (performance.now() - started) / 1000;
    const result = out.out_sample!;
    const data = result.data as Float32Array;
    const finite = data.every(Number.isFinite);
    const ok = result.dims.join('x') === `2x${IN_CHANNELS}x64x64` && finite;
    return `one step: out_sample [${result.dims.join(', ')}], ${finite ? 'all finite' : 'NOT all finite'}, ${seconds.toFixed(1)} s${ok ? '' : ' (FAILED)'}`;
  } finally {
    await session.release();
  }
}

async function scriptMain(args: string[]): Promise<void> {
  const result = await ensureRandomSd15Unet(args.find((arg) => !arg.startsWith('--')), (message) => console.error(`random-sd15-unet: ${message}`));
  const state = result.generated ? 'generated' : 'up to date (sha256 verified)';
  console.log(`${RANDOM_SD15_UNET_ID} in ${path.relative(process.cwd(), result.modelDir) || '.'}: ${state} in ${result.seconds.toFixed(1)} s, ${(result.bytes / 1e9).toFixed(2)} GB`);
  console.log(`parameters: ${result.parameters.toLocaleString('en')} (SD 1.5 UNet: ${SD15_UNET_PARAMETERS.toLocaleString('en')})`);
  const flops = graphFlops(result.unetFile, { sample: [2, IN_CHANNELS, 64, 64], timestep: [1], encoder_hidden_states: [2, CONTEXT_LENGTH, CROSS_DIM] });
  const tera = (value: number) => (value / 1e12).toFixed(3);
  console.log(`FLOPs per guided step at 512x512 (batch 2): ${tera(flops.total)} T (conv ${tera(flops.conv)}, linear ${tera(flops.linear)}, attention ${tera(flops.attention)})`);
  if (!args.includes('--check')) return;
  const line = await checkOneStep(result.unetFile);
  console.log(line);
  if (line.endsWith('(FAILED)')) process.exitCode = 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  scriptMain(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`random-sd15-unet: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
