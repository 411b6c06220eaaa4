import sharp from 'sharp';
import { describeDecodeError } from '../decode-errors.js';
import { PIXEL_LIMIT } from '../library/metadata.js';
import type { Transformers } from './transformers-runtime.js';

/** Decoded photo pixels: upright sRGB, 8-bit, 3 channels, row-major. */
export interface PhotoPixels {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Decodes a photo (a path or its bytes) for a captioning or vision-language model: EXIF
 * orientation applied, alpha flattened on white, CMYK/16-bit/P3 brought to 8-bit sRGB, and the long
 * edge brought down to `longEdge` (never enlarged) with shrink-on-load, so a 50 MP photo is never
 * decoded whole. The model's own processor resizes again to what it takes; this only bounds the
 * work. Decode failures become PhotoReadError with a specific reason.
 */
export async function decodePhoto(input: Buffer | string, longEdge: number): Promise<PhotoPixels> {
  return decodeRgb(input, { width: longEdge, height: longEdge, fit: 'inside', withoutEnlargement: true });
}

/**
 * The same decoding, to exactly `width` × `height` (Stable Diffusion's generation size: the
 * photo's aspect in multiples of 8): `fit: 'cover'` only crops the centre where the aspect differs
 * by a rounding, never distorts, and enlarges a photo smaller than the size.
 */
export async function decodePhotoAt(input: Buffer | string, width: number, height: number): Promise<PhotoPixels> {
  const pixels = await decodeRgb(input, { width, height, fit: 'cover', position: 'centre' });
  if (pixels.width !== width || pixels.height !== height) throw new Error(`expected ${width}x${height} after decoding, got ${pixels.width}x${pixels.height}`);
  return pixels;
}

type Resize = { width: number; height: number } & ({ fit: 'inside'; withoutEnlargement: true } | { fit: 'cover'; position: 'centre' });

async function decodeRgb(input: Buffer | string, resize: Resize): Promise<PhotoPixels> {
  try {
    const { data, info } = await sharp(input, { limitInputPixels: PIXEL_LIMIT, failOn: 'error' })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(resize)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw describeDecodeError(error);
  }
}

/** The pixels as a transformers.js RawImage (no copy). */
export function toRawImage(t: Transformers, pixels: PhotoPixels): InstanceType<Transformers['RawImage']> {
  return new t.RawImage(new Uint8ClampedArray(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length), pixels.width, pixels.height, 3);
}
