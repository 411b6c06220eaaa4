import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { openDatabase } from '../../main/engine/db/database.js';
import { JobQueue, MAX_ATTEMPTS } from '../../main/engine/jobs/queue.js';

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
    db.prepare(`UPDATE jobs SET owner_pid = ? WHERE id = ?`).run(deadPid(), theirs!.id);
    assert.equal(queue.recoverAbandoned(), 1);
    assert.deepEqual(queue.claim(5).map((j) => j.id), [theirs!.id]);
    const mineState = db.prepare(`SELECT state, owner_pid AS pid FROM jobs WHERE id = ?`).get(mine!.id);
    assert.deepEqual(mineState, { state: 'running', pid: process.pid });
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
});
