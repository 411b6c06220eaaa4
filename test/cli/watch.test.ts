import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { makePhoto, runIris, runIrisAsync, sha256, tempDir, waitFor } from '../helpers/fixtures.js';

type WatchEvent = { event: string; path?: string; from?: string; error?: string };
type Listed = { id: number; hash: string; path: string; status: string };

/** `iris watch --json` as a real process, with its JSON lines collected as they come. */
class WatchProcess {
  readonly events: WatchEvent[] = [];
  readonly child;
  private stderr = '';

  constructor(folder: string, readonly library: string) {
    this.child = runIrisAsync(['watch', folder, '--library', library, '--json']);
    createInterface({ input: this.child.stdout }).on('line', (line) => this.events.push(JSON.parse(line) as WatchEvent));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  next(predicate: (e: WatchEvent) => boolean, what: string, timeoutMs = 5000): Promise<WatchEvent> {
    return waitFor(() => this.events.find(predicate), timeoutMs, `${what} (events so far: ${JSON.stringify(this.events)}; stderr: ${this.stderr})`);
  }

  list(): Listed[] {
    return JSON.parse(runIris(['list', '--json', '--library', this.library]).stdout) as Listed[];
  }

  stop(): Promise<number | null> {
    return new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.kill('SIGTERM');
    });
  }
}

describe('iris watch', () => {
  const folder = tempDir('iris-watched-');
  const staging = tempDir('iris-staging-');
  let watch: WatchProcess;

  before(async () => {
    await makePhoto(path.join(folder, 'existing.jpg'), { seed: 100 });
    watch = new WatchProcess(folder, tempDir('iris-lib-'));
    await watch.next((e) => e.event === 'ready', 'ready', 20_000);
  });

  after(async () => {
    if (watch.child.exitCode === null) await watch.stop();
  });

  it('indexes what was already there when it starts', () => {
    assert.deepEqual(watch.list().map((p) => path.basename(p.path)), ['existing.jpg']);
  });

  it('shows a copied photo in `iris list` within 3 s of its write ending', async () => {
    const source = await makePhoto(path.join(staging, 'new.jpg'), { seed: 1, width: 400, height: 300 });
    const target = path.join(folder, 'new.jpg');
    fs.copyFileSync(source, target);
    const writeEnded = Date.now();
    const listed = await waitFor(() => watch.list().find((p) => p.path === target), 3000, 'new.jpg in iris list', 100);
    const elapsed = Date.now() - writeEnded;
    assert.ok(elapsed <= 3000, `appeared after ${elapsed} ms`);
    assert.equal(listed.hash, sha256(target));
    await watch.next((e) => e.event === 'added' && e.path === target, 'added event');
  });

  it('keeps the id through a rename and reports one move', async () => {
    const from = path.join(folder, 'new.jpg');
    const to = path.join(folder, 'renamed.jpg');
    const before = watch.list().find((p) => p.path === from)!;
    fs.renameSync(from, to);
    const moved = await watch.next((e) => e.event === 'moved' && e.path === to, 'moved event');
    assert.equal(moved.from, from);
    const after = watch.list().find((p) => p.path === to)!;
    assert.equal(after.id, before.id);
    assert.ok(!watch.list().some((p) => p.path === from));
  });

  it('re-reads a changed photo', async () => {
    const file = path.join(folder, 'renamed.jpg');
    const oldHash = sha256(file);
    await makePhoto(path.join(staging, 'changed.jpg'), { seed: 2, width: 120, height: 80 });
    fs.copyFileSync(path.join(staging, 'changed.jpg'), file);
    await watch.next((e) => e.event === 'changed' && e.path === file, 'changed event');
    const listed = await waitFor(() => watch.list().find((p) => p.path === file && p.status === 'ok' && p.hash !== oldHash), 3000, 'new bytes listed');
    assert.equal(listed.hash, sha256(file));
  });

  it('counts an editor-style atomic save (temp file renamed over the photo) as a change', async () => {
    const file = path.join(folder, 'existing.jpg');
    const temporary = path.join(folder, 'existing.jpg.tmp');
    await makePhoto(temporary, { seed: 3 });
    fs.renameSync(temporary, file);
    await watch.next((e) => (e.event === 'changed' || e.event === 'added') && e.path === file && watch.list().some((p) => p.path === file && p.hash === sha256(file)), 'atomic save recorded');
    assert.ok(!watch.events.some((e) => e.path === temporary), 'the temp file itself is never a photo');
  });

  it('does not read a half-written file until its write ends', async () => {
    const bytes = fs.readFileSync(await makePhoto(path.join(staging, 'slow.jpg'), { seed: 4, width: 600, height: 400 }));
    const target = path.join(folder, 'slow.jpg');
    const handle = fs.openSync(target, 'w');
    const chunks = 8;
    for (let i = 0; i < chunks; i++) {
      fs.writeSync(handle, bytes, Math.floor((i * bytes.length) / chunks), Math.floor(((i + 1) * bytes.length) / chunks) - Math.floor((i * bytes.length) / chunks));
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.ok(!watch.events.some((e) => e.path === target), `no event while writing (chunk ${i})`);
    }
    fs.closeSync(handle);
    await watch.next((e) => e.event === 'added' && e.path === target, 'added after the write');
    const listed = await waitFor(() => watch.list().find((p) => p.path === target && p.status !== 'pending'), 3000, 'slow.jpg decoded');
    assert.equal(listed.status, 'ok');
    assert.equal(listed.hash, sha256(target));
  });

  it('ignores hidden files, temporaries and non-images', async () => {
    const count = watch.events.length;
    await makePhoto(path.join(folder, '.hidden.jpg'), { seed: 5 });
    await makePhoto(path.join(folder, 'download.jpg.part'), { seed: 6 });
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'hello');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(watch.events.slice(count), []);
    assert.ok(!watch.list().some((p) => /hidden|part|notes/.test(p.path)));
  });

  it('removes a deleted photo from the library (the rest stays)', async () => {
    const file = path.join(folder, 'renamed.jpg');
    fs.rmSync(file);
    await watch.next((e) => e.event === 'removed' && e.path === file, 'removed event');
    assert.ok(!watch.list().some((p) => p.path === file));
    assert.ok(watch.list().some((p) => p.path.endsWith('existing.jpg')));
  });

  it('exits 0 on SIGTERM', async () => {
    assert.equal(await watch.stop(), 0);
  });
});
