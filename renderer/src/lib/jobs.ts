/** Turning the queue's raw counts and progress events into what the Activity panel shows. */
import type { ProgressSnapshot } from './app.svelte.js';
import type { JobsStatus } from './types.js';

export interface JobLine {
  kind: string;
  done: number;
  total: number;
  failed: number;
  pending: number;
  rate: number | null;
  etaSeconds: number | null;
  current: string | null;
}

/**
 * One line per job kind: the live progress event when there is one (it has rate and ETA), else the
 * queue's counts. Kinds with nothing left to do and no failures are left out unless still live.
 */
export function jobLines(status: JobsStatus | null, progress: ProgressSnapshot): JobLine[] {
  const lines = new Map<string, JobLine>();
  for (const counts of status?.kinds ?? []) {
    const total = counts.pending + counts.running + counts.done + counts.failed;
    lines.set(counts.kind, {
      kind: counts.kind,
      done: counts.done,
      total,
      failed: counts.failed,
      pending: counts.pending + counts.running,
      rate: null,
      etaSeconds: null,
      current: null,
    });
  }
  for (const event of Object.values(progress.jobs)) {
    const known = lines.get(event.kind);
    lines.set(event.kind, {
      kind: event.kind,
      done: event.done,
      total: event.total,
      failed: event.failed,
      pending: known?.pending ?? Math.max(0, event.total - event.done - event.failed),
      rate: event.rate,
      etaSeconds: event.etaSeconds,
      current: event.current,
    });
  }
  // Thumbnails first, then embeddings by model: the order in which a photo goes through them.
  return [...lines.values()].sort((a, b) => rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind));
}

function rank(kind: string): number {
  return kind === 'thumbnail' ? 0 : kind.startsWith('embed:') ? 1 : 2;
}

/** Overall fraction for the sidebar's small bar, or null when nothing measurable is running. */
export function overallFraction(progress: ProgressSnapshot): number | null {
  let done = 0;
  let total = 0;
  if (progress.read && progress.read.total > 0) {
    done += progress.read.done;
    total += progress.read.total;
  }
  for (const event of Object.values(progress.jobs)) {
    done += event.done + event.failed;
    total += event.total;
  }
  return total > 0 ? Math.min(1, done / total) : null;
}
