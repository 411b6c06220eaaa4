import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';

/**
 * Kinds of work a photo can need: its thumbnails and metadata, and one embedding per model
 * (`embed:<model id>`), so switching models neither loses nor mixes work; captions (`caption:<model id>:<detail>`, captions/caption-jobs.ts).
 */
export type JobKind = 'thumbnail' | `embed:${string}` | `caption:${string}` | `ocr:${string}` | `faces:${string}`;

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

/**
 * How long a claim holds without being renewed. The engine renews its running jobs' leases every
 * LEASE_MS / 4 (Engine's heartbeat); a process that stops renewing (killed, frozen, or an old
 * Iris) loses its jobs to whoever looks next. Long enough that a busy event loop never loses a
 * claim it is still working on.
 */
export const LEASE_MS = 120_000;

/**
 * This process instance, as a job's owner: the host, the pid, and a random part, so that a reused
 * PID (after a reboot, or while the dead owner is a zombie) is never mistaken for the owner.
 */
const HOST = os.hostname();
export const JOB_OWNER = `${HOST}:${process.pid}:${randomBytes(6).toString('hex')}`;

/**
 * Whether the owner process is certainly gone: only decidable on its own host. (A claim with no
 * owner predates leases; it has no lease either, which alone gives it back.)
 */
function ownerGone(owner: string | null): boolean {
  if (owner === null) return false;
  const [host, pid] = owner.split(':');
  return host === HOST && !pidAlive(Number(pid));
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Running jobs held by another process, as doctor and the CLI report them. */
export interface HeldJobs {
  ownerPid: number | null;
  owner: string | null;
  kind: JobKind;
  count: number;
  /** When the latest lease runs out (ms since the epoch); null for a claim made before leases. */
  leaseUntil: number | null;
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
         ON CONFLICT (kind, photo_id) DO UPDATE SET state = 'pending', attempts = 0, error = NULL, owner = NULL, owner_pid = NULL, lease_until = NULL, updated_at = excluded.updated_at
         WHERE jobs.state IN ('done', 'failed')`,
      )
      .run(kind, photoId, Date.now());
  }

  /**
   * Running jobs of other processes whose lease has run out, or whose owner on this host is gone,
   * go back to pending. Never this process's own. Returns how many.
   */
  recoverAbandoned(now = Date.now()): number {
    const running = this.sql(`SELECT id, owner, lease_until AS leaseUntil FROM jobs WHERE state = 'running' AND (owner IS NULL OR owner != ?)`).all(JOB_OWNER) as {
      id: number;
      owner: string | null;
      leaseUntil: number | null;
    }[];
    const orphaned = running.filter((job) => job.leaseUntil === null || job.leaseUntil < now || ownerGone(job.owner));
    if (orphaned.length === 0) return 0;
    const reset = this.sql(`UPDATE jobs SET state = 'pending', owner = NULL, owner_pid = NULL, lease_until = NULL, claimed_at = NULL, updated_at = ? WHERE id = ? AND state = 'running' AND owner IS ?`);
    this.db.transaction(() => orphaned.forEach((job) => reset.run(now, job.id, job.owner))).immediate();
    return orphaned.length;
  }

  /** Extends the leases of this process's running jobs (the engine's heartbeat). Returns how many. */
  renewLeases(now = Date.now()): number {
    return this.sql(`UPDATE jobs SET lease_until = ? WHERE state = 'running' AND owner = ?`).run(now + LEASE_MS, JOB_OWNER).changes;
  }

  /** Running jobs that other processes hold, by owner and kind (optionally only for `photoIds`). */
  heldElsewhere(photoIds?: readonly number[]): HeldJobs[] {
    const only = photoIds ? `AND photo_id IN (SELECT value FROM json_each(?))` : '';
    return this.sql(
      `SELECT owner_pid AS ownerPid, owner, kind, count(*) AS count, max(lease_until) AS leaseUntil FROM jobs
       WHERE state = 'running' AND (owner IS NULL OR owner != ?) ${only} GROUP BY owner, owner_pid, kind ORDER BY kind`,
    ).all(JOB_OWNER, ...(photoIds ? [JSON.stringify(photoIds)] : [])) as HeldJobs[];
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
         ON CONFLICT (kind, photo_id) DO UPDATE SET state = 'pending', attempts = 0, error = NULL, owner = NULL, owner_pid = NULL, lease_until = NULL, updated_at = excluded.updated_at
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
    const reset = this.sql(
      `UPDATE jobs SET state = 'pending', owner = NULL, owner_pid = NULL, lease_until = NULL, claimed_at = NULL, attempts = max(0, attempts - 1), updated_at = ?
       WHERE id = ? AND state = 'running' AND owner = ?`,
    );
    this.db.transaction(() => jobs.forEach((job) => reset.run(Date.now(), job.id, JOB_OWNER))).immediate();
  }

  claim(limit: number, kinds?: readonly JobKind[]): Job[] {
    const kindFilter = kinds ? `AND kind IN (${kinds.map(() => '?').join(',')})` : '';
    const claim = this.db.transaction(() => {
      const rows = this.sql(`SELECT id, kind, photo_id AS photoId, attempts FROM jobs WHERE state = 'pending' ${kindFilter} ORDER BY id LIMIT ?`)
        .all(...(kinds ?? []), limit) as Job[];
      const mark = this.sql(`UPDATE jobs SET state = 'running', owner = ?, owner_pid = ?, lease_until = ?, claimed_at = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`);
      const now = Date.now();
      for (const row of rows) {
        mark.run(JOB_OWNER, process.pid, now + LEASE_MS, now, now, row.id);
        row.attempts += 1;
      }
      return rows;
    });
    return claim.immediate();
  }

  /**
   * Settles a job this process claimed. A job that is no longer ours (its lease ran out and another
   * process took it, or it was queued afresh meanwhile) is left to its new state.
   */
  complete(jobId: number): void {
    this.sql(`UPDATE jobs SET state = 'done', error = NULL, owner = NULL, owner_pid = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND owner = ?`).run(Date.now(), jobId, JOB_OWNER);
  }

  /** Retryable failures go back to pending until MAX_ATTEMPTS; others fail at once. Returns the final state. */
  fail(job: Job, error: string, retryable: boolean): 'pending' | 'failed' {
    const state = retryable && job.attempts < MAX_ATTEMPTS ? 'pending' : 'failed';
    this.sql(`UPDATE jobs SET state = ?, error = ?, owner = NULL, owner_pid = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND owner = ?`).run(state, error, Date.now(), job.id, JOB_OWNER);
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
