/**
 * Synthetic, deterministic test images for the reference comparisons: the same formulas are in
 * pil_preprocess.py, so neither side needs an image file and the fixtures stay small.
 */
export type PatternName = 'noise' | 'checker' | 'gradient';

/** Interleaved RGB bytes of `name` at width × height (keep in step with pil_preprocess.py). */
export function pattern(name: PatternName, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  let i = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let v: number;
        if (name === 'noise') v = ((x * 73 + y * 151 + c * 29) ^ (x * y * 7 + c * 101)) & 255;
        else if (name === 'checker') v = ((x >> 2) + (y >> 2) + c) & 1 ? 235 : 20;
        else v = (Math.floor((x * 255) / Math.max(width - 1, 1)) + Math.floor((y * 255) / Math.max(height - 1, 1)) * (c + 1)) & 255;
        out[i++] = v;
      }
    }
  }
  return out;
}

export interface ImageCase {
  name: string;
  pattern: PatternName;
  width: number;
  height: number;
  mode: 'shortest_edge' | 'exact';
  /** a lossless RGB file to read instead of the pattern (measurements on real photos) */
  file?: string;
  /** the crop's side (default 224) and Pillow's filter (default bicubic): the CLIP zoo's other processors */
  size?: number;
  resample?: 'bicubic' | 'bilinear';
}

/** Small images (short side under 224, enlarged by the reference), edge cases included: [pattern, width, height, mode]. */
const CASES: [PatternName, number, number, ImageCase['mode']][] = [
  ['noise', 37, 50, 'shortest_edge'], ['noise', 100, 223, 'shortest_edge'], ['noise', 223, 300, 'shortest_edge'],
  ['noise', 1, 500, 'shortest_edge'], ['noise', 500, 1, 'shortest_edge'], ['noise', 3, 3, 'shortest_edge'],
  ['checker', 64, 64, 'shortest_edge'], ['checker', 150, 97, 'shortest_edge'], ['gradient', 120, 160, 'shortest_edge'],
  // ChineseCLIPImageProcessor: both sides to 224 (in the second case the width shrinks while the height grows)
  ['noise', 37, 50, 'exact'], ['noise', 600, 100, 'exact'], ['checker', 223, 224, 'exact'],
];

export const UPSCALE_CASES: ImageCase[] = CASES.map(([p, width, height, mode]) => ({ name: `${mode === 'exact' ? 'exact: ' : ''}${p} ${width}×${height}`, pattern: p, width, height, mode }));

/**
 * The small images again, through the CLIP zoo's other processors: MobileCLIP's 256-pixel bilinear
 * crop, M-CLIP's (ViT-B/16+) 240-pixel bicubic crop, SigLIP's 224-pixel bicubic squash.
 */
export const ZOO_CASES: ImageCase[] = CASES.filter(([, , , mode]) => mode === 'shortest_edge').flatMap(([p, width, height]) => [
  { name: `mobileclip 256 bilinear: ${p} ${width}×${height}`, pattern: p, width, height, mode: 'shortest_edge' as const, size: 256, resample: 'bilinear' as const },
  { name: `m-clip 240 bicubic: ${p} ${width}×${height}`, pattern: p, width, height, mode: 'shortest_edge' as const, size: 240, resample: 'bicubic' as const },
  { name: `siglip squash 224: ${p} ${width}×${height}`, pattern: p, width, height, mode: 'exact' as const, size: 224, resample: 'bicubic' as const },
]);
