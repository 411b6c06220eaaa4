import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { claimOutput, publishOutput } from '../edits/edit-output.js';
import type { EditStore } from '../edits/edit-store.js';
import { a1111Parameters } from '../edits/png-parameters.js';
import { UsageError, errorMessage } from '../errors.js';
import type { LibraryStore } from '../library-store.js';
import { isWithin } from '../paths.js';
import { PIXEL_LIMIT } from '../library/metadata.js';

/**
 * "Export": copies of photos in a folder the person chose. Originals are copied byte for byte (an
 * edit's PNG keeps its `parameters` and `iris` chunks); JPEG copies are made upright at most
 * `maxEdge` px, with EXIF kept and an edit's settings in EXIF UserComment (where A1111-style tools
 * look in a JPEG). Never over an existing file: a taken name gets " (2)", as edits do (edit-output.ts).
 * The originals are only read.
 */

export interface ExportOptions {
  as: 'original' | 'jpeg';
  maxEdge?: number;
  quality?: number;
}

export interface ExportResult {
  folder: string;
  written: string[];
  failed: { photoId: number; error: string }[];
}

function numbered(name: string, extension: string): (n: number) => string {
  return (n) => (n === 1 ? `${name}${extension}` : `${name} (${n})${extension}`);
}

export async function exportPhotos(deps: { store: LibraryStore; edits: EditStore; libraryDir: string }, photoIds: readonly number[], folder: string, options: ExportOptions): Promise<ExportResult> {
  const target = path.resolve(folder);
  if (!fs.existsSync(target) || !fs.statSync(target).isDirectory()) throw new UsageError(`not a folder: ${target}`);
  if (isWithin(deps.libraryDir, fs.realpathSync(target))) throw new UsageError(`${target} is inside the library folder; export somewhere else`);
  const result: ExportResult = { folder: target, written: [], failed: [] };
  for (const photoId of photoIds) {
    try {
      const source = deps.store.locationsOf(photoId).map((location) => location.path).find((file) => fs.existsSync(file));
      if (!source) throw new Error('no file of this photo is on disk now');
      const extension = path.extname(source);
      const stem = path.basename(source, extension);
      let bytes: Buffer;
      let name: (n: number) => string;
      if (options.as === 'original') {
        bytes = fs.readFileSync(source);
        name = numbered(stem, extension);
      } else {
        bytes = await jpegCopy(source, options, deps.edits.madePhoto(photoId)?.params);
        name = numbered(stem, '.jpg');
      }
      const claimed = claimOutput(bytes, target, name);
      publishOutput(claimed);
      result.written.push(claimed.final);
    } catch (error) {
      result.failed.push({ photoId, error: errorMessage(error) });
    }
  }
  return result;
}

async function jpegCopy(source: string, options: ExportOptions, edit: Parameters<typeof a1111Parameters>[0] | undefined): Promise<Buffer> {
  let image = sharp(source, { limitInputPixels: PIXEL_LIMIT }).autoOrient().keepExif();
  if (options.maxEdge) image = image.resize({ width: options.maxEdge, height: options.maxEdge, fit: 'inside', withoutEnlargement: true });
  // (autoOrient turns the pixels upright and sharp then drops the Orientation tag.)
  if (edit) image = image.withExifMerge({ IFD2: { UserComment: a1111Parameters(edit) } });
  return image.jpeg({ quality: options.quality ?? 90, mozjpeg: true }).toBuffer();
}
