import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';

/**
 * Kinds of work a photo can need: its thumbnails and metadata, and one embedding per model
 * (`embed:<model id>`), so switching models neither loses nor mixes work; captions (`caption:<model id>:<detail>`, captions/caption-jobs.ts).
 */
export type JobKind = 'thumbnail' | `embed:${string}` | `caption:${string}`;

export function embedJobKind(modelId: string): JobKind {
  return `embed:${modelId}`;
}

export interface Job {
  id: number;
  kind: JobKind;
  photoId: number;
  attempts: number;
}

export interface JobCounts {
  pending: number;
  running: number;
  done: number;
  failed: number;
}

/** Transient failures (a file busy, a disk hiccup) are retried this many times in all. */
export const MAX_ATTEMPTS = 3;

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The persistent work queue: rows in `jobs`. A job is claimed atomically by one process (so
 * `iris index` and `iris watch` on one library never do the same work twice), and a job whose
 * process died (kill -9, a native crash) is handed out again.
 */
export class JobQueue {
  private readonly statements: StatementCache;

  constructor(
    private readonly db: Db,
    statements?: StatementCache,
  ) {
    this.statements = statements ?? new StatementCache(db);
  }

  private sql(text: string) {
    return this.statements.get(text);
  }

  /** Queues work for a photo; asking again for work already done or failed queues it afresh. */
  enqueue(kind: JobKind, photoId: number): void {
    this.sql(
        `INSERT INTO jobs (kind, photo_id, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (kind, photo_id) DO UPDATE SET state = 'pending', attempts = 0, error = NULL, owner_pid = NULL, updated_at = excluded.updated_at
         WHERE jobs.state IN ('done', 'failed')`,
      )
      .run(kind, photoId, Date.now());
  }

  /** Running jobs whose owner process is gone go back to pending. Returns how many. */
  recoverAbandoned(): number {
    const running = this.sql(`SELECT id, owner_pid AS ownerPid FROM jobs WHERE state = 'running'`).all() as { id: number; ownerPid: number | null }[];
    const orphaned = running.filter((job) => job.ownerPid === null || !isAlive(job.ownerPid));
    const reset = this.sql(`UPDATE jobs SET state = 'pending', owner_pid = NULL, claimed_at = NULL, updated_at = ? WHERE id = ? AND state = 'running'`);
    this.db.transaction(() => orphaned.forEach((job) => reset.run(Date.now(), job.id))).immediate();
    return orphaned.length;
  }

  /**
   * Queues `kind` for every photo the query selects (one `photo_id` column) that has no job of that
   * kind yet, or only a done one (its result has since gone). Failed jobs are left alone (asking
   * again would fail again) unless `retryFailed`: a person naming photos asks for them again.
   * Returns how many were queued.
   */
  enqueueSelected(kind: JobKind, photoIdsQuery: string, params: readonly unknown[] = [], options: { retryFailed?: boolean } = {}): number {
    const again = options.retryFailed ? `('done', 'failed')` : `('done')`;
    return this.sql(
        `INSERT INTO jobs (kind, photo_id, updated_at) SELECT ?, photo_id, ? FROM (${photoIdsQuery}) WHERE true
         ON CONFLICT (kind, photo_id) DO UPDATE SET state = 'pending', attempts = 0, error = NULL, owner_pid = NULL, updated_at = excluded.updated_at
         WHERE jobs.state IN ${again}`,
      )
      .run(kind, Date.now(), ...params).changes;
  }

  /** Failed jobs of a kind, with the photo's first path and the error. */
  failures(kind: JobKind): { photoId: number; path: string | null; error: string }[] {
    return this.sql(
      `SELECT j.photo_id AS photoId, (SELECT min(path) FROM locations WHERE photo_id = j.photo_id) AS path, coalesce(j.error, 'failed') AS error
       FROM jobs j WHERE j.kind = ? AND j.state = 'failed' ORDER BY j.photo_id`,
    ).all(kind) as { photoId: number; path: string | null; error: string }[];
  }

  /** Kinds starting with `prefix` that have pending or running jobs. */
  openKinds(prefix: string): JobKind[] {
    return (this.sql(`SELECT DISTINCT kind FROM jobs WHERE kind >= ? AND kind < ? AND state IN ('pending', 'running')`).all(prefix, `${prefix}\uffff`) as { kind: JobKind }[]).map((row) => row.kind);
  }

  /** Hands claimed jobs back untouched (their attempt not counted): the work could not start. */
  release(jobs: readonly Job[]): void {
    const reset = this.sql(`UPDATE jobs SET state = 'pending', owner_pid = NULL, claimed_at = NULL, attempts = max(0, attempts - 1), updated_at = ? WHERE id = ? AND state = 'running'`);
    this.db.transaction(() => jobs.forEach((job) => reset.run(Date.now(), job.id))).immediate();
  }

  claim(limit: number, kinds?: readonly JobKind[]): Job[] {
    const kindFilter = kinds ? `AND kind IN (${kinds.map(() => '?').join(',')})` : '';
    const claim = this.db.transaction(() => {
      const rows = this.sql(`SELECT id, kind, photo_id AS photoId, attempts FROM jobs WHERE state = 'pending' ${kindFilter} ORDER BY id LIMIT ?`)
        .all(...(kinds ?? []), limit) as Job[];
      const mark = this.sql(`UPDATE jobs SET state = 'running', owner_pid = ?, claimed_at = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`);
      const now = Date.now();
      for (const row of rows) {
        mark.run(process.pid, now, now, row.id);
        row.attempts += 1;
      }
      return rows;
    });
    return claim.immediate();
  }

  complete(jobId: number): void {
    this.sql(`UPDATE jobs SET state = 'done', error = NULL, owner_pid = NULL, updated_at = ? WHERE id = ?`).run(Date.now(), jobId);
  }

  /** Retryable failures go back to pending until MAX_ATTEMPTS; others fail at once. Returns the final state. */
  fail(job: Job, error: string, retryable: boolean): 'pending' | 'failed' {
    const state = retryable && job.attempts < MAX_ATTEMPTS ? 'pending' : 'failed';
    this.sql(`UPDATE jobs SET state = ?, error = ?, owner_pid = NULL, updated_at = ? WHERE id = ?`).run(state, error, Date.now(), job.id);
    return state;
  }

  counts(kinds?: readonly JobKind[]): JobCounts {
    const counts: JobCounts = { pending: 0, running: 0, done: 0, failed: 0 };
    const kindFilter = kinds ? `WHERE kind IN (${kinds.map(() => '?').join(',')})` : '';
    for (const row of this.sql(`SELECT state, count(*) AS n FROM jobs ${kindFilter} GROUP BY state`).all(...(kinds ?? [])) as { state: keyof JobCounts; n: number }[]) {
      counts[row.state] = row.n;
    }
    return counts;
  }
}
