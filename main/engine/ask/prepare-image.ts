import sharp from 'sharp';
import type { JpegImage } from './types.js';
import '../image-policy.js';

/** JPEG quality for the copy sent to a model: small enough to send fast, no artefacts a model would notice. */
const JPEG_QUALITY = 85;

/**
 * Turns a photo (a file path or its bytes) into what a vision model receives: upright (EXIF
 * orientation applied, since models see pixels, not tags), no longer than `longEdge` on its long side
 * (never enlarged: upscaling adds nothing a model can use), transparent areas on white, as JPEG.
 * The original is only read.
 */
export async function prepareImage(input: Buffer | string, longEdge: number): Promise<JpegImage> {
  if (!Number.isInteger(longEdge) || longEdge < 1) throw new RangeError(`longEdge must be a positive integer, got ${longEdge}`);
  const { data, info } = await sharp(input)
    .rotate()
    // fit 'inside' a longEdge square bounds the long side whatever the aspect; for a JPEG, sharp
    // decodes at a reduced size straight away (shrink-on-load), so a 24 MP photo is cheap.
    .resize({ width: longEdge, height: longEdge, fit: 'inside', withoutEnlargement: true })
    // JPEG has no alpha: flatten on white, as a viewer shows a transparent PNG, rather than sharp's black.
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer({ resolveWithObject: true });
  return { data, mime: 'image/jpeg', width: info.width, height: info.height };
}
