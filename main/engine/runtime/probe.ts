import type { Tensor } from 'onnxruntime-node';
import { errorMessage } from '../errors.js';
import { type Backend, type Device, type Provider, isDevice } from './devices.js';
import { SessionError, createSession, loadOrt } from './session.js';

/**
 * Asks each execution provider to really create a session and run it, for `iris doctor`:
 * "listed by onnxruntime" only means compiled in, not that the driver, the libraries or the GPU
 * are there.
 */

export interface ProbeResult {
  provider: Provider;
  available: boolean;
  reason?: string;
  /** Session creation plus one run, in ms. */
  ms: number;
}

// ---- a tiny ONNX model, encoded by hand ----
// The runtime cannot use the onnx-proto package the fixtures are built with (a devDependency), and
// a whole protobuf library for ~150 bytes would be silly: these few helpers write the wire format
// (varint tags, length-delimited fields) for just the fields an Add graph needs. Field numbers are
// those of onnx.proto; test/engine/runtime.test.ts decodes the bytes with onnx-proto to check them.

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

/** A length-delimited field (wire type 2): a string or an embedded message. */
function bytesField(field: number, content: number[] | string): number[] {
  const body = typeof content === 'string' ? [...new TextEncoder().encode(content)] : content;
  return [...varint((field << 3) | 2), ...varint(body.length), ...body];
}

/** An integer field (wire type 0). */
function intField(field: number, value: number): number[] {
  return [...varint(field << 3), ...varint(value)];
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
export const PROBE_SHAPE = [1, 4] as const;

/** ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1, shape=2: {dim=1: {dim_value=1}}}}} */
function floatTensorInfo(name: string): number[] {
  const shape = PROBE_SHAPE.flatMap((size) => bytesField(1, intField(1, size)));
  const tensorType = [...intField(1, FLOAT), ...bytesField(2, shape)];
  return [...bytesField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/** y = Add(x, x), float32 [1, 4], IR version 8, opset 17 (what onnxruntime-node 1.30 loads). */
export function probeModelBytes(): Uint8Array {
  // NodeProto{input=1, output=2, name=3, op_type=4}
  const node = [...bytesField(1, 'x'), ...bytesField(1, 'x'), ...bytesField(2, 'y'), ...bytesField(3, 'add'), ...bytesField(4, 'Add')];
  // GraphProto{node=1, name=2, input=11, output=12}
  const graph = [...bytesField(1, node), ...bytesField(2, 'iris-probe'), ...bytesField(11, floatTensorInfo('x')), ...bytesField(12, floatTensorInfo('y'))];
  // ModelProto{ir_version=1, producer_name=2, graph=7, opset_import=8: OperatorSetIdProto{version=2}}
  return Uint8Array.from([...intField(1, 8), ...bytesField(2, 'iris'), ...bytesField(7, graph), ...bytesField(8, intField(2, 17))]);
}

/** Creates a session on exactly `provider` (no fallback) and checks one run computes x + x. */
export async function probeProvider(provider: Provider): Promise<ProbeResult> {
  const start = performance.now();
  const elapsed = () => Math.round(performance.now() - start);
  let session;
  try {
    session = await createSession(probeModelBytes(), { device: provider, strict: true, intraOpThreads: 1, label: `the ${provider} probe` });
  } catch (error) {
    // Strict: the only attempt is this provider's.
    const reason = error instanceof SessionError ? (error.attempts[0]?.reason ?? error.message) : errorMessage(error);
    return { provider, available: false, reason, ms: elapsed() };
  }
  try {
    const ort = await loadOrt();
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [...PROBE_SHAPE]);
    const y = (await session.run({ x })).y as Tensor | undefined;
    const values = y ? Array.from(y.data as Float32Array) : [];
    if (values.join() !== '2,4,6,8') return { provider, available: false, reason: `the probe model computed [${values.join(', ')}], expected [2, 4, 6, 8]`, ms: elapsed() };
    return { provider, available: true, ms: elapsed() };
  } catch (error) {
    return { provider, available: false, reason: `session created but running it failed: ${errorMessage(error)}`, ms: elapsed() };
  } finally {
    await session.release();
  }
}

/** One at a time: two GPU sessions being created at once would only make the timings meaningless. */
export async function probeProviders(providers: readonly Provider[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const provider of providers) results.push(await probeProvider(provider));
  return results;
}

/** What doctor probes: every listed backend Iris can use, plus the requested device even if unlisted. */
export function providersToProbe(requested: Device, backends: readonly Backend[]): Provider[] {
  const providers = new Set<Provider>();
  for (const backend of backends) if (isDevice(backend.name) && backend.name !== 'auto') providers.add(backend.name);
  if (requested !== 'auto') providers.add(requested);
  return [...providers];
}
