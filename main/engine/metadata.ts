import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import { PhotoReadError, describeDecodeError } from './decode-errors.js';

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
}

// exifr computes latitude/longitude from the raw GPS tags, so those must be picked too.
const EXIF_FIELDS = [
  'DateTimeOriginal', 'CreateDate', 'DateTimeDigitized', 'Make', 'Model', 'LensModel', 'Orientation',
  'GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef', 'GPSAltitude', 'GPSAltitudeRef', 'latitude', 'longitude',
];

interface ExifFields {
  DateTimeOriginal?: Date | string;
  CreateDate?: Date | string;
  DateTimeDigitized?: Date | string;
  Make?: string;
  Model?: string;
  LensModel?: string;
  Orientation?: number;
  latitude?: number;
  longitude?: number;
  GPSAltitude?: number;
  GPSAltitudeRef?: number | Uint8Array;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** exifr revives EXIF dates as local-time Date objects; read the same local fields back. */
export function formatWallClock(date: Date): string {
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function wallClock(value: Date | string | undefined): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) || value.getFullYear() < 1800 ? null : formatWallClock(value);
  if (typeof value === 'string') {
    const m = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value);
    if (m && m[1] !== '0000') return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  }
  return null;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.replace(/\0/g, '').trim();
  return trimmed === '' ? null : trimmed;
}

async function readExif(bytes: Buffer): Promise<ExifFields | null> {
  try {
    const fields = (await exifr.parse(bytes, { pick: EXIF_FIELDS, translateValues: false, gps: true, xmp: false, icc: false, iptc: false, jfif: false, ihdr: false })) as ExifFields | undefined;
    return fields ?? null;
  } catch {
    // No EXIF, or a container exifr does not parse (GIF, some WebP): the photo is still fine.
    return null;
  }
}

/**
 * Reads size, format and EXIF from the header only (no pixels decoded). Throws PhotoReadError for
 * files that are not images and for images over PIXEL_LIMIT.
 */
export async function readMetadata(bytes: Buffer): Promise<PhotoMetadata> {
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
  const exif = await readExif(bytes);
  const orientation = header.orientation ?? exif?.Orientation ?? null;
  const upright = header.autoOrient ?? { width: header.width, height: header.height };
  const hasGps = typeof exif?.latitude === 'number' && typeof exif.longitude === 'number' && Number.isFinite(exif.latitude) && Number.isFinite(exif.longitude);
  const belowSeaLevel = exif?.GPSAltitudeRef === 1 || (exif?.GPSAltitudeRef instanceof Uint8Array && exif.GPSAltitudeRef[0] === 1);
  return {
    format: header.format === 'heif' ? (header.compression === 'av1' ? 'avif' : 'heic') : header.format,
    width: upright.width,
    height: upright.height,
    orientation,
    takenAt: wallClock(exif?.DateTimeOriginal) ?? wallClock(exif?.CreateDate) ?? wallClock(exif?.DateTimeDigitized),
    cameraMake: text(exif?.Make),
    cameraModel: text(exif?.Model),
    lens: text(exif?.LensModel),
    gps: hasGps
      ? { lat: exif!.latitude!, lon: exif!.longitude!, alt: typeof exif!.GPSAltitude === 'number' ? (belowSeaLevel ? -exif!.GPSAltitude : exif!.GPSAltitude) : null }
      : null,
  };
}
