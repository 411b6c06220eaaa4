import { PhotoReadError } from '../decode-errors.js';
import type { LibraryStore } from '../library-store.js';
import type { Job, JobKind } from './queue.js';

export type JobHandler = (photoId: number) => Promise<void>;

export interface JobProgress {
  kind: JobKind;
  done: number;
  failed: number;
  total: number;
  /** Jobs per second since this run started. */
  rate: number;
  /** Seconds left at the current rate, or null before there is a rate. */
  etaSeconds: number | null;
  current: string | null;
}

export interface JobOutcome {
  photoId: number;
  kind: JobKind;
  ok: boolean;
  error?: string;
}

export interface RunnerHooks {
  onProgress?: (progress: JobProgress) => void;
  onOutcome?: (outcome: JobOutcome) => void;
}

/**
 * Works the persistent queue until it is empty, `concurrency` jobs at a time. A job failure is
 * recorded on its photo and the rest goes on; nothing here throws for a bad photo.
 */
export class JobRunner {
  private draining: Promise<void> | null = null;
  private again = false;
  private stopping = false;

  constructor(
    private readonly store: LibraryStore,
    private readonly handlers: Record<JobKind, JobHandler>,
    private readonly concurrency: number,
  ) {}

  /** Runs until no job is pending. Calls made while a drain runs join it (and make it look again). */
  drain(hooks: RunnerHooks = {}): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = this.loop(hooks).finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /** Lets the jobs in flight finish, then takes no more. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.draining;
  }

  private async loop(hooks: RunnerHooks): Promise<void> {
    const started = Date.now();
    let done = 0;
    let failed = 0;
    do {
      this.again = false;
      const counts = this.store.jobs.counts();
      let total = done + failed + counts.pending + counts.running;
      const report = (kind: JobKind, current: string | null) => {
        const seconds = (Date.now() - started) / 1000;
        const rate = seconds > 0 ? (done + failed) / seconds : 0;
        total = Math.max(total, done + failed);
        hooks.onProgress?.({ kind, done, failed, total, rate, etaSeconds: rate > 0 ? (total - done - failed) / rate : null, current });
      };
      const worker = async () => {
        while (!this.stopping) {
          const [job] = this.store.jobs.claim(1);
          if (!job) return;
          const current = this.store.locationsOf(job.photoId)[0]?.path ?? null;
          report(job.kind, current);
          const result = await this.runOne(job, hooks);
          // A retry goes back to the queue and is claimed again (by this or another process).
          if (result === 'done') done++;
          else if (result === 'failed') failed++;
          report(job.kind, current);
        }
      };
      await Promise.all(Array.from({ length: this.concurrency }, worker));
    } while (this.again && !this.stopping);
  }

  private async runOne(job: Job, hooks: RunnerHooks): Promise<'done' | 'failed' | 'retry'> {
    try {
      await this.handlers[job.kind](job.photoId);
      this.store.jobs.complete(job.id);
      hooks.onOutcome?.({ photoId: job.photoId, kind: job.kind, ok: true });
      return 'done';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A photo that cannot be decoded will not decode next time either; anything else may be passing.
      if (this.store.jobs.fail(job, message, !(error instanceof PhotoReadError)) === 'pending') return 'retry';
      this.store.setStatus(job.photoId, 'failed', message);
      hooks.onOutcome?.({ photoId: job.photoId, kind: job.kind, ok: false, error: message });
      return 'failed';
    }
  }
}
