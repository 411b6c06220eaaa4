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

export const supportedExtensions = [...IMAGE_EXTENSIONS.keys()];

/**
 * Names that are never photos even with an image extension: hidden files, editor and download
 * temporaries, and the half-written files that atomic savers rename into place.
 */
const TEMPORARY_NAME = /(^\.|^~|~$|\.(tmp|temp|part|partial|crdownload|download|swp|swx|bak)$|^\.?#|\.sb-[0-9a-f]+-\w+$)/i;

export function isIgnoredName(name: string): boolean {
  return TEMPORARY_NAME.test(name);
}

/** A path whose own name and every folder name above it (below the watched root) are visible. */
export function isHiddenOrTemporaryPath(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  if (relative === '') return false;
  return relative.split(path.sep).some((part) => part !== '' && isIgnoredName(part));
}

export function isPhotoFile(file: string): boolean {
  const name = path.basename(file);
  if (isIgnoredName(name)) return false;
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}
