/**
 * Timestamps for the performance benchmark (performance.now() values), read by the e2e bench as
 * `window.__irisPerf`. Nothing in the UI depends on them.
 */
export interface IrisPerf {
  /** When the first grid rows were painted. */
  gridReady: number | null;
  /** When the latest search answer arrived (before it was rendered). */
  lastSearchAnswerAt: number | null;
  /** When that answer's results were painted. */
  lastSearchPaintedAt: number | null;
}

export const perf: IrisPerf = { gridReady: null, lastSearchAnswerAt: null, lastSearchPaintedAt: null };

export function exposePerf(target: { __irisPerf?: IrisPerf } = globalThis as { __irisPerf?: IrisPerf }): void {
  target.__irisPerf = perf;
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
