import path from 'node:path';

/** Extensions Iris reads, by the format sharp decodes them as. Anything else is ignored. */
const IMAGE_EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ['.jpg', 'jpeg'], ['.jpeg', 'jpeg'], ['.jpe', 'jpeg'], ['.jfif', 'jpeg'],
  ['.png', 'png'],
  ['.webp', 'webp'],
  ['.avif', 'heif'], ['.heic', 'heif'], ['.heif', 'heif'],
  ['.tif', 'tiff'], ['.tiff', 'tiff'],
  ['.gif', 'gif'],
]);

/**
 * Names that are never photos even with an image extension: hidden files, editor and download
 * temporaries, and the half-written files that atomic savers rename into place.
 */
const TEMPORARY_NAME = /(^\.|^~|~$|\.(tmp|temp|part|partial|crdownload|download|swp|swx|bak)$|^\.?#|\.sb-[0-9a-f]+-\w+$)/i;

export function isIgnoredName(name: string): boolean {
  return TEMPORARY_NAME.test(name);
}

export function isPhotoFile(file: string): boolean {
  const name = path.basename(file);
  if (isIgnoredName(name)) return false;
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** ISO-BMFF brands of HEIF and AVIF still images (and sequences, whose first frame is read). */
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis']);

/**
 * The raster photo format the bytes themselves say, by their signature: jpeg, png, webp, heif
 * (HEIC and AVIF), tiff or gif; null for anything else (SVG and other XML, PDF, text, video...),
 * whatever the file's name. libvips picks its loader from the bytes too, but knows far more than
 * photos (image-policy.ts).
 */
export function sniffRasterFormat(bytes: Uint8Array): 'jpeg' | 'png' | 'webp' | 'heif' | 'tiff' | 'gif' | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*' || ascii(0, 4) === 'II+\0' || ascii(0, 4) === 'MM\0+')) return 'tiff';
  if (bytes.length >= 12 && ascii(4, 8) === 'ftyp') {
    // The major brand, then the compatible brands up to the end of the ftyp box.
    const boxEnd = Math.min(bytes.length, (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!);
    const brands = [ascii(8, 12)];
    for (let at = 16; at + 4 <= boxEnd; at += 4) brands.push(ascii(at, at + 4));
    if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'heif';
  }
  return null;
}
