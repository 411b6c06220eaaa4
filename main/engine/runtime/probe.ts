import type { Tensor } from 'onnxruntime-node';
import { errorMessage } from '../errors.js';
import { type Backend, type Device, type Provider, isDevice } from './devices.js';
import { bytesField, concatBytes, intField } from './onnx-wire.js';
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

// ---- a tiny ONNX model, encoded by hand (onnx-wire.ts says why no protobuf library) ----
// test/engine/runtime.test.ts decodes the bytes with onnx-proto to check them.

const FLOAT = 1; // TensorProto.DataType.FLOAT
export const PROBE_SHAPE = [1, 4] as const;

/** ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1, shape=2: {dim=1: {dim_value=1}}}}} */
function floatTensorInfo(name: string): Uint8Array {
  const shape = PROBE_SHAPE.map((size) => bytesField(1, intField(1, size)));
  const tensorType = [intField(1, FLOAT), bytesField(2, shape)];
  return concatBytes([bytesField(1, name), bytesField(2, [bytesField(1, tensorType)])]);
}

/** y = Add(x, x), float32 [1, 4], IR version 8, opset 17 (what onnxruntime-node 1.30 loads). */
export function probeModelBytes(): Uint8Array {
  // NodeProto{input=1, output=2, name=3, op_type=4}
  const node = [bytesField(1, 'x'), bytesField(1, 'x'), bytesField(2, 'y'), bytesField(3, 'add'), bytesField(4, 'Add')];
  // GraphProto{node=1, name=2, input=11, output=12}
  const graph = [bytesField(1, node), bytesField(2, 'iris-probe'), bytesField(11, floatTensorInfo('x')), bytesField(12, floatTensorInfo('y'))];
  // ModelProto{ir_version=1, producer_name=2, graph=7, opset_import=8: OperatorSetIdProto{version=2}}
  return concatBytes([intField(1, 8), bytesField(2, 'iris'), bytesField(7, graph), bytesField(8, intField(2, 17))]);
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
