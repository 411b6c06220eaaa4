import type { RgbImage } from './detect.js';

/**
 * Face alignment: the similarity transform (scale, rotation, shift; no shear, no mirror) that
 * takes a face's 5 keypoints closest, in least squares, to ArcFace's template, and the face
 * resampled through it into the recognizer's square. This is what InsightFace's norm_crop does
 * (skimage's SimilarityTransform.estimate, then cv2.warpAffine with bilinear sampling and a black
 * border), so recognizers trained on such crops see what they were trained on.
 */

/** ArcFace's 5-point template in a 112 × 112 crop: eyes, nose tip, mouth corners. */
export const ARCFACE_TEMPLATE: readonly [number, number][] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * The least-squares similarity from `from` to `to` (Umeyama's solution for 2-D without reflection,
 * in closed form: the centred points give a and b directly).
 */
export function estimateSimilarity(from: readonly [number, number][], to: readonly [number, number][]): Similarity {
  const n = from.length;
  const mean = (points: readonly [number, number][]) => points.reduce(([sx, sy], [x, y]) => [sx + x / n, sy + y / n], [0, 0]);
  const [fx, fy] = mean(from);
  const [tx0, ty0] = mean(to);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const x = from[i]![0] - fx;
    const y = from[i]![1] - fy;
    const u = to[i]![0] - tx0;
    const v = to[i]![1] - ty0;
    dot += x * u + y * v;
    cross += x * v - y * u;
    norm += x * x + y * y;
  }
  if (norm === 0) throw new Error('the keypoints are all at one point');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: tx0 - (a * fx - b * fy), ty: ty0 - (b * fx + a * fy) };
}

/**
 * The `size` × `size` crop of `image` that `keypoints` align onto the template (scaled to `size`),
 * as interleaved RGB. Each crop pixel is sampled bilinearly at its preimage; outside the photo is
 * black.
 */
export function alignFace(image: RgbImage, keypoints: readonly [number, number][], size: number): Uint8Array {
  const scale = size / 112;
  const template = ARCFACE_TEMPLATE.map(([x, y]) => [x * scale, y * scale] as [number, number]);
  const { a, b, tx, ty } = estimateSimilarity(keypoints, template);
  // The inverse: a crop pixel (u, v) comes from photo point R⁻¹·((u, v) − t) / s.
  const det = a * a + b * b;
  const out = new Uint8Array(size * size * 3);
  const { data, width, height } = image;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const du = u - tx;
      const dv = v - ty;
      const x = (a * du + b * dv) / det;
      const y = (-b * du + a * dv) / det;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const wx = x - x0;
      const wy = y - y0;
      const o = (v * size + u) * 3;
      for (let c = 0; c < 3; c++) {
        const at = (px: number, py: number) => (px >= 0 && py >= 0 && px < width && py < height ? data[(py * width + px) * 3 + c]! : 0);
        const value = at(x0, y0) * (1 - wx) * (1 - wy) + at(x0 + 1, y0) * wx * (1 - wy) + at(x0, y0 + 1) * (1 - wx) * wy + at(x0 + 1, y0 + 1) * wx * wy;
        out[o + c] = Math.round(value);
      }
    }
  }
  return out;
}
