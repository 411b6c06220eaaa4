import { PhotoReadError } from '../decode-errors.js';
import type { LibraryStore } from '../library-store.js';
import type { Job, JobKind } from './queue.js';

/**
 * What works one kind of job. `run` gets one photo id, or up to `batchSize` of them for kinds that
 * are cheaper in batches (a model runs a batch of 16 images faster than 16 single images), and
 * returns one outcome per photo: undefined for success or the error.
 */
export interface JobHandler {
  batchSize: number;
  /** A failure of this kind makes the photo `failed` (its decoding); otherwise only the job records it. */
  failsPhoto: boolean;
  run(photoIds: readonly number[]): Promise<(Error | undefined)[]>;
}

/**
 * Thrown by a handler when none of its work can start (its model is missing or broken): the jobs go
 * back to the queue untouched and the kind rests until the next drain, instead of failing every photo.
 */
export class HandlerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandlerUnavailableError';
  }
}

/** A handler for work on one photo at a time. */
export function singlePhotoHandler(work: (photoId: number) => Promise<void>, failsPhoto: boolean): JobHandler {
  return {
    batchSize: 1,
    failsPhoto,
    run: async ([photoId]) => {
      try {
        await work(photoId!);
        return [undefined];
      } catch (error) {
        return [error instanceof Error ? error : new Error(String(error))];
      }
    },
  };
}

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
  /** A kind that cannot run now (see HandlerUnavailableError). */
  onUnavailable?: (kind: JobKind, message: string) => void;
}

/**
 * Works the persistent queue until it is empty, `concurrency` batches at a time. A job failure is
 * recorded and the rest goes on; nothing here throws for a bad photo. With two workers, one batch
 * can be decoding while the other is in the model, which is what keeps both busy.
 */
export class JobRunner {
  private draining: Promise<void> | null = null;
  private again = false;
  private stopping = false;

  constructor(
    private readonly store: LibraryStore,
    /** The handlers of the kinds this runner works now (asked at each drain: the model may change). */
    private readonly handlers: () => ReadonlyMap<JobKind, JobHandler>,
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

  /** Lets the jobs in flight finish, then takes no more (until resume). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.draining;
  }

  /** Takes jobs again after stop(); the caller drains. */
  resume(): void {
    this.stopping = false;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  get busy(): boolean {
    return this.draining !== null;
  }

  private async loop(hooks: RunnerHooks): Promise<void> {
    const started = Date.now();
    let done = 0;
    let failed = 0;
    const resting = new Set<JobKind>();
    do {
      this.again = false;
      const handlers = this.handlers();
      const kinds = () => [...handlers.keys()].filter((kind) => !resting.has(kind));
      const counts = this.store.jobs.counts(kinds());
      let total = done + failed + counts.pending + counts.running;
      const report = (kind: JobKind, current: string | null) => {
        const seconds = (Date.now() - started) / 1000;
        const rate = seconds > 0 ? (done + failed) / seconds : 0;
        total = Math.max(total, done + failed);
        hooks.onProgress?.({ kind, done, failed, total, rate, etaSeconds: rate > 0 ? (total - done - failed) / rate : null, current });
      };
      const worker = async () => {
        while (!this.stopping) {
          const open = kinds();
          if (open.length === 0) return;
          const [first] = this.store.jobs.claim(1, open);
          if (!first) return;
          const handler = handlers.get(first.kind)!;
          const jobs = handler.batchSize > 1 ? [first, ...this.store.jobs.claim(handler.batchSize - 1, [first.kind])] : [first];
          const current = this.store.locationsOf(first.photoId)[0]?.path ?? null;
          report(first.kind, current);
          let outcomes: (Error | undefined)[];
          try {
            outcomes = await handler.run(jobs.map((job) => job.photoId));
          } catch (error) {
            if (error instanceof HandlerUnavailableError) {
              this.store.jobs.release(jobs);
              if (!resting.has(first.kind)) hooks.onUnavailable?.(first.kind, error.message);
              resting.add(first.kind);
              continue;
            }
            const whole = error instanceof Error ? error : new Error(String(error));
            outcomes = jobs.map(() => whole);
          }
          jobs.forEach((job, i) => {
            // A retry goes back to the queue and is claimed again (by this or another process).
            const result = this.settle(job, handler, outcomes[i], hooks);
            if (result === 'done') done++;
            else if (result === 'failed') failed++;
          });
          report(first.kind, current);
        }
      };
      await Promise.all(Array.from({ length: this.concurrency }, worker));
    } while (this.again && !this.stopping);
  }

  private settle(job: Job, handler: JobHandler, error: Error | undefined, hooks: RunnerHooks): 'done' | 'failed' | 'retry' {
    if (!error) {
      this.store.jobs.complete(job.id);
      hooks.onOutcome?.({ photoId: job.photoId, kind: job.kind, ok: true });
      return 'done';
    }
    // A photo that cannot be decoded will not decode next time either; anything else may be passing.
    if (this.store.jobs.fail(job, error.message, !(error instanceof PhotoReadError)) === 'pending') return 'retry';
    if (handler.failsPhoto) this.store.setStatus(job.photoId, 'failed', error.message);
    hooks.onOutcome?.({ photoId: job.photoId, kind: job.kind, ok: false, error: error.message });
    return 'failed';
  }
}
