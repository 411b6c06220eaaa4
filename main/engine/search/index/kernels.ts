import v8 from 'node:v8';
import { KERNELS_WASM, KERNELS_WASM_RELAXED } from './kernels-wasm.js';

/**
 * The WebAssembly kernels of the search index (kernels.wat), one instance per index, each with its
 * own memory. Why WebAssembly rather than a native addon: it needs no build per platform and per
 * Electron ABI, and its SIMD (pshufb-style table look-ups) is what makes a full scan of a million
 * codes fit the latency goal; why not a library: see quantized-index.ts.
 */

// @types/node does not declare WebAssembly (it lives in lib.dom); this is the part used here.
export interface WasmMemory {
  /** A SharedArrayBuffer (the memory is shared: see kernels.wat); typed as ArrayBuffer for the views made on it. */
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
};

export interface Kernels {
  readonly memory: WasmMemory;
  /** out[c] = Σ_j q[j]·rows[c·dim + j] for c < count (f32; dim a multiple of 16). */
  dots(rows: number, count: number, dim: number, q: number, out: number): void;
  /**
   * out[c] = scale_c·Σ_j q[j]·v_c[j] for c < count, record c at records + c·stride being an f32
   * scale and dim int8 values (rerank-file.ts's records; dim a multiple of 16).
   */
  dotsInt8(records: number, count: number, stride: number, dim: number, q: number, out: number): void;
  /** In-place unnormalised Walsh-Hadamard transform of n f32 (n a power of two, ≥ 8). */
  fwht(x: number, n: number): void;
  /** The first pass over the codes: see kernels.wat. Returns how many slots passed. */
  scan(
    codes: number, first: number, step: number, end: number, bytes: number, lut: number,
    cluster: number, cst: number, gain: number, width: number, delta: number, offset: number, omega: number, threshold: number,
    outSlots: number, outBounds: number, cap: number, filter: number,
  ): number;
}

const PAGE = 65_536;

let compiled: { module: object; relaxed: boolean } | null = null;

/**
 * The compiled module: the relaxed-SIMD build where the runtime has relaxed SIMD (Electron 45 and
 * Node 22+ do; Node 20 has it behind a V8 flag, which is set here before compiling, as it only
 * enables a standardised WebAssembly feature), else the plain SIMD build.
 */
function module(): { module: object; relaxed: boolean } {
  if (compiled) return compiled;
  const relaxed = Buffer.from(KERNELS_WASM_RELAXED, 'base64');
  let useRelaxed = WebAssembly.validate(relaxed);
  if (!useRelaxed) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      useRelaxed = WebAssembly.validate(relaxed);
    } catch {
      useRelaxed = false;
    }
  }
  const bytes = useRelaxed ? relaxed : Buffer.from(KERNELS_WASM, 'base64');
  compiled = { module: new WebAssembly.Module(bytes), relaxed: useRelaxed };
  return compiled;
}

/**
 * A new instance with a new shared memory of at least `bytes` bytes. Its size is fixed (maximum =
 * initial): a shared memory reserves its maximum up front, and the index lays out a new instance
 * when it needs more room anyway.
 */
export function newKernels(bytes: number): Kernels {
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  return kernelsOn(new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }));
}

/** An instance working on an existing memory (the scan thread's view of an index's memory). */
export function kernelsOn(memory: WasmMemory): Kernels {
  const instance = new WebAssembly.Instance(module().module, { env: { memory } });
  return { ...(instance.exports as Omit<Kernels, 'memory'>), memory };
}
