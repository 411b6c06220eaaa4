import fs from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { describeDecodeError } from '../decode-errors.js';
import { PIXEL_LIMIT } from './metadata.js';

/** Long-edge sizes: a grid cell, and the viewer's preview before the original loads. */
const THUMBNAIL_SIZES = [256, 1024] as const;
export type ThumbnailSize = (typeof THUMBNAIL_SIZES)[number];

/** Thumbnails are cached by content hash, so a moved or duplicated photo reuses them. */
export function thumbnailPath(thumbnailDir: string, hash: string, size: ThumbnailSize): string {
  return path.join(thumbnailDir, hash.slice(0, 2), `${hash}-${size}.webp`);
}

async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, bytes);
  await fs.rename(temporary, file);
}

/**
 * Decodes the photo once, upright (EXIF orientation applied) and shrunk on load to the largest
 * thumbnail, then encodes every size from those pixels. CMYK, 16-bit and wide-gamut inputs come
 * out as 8-bit sRGB; animated GIFs give their first frame.
 */
export async function makeThumbnails(bytes: Buffer, hash: string, thumbnailDir: string): Promise<void> {
  const largest = Math.max(...THUMBNAIL_SIZES);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { failOn: 'truncated', limitInputPixels: PIXEL_LIMIT, sequentialRead: true })
      .autoOrient()
      .resize({ width: largest, height: largest, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw describeDecodeError(error);
  }
  const { width, height, channels } = decoded.info;
  for (const size of THUMBNAIL_SIZES) {
    const webp = await sharp(decoded.data, { raw: { width, height, channels } })
      .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: size <= 256 ? 75 : 82 })
      .toBuffer();
    await writeAtomically(thumbnailPath(thumbnailDir, hash, size), webp);
  }
}

export async function removeThumbnails(thumbnailDir: string, hash: string): Promise<void> {
  await Promise.all(THUMBNAIL_SIZES.map((size) => fs.rm(thumbnailPath(thumbnailDir, hash, size), { force: true })));
}
