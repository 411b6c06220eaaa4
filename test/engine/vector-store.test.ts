import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Db, openDatabase } from '../../main/engine/db/database.js';
import { parallelScan } from '../../main/engine/search/index/quantized-index.js';
import { ScanThread } from '../../main/engine/search/index/scan-thread.js';
import { EXACT_CANDIDATES, INDEX_MIN_VECTORS, tableNameFor, type VectorHit, VectorStore } from '../../main/engine/search/vector-store.js';
import { tempDir } from '../helpers/fixtures.js';
import { mulberry32 } from '../helpers/random.js';

const dirs: string[] = [];

function library(): { db: Db; file: string } {
  const dir = tempDir('iris-vectors-');
  dirs.push(dir);
  const file = path.join(dir, 'library.db');
  return { db: openDatabase(file), file };
}

after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Photo rows as the library store makes them (migration 1's schema): status ok, visible. */
function addPhotos(db: Db, ids: Iterable<number>): void {
  const insert = db.prepare(`INSERT INTO photos (id, hash, size, status, added_at) VALUES (?, ?, 1, 'ok', 0)`);
  db.transaction(() => {
    for (const id of ids) insert.run(id, `hash-${id}`);
  })();
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * CLIP-like vectors: a shared offset (unrelated CLIP images have a cosine near 0.5), one of
 * `clusters` cluster centres, and per-vector noise. Not normalised, as real exports are not.
 */
function clustered(dim: number, clusters: number, seed: number): () => Float32Array {
  const g = gaussian(mulberry32(seed));
  const mean = Float32Array.from({ length: dim }, () => g() * 0.05);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => g() * 0.04));
  const rand = mulberry32(seed + 1);
  return () => {
    const centre = centres[Math.floor(rand() * clusters)]!;
    return Float32Array.from({ length: dim }, (_, j) => 3 * (mean[j]! + centre[j]! + g() * 0.03));
  };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Brute force in plain JavaScript: the reference the store must match. */
function bruteForce(vectors: Map<number, Float32Array>, query: Float32Array, k: number, allowed?: ReadonlySet<number>): VectorHit[] {
  return [...vectors]
    .filter(([id]) => !allowed || allowed.has(id))
    .map(([photoId, vector]) => ({ photoId, score: cosine(query, vector) }))
    .sort((a, b) => b.score - a.score || a.photoId - b.photoId)
    .slice(0, k);
}

function assertSameHits(actual: VectorHit[], expected: VectorHit[], message?: string): void {
  assert.deepEqual(actual.map((hit) => hit.photoId), expected.map((hit) => hit.photoId), message);
  actual.forEach((hit, i) => assert.ok(Math.abs(hit.score - expected[i]!.score) < 1e-5, `${message ?? ''} score of ${hit.photoId}: ${hit.score} vs ${expected[i]!.score}`));
}

function recallAt(actual: VectorHit[], expected: VectorHit[]): number {
  const truth = new Set(expected.map((hit) => hit.photoId));
  return actual.filter((hit) => truth.has(hit.photoId)).length / expected.length;
}

const tables = (db: Db) => db.prepare(`SELECT name FROM sqlite_master ORDER BY name`).pluck().all() as string[];

describe('VectorStore basics', () => {
  it('creates one registered vec0 table per model, with a safe name, and reopens it', () => {
    const { db } = library();
    const store = VectorStore.open(db, 'OpenAI/CLIP ViT-B/32 "fp16"', 4);
    assert.match(store.tableName, /^vec_openai_clip_vit_b_32_fp16_[0-9a-f]{8}$/);
    assert.notEqual(tableNameFor('a-b'), tableNameFor('a_b'));
    assert.deepEqual(VectorStore.models(db).map(({ modelId, tableName, dim }) => ({ modelId, tableName, dim })), [
      { modelId: 'OpenAI/CLIP ViT-B/32 "fp16"', tableName: store.tableName, dim: 4 },
    ]);
    assert.ok(tables(db).includes(store.tableName) && tables(db).includes(`${store.tableName}_photo_deleted`));
    assert.equal(VectorStore.open(db, 'OpenAI/CLIP ViT-B/32 "fp16"', 4).tableName, store.tableName);
    assert.equal(VectorStore.open(db, 'other', 4).count(), 0);
  });

  it('refuses a model registered with another width', () => {
    const { db } = library();
    VectorStore.open(db, 'clip', 512);
    assert.throws(() => VectorStore.open(db, 'clip', 768), /"clip" is registered with 512 dimensions, not 768/);
    assert.throws(() => VectorStore.open(db, 'clip', 0), RangeError);
  });

  it('normalises what it stores and rejects vectors it cannot', () => {
    const { db } = library();
    addPhotos(db, [1, 2]);
    const store = VectorStore.open(db, 'clip', 4);
    assert.equal(store.put(1, [3, 4, 0, 0]), true);
    assert.deepEqual(Array.from(store.get(1)!, (x) => Math.round(x * 1e6) / 1e6), [0.6, 0.8, 0, 0]);
    assert.throws(() => store.put(2, [1, 2, 3]), /3 dimensions; this model's vectors have 4/);
    assert.throws(() => store.put(2, [1, Number.NaN, 0, 0]), /non-finite value \(NaN\) at dimension 1/);
    assert.throws(() => store.put(2, [Infinity, 0, 0, 0]), /non-finite/);
    assert.throws(() => store.put(2, [0, 0, 0, 0]), /no direction/);
    // One bad row and the batch stores nothing.
    assert.throws(() => store.putMany([{ photoId: 2, embedding: [1, 0, 0, 0] }, { photoId: 1, embedding: [1, 0] }]));
    assert.equal(store.has(2), false);
    // A photo that has left the library gets no vector.
    assert.equal(store.put(99, [1, 0, 0, 0]), false);
    assert.equal(store.has(99), false);
    // Replacing keeps one vector.
    store.put(1, [0, 0, 0, 2]);
    assert.deepEqual(Array.from(store.get(1)!), [0, 0, 0, 1]);
    assert.equal(store.count(), 1);
  });

  it('orders by cosine, best first, honouring k, exclude and candidateIds', () => {
    const { db } = library();
    addPhotos(db, range(1, 5));
    const store = VectorStore.open(db, 'clip', 3);
    store.putMany([
      { photoId: 1, embedding: [1, 0, 0] },
      { photoId: 2, embedding: [10, 10, 0] },
      { photoId: 3, embedding: [0, 5, 0] },
      { photoId: 4, embedding: [-1, 0, 0] },
      { photoId: 5, embedding: [0.9, 0.1, 0.4] },
    ]);
    const hits = store.search([2, 0, 0], 10);
    assert.deepEqual(hits.map((h) => h.photoId), [1, 5, 2, 3, 4]);
    assert.ok(Math.abs(hits[0]!.score - 1) < 1e-6 && Math.abs(hits[2]!.score - Math.SQRT1_2) < 1e-6 && Math.abs(hits[4]!.score + 1) < 1e-6);
    assert.deepEqual(store.search([2, 0, 0], 2).map((h) => h.photoId), [1, 5]);
    assert.deepEqual(store.search([2, 0, 0], 2, { exclude: [1] }).map((h) => h.photoId), [5, 2]);
    assert.deepEqual(store.search([2, 0, 0], 2, { candidateIds: [4, 3, 99] }).map((h) => h.photoId), [3, 4]);
    assert.deepEqual(store.search([2, 0, 0], 2, { candidateIds: new Int32Array([2, 4]) }).map((h) => h.photoId), [2, 4]);
    assert.deepEqual(store.search([2, 0, 0], 2, { candidateIds: [] }), []);
    assert.deepEqual(store.search([2, 0, 0], 0), []);
    assert.throws(() => store.search([0, 0, 0], 1), /no direction/);
    assert.throws(() => store.search([1, 0], 1), /2 dimensions/);
  });

  it('leaves hidden (orphaned) photos out unless asked', () => {
    const { db } = library();
    addPhotos(db, [1, 2]);
    const store = VectorStore.open(db, 'clip', 2);
    store.putMany([{ photoId: 1, embedding: [1, 0] }, { photoId: 2, embedding: [1, 0.1] }]);
    db.prepare(`UPDATE photos SET orphaned_at = 1 WHERE id = 1`).run();
    assert.deepEqual(store.search([1, 0], 2).map((h) => h.photoId), [2]);
    assert.deepEqual(store.search([1, 0], 2, { includeHidden: true }).map((h) => h.photoId), [1, 2]);
  });

  it('lists the photos still to embed', () => {
    const { db } = library();
    addPhotos(db, range(1, 5));
    db.prepare(`UPDATE photos SET status = 'failed' WHERE id = 2`).run();
    db.prepare(`UPDATE photos SET orphaned_at = 1 WHERE id = 3`).run();
    const store = VectorStore.open(db, 'clip', 2);
    store.put(4, [1, 1]);
    assert.deepEqual(store.missing(), [1, 5]);
    assert.deepEqual(store.missing(1), [1]);
    assert.deepEqual(store.missing(10, 1), [5]);
    assert.deepEqual(db.prepare(store.missingQuery()).pluck().all(), [1, 5]);
    assert.deepEqual(store.photoIdsWithout([4, 5, 1]), [5, 1]);
    assert.deepEqual(store.photoIds(), [4]);
  });

  it('deletes a photo’s vector when the photo row is deleted (trigger), and forgets a model', () => {
    const { db } = library();
    addPhotos(db, [1, 2, 3]);
    const store = VectorStore.open(db, 'clip', 2);
    store.putMany([{ photoId: 1, embedding: [1, 0] }, { photoId: 2, embedding: [0, 1] }]);
    db.prepare(`DELETE FROM photos WHERE id IN (1, 3)`).run();
    assert.equal(store.has(1), false);
    assert.equal(store.get(1), undefined);
    assert.equal(store.count(), 1);
    assert.deepEqual(store.search([1, 0], 5).map((h) => h.photoId), [2]);
    assert.equal(store.delete(2), true);
    assert.equal(store.delete(2), false);
    assert.equal(store.count(), 0);

    assert.equal(VectorStore.forget(db, 'clip'), true);
    assert.equal(VectorStore.forget(db, 'clip'), false);
    assert.deepEqual(tables(db).filter((name) => name.startsWith('vec_')), []);
    assert.deepEqual(VectorStore.models(db), []);
    // Photos can still be deleted once the trigger is gone, and the model can come back with another width.
    db.prepare(`DELETE FROM photos`).run();
    assert.equal(VectorStore.open(db, 'clip', 3).count(), 0);
  });
});

describe('VectorStore exact search', () => {
  const dim = 64;
  const vectors = new Map<number, Float32Array>();
  let db: Db;
  let store: VectorStore;

  before(() => {
    ({ db } = library());
    addPhotos(db, range(1, 3000));
    store = VectorStore.open(db, 'clip', dim);
    const g = gaussian(mulberry32(7));
    for (const id of range(1, 3000)) vectors.set(id, Float32Array.from({ length: dim }, () => g()));
    store.putMany([...vectors].map(([photoId, embedding]) => ({ photoId, embedding })));
  });

  it('returns the same top-k as brute force on random data', () => {
    const g = gaussian(mulberry32(8));
    for (let i = 0; i < 20; i++) {
      const query = Float32Array.from({ length: dim }, () => g());
      assertSameHits(store.search(query, 10), bruteForce(vectors, query, 10), `query ${i}`);
    }
    assert.equal(store.indexStats(), null, 'a small library has no index');
  });

  it('returns the true top-k among candidateIds, not a filtered global top-k', () => {
    const g = gaussian(mulberry32(9));
    const candidates = range(1, 3000).filter((id) => id % 7 === 3);
    const allowed = new Set(candidates);
    for (let i = 0; i < 10; i++) {
      const query = Float32Array.from({ length: dim }, () => g());
      const hits = store.search(query, 25, { candidateIds: candidates });
      assert.ok(hits.every((hit) => allowed.has(hit.photoId)));
      assertSameHits(hits, bruteForce(vectors, query, 25, allowed), `query ${i}`);
    }
  });

  it('still answers when k and the exclusions pass sqlite-vec’s k limit', () => {
    const query = vectors.get(10)!;
    const exclude = range(1, 9000).filter((id) => id !== 10 && id % 2 === 0);
    const hits = store.search(query, 5, { exclude });
    const allowed = new Set(range(1, 3000).filter((id) => !exclude.includes(id)));
    assertSameHits(hits, bruteForce(vectors, query, 5, allowed));
    assert.equal(store.search(query, 5000).length, 3000);
  });
});

describe('VectorStore quantised search (large library)', () => {
  const dim = 512;
  const total = INDEX_MIN_VECTORS + 5000;
  const vectors = new Map<number, Float32Array>();
  const next = clustered(dim, 400, 11);
  let db: Db;
  let file: string;
  let store: VectorStore;

  before(() => {
    ({ db, file } = library());
    addPhotos(db, range(1, total + 100));
    store = VectorStore.open(db, 'clip-512', dim);
    for (let start = 1; start <= total; start += 5000) {
      const rows = range(start, Math.min(total, start + 4999)).map((photoId) => ({ photoId, embedding: next() }));
      for (const row of rows) vectors.set(row.photoId, row.embedding);
      store.putMany(rows);
    }
  });

  /** Recall@10 of the index against the exact scan over `queries`: mean and worst query. */
  function recallOver(queries: Float32Array[], options: { candidateIds?: number[] } = {}): { mean: number; worst: number } {
    const recalls = queries.map((query) => {
      const approximate = store.search(query, 10, options);
      // Scores are always exact cosines, whichever path found the photo.
      for (const hit of approximate) assert.ok(Math.abs(hit.score - cosine(query, vectors.get(hit.photoId)!)) < 1e-5);
      return recallAt(approximate, store.search(query, 10, { ...options, exact: true }));
    });
    return { mean: recalls.reduce((a, b) => a + b, 0) / recalls.length, worst: Math.min(...recalls) };
  }

  it('takes the quantised path and keeps recall@10 ≥ 0.98 against the exact scan on photo-like queries', () => {
    const { mean, worst } = recallOver(Array.from({ length: 40 }, () => next())); // held-out points
    const stats = store.indexStats();
    assert.ok(stats && stats.vectors === total && stats.source === 'built', 'the index was built');
    assert.ok(mean >= 0.98 && worst >= 0.8, `recall@10 ${mean} (worst ${worst})`);
  });

  it('keeps recall on sentence-like queries that sit far from every photo', () => {
    // CLIP's modality gap: a typed sentence's embedding is a photo-like direction plus one shared
    // offset and noise, with top cosines near 0.3 instead of 0.9; and the offset or noise alone.
    const g = gaussian(mulberry32(41));
    const unit = (v: Float32Array) => {
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    };
    const gap = unit(Float32Array.from({ length: dim }, () => g()));
    const noise = () => unit(Float32Array.from({ length: dim }, () => g()));
    const mix = (parts: [number, Float32Array][]) => Float32Array.from({ length: dim }, (_, j) => parts.reduce((sum, [w, v]) => sum + w * v[j]!, 0));
    const sets = {
      text: Array.from({ length: 25 }, () => mix([[0.35, unit(next())], [0.8, gap], [0.45, noise()]])),
      offset: Array.from({ length: 10 }, () => mix([[1, gap], [0.05, noise()]])),
      noise: Array.from({ length: 25 }, noise),
    };
    const top = store.search(sets.text[0]!, 1, { exact: true })[0]!.score;
    assert.ok(top < 0.6, `text-like queries are far from the photos (top cosine ${top})`);
    for (const [name, queries] of Object.entries(sets)) {
      const { mean, worst } = recallOver(queries);
      assert.ok(mean >= 0.98 && worst >= 0.8, `${name}: recall@10 ${mean} (worst ${worst})`);
    }
  });

  it('answers the same with the scan shared by two threads as with one, and without the second thread once it dies', async () => {
    const queries = Array.from({ length: 8 }, () => next());
    const large = range(1, total).filter((id) => id % 3 !== 0);
    const run = () => queries.flatMap((query) => [store.search(query, 10), store.search(query, 10, { candidateIds: large })]);
    const { minSlots, chunkBlocks } = parallelScan;
    try {
      ScanThread.setEnabled(false);
      const single = run();
      ScanThread.setEnabled(true);
      // Every library size, in chunks of 256 slots, so that the worker surely takes some.
      Object.assign(parallelScan, { minSlots: 0, chunkBlocks: 16 });
      const thread = ScanThread.get();
      assert.ok(thread, 'the scan thread started');
      // Whether the worker wakes in time to take chunks depends on the scheduler (CI runs test files
      // side by side on two cores): the answers must be the same either way, and it must take part.
      let split = run();
      for (let round = 0; round < 20 && thread.served === 0; round++) split = run();
      assert.ok(thread.served > 0, `the worker took chunks of some searches (${thread.served})`);
      split.forEach((hits, i) => assertSameHits(hits, single[i]!, `query ${i}`));
      // A worker that dies (here: terminated) turns the split off; searches go on in one thread.
      const worker = (thread as unknown as { worker: import('node:worker_threads').Worker }).worker;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      await worker.terminate();
      await exited;
      assert.equal(ScanThread.get(), null);
      run().forEach((hits, i) => assertSameHits(hits, single[i]!, `query ${i} after the worker died`));
    } finally {
      Object.assign(parallelScan, { minSlots, chunkBlocks });
      ScanThread.setEnabled(true);
    }
  });

  it('keeps to candidateIds: exact for a small set, true top-k among a large one', () => {
    const rand = mulberry32(12);
    const small = range(1, total).filter(() => rand() < (EXACT_CANDIDATES * 0.8) / total);
    const large = range(1, total).filter(() => rand() < 0.3);
    let recall = 0;
    for (let i = 0; i < 10; i++) {
      const query = next();
      const smallHits = store.search(query, 10, { candidateIds: small });
      assertSameHits(smallHits, bruteForce(vectors, query, 10, new Set(small)), 'small candidate set');
      const allowed = new Set(large);
      const largeHits = store.search(query, 10, { candidateIds: large });
      assert.ok(largeHits.every((hit) => allowed.has(hit.photoId)));
      assert.equal(largeHits.length, 10);
      recall += recallAt(largeHits, bruteForce(vectors, query, 10, allowed));
    }
    assert.ok(recall / 10 >= 0.98, `recall@10 among candidates ${recall / 10}`);
  });

  it('follows puts, trigger deletes and other connections without a rebuild', () => {
    const built = store.indexStats()!.buildMs;
    const query = next();
    const best = store.search(query, 3)[0]!.photoId;
    // Deleted through the photos table: the trigger logs it, the index drops it.
    db.prepare(`DELETE FROM photos WHERE id = ?`).run(best);
    assert.ok(!store.search(query, 10).some((hit) => hit.photoId === best));
    // Another connection (another process) adds a vector that is the query itself.
    const other = openDatabase(file);
    try {
      assert.equal(VectorStore.open(other, 'clip-512', dim).put(total + 1, query), true);
    } finally {
      other.close();
    }
    const hits = store.search(query, 3);
    assert.equal(hits[0]!.photoId, total + 1);
    assert.ok(Math.abs(hits[0]!.score - 1) < 1e-5);
    assert.equal(store.count(), total);
    assert.equal(store.indexStats()!.buildMs, built, 'the index was updated, not rebuilt');
  });

  it('reads the same vectors through vec0’s public scan as through its chunk tables', () => {
    // The fast path reads sqlite-vec's shadow tables; the fallback (another sqlite-vec layout)
    // must find exactly the same vectors. Force it on a fresh connection's state.
    const other = openDatabase(file);
    try {
      const fallback = VectorStore.open(other, 'clip-512', dim);
      const state = Reflect.get(fallback, 'state') as { shadow: boolean };
      assert.equal(state.shadow, true, 'the layout of sqlite-vec 0.1.x is recognised');
      state.shadow = false;
      const query = next();
      assertSameHits(fallback.search(query, 10, { exact: true, exclude: range(total + 50, total + 5000) }), store.search(query, 10, { exact: true }));
      const approximate = fallback.search(query, 10);
      assert.ok(recallAt(approximate, store.search(query, 10, { exact: true })) >= 0.9);
      assert.equal(fallback.indexStats()?.vectors, store.count());
    } finally {
      other.close();
    }
  });

  it('saves its index beside the library and a restart loads it instead of building', () => {
    const query = next();
    const expected = store.search(query, 10);
    const other = openDatabase(file);
    try {
      const reopened = VectorStore.open(other, 'clip-512', dim);
      assertSameHits(reopened.search(query, 10), expected, 'after a restart');
      assert.equal(reopened.indexStats()?.source, 'snapshot');
      assert.ok(fs.existsSync(path.join(path.dirname(file), 'vector-index', `${store.tableName}.ivx`)));
    } finally {
      other.close();
    }
  });

  it('lets go of the 8-bit copies’ file when the connection’s stores are closed', (t) => {
    if (!fs.existsSync('/proc/self/fd')) {
      t.skip('no /proc/self/fd on this platform to count open files');
      return;
    }
    const q8 = path.join(path.dirname(file), 'vector-index', `${store.tableName}.q8`);
    const openOnQ8 = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === q8;
      } catch {
        return false;
      }
    }).length;
    const other = openDatabase(file);
    const before = openOnQ8();
    VectorStore.open(other, 'clip-512', dim).search(next(), 10);
    assert.equal(openOnQ8(), before + 1, 'a search on the new connection opened the file');
    VectorStore.closeAll(other);
    other.close();
    assert.equal(openOnQ8(), before);
  });

  it('rebuilds from sqlite-vec when the saved index is damaged, and reads sqlite-vec when the 8-bit copies are gone', () => {
    const saved = path.join(path.dirname(file), 'vector-index', `${store.tableName}.ivx`);
    const copies = path.join(path.dirname(file), 'vector-index', `${store.tableName}.q8`);
    const query = next();
    const expected = store.search(query, 10, { exact: true });
    fs.truncateSync(saved, 1000);
    const other = openDatabase(file);
    try {
      const reopened = VectorStore.open(other, 'clip-512', dim);
      assert.ok(recallAt(reopened.search(query, 10), expected) >= 0.9);
      assert.equal(reopened.indexStats()?.source, 'built', 'a truncated snapshot is not used');
    } finally {
      other.close();
    }
    fs.rmSync(copies);
    const third = openDatabase(file);
    try {
      const reopened = VectorStore.open(third, 'clip-512', dim);
      const hits = reopened.search(query, 10);
      assert.ok(recallAt(hits, expected) >= 0.9, 'without the 8-bit copies the candidates are read from sqlite-vec');
      for (const hit of hits) assert.ok(Math.abs(hit.score - cosine(query, vectors.get(hit.photoId) ?? query)) < 1e-5 || hit.photoId > total);
    } finally {
      third.close();
    }
  });

  it('forgetting a model deletes its saved index (a re-created table is checked by its created_at)', () => {
    const { db: fresh, file: freshFile } = library();
    addPhotos(fresh, range(1, 100));
    const a = VectorStore.open(fresh, 'm', 64);
    const saved = path.join(path.dirname(freshFile), 'vector-index', `${a.tableName}.ivx`);
    fs.mkdirSync(path.dirname(saved), { recursive: true });
    fs.copyFileSync(path.join(path.dirname(file), 'vector-index', `${store.tableName}.ivx`), saved);
    VectorStore.forget(fresh, 'm');
    assert.equal(fs.existsSync(saved), false, 'forgetting a model deletes its saved index');
  });
});
