import exifReader from 'exif-reader';
import sharp, { type Metadata } from 'sharp';
import { PhotoReadError, describeDecodeError } from '../decode-errors.js';
import { sniffRasterFormat } from '../formats.js';
import '../image-policy.js';

/**
 * The most pixels Iris will decode for one photo: sharp's own default (0x3FFF², about 268 MP; a
 * 16k×16k image, ~1 GiB as RGBA). Decompression bombs are refused from the header, before any
 * pixel buffer is allocated.
 */
export const PIXEL_LIMIT = 0x3fff * 0x3fff;

export interface PhotoMetadata {
  format: string;
  /** Upright size: after the EXIF orientation is applied. */
  width: number;
  height: number;
  orientation: number | null;
  /** Wall-clock capture time, `YYYY-MM-DDTHH:MM:SS`, as the camera recorded it (EXIF has no zone). */
  takenAt: string | null;
  cameraMake: string | null;
  cameraModel: string | null;
  lens: string | null;
  gps: { lat: number; lon: number; alt: number | null } | null;
  /** The XMP packet embedded in the file (stars, keywords other apps wrote: organise/xmp-import.ts), as sharp read it. */
  xmp?: Buffer;
}

interface ExifFields {
  takenAt: string | null;
  make: string | null;
  model: string | null;
  lens: string | null;
  gps: PhotoMetadata['gps'];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * EXIF dates carry no zone; exif-reader returns them as if they were UTC, so the UTC fields are
 * the wall clock the camera recorded.
 */
function wallClockFromExif(value: unknown): string | null {
  if (!(value instanceof Date) || Number.isNaN(value.getTime()) || value.getUTCFullYear() < 1800) return null;
  return `${pad(value.getUTCFullYear(), 4)}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}T${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}`;
}

/** A local Date (a file's mtime) as wall clock in this machine's zone, the same form as EXIF's. */
export function formatWallClock(date: Date): string {
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.replace(/\0/g, '').trim();
  return trimmed === '' ? null : trimmed;
}

function degrees(dms: unknown, ref: unknown, negative: string): number | null {
  if (!Array.isArray(dms) || dms.length !== 3 || !dms.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  const [d, m, s] = dms as [number, number, number];
  const value = d + m / 60 + s / 3600;
  return ref === negative ? -value : value;
}

/**
 * Parses the raw EXIF block that sharp already read from the header. exif-reader rather than
 * exifr: exifr keeps ~8 KB of heap per parse for the life of the process (measured: +32 MB over
 * 4,000 parses), which a 100k-photo index cannot afford; this also avoids parsing the file twice.
 */
function parseExif(exif: Buffer | undefined): ExifFields | null {
  if (!exif) return null;
  let tags: ReturnType<typeof exifReader>;
  try {
    tags = exifReader(exif);
  } catch {
    return null; // a damaged EXIF block: the photo itself may be fine
  }
  const photo = tags.Photo ?? {};
  const image = tags.Image ?? {};
  const gps = tags.GPSInfo ?? {};
  const lat = degrees(gps.GPSLatitude, gps.GPSLatitudeRef, 'S');
  const lon = degrees(gps.GPSLongitude, gps.GPSLongitudeRef, 'W');
  const altitude = typeof gps.GPSAltitude === 'number' && Number.isFinite(gps.GPSAltitude) ? gps.GPSAltitude : null;
  return {
    takenAt: wallClockFromExif(photo.DateTimeOriginal) ?? wallClockFromExif(photo.DateTimeDigitized) ?? wallClockFromExif(image.DateTime),
    make: text(image.Make),
    model: text(image.Model),
    lens: text(photo.LensModel),
    gps: lat !== null && lon !== null ? { lat, lon, alt: altitude === null ? null : gps.GPSAltitudeRef === 1 ? -altitude : altitude } : null,
  };
}

/**
 * Reads size, format and EXIF from the header only (no pixels decoded). Throws PhotoReadError for
 * files that are not images and for images over PIXEL_LIMIT.
 */
export async function readMetadata(bytes: Buffer): Promise<PhotoMetadata> {
  if (sniffRasterFormat(bytes) === null) {
    const start = bytes.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
    const what = start.startsWith('<?xml') || start.startsWith('<svg') ? 'an SVG or other XML document' : start.startsWith('%pdf') ? 'a PDF' : 'not a JPEG, PNG, WebP, HEIF/AVIF, TIFF or GIF';
    throw new PhotoReadError(`not a photo: its bytes are ${what}, whatever its name says (only raster photos are read)`, 'unsupported');
  }
  let header: Metadata;
  try {
    // limitInputPixels off here on purpose: the header is safe to read, and the size lets us say why we refuse.
    header = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw describeDecodeError(error);
  }
  if (!header.width || !header.height || !header.format) throw new PhotoReadError('not a readable image: no dimensions in header', 'unsupported');
  const pixels = header.width * header.height;
  if (pixels > PIXEL_LIMIT) {
    throw new PhotoReadError(
      `refused: ${header.width}×${header.height} is ${(pixels / 1e6).toFixed(0)} MP, over the ${(PIXEL_LIMIT / 1e6).toFixed(0)} MP limit for one photo (decompression-bomb guard)`,
      'too-large',
    );
  }
  const exif = parseExif(header.exif);
  const upright = header.autoOrient ?? { width: header.width, height: header.height };
  return {
    format: header.format === 'heif' ? (header.compression === 'av1' ? 'avif' : 'heic') : header.format,
    width: upright.width,
    height: upright.height,
    orientation: header.orientation ?? null,
    takenAt: exif?.takenAt ?? null,
    cameraMake: exif?.make ?? null,
    cameraModel: exif?.model ?? null,
    lens: exif?.lens ?? null,
    gps: exif?.gps ?? null,
    xmp: header.xmp,
  };
}
