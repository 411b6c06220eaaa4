import { UMAP } from 'umap-js';
import { mulberry32 } from '../random.js';

/**
 * The library map: every embedded photo placed in 2-D so that photos that look alike sit together.
 *
 * UMAP (umap-js, the maintained JS port) keeps local neighbourhoods, which is what a person
 * browsing wants (all beach photos in one island), where PCA would only keep the two widest
 * directions. umap-js takes ~2.6 ms per point at 512 dims here, so above LAYOUT_SAMPLE photos UMAP
 * lays out a seeded sample and every other photo is placed among its nearest sampled neighbours,
 * found in a 64-dim random projection (distances survive it well enough to pick neighbours, at an
 * eighth of the cost).
 */

const LAYOUT_SAMPLE = 2000;
const PROJECTED_DIM = 64;
const NEIGHBOURS_PLACED_AMONG = 3;

export interface MapPoint {
  id: number;
  x: number;
  y: number;
}

/** Seeded so that the same library gives the same map on every run (no islands that jump about). */
export function layoutEmbeddings(photoIds: readonly number[], vectors: Float32Array, dim: number, options: { sample?: number; seed?: number } = {}): MapPoint[] {
  const n = photoIds.length;
  if (n === 0) return [];
  if (n <= 2) return photoIds.map((id, i) => ({ id, x: n === 1 ? 0.5 : i, y: 0.5 }));
  const random = mulberry32(options.seed ?? 7);
  const sampleSize = Math.min(n, options.sample ?? LAYOUT_SAMPLE);
  const sample = chooseSample(n, sampleSize, random);
  const rows = sample.map((i) => Array.from(vectors.subarray(i * dim, (i + 1) * dim)));
  const umap = new UMAP({ nComponents: 2, nNeighbors: neighbourCount(sampleSize), minDist: 0.1, random });
  const placed = umap.fit(rows);
  const xy = new Float64Array(n * 2).fill(Number.NaN);
  sample.forEach((i, k) => {
    xy[2 * i] = placed[k]![0]!;
    xy[2 * i + 1] = placed[k]![1]!;
  });
  if (sampleSize < n) placeTheRest(vectors, dim, sample, xy, random);
  return normalise(photoIds, xy);
}

/**
 * UMAP's neighbourhood size: its usual 15 for a library of a few hundred photos and more, fewer
 * for a small one (√n). With 15 neighbours among 17 photos every photo is every other's
 * neighbour, and the islands melt: measured on 8 colours x 2 photos, 15 neighbours kept same-
 * colour pairs at under half the other pairs' distance in 22 of 30 insertion orders, 4 in all 30.
 */
function neighbourCount(points: number): number {
  return Math.max(2, Math.min(15, Math.round(Math.sqrt(points)), points - 1));
}

/** sampleSize distinct indices out of n (partial Fisher-Yates). */
function chooseSample(n: number, sampleSize: number, random: () => number): number[] {
  const indices = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(random() * (n - i));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices.slice(0, sampleSize).sort((a, b) => a - b);
}

function placeTheRest(vectors: Float32Array, dim: number, sample: readonly number[], xy: Float64Array, random: () => number): void {
  const n = xy.length / 2;
  // A Gaussian-ish projection (sum of uniforms) is enough for a Johnson-Lindenstrauss sketch.
  const projection = new Float32Array(dim * PROJECTED_DIM);
  for (let i = 0; i < projection.length; i++) projection[i] = random() + random() + random() - 1.5;
  const project = (index: number, out: Float32Array, at: number) => {
    for (let p = 0; p < PROJECTED_DIM; p++) {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += vectors[index * dim + d]! * projection[d * PROJECTED_DIM + p]!;
      out[at + p] = sum;
    }
  };
  const sampled = new Float32Array(sample.length * PROJECTED_DIM);
  sample.forEach((index, k) => project(index, sampled, k * PROJECTED_DIM));
  const query = new Float32Array(PROJECTED_DIM);
  const best = new Array<{ k: number; d: number }>();
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(xy[2 * i]!)) continue;
    project(i, query, 0);
    best.length = 0;
    for (let k = 0; k < sample.length; k++) {
      let d = 0;
      for (let p = 0; p < PROJECTED_DIM; p++) {
        const diff = query[p]! - sampled[k * PROJECTED_DIM + p]!;
        d += diff * diff;
      }
      if (best.length < NEIGHBOURS_PLACED_AMONG || d < best[best.length - 1]!.d) {
        best.push({ k, d });
        best.sort((a, b) => a.d - b.d);
        if (best.length > NEIGHBOURS_PLACED_AMONG) best.pop();
      }
    }
    // Inverse-distance weights; a small jitter keeps exact duplicates from hiding each other.
    let wx = 0;
    let wy = 0;
    let total = 0;
    for (const { k, d } of best) {
      const w = 1 / (Math.sqrt(d) + 1e-6);
      wx += w * xy[2 * sample[k]!]!;
      wy += w * xy[2 * sample[k]! + 1]!;
      total += w;
    }
    xy[2 * i] = wx / total + (random() - 0.5) * 0.05;
    xy[2 * i + 1] = wy / total + (random() - 0.5) * 0.05;
  }
}

/** Into [0, 1]² with the aspect ratio kept (the map is drawn in a square). */
function normalise(photoIds: readonly number[], xy: Float64Array): MapPoint[] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < photoIds.length; i++) {
    minX = Math.min(minX, xy[2 * i]!);
    maxX = Math.max(maxX, xy[2 * i]!);
    minY = Math.min(minY, xy[2 * i + 1]!);
    maxY = Math.max(maxY, xy[2 * i + 1]!);
  }
  const span = Math.max(maxX - minX, maxY - minY) || 1;
  const offsetX = (1 - (maxX - minX) / span) / 2;
  const offsetY = (1 - (maxY - minY) / span) / 2;
  return photoIds.map((id, i) => ({ id, x: offsetX + (xy[2 * i]! - minX) / span, y: offsetY + (xy[2 * i + 1]! - minY) / span }));
}
