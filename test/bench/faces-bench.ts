import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { FaceModel } from '../../main/engine/faces/face-model.js';
import { clusterFaces } from '../../main/engine/faces/people-clustering.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { FACES_FIXTURE_ID, FACES_YUNET_FIXTURE_ID } from '../fixtures/face-fixtures.js';
import { FIXTURE_MODELS_DIR } from '../fixtures/generate-models.js';
import { peakRssBytes } from '../helpers/peak-rss.js';
import { FACE_PHOTOS_DIR } from '../reference/measure-faces.js';
import { benchLogger, commandLine, machineBasics, markdownTable, mebibytes, median, provenance, writeBenchmarksSection } from './benchmarks-md.js';

/**
 * Faces (issue 20): the per-photo pipeline on the real models (../shared/face-models via `npm run
 * fixtures`) at 12 MP, and clustering at 10k and 100k faces on synthetic embeddings drawn to the
 * measured MobileFaceNet distributions (same person: cosine mean 0.70, 0.59-0.87; different
 * people: mean 0.00, at most 0.15: test/reference/measure-faces.ts), in a library shaped against
 * the clustering: person sizes uneven (Zipf: a few people with thousands of faces), and a third
 * of the faces strangers seen once (they all wait, and each new face is compared with every
 * waiting one). The peer is faiss (Debian's python3-faiss): the same grouping done in batch, an
 * exact range search for every pair above the threshold and connected components.
 *
 *   npm run bench:faces [-- --sizes 10000,100000]
 */

const log = benchLogger('faces-bench');
const sizes = (process.argv.find((arg) => arg.startsWith('--sizes='))?.slice(8) ?? '10000,100000').split(',').map(Number);
const DIM = 128;
const THRESHOLD = 0.38;
/** The fixture recognizer's new-person threshold (test/fixtures/face-fixtures.ts). */
const NEW_PERSON = 0.5;
/** The peer gets this long per size (a batch over 100k faces with thousands of pairs per person is heavy). */
const PEER_TIMEOUT_MS = 300_000;

