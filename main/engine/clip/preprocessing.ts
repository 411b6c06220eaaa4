import sharp from 'sharp';
import type { z } from 'zod';
import { ClipCatalogPreprocessingSchema } from '../models/catalog.js';
import { describeDecodeError } from '../decode-errors.js';
import { PIXEL_LIMIT } from '../library/metadata.js';
import { pilResize, sourceRegion } from './pil-resample.js';

/**
 * CLIP's input constants come from the catalog entry's `preprocessing` (never hard-coded here), so
 * a model whose constants differ (Chinese-CLIP, a 336-pixel CLIP) needs a catalog entry, not code.
 * The catalog's schema is the one definition of those keys.
 */
export type ClipPreprocessing = z.infer<typeof ClipCatalogPreprocessingSchema>;
export { ClipCatalogPreprocessingSchema as ClipPreprocessingSchema };

export function parseClipPreprocessing(modelId: string, raw: unknown): ClipPreprocessing {
  const parsed = ClipCatalogPreprocessingSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`model ${modelId}: catalog preprocessing.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

const KERNELS = { bicubic: 'cubic', bilinear: 'linear', nearest: 'nearest' } as const;

/**
 * Transparent pixels are flattened onto white, where the reference (Pillow's convert('RGB') in
 * CLIPImageProcessor) drops alpha and keeps whatever colour the transparent pixels hide. We keep
 * white on purpose, for search: the hidden colour of a PNG logo, icon or screenshot cut-out is
 * most often black (0,0,0,0 is what most tools write) or leftovers of an erased background, so
 * dropping alpha turns a black logo on a transparent background into a black square, and makes
 * two images that look the same embed differently. White is how the image is shown on the pages
 * and documents it comes from, and the visible content is kept. A fully opaque image is not
 * touched, so photos match the reference exactly. (test/engine/clip-fidelity.test.ts checks both.)
 */
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

interface Crop {
  left: number;
  top: number;
  stride: number;
}

/**
 * One image as CHW float32 [3, crop, crop], as Hugging Face's CLIPImageProcessor makes it: the
 * shortest side resized to `resize_shortest_edge` (the long side as transformers computes it:
 * int(224 · long / short)) with the catalog's kernel (bicubic for CLIP), a centre crop, rescale by
 * 1/255, then (x - mean) / std. With `image_resize: "exact"` (ChineseCLIPImageProcessor) both sides
 * go to the crop size, aspect not kept, and nothing is cropped.
 *
 * sharp does it in one decode: `autoOrient()` applies the EXIF orientation first (CLIP should see
 * what the person sees); the resize being the first geometric step is what lets libjpeg/libwebp
 * shrink on load, so a 12 MP JPEG is decoded at a fraction of its size instead of in full. CMYK
 * and 16-bit inputs come out as 8-bit sRGB, and alpha is flattened onto white (see
 * FLATTEN_BACKGROUND). The exact sizes are computed from the header rather than left to
 * `fit: 'cover'`, whose rounding shifts the crop by a pixel against transformers' (measurable on
 * detailed photos). An image that is enlarged on either axis (short side under 224) is resized by
 * our port of Pillow's bicubic or bilinear instead (pil-resample.ts), bit-exact with the reference.
 */
export async function preprocessImage(input: Buffer | string, prep: ClipPreprocessing): Promise<Float32Array> {
  const { pixels, crop } = await resizedPixels(input, prep);
  return normalise(pixels, crop, prep);
}

/** The crop as interleaved 8-bit RGB (crop × crop × 3): what the model sees before rescale and normalise. */
export async function preprocessPixels(input: Buffer | string, prep: ClipPreprocessing): Promise<Uint8Array> {
  const { pixels, crop } = await resizedPixels(input, prep);
  const row = prep.crop_size * 3;
  const out = new Uint8Array(prep.crop_size * row);
  for (let y = 0; y < prep.crop_size; y++) {
    const from = ((crop.top + y) * crop.stride + crop.left) * 3;
    out.set(pixels.subarray(from, from + row), y * row);
  }
  return out;
}

async function resizedPixels(input: Buffer | string, prep: ClipPreprocessing): Promise<{ pixels: Uint8Array; crop: Crop }> {
  let pixels: Uint8Array;
  let target: { width: number; height: number };
  const size = prep.crop_size;
  try {
    const image = sharp(input, { limitInputPixels: PIXEL_LIMIT, failOn: 'error' });
    const { autoOrient } = await image.metadata();
    target = prep.image_resize === 'exact' ? { width: size, height: size } : resizedSize(autoOrient.width, autoOrient.height, prep.resize_shortest_edge ?? size, size);
    const upright = image.autoOrient().flatten({ background: FLATTEN_BACKGROUND }).toColourspace('srgb');
    const kernel = prep.resample === 'nearest' ? undefined : prep.resample;
    if (kernel && (target.width > autoOrient.width || target.height > autoOrient.height)) {
      // Enlarging: Pillow's bicubic or bilinear on just the source pixels the kept window reads
      // (nearest, which no catalog entry uses, stays with sharp).
      const window = { left: Math.floor((target.width - size) / 2), top: Math.floor((target.height - size) / 2), width: size, height: size };
      const region = sourceRegion(autoOrient.width, autoOrient.height, target.width, target.height, window, kernel);
      const source = await upright.extract(region).raw({ depth: 'uchar' }).toBuffer();
      pixels = pilResize(source, 3, autoOrient, target, window, region, kernel);
      return { pixels, crop: { left: 0, top: 0, stride: size } };
    }
    pixels = await upright
      .resize({ ...target, fit: 'fill', kernel: KERNELS[prep.resample] })
      // The centre crop is done below while normalising: a sharp extract() after the resize
      // doubled the cost of the whole decode (measured: ~30 → ~55 ms for a 12 MP JPEG).
      .raw({ depth: 'uchar' })
      .toBuffer();
  } catch (error) {
    throw describeDecodeError(error);
  }
  const { width, height } = target;
  if (pixels.length !== width * height * 3) throw new Error(`expected ${width * height * 3} RGB bytes after the resize, got ${pixels.length}`);
  return { pixels, crop: { left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2), stride: width } };
}

/**
 * transformers' get_resize_output_image_size(default_to_square=False): the short side to
 * `shortest`, the long side int(shortest * long / short), multiplied first, then divided, in
 * float64 as Python does it, so the same number for every size (and, up to 4096×4096, the exact
 * quotient truncated: checked exhaustively); an image whose short side is already `shortest` is
 * left as it is. Never below the crop.
 * (Iris used floor(long * (shortest / short)) before, one pixel short for 5,718 of the 16.8M sizes
 * up to 4096×4096, e.g. 2154×1077 → 447 instead of 448.)
 */
export function resizedSize(width: number, height: number, shortest: number, crop: number): { width: number; height: number } {
  if (!width || !height) throw new Error('image without dimensions');
  const short = Math.min(width, height);
  if (short === shortest) return { width: Math.max(crop, width), height: Math.max(crop, height) };
  const long = Math.trunc((shortest * Math.max(width, height)) / short);
  const [w, h] = width <= height ? [shortest, long] : [long, shortest];
  return { width: Math.max(crop, w), height: Math.max(crop, h) };
}

/** The centre crop of interleaved RGB bytes → planar, rescaled, normalised floats. */
function normalise(pixels: Uint8Array, crop: Crop, prep: ClipPreprocessing): Float32Array {
  const size = prep.crop_size;
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    // (x * r - mean) / std == x * (r / std) - mean / std: one multiply-add per value.
    const scale = prep.rescale_factor / prep.image_std[c]!;
    const shift = prep.image_mean[c]! / prep.image_std[c]!;
    for (let y = 0; y < size; y++) {
      const from = ((crop.top + y) * crop.stride + crop.left) * 3 + c;
      const to = c * plane + y * size;
      for (let x = 0; x < size; x++) out[to + x] = pixels[from + x * 3]! * scale - shift;
    }
  }
  return out;
}
