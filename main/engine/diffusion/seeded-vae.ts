import fs from 'node:fs';
import { type WireField, bytesField, concatBytes, fieldText, intField, readFields } from '../runtime/onnx-wire.js';
import { type ModelSession, type SessionOptions, createSession } from '../runtime/session.js';

/**
 * VAE encoders exported from diffusers with Olive (nmkd's and axodox's fp16 sets, probably
 * onnx-community's fp32 one) return `latent_dist.sample()`: the graph draws its noise with a
 * RandomNormalLike node that has no seed, so the photo's latents differ on every run and an
 * img2img `repeat` gives a close but different image. Iris replaces that node with an Identity of
 * a new graph input, ENCODER_NOISE_INPUT, and the pipeline feeds it noise from the edit's seed:
 * img2img becomes reproducible, and instruct edits feed zeros to get the distribution's mean (what
 * diffusers' InstructPix2Pix uses).
 *
 * The edit happens on the verified bytes in memory (the file on disk is never changed), with the
 * wire-format helpers of onnx-wire.ts, so the weights are never decoded.
 */

/** The graph input that takes the encoder's noise: standard normal, the latents' shape. */
export const ENCODER_NOISE_INPUT = 'iris_encoder_noise';

/** ONNX TensorProto.DataType codes for the float types a noise input may need. */
export const ONNX_FLOAT = 1;
export const ONNX_FLOAT16 = 10;

export type VaeEncoderGraph =
  /** No random operator: the encoder returns the mean (or optimum's `latent_parameters`). Load it as it is. */
  | { kind: 'deterministic' }
  /**
   * One RandomNormalLike that Iris can replace. `withNoiseInput(type)` gives the edited model with the
   * noise input of that element type; `likelyTypes` lists the types to try, most likely first (the
   * graph does not always say which float type the node's input has: try the next if a session refuses).
   */
  | { kind: 'sampling'; likelyTypes: number[]; withNoiseInput: (elemType: number) => Uint8Array }
  /** Random in a way Iris does not rewrite (several random nodes, another distribution, external data). */
  | { kind: 'unseeded'; reason: string };

