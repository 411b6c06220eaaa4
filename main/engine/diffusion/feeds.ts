import type { Tensor } from 'onnxruntime-node';
import { float32ToHalf, halfToFloat32 } from '../runtime/float16.js';
import type { ModelSession, ValueInfo } from '../runtime/session.js';

type Ort = typeof import('onnxruntime-node');

/**
 * Tensors in whatever type each session declares. Exports of the same model disagree (timestep is
 * int64 in diffusers' fp32 export, float in others; fp16 exports take and return float16), so the
 * pipeline never assumes: it asks the session for each input's dtype and converts here.
 */

export function inputInfo(session: ModelSession, name: string): ValueInfo {
  const info = session.inputs.find((input) => input.name === name);
  if (!info) throw new Error(`${sessionLabel(session)} has no input "${name}" (it takes ${session.inputs.map((input) => input.name).join(', ')})`);
  return info;
}

export function hasInput(session: ModelSession, name: string): boolean {
  return session.inputs.some((input) => input.name === name);
}

function sessionLabel(session: ModelSession): string {
  return session.report().label ?? 'the model';
}

/** Float values as a tensor of the input's type (float32, float16, double, or an integer type for a timestep). */
export function floatInput(ort: Ort, session: ModelSession, name: string, values: Float32Array | readonly number[], dims: readonly number[]): Tensor {
  const { dtype } = inputInfo(session, name);
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  switch (dtype) {
    case 'float32':
      return new ort.Tensor('float32', data, dims);
    case 'float16':
      return new ort.Tensor('float16', float32ToHalf(data), dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(data), dims);
    // Truncated, as diffusers' ONNX pipelines do (`np.array([t], dtype=timestep_dtype)`): Euler's fractional timesteps go down.
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(data, (value) => BigInt(Math.trunc(value))), dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(data, (value) => Math.trunc(value)), dims);
    default:
      throw new Error(`${sessionLabel(session)}: input "${name}" is ${dtype}, which Iris cannot fill with numbers`);
  }
}

/** Token ids as the text encoder takes them (int32 in diffusers' export, int64 in others). */
export function idsInput(ort: Ort, session: ModelSession, name: string, ids: readonly number[], dims: readonly number[]): Tensor {
  const { dtype } = inputInfo(session, name);
  if (dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(ids), dims);
  if (dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), dims);
  throw new Error(`${sessionLabel(session)}: input "${name}" is ${dtype}, expected int32 or int64 token ids`);
}

/** An output as float32, whatever its type. */
export function floatOutput(outputs: Record<string, Tensor>, name: string): Float32Array {
  const tensor = outputs[name];
  if (!tensor) throw new Error(`the model returned no "${name}" (it returned ${Object.keys(outputs).join(', ')})`);
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return halfToFloat32(tensor.data as Uint16Array);
  throw new Error(`output "${name}" is ${tensor.type}, expected float32 or float16`);
}
