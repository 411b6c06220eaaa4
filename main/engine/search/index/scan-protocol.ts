import type { Kernels } from './kernels.js';

/**
 * What the main thread and the scan thread (scan-thread.ts, scan-worker.ts) share: the layout of
 * the control block (an Int32Array over a SharedArrayBuffer; float arguments are stored through a
 * Float32Array view of the same words) and the messages that hand memories over.
 */

/** The arguments of the kernels' `scan` (kernels.ts), by name. */
export interface ScanArgs {
  codes: number;
  first: number;
  step: number;
  end: number;
  bytes: number;
  lut: number;
  cluster: number;
  cst: number;
  gain: number;
  width: number;
  delta: number;
  offset: number;
  omega: number;
  threshold: number;
  outSlots: number;
  outBounds: number;
  cap: number;
  /** A slot bitmap in the memory (only its slots pass), or 0. */
  filter: number;
}

/** Word of each argument after CONTROL.args; delta, offset, omega and threshold are f32. */
export const ARGS: Record<keyof ScanArgs, number> = {
  codes: 0, first: 1, step: 2, end: 3, bytes: 4, lut: 5, cluster: 6, cst: 7, gain: 8, width: 9,
  delta: 10, offset: 11, omega: 12, threshold: 13, outSlots: 14, outBounds: 15, cap: 16, filter: 17,
};
export const FLOAT_ARGS: ReadonlySet<keyof ScanArgs> = new Set(['delta', 'offset', 'omega', 'threshold']);

/**
 * The control block. A request (a scan of blocks [first, end) in chunks of `chunk` blocks) is
 * shared chunk by chunk: either thread claims the next chunk with a compare-and-swap on `next`,
 * which holds the request's generation (16 bits) above the next chunk's number, so a worker that
 * wakes late for an old request claims nothing of a new one. The calling thread waits only for
 * the chunks the worker did claim: a worker that is slow to wake (the other core busy) costs
 * nothing but its share, which the calling thread then scans itself.
 */
export const CONTROL = {
  /** Set to 1 by the worker once it waits for requests. */
  ready: 0,
  /** The current request's generation (1-65535; the worker waits on it). */
  request: 1,
  /** Chunks the worker has finished of the current request (reset to 0 for each). */
  done: 2,
  /** Which registered memory to scan. */
  memory: 3,
  /** Slots that passed in the worker's chunks of the current request (written before each `done` increment). */
  count: 4,
  /** (generation << 16) | the next chunk to claim. */
  next: 5,
  /** Blocks per chunk. */
  chunk: 6,
  args: 8,
  /** Words in the block. */
  size: 32,
} as const;

/** Claims the next chunk of request `generation`; its number, or -1 when there is none left (or the request is over). */
export function claimChunk(ints: Int32Array, generation: number, chunks: number): number {
  for (;;) {
    const value = Atomics.load(ints, CONTROL.next);
    const chunk = value & 0xffff;
    if (value >>> 16 !== generation || chunk >= chunks) return -1;
    if (Atomics.compareExchange(ints, CONTROL.next, value, value + 1) === value) return chunk;
  }
}

/** The kernels' `scan` on named arguments; how many slots passed. */
export function runScan(kernels: Pick<Kernels, 'scan'>, a: ScanArgs): number {
  return kernels.scan(a.codes, a.first, a.step, a.end, a.bytes, a.lut, a.cluster, a.cst, a.gain, a.width, a.delta, a.offset, a.omega, a.threshold, a.outSlots, a.outBounds, a.cap, a.filter);
}

/**
 * Scans chunks of a request while `claim` gives some, appending what passes to the output
 * region of `args` (at most args.cap); returns how many passed in all and the chunks scanned.
 * `afterChunk` runs after each chunk with the count so far (the worker publishes it).
 */
export function scanChunks(
  kernels: Pick<Kernels, 'scan'>,
  args: ScanArgs,
  chunkBlocks: number,
  claim: () => number,
  afterChunk: (passed: number) => void = () => undefined,
): { passed: number; chunks: number } {
  let passed = 0;
  let chunks = 0;
  for (let chunk = claim(); chunk >= 0; chunk = claim()) {
    const first = args.first + chunk * chunkBlocks;
    const written = Math.min(passed, args.cap);
    passed += runScan(kernels, { ...args, first, end: Math.min(args.end, first + chunkBlocks), outSlots: args.outSlots + written * 4, outBounds: args.outBounds + written * 4, cap: args.cap - written });
    chunks++;
    afterChunk(passed);
  }
  return { passed, chunks };
}

export type ScanThreadMessage = { type: 'memory'; id: number; memory: unknown } | { type: 'forget'; id: number };
