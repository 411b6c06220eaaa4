import sharp from 'sharp';
import type { z } from 'zod';
import { ClipCatalogPreprocessingSchema } from '../models/catalog.js';
import { describeDecodeError } from '../decode-errors.js';
import { PIXEL_LIMIT } from '../metadata.js';

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

/** White, as a print of a transparent image would show it (transparent pixels often hide black). */
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * One image as CHW float32 [3, crop, crop], as Hugging Face's CLIPImageProcessor makes it: the
 * shortest side resized to `resize_shortest_edge` (the long side truncated to an integer, as
 * transformers does) with the catalog's kernel (bicubic for CLIP), a centre crop, rescale by
 * 1/255, then (x - mean) / std. With `image_resize: "exact"` (ChineseCLIPImageProcessor) both sides
 * go to the crop size, aspect not kept, and nothing is cropped.
 *
 * sharp does it in one decode: `autoOrient()` applies the EXIF orientation first (CLIP should see
 * what the person sees); the resize being the first geometric step is what lets libjpeg/libwebp
 * shrink on load, so a 12 MP JPEG is decoded at a fraction of its size instead of in full. CMYK
 * and 16-bit inputs come out as 8-bit sRGB, and alpha is flattened onto white. The exact sizes are
 * computed from the header rather than left to `fit: 'cover'`, whose rounding shifts the crop by
 * a pixel against transformers' (measurable on detailed photos).
 */
export async function preprocessImage(input: Buffer | string, prep: ClipPreprocessing): Promise<Float32Array> {
  let pixels: Buffer;
  let width = prep.crop_size;
  let height = prep.crop_size;
  try {
    const image = sharp(input, { limitInputPixels: PIXEL_LIMIT, failOn: 'error' });
    if (prep.image_resize !== 'exact') {
      const { autoOrient } = await image.metadata();
      ({ width, height } = resizedSize(autoOrient.width, autoOrient.height, prep.resize_shortest_edge ?? prep.crop_size, prep.crop_size));
    }
    pixels = await image
      .autoOrient()
      .flatten({ background: FLATTEN_BACKGROUND })
      .toColourspace('srgb')
      .resize({ width, height, fit: 'fill', kernel: KERNELS[prep.resample] })
      // The centre crop is done below while normalising: a sharp extract() after the resize
      // doubled the cost of the whole decode (measured: ~30 → ~55 ms for a 12 MP JPEG).
      .raw({ depth: 'uchar' })
      .toBuffer();
  } catch (error) {
    throw describeDecodeError(error);
  }
  if (pixels.length !== width * height * 3) throw new Error(`expected ${width * height * 3} RGB bytes after the resize, got ${pixels.length}`);
  const crop = { left: Math.floor((width - prep.crop_size) / 2), top: Math.floor((height - prep.crop_size) / 2), stride: width };
  return normalise(pixels, crop, prep);
}

/** transformers' get_resize_output_image_size: shortest side to `shortest`, the other truncated; never below the crop. */
function resizedSize(width: number, height: number, shortest: number, crop: number): { width: number; height: number } {
  if (!width || !height) throw new Error('image without dimensions');
  const scale = shortest / Math.min(width, height);
  return { width: Math.max(crop, Math.floor(width * scale)), height: Math.max(crop, Math.floor(height * scale)) };
}

/** The centre crop of interleaved RGB bytes → planar, rescaled, normalised floats. */
function normalise(pixels: Buffer, crop: { left: number; top: number; stride: number }, prep: ClipPreprocessing): Float32Array {
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