const RANDOM_OPS = new Set(['RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

// onnx.proto field numbers.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, f: 2, i: 3 } as const;
const TENSOR_DATA_LOCATION = 14;
const EXTERNAL = 1;

interface NodeInfo {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, WireField[]>;
}

/** Reads what Iris needs to know about a VAE encoder's sampling; `output` is its latent output's name. */
export function inspectVaeEncoder(model: Uint8Array, output = 'latent_sample'): VaeEncoderGraph {
  const top = readFields(model);
  const graphFields = top.filter((field) => field.field === MODEL_GRAPH);
  if (graphFields.length !== 1) return { kind: 'unseeded', reason: `the model has ${graphFields.length} graphs, not one` };
  const graph = readFields(graphFields[0]!.body);
  const nodes = graph.filter((field) => field.field === GRAPH.node).map((field) => ({ field, node: readNode(field.body) }));
  const random = nodes.filter(({ node }) => RANDOM_OPS.has(node.opType) && (node.domain === '' || node.domain === 'ai.onnx'));
  if (random.length === 0) return { kind: 'deterministic' };
  const ops = random.map(({ node }) => node.opType).join(', ');
  if (random.length > 1 || random[0]!.node.opType !== 'RandomNormalLike') return { kind: 'unseeded', reason: `it samples with ${ops}` };
  const { field: randomField, node } = random[0]!;
  const mean = node.attributes.get('mean')?.[0]?.float ?? 0;
  const scale = node.attributes.get('scale')?.[0]?.float ?? 1;
  if (mean !== 0 || scale !== 1) return { kind: 'unseeded', reason: `its RandomNormalLike has mean ${mean} and scale ${scale}, not a standard normal` };
  if (node.outputs.length !== 1 || node.inputs.length !== 1) return { kind: 'unseeded', reason: 'its RandomNormalLike is not one input to one output' };
  // Bytes handed to onnxruntime have no folder to read external weights from.
  if (graph.some((field) => field.field === GRAPH.initializer && isExternal(field.body))) return { kind: 'unseeded', reason: 'its weights are in external data' };

  const declared = node.attributes.get('dtype')?.[0]?.int;
  // The node's input type when the export recorded it, else the latent output's (an export in one float type throughout).
  const guess = declared ?? elemTypeOf(graph, node.inputs[0]!) ?? elemTypeOf(graph, output) ?? ONNX_FLOAT;
  const likelyTypes = declared !== undefined ? [declared] : [guess, ...[ONNX_FLOAT, ONNX_FLOAT16].filter((type) => type !== guess)];
  const withNoiseInput = (elemType: number): Uint8Array => {
    const identity = concatBytes([bytesField(NODE.input, ENCODER_NOISE_INPUT), bytesField(NODE.output, node.outputs[0]!), bytesField(NODE.name, 'iris_seeded_noise'), bytesField(NODE.opType, 'Identity')]);
    // ValueInfoProto{name, type: TypeProto{tensor_type: {elem_type}}}: no shape, so any latent size is accepted.
    const noiseInput = concatBytes([bytesField(1, ENCODER_NOISE_INPUT), bytesField(2, [bytesField(1, intField(1, elemType))])]);
    const graphBytes = concatBytes([
      ...graph.map((field) => (field === randomField ? bytesField(GRAPH.node, identity) : graphFields[0]!.body.subarray(field.start, field.end))),
      bytesField(GRAPH.input, noiseInput),
    ]);
    return concatBytes(top.map((field) => (field.field === MODEL_GRAPH ? bytesField(MODEL_GRAPH, graphBytes) : model.subarray(field.start, field.end))));
  };
  return { kind: 'sampling', likelyTypes, withNoiseInput };
}

/**
 * The VAE encoder's session, its unseeded sampling node replaced by a noise input when it has one
 * (see inspectVaeEncoder), so img2img is reproducible. The graph does not always say which float type
 * that node reads, so each likely type is tried; a model Iris cannot rewrite loads as it is.
 */
export async function createSeededVaeEncoder(file: string | Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const bytes = typeof file === 'string' ? await fs.promises.readFile(file) : file;
  const graph = inspectVaeEncoder(bytes);
  if (graph.kind === 'sampling') {
    for (const type of graph.likelyTypes) {
      try {
        return await createSession(graph.withNoiseInput(type), options);
      } catch {
        // A type mismatch in the rewritten graph: the next type, or the model as it is.
      }
    }
  }
  return createSession(file, options);
}

function readNode(bytes: Uint8Array): NodeInfo {
  const info: NodeInfo = { opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const field of readFields(bytes)) {
    if (field.field === NODE.opType) info.opType = fieldText(field);
    else if (field.field === NODE.domain) info.domain = fieldText(field);
    else if (field.field === NODE.input) info.inputs.push(fieldText(field));
    else if (field.field === NODE.output) info.outputs.push(fieldText(field));
    else if (field.field === NODE.attribute) {
      const attribute = readFields(field.body);
      const name = attribute.find((part) => part.field === ATTRIBUTE.name);
      if (name) info.attributes.set(fieldText(name), attribute.filter((part) => part.field === ATTRIBUTE.f || part.field === ATTRIBUTE.i));
    }
  }
  return info;
}

function isExternal(tensor: Uint8Array): boolean {
  return readFields(tensor).some((field) => field.field === TENSOR_DATA_LOCATION && field.int === EXTERNAL);
}

/** The element type a graph input, output or value_info declares for `name`. */
function elemTypeOf(graph: WireField[], name: string): number | undefined {
  for (const field of graph) {
    if (field.field !== GRAPH.input && field.field !== GRAPH.output && field.field !== GRAPH.valueInfo) continue;
    const info = readFields(field.body);
    const infoName = info.find((part) => part.field === 1);
    if (!infoName || fieldText(infoName) !== name) continue;
    const tensorType = readFields(info.find((part) => part.field === 2)?.body ?? new Uint8Array()).find((part) => part.field === 1);
    const elemType = readFields(tensorType?.body ?? new Uint8Array()).find((part) => part.field === 1);
    if (elemType) return elemType.int;
  }
  return undefined;
}