/** A deterministic normal sampler. */
function gaussian(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function unit(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  return vector.map((v) => v / norm);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * `count` faces: a third strangers (one face each), the rest spread over people by Zipf (person k
 * has ∝ 1/k of them). Noise σ makes two faces of one person meet at cosine ≈ 1 / (1 + σ²·d) = 0.70.
 */
function syntheticFaces(count: number, seed = 7): { embeddings: Float32Array[]; identity: number[] } {
  const normal = gaussian(seed);
  const sigma = Math.sqrt((1 / 0.7 - 1) / DIM);
  const strangers = Math.round(count / 3);
  const people = Math.max(2, Math.round(count / 60));
  const harmonic = Array.from({ length: people }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
  const identity: number[] = [];
  for (let k = 0; k < people && identity.length < count - strangers; k++) {
    const faces = Math.max(1, Math.round(((count - strangers) * (1 / (k + 1))) / harmonic));
    for (let i = 0; i < faces && identity.length < count - strangers; i++) identity.push(k);
  }
  while (identity.length < count) identity.push(people + identity.length);
  // Faces arrive in library order, not grouped by person.
  for (let i = identity.length - 1; i > 0; i--) {
    const j = Math.floor(((normal() + 10) * 7919 * (i + 1)) % (i + 1));
    [identity[i], identity[j]] = [identity[j]!, identity[i]!];
  }
  const centres = new Map<number, Float32Array>();
  const embeddings = identity.map((who) => {
    let centre = centres.get(who);
    if (!centre) centres.set(who, (centre = unit(Float32Array.from({ length: DIM }, () => normal()))));
    return unit(centre.map((c) => c + sigma * normal()));
  });
  return { embeddings, identity };
}

/** Purity (faces grouped with their own person's majority) and splits (people found in more than one group). */
function quality(groups: readonly (readonly number[])[], identity: readonly number[]): { purity: number; grouped: number; splits: number } {
  let pure = 0;
  let grouped = 0;
  const groupsOf = new Map<number, Set<number>>();
  groups.forEach((members, g) => {
    const counts = new Map<number, number>();
    for (const face of members) counts.set(identity[face]!, (counts.get(identity[face]!) ?? 0) + 1);
    pure += Math.max(...counts.values());
    grouped += members.length;
    for (const who of counts.keys()) groupsOf.set(who, (groupsOf.get(who) ?? new Set()).add(g));
  });
  return { purity: grouped ? pure / grouped : 1, grouped, splits: [...groupsOf.values()].filter((set) => set.size > 1).length };
}

async function pipelineRows(): Promise<string[][]> {
  const catalog = loadCatalog(FIXTURE_MODELS_DIR);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-faces-bench-'));
  // 12 MP photos: the group photo (two faces) and a portrait, enlarged to 4000 × 3000.
  const photos = [];
  for (const name of ['group-two_people.jpg', 'obama-1.jpg']) {
    const file = path.join(dir, `${name}-12mp.jpg`);
    await sharp(path.join(FACE_PHOTOS_DIR, name)).resize(4000, 3000, { fit: 'cover' }).jpeg({ quality: 90 }).toFile(file);
    photos.push(file);
  }
  const rows: string[][] = [];
  for (const id of [FACES_FIXTURE_ID, FACES_YUNET_FIXTURE_ID]) {
    const model = new FaceModel(FIXTURE_MODELS_DIR, catalog.models.find((entry) => entry.id === id)!);
    await model.ready();
    const decode: number[] = [];
    const detect: number[] = [];
    const embed: number[] = [];
    const whole: number[] = [];
    let faces = 0;
    for (let round = 0; round < 6; round++) {
      for (const file of photos) {
        const t0 = performance.now();
        const image = await FaceModel.decode(file);
        const t1 = performance.now();
        const found = await model.detect(image);
        const t2 = performance.now();
        for (const face of found) await model.embed(image, face.keypoints);
        const t3 = performance.now();
        // The first round warms the sessions up; it is not counted.
        if (round === 0) continue;
        decode.push(t1 - t0);
        detect.push(t2 - t1);
        if (found.length > 0) embed.push((t3 - t2) / found.length);
        whole.push(t3 - t0);
        faces += found.length;
      }
    }
    await model.release();
    const perPhoto = whole.reduce((a, b) => a + b, 0) / whole.length;
    rows.push([
      `${id}: one 12 MP photo`,
      `${median(whole).toFixed(0)} ms median, ${Math.max(...whole).toFixed(0)} ms worst`,
      `decode ${median(decode).toFixed(0)} ms, detect ${median(detect).toFixed(0)} ms, align + embed ${median(embed).toFixed(1)} ms per face; ${(1000 / perPhoto).toFixed(2)} photos/s, ${((faces / whole.length) * (1000 / perPhoto)).toFixed(2)} faces/s (${faces / whole.length} faces per photo)`,
    ]);
    log(`${id}: ${rows.at(-1)!.slice(1).join(' | ')}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}

function faissPeer(embeddings: readonly Float32Array[]): { seconds: number; people: number; group: number[] } | string {
  const file = path.join(os.tmpdir(), `iris-faces-${process.pid}.f32`);
  const flat = new Float32Array(embeddings.length * DIM);
  embeddings.forEach((vector, i) => flat.set(vector, i * DIM));
  fs.writeFileSync(file, Buffer.from(flat.buffer));
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..', 'test', 'bench', 'peers', 'faiss_faces.py');
  const run = spawnSync('/usr/bin/python3', [script, JSON.stringify({ file, rows: embeddings.length, dim: DIM, threshold: THRESHOLD })], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: PEER_TIMEOUT_MS });
  fs.rmSync(file, { force: true });
  if (run.signal === 'SIGTERM') return `faiss did not finish in ${PEER_TIMEOUT_MS / 1000} s`;
  if (run.status !== 0) return `faiss did not run: ${(run.stderr || run.error?.message || '').trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout) as { seconds: number; people: number; group: number[] };
}

function clusteringRows(): string[][] {
  const rows: string[][] = [];
  for (const count of sizes) {
    const { embeddings, identity } = syntheticFaces(count);
    // The distributions drawn, checked on sampled pairs against the measured ones.
    const same: number[] = [];
    const different: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const a = (i * 7919) % count;
      const b = (i * 104729 + 13) % count;
      if (a !== b) (identity[a] === identity[b] ? same : different).push(dot(embeddings[a]!, embeddings[b]!));
    }
    const mean = (values: number[]) => values.reduce((x, y) => x + y, 0) / Math.max(1, values.length);
    log(`${count} faces: same person mean ${mean(same).toFixed(2)} (${same.length} pairs), different mean ${mean(different).toFixed(3)} max ${Math.max(...different).toFixed(2)}`);
    const pending = embeddings.map((embedding, id) => ({ id, embedding }));
    const started = performance.now();
    const result = clusterFaces({ people: new Map(), pending, threshold: THRESHOLD, newPersonThreshold: NEW_PERSON, minFaces: 2 });
    const seconds = (performance.now() - started) / 1000;
    const ours = quality(result.groups, identity);
    rows.push([
      `Iris, ${count.toLocaleString('en')} faces arriving into an empty library`,
      `${seconds.toFixed(2)} s (${((seconds / count) * 1e6).toFixed(0)} µs per face)`,
      `${result.groups.length} people; purity ${(ours.purity * 100).toFixed(2)} %, ${ours.splits} people split; ${ours.grouped} faces placed, ${count - ours.grouped} waiting (${Math.round(count / 3)} strangers drawn); sampled pairs: same person mean ${mean(same).toFixed(2)}, different max ${Math.max(...different).toFixed(2)}`,
    ]);
    // The incremental case: the library's people exist, 1,000 new faces arrive.
    const people = new Map<number, Float32Array[]>();
    result.groups.forEach((members, g) => people.set(g + 1, members.map((face) => embeddings[face]!)));
    const fresh = syntheticFaces(1000, 8);
    const t0 = performance.now();
    clusterFaces({ people, pending: fresh.embeddings.map((embedding, id) => ({ id, embedding })), threshold: THRESHOLD, newPersonThreshold: NEW_PERSON, minFaces: 2 });
    const incremental = (performance.now() - t0) / 1000;
    rows.push([`Iris, 1,000 new faces into those ${result.groups.length} people`, `${incremental.toFixed(2)} s`, 'each compared with every person and the faces still waiting']);
    const peer = faissPeer(embeddings);
    if (typeof peer === 'string') rows.push([`faiss (peer), ${count.toLocaleString('en')} faces, batch`, 'not measured', peer]);
    else {
      const groups = new Map<number, number[]>();
      peer.group.forEach((g, face) => g >= 0 && groups.set(g, [...(groups.get(g) ?? []), face]));
      const theirs = quality([...groups.values()], identity);
      rows.push([
        `faiss 1.7.3 (peer), ${count.toLocaleString('en')} faces, batch`,
        `${peer.seconds.toFixed(2)} s`,
        `IndexFlatIP range search at ${THRESHOLD} + connected components, 1 thread: ${peer.people} people; purity ${(theirs.purity * 100).toFixed(2)} %, ${theirs.splits} people split`,
      ]);
    }
    log(rows.slice(-3).map((row) => row.join(' | ')).join('\n'));
  }
  return rows;
}

const pipeline = await pipelineRows();
const clustering = clusteringRows();
const section = [
  '<!-- bench:faces:start -->',
  '## Faces and people',
  '',
  'Made by `test/bench/faces-bench.ts`. The per-photo pipeline runs the real models from `../shared/face-models` (SCRFD-2.5GF or YuNet, MobileFaceNet), one photo at a time as the face job does, on 12 MP JPEGs made from `../shared/face-photos` (the group photo, two faces; a portrait, one face): decode upright at ≤ 2048 px, detect at 640, align and embed each face. Clustering runs `faces/people-clustering.ts` on synthetic 128-d embeddings drawn to the distributions measured on the real photos, with uneven person sizes (Zipf) and a third of the faces strangers seen once (the worst case: they all wait, and every new face is compared with every waiting one). faiss does the same grouping in batch on the same vectors, in the same run.',
  '',
  ...provenance(machineBasics(), new Date().toISOString().slice(0, 10), commandLine('bench:faces', 'dist/test/bench/faces-bench.js', process.argv.slice(2))),
  '',
  markdownTable([...pipeline, ...clustering, ['Peak RSS of this bench', mebibytes(peakRssBytes()), 'models, 12 MP decodes, up to 100k embeddings and the clustering']]),
  '',
  'Notes: the clustering figures are the pure function; in the app the faces are read from SQLite first (one query). The 100k-face run is a bulk first index; afterwards each batch of new faces is the incremental row. Every new face is compared with every waiting stranger, so the bulk cost grows with faces × strangers (the next step is an index over the waiting faces). New people need the stricter new-person threshold (0.5): with the match threshold alone (0.38), chance pairs among 33k strangers made false people (purity 96.0 % at 100k, 2026-12-08). faiss\'s batch single-linkage at 0.38 chains people together instead.',
  '<!-- bench:faces:end -->',
].join('\n');
writeBenchmarksSection('<!-- bench:faces:start -->', '<!-- bench:faces:end -->', section);
log('wrote the faces section of BENCHMARKS.md');
