import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, it } from 'node:test';
import path from 'node:path';
import { openDatabase } from '../../main/engine/db/database.js';
import { Engine } from '../../main/engine/engine.js';
import { makePhoto, tempDir, waitFor } from '../helpers/fixtures.js';
import { JOB_OWNER, JobQueue, LEASE_MS, MAX_ATTEMPTS } from '../../main/engine/jobs/queue.js';

function queueWithPhotos(count: number) {
  const db = openDatabase(':memory:');
  for (let i = 1; i <= count; i++) db.prepare(`INSERT INTO photos (hash, size, added_at) VALUES (?, 1, 0)`).run(`h${i}`);
  return { db, queue: new JobQueue(db) };
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('job queue', () => {
  it('hands each job to one claimer, oldest first', () => {
    const { queue } = queueWithPhotos(3);
    for (const id of [1, 2, 3]) queue.enqueue('thumbnail', id);
    queue.enqueue('thumbnail', 1); // asking again for pending work changes nothing
    assert.deepEqual(queue.claim(2).map((j) => j.photoId), [1, 2]);
    assert.deepEqual(queue.claim(5).map((j) => j.photoId), [3]);
    assert.deepEqual(queue.claim(5), []);
    assert.deepEqual(queue.counts(), { pending: 0, running: 3, done: 0, failed: 0 });
  });

  it('takes back work from a process that died, not from a living one', () => {
    const { db, queue } = queueWithPhotos(2);
    queue.enqueue('thumbnail', 1);
    queue.enqueue('thumbnail', 2);
    const [mine, theirs] = queue.claim(2);
    const pid = deadPid();
    // Their lease still runs: only the dead PID (on this host) gives the job back at once.
    db.prepare(`UPDATE jobs SET owner = ?, owner_pid = ? WHERE id = ?`).run(`${os.hostname()}:${pid}:0a0b`, pid, theirs!.id);
    assert.equal(queue.recoverAbandoned(), 1);
    assert.deepEqual(queue.claim(5).map((j) => j.id), [theirs!.id]);
    const mineState = db.prepare(`SELECT state, owner_pid AS pid, owner FROM jobs WHERE id = ?`).get(mine!.id);
    assert.deepEqual(mineState, { state: 'running', pid: process.pid, owner: JOB_OWNER });
  });

  it('does not take a reused PID for the owner: a claim whose lease ran out is taken back even though that PID lives', () => {
    const { db, queue } = queueWithPhotos(1);
    queue.enqueue('thumbnail', 1);
    const [job] = queue.claim(1);
    // The owner died and its PID now belongs to a live process (here: our parent), as after a reboot.
    const now = Date.now();
    db.prepare(`UPDATE jobs SET owner = ?, owner_pid = ?, lease_until = ? WHERE id = ?`).run(`${os.hostname()}:${process.ppid}:dead`, process.ppid, now + LEASE_MS, job!.id);
    assert.equal(queue.recoverAbandoned(now), 0, 'a live PID with a running lease keeps its job');
    const [held] = queue.heldElsewhere();
    assert.deepEqual({ ...held }, { ownerPid: process.ppid, owner: `${os.hostname()}:${process.ppid}:dead`, kind: 'thumbnail', count: 1, leaseUntil: now + LEASE_MS });
    assert.equal(queue.recoverAbandoned(now + LEASE_MS + 1), 1, 'once its lease has run out, it is taken back');
    assert.deepEqual(queue.heldElsewhere(), []);
    // A claim from before leases (no owner, no lease) is taken back too.
    queue.claim(1);
    db.prepare(`UPDATE jobs SET owner = NULL, owner_pid = ?, lease_until = NULL`).run(process.ppid);
    assert.equal(queue.recoverAbandoned(), 1);
  });

  it('renews only its own leases, never recovers its own jobs, and settles only jobs it still owns', () => {
    const { db, queue } = queueWithPhotos(2);
    queue.enqueue('thumbnail', 1);
    queue.enqueue('thumbnail', 2);
    const [mine, taken] = queue.claim(2);
    const later = Date.now() + 10 * LEASE_MS;
    assert.equal(queue.recoverAbandoned(later), 0, 'this process is alive: its expired-looking leases stay');
    db.prepare(`UPDATE jobs SET owner = 'elsewhere:1:x', lease_until = 5 WHERE id = ?`).run(taken!.id);
    assert.equal(queue.renewLeases(), 1);
    const lease = db.prepare(`SELECT lease_until FROM jobs WHERE id = ?`).pluck().get(mine!.id) as number;
    assert.ok(lease > Date.now() + LEASE_MS / 2);
    assert.equal(db.prepare(`SELECT lease_until FROM jobs WHERE id = ?`).pluck().get(taken!.id), 5, 'another owner’s lease is left alone');
    // Taken over by another process meanwhile: our late completion does not overwrite its claim.
    queue.complete(taken!.id);
    queue.fail(taken!, 'late', false);
    assert.equal(db.prepare(`SELECT state FROM jobs WHERE id = ?`).pluck().get(taken!.id), 'running');
    queue.complete(mine!.id);
    assert.equal(db.prepare(`SELECT state FROM jobs WHERE id = ?`).pluck().get(mine!.id), 'done');
  });

  it('retries transient failures a bounded number of times, and fails others at once', () => {
    const { queue } = queueWithPhotos(2);
    queue.enqueue('thumbnail', 1);
    const states: string[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const [job] = queue.claim(1);
      assert.equal(job!.attempts, attempt);
      states.push(queue.fail(job!, 'disk busy', true));
    }
    assert.deepEqual(states, [...Array(MAX_ATTEMPTS - 1).fill('pending'), 'failed']);
    queue.enqueue('thumbnail', 2);
    const [job] = queue.claim(1);
    assert.equal(queue.fail(job!, 'truncated', false), 'failed');
    assert.deepEqual(queue.counts(), { pending: 0, running: 0, done: 0, failed: 2 });
    queue.enqueue('thumbnail', 2); // asked again (e.g. the file was replaced): it runs afresh
    assert.equal(queue.claim(1)[0]!.attempts, 1);
  });

  it('a long-running engine takes up, on its heartbeat, the jobs of a sibling that was killed', async () => {
    const folder = tempDir('iris-lease-photos-');
    await makePhoto(path.join(folder, 'a.jpg'), { seed: 1 });
    const engine = Engine.open({ libraryDir: tempDir('iris-lease-lib-'), modelsDir: tempDir('iris-no-models-'), jobHeartbeatMs: 50 });
    try {
      await engine.index([folder]);
      const db = engine.database;
      const pid = deadPid();
      // A sibling (`iris index` beside this `watch`) claimed the job and was killed: nothing else happens.
      db.prepare(`UPDATE jobs SET state = 'running', owner = ?, owner_pid = ?, lease_until = ? WHERE kind = 'thumbnail'`).run(`${os.hostname()}:${pid}:gone`, pid, Date.now() + LEASE_MS);
      await waitFor(() => (db.prepare(`SELECT state FROM jobs WHERE kind = 'thumbnail'`).pluck().get() === 'done' ? true : undefined), 10_000, 'the heartbeat to take the job up and do it');
    } finally {
      await engine.close();
    }
  });
});
