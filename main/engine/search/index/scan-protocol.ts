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
}

/** Word of each argument after CONTROL.args; delta, offset, omega and threshold are f32. */
export const ARGS: Record<keyof ScanArgs, number> = {
  codes: 0, first: 1, step: 2, end: 3, bytes: 4, lut: 5, cluster: 6, cst: 7, gain: 8, width: 9,
  delta: 10, offset: 11, omega: 12, threshold: 13, outSlots: 14, outBounds: 15, cap: 16,
};
export const FLOAT_ARGS: ReadonlySet<keyof ScanArgs> = new Set(['delta', 'offset', 'omega', 'threshold']);

export const CONTROL = {
  /** Set to 1 by the worker once it waits for requests. */
  ready: 0,
  /** Incremented by the main thread for each request (the worker waits on it). */
  request: 1,
  /** The request number the worker finished last (the main thread waits on it). */
  done: 2,
  /** Which registered memory to scan. */
  memory: 3,
  /** Slots that passed, or -1 when the worker did not know the memory. */
  count: 4,
  args: 8,
  /** Words in the block. */
  size: 32,
} as const;

export type ScanThreadMessage = { type: 'memory'; id: number; memory: unknown } | { type: 'forget'; id: number };
