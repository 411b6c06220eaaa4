import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { hasXmpContent, mergeXmp, XmpFormatError, type XmpData } from './merge.js';
import { combineOrganise, decodeXmpBytes, mergeOrganiseXmp, readOrganiseXmp, type OrganiseXmp } from './organise.js';
import { UserFacingError } from '../errors.js';

/**
 * XMP sidecars: where they live, how they are written, and what other apps left in them (stars,
 * labels, keywords: readSidecarsFor). Iris writes a sidecar only when the user asks for an export,
 * and never opens the photo itself for writing (originals are read-only, see DESIGN.md): the photo
 * is only ever `stat`ed here.
 */


/**
 * How a sidecar is named:
 * - 'append': `photo.jpg.xmp`. digiKam's default (Setup > Metadata > Sidecars, "compatible with
 *   commercial programs" off), and what exiv2 and darktable use. Unambiguous: one photo, one sidecar.
 * - 'replace': `photo.xmp`. Adobe's convention (Lightroom, Camera Raw, Bridge) and digiKam's
 *   "compatible" option. Ambiguous when `photo.jpg` and `photo.cr2` sit side by side.
 * - 'auto': keep using whichever sidecar the user's other tools already made, else 'append'.
 */
export type SidecarStyle = 'auto' | 'append' | 'replace';

export type SidecarOutcome = 'created' | 'updated' | 'unchanged';

export interface WriteSidecarOptions {
  style?: SidecarStyle;
  /** Work out the path and the outcome, write nothing. */
  dryRun?: boolean;
}

export interface SidecarWriteResult {
  path: string;
  outcome: SidecarOutcome;
}

/** A sidecar that could not be written; the message names it. The caller records it and goes on. */
export class SidecarError extends UserFacingError {
  readonly callCode = 'usage';
  readonly sidecarPath: string;

  constructor(sidecarPath: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot write XMP sidecar ${sidecarPath}: ${reason}`, options);
    this.name = 'SidecarError';
    this.sidecarPath = sidecarPath;
  }
}

const SIDECAR_EXTENSION = '.xmp';

/** The sidecar path for `photoPath` (it may not exist yet). Lists the photo's folder once. */
export function sidecarPathFor(photoPath: string, style: SidecarStyle = 'auto'): string {
  return path.join(path.dirname(photoPath), chooseSidecarName(path.basename(photoPath), listFolder(photoPath), style));
}

/**
 * The sidecar's file name, given the names in the photo's folder (a listing, so that a sidecar
 * spelled `PHOTO.JPG.XMP` or `Photo.xmp` is found on any file system). Pure; exported so a caller
 * exporting a whole folder can list it once.
 */
export function chooseSidecarName(photoName: string, folderNames: readonly string[], style: SidecarStyle = 'auto'): string {
  const stem = stemOf(photoName);
  const appended = photoName + SIDECAR_EXTENSION;
  const replaced = stem + SIDECAR_EXTENSION;
  const existingAppended = findName(folderNames, appended);
  const existingReplaced = findName(folderNames, replaced);
  switch (style) {
    case 'append':
      return existingAppended ?? appended;
    case 'replace':
      return existingReplaced ?? replaced;
    case 'auto':
      // `photo.jpg.xmp` names exactly one photo, so it wins when both exist.
      if (existingAppended) return existingAppended;
      // Adobe's `photo.xmp` belongs to every file called `photo.*`: with `photo.jpg` beside
      // `photo.cr2`, Lightroom reads it as the raw's sidecar, so our caption would land on the
      // other photo. Only reuse it when this photo is the only one with that stem.
      if (existingReplaced && !stemIsShared(photoName, folderNames)) return existingReplaced;
      return appended;
  }
}

/**
 * Merges `data` into the photo's sidecar (creating it when there is something to write), atomically:
 * a temporary file in the same folder is renamed over the old sidecar, so a crash leaves either the
 * old or the new sidecar, never half of one. Throws SidecarError (the photo is never touched).
 */
export async function writeSidecar(photoPath: string, data: XmpData, options: WriteSidecarOptions = {}): Promise<SidecarWriteResult> {
  const photo = path.resolve(photoPath);
  const folderNames = await fsp.readdir(path.dirname(photo)).catch(() => []);
  const sidecar = path.join(path.dirname(photo), chooseSidecarName(path.basename(photo), folderNames, options.style));
  try {
    return await mergeIntoSidecar(photo, sidecar, data, options.dryRun ?? false);
  } catch (error) {
    if (error instanceof SidecarError) throw error;
    throw new SidecarError(sidecar, reasonOf(error), { cause: error });
  }
}

async function mergeIntoSidecar(photo: string, sidecar: string, data: XmpData, dryRun: boolean): Promise<SidecarWriteResult> {
  // Compared without case: on a case-insensitive disk `Photo.XMP` is `photo.xmp`.
  if (photo.toLowerCase() === sidecar.toLowerCase()) throw new SidecarError(sidecar, 'it is the photo itself');
  const photoStat = await fsp.stat(photo).catch((error: unknown) => {
    throw new SidecarError(sidecar, `the photo ${photo} cannot be read (${reasonOf(error)})`, { cause: error });
  });
  const before = await lstatIfExists(sidecar);
  if (before) {
    // A symlink could point anywhere (at an original, even); renaming over it would also silently
    // turn the user's link into a plain file. Neither is ours to decide.
    if (before.isSymbolicLink()) throw new SidecarError(sidecar, 'it is a symbolic link; Iris only writes plain files');
    if (!before.isFile()) throw new SidecarError(sidecar, 'it is not a regular file');
    if (before.dev === photoStat.dev && before.ino === photoStat.ino) throw new SidecarError(sidecar, 'it is a hard link to the photo itself');
  }

  const existing = before ? await readSidecarText(sidecar) : undefined;
  if (existing === undefined && !hasXmpContent(data)) return { path: sidecar, outcome: 'unchanged' };
  let merged: string;
  try {
    merged = mergeXmp(existing, data);
    // Stars, label and keywords on top (organise.ts); both return their input when nothing changes.
    if (data.organise) merged = mergeOrganiseXmp(merged === existing ? existing : merged, data.organise);
  } catch (error) {
    // Never overwrite what could not be understood: it may hold the user's work from another tool.
    if (error instanceof XmpFormatError) throw new SidecarError(sidecar, `it is not valid XMP, left as it is (${error.message})`, { cause: error });
    throw error;
  }
  if (merged === existing) return { path: sidecar, outcome: 'unchanged' };
  const outcome: SidecarOutcome = before ? 'updated' : 'created';
  if (!dryRun) await replaceAtomically(sidecar, merged, before);
  return { path: sidecar, outcome };
}

/**
 * Reads the sidecar as UTF-8, refusing symlinks at open time too (O_NOFOLLOW, where the platform has
 * it) and bytes that are not UTF-8: decoding those leniently and writing them back would corrupt them.
 */
async function readSidecarText(sidecar: string): Promise<string> {
  const handle = await fsp.open(sidecar, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  let bytes: Buffer;
  try {
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  // XMP allows UTF-16 and UTF-32 packets too; their BOMs are refused rather than misread as UTF-8.
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0 && bytes[1] === 0)) {
    throw new SidecarError(sidecar, 'it is UTF-16 or UTF-32; only UTF-8 sidecars are rewritten');
  }
  try {
    // A UTF-8 BOM stays in the string: mergeXmp keeps it, so an updated file keeps its first bytes.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new SidecarError(sidecar, 'it is not UTF-8 text, left as it is', { cause: error });
  }
}

async function replaceAtomically(sidecar: string, text: string, before: fs.Stats | undefined): Promise<void> {
  // A hidden `.tmp` name: the library watcher and other tools ignore it while it exists.
  const temporary = path.join(path.dirname(sidecar), `.${path.basename(sidecar)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const mode = before ? before.mode & 0o7777 : 0o666;
  try {
    // 'wx': fails if the name exists (even as a symlink), so the temporary file is ours alone.
    const handle = await fsp.open(temporary, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      // The umask narrowed the mode at creation; give the updated sidecar the old file's mode back.
      if (before) await handle.chmod(mode).catch(() => undefined);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // digiKam or Lightroom may have saved the sidecar while we merged: do not throw their change away.
    if (!sameFile(before, await lstatIfExists(sidecar))) throw new SidecarError(sidecar, 'it changed while Iris was writing it; try again');
    // rename() replaces the directory entry and never follows a symlink at the target.
    await fsp.rename(temporary, sidecar);
  } catch (error) {
    await fsp.rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(path.dirname(sidecar));
}

/** Makes the rename durable. Best effort: folders cannot be opened for fsync on Windows. */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await fsp.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a folder; the data itself is already synced.
  }
}

function sameFile(a: fs.Stats | undefined, b: fs.Stats | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

// ---------------------------------------------------------------------------------------------
// Reading what other apps wrote (stars, labels, keywords) from a photo's sidecars.

/** Real sidecars are a few KiB (Lightroom's with a long develop history, tens): more is not a sidecar. */
export const MAX_SIDECAR_BYTES = 1024 * 1024;

export interface SidecarFile {
  path: string;
  mtimeMs: number;
  size: number;
  /** Why it was not read (too large, not XMP, unreadable); its values are then not in `organise`. */
  error?: string;
}

export interface PhotoSidecars {
  /** The readable sidecars' values, `photo.jpg.xmp` over `photo.xmp` field by field; null when none was read. */
  organise: OrganiseXmp | null;
  /** Every sidecar found, `photo.jpg.xmp` first, with the size and time that tell when one changed. */
  sidecars: SidecarFile[];
}

/** The existing sidecars of `photoName` in a folder listing (any case), `photo.jpg.xmp` first. Pure. */
export function sidecarNamesFor(photoName: string, folderNames: readonly string[]): string[] {
  const names = [findName(folderNames, photoName + SIDECAR_EXTENSION), findName(folderNames, stemOf(photoName) + SIDECAR_EXTENSION)];
  return [...new Set(names.filter((name): name is string => name !== undefined && name.toLowerCase() !== photoName.toLowerCase()))];
}

/**
 * Reads the photo's sidecars (`folderNames`: the folder's listing, when the caller already has it).
 * Never throws for a sidecar: a problem is that sidecar's `error`, and the other one still counts.
 */
export async function readSidecarsFor(photoPath: string, folderNames?: readonly string[]): Promise<PhotoSidecars> {
  const photo = path.resolve(photoPath);
  const folder = path.dirname(photo);
  const names = sidecarNamesFor(path.basename(photo), folderNames ?? (await fsp.readdir(folder).catch(() => [])));
  const sidecars: SidecarFile[] = [];
  let organise: OrganiseXmp | null = null;
  for (const name of names) {
    const read = await readOrganiseSidecar(path.join(folder, name));
    if (!read) continue;
    sidecars.push(read.file);
    // `photo.jpg.xmp` (read first) wins field by field: it names this one photo, while Adobe's
    // `photo.xmp` belongs to every `photo.*` (the raw beside this JPEG, say); and it is where Iris
    // and digiKam write when both exist (chooseSidecarName), so it holds the newer edits.
    if (read.organise) organise = combineOrganise(read.organise, organise);
  }
  return { organise, sidecars };
}

/** One sidecar's values; undefined when it is gone since the folder was listed. */
async function readOrganiseSidecar(file: string): Promise<{ file: SidecarFile; organise?: OrganiseXmp } | undefined> {
  const name = path.basename(file);
  let entry: SidecarFile = { path: file, mtimeMs: 0, size: 0 };
  try {
    // stat before open: opening a FIFO that happens to carry the name would wait for a writer.
    const stat = await fsp.stat(file);
    entry = { path: file, mtimeMs: stat.mtimeMs, size: stat.size };
    if (!stat.isFile()) return { file: { ...entry, error: `${name} is not a regular file` } };
    if (stat.size > MAX_SIDECAR_BYTES) return { file: { ...entry, error: `${name} is ${(stat.size / 1024 / 1024).toFixed(1)} MiB; Iris reads XMP sidecars of up to 1 MiB` } };
    const bytes = await readPrefix(file, MAX_SIDECAR_BYTES + 1);
    // It may have grown since the stat.
    if (bytes.length > MAX_SIDECAR_BYTES) return { file: { ...entry, error: `${name} is over 1 MiB; Iris reads XMP sidecars of up to 1 MiB` } };
    return { file: entry, organise: readOrganiseXmp(decodeXmpBytes(bytes)) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const reason = error instanceof XmpFormatError ? `it is not valid XMP (${error.message})` : reasonOf(error);
    return { file: { ...entry, error: `${name}: ${reason}` } };
  }
}

/** At most `limit` bytes from the start of `file`. */
async function readPrefix(file: string, limit: number): Promise<Buffer> {
  const handle = await fsp.open(file, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    let length = 0;
    while (length < limit) {
      const { bytesRead } = await handle.read(buffer, length, limit - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

async function lstatIfExists(file: string): Promise<fs.Stats | undefined> {
  try {
    return await fsp.lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function listFolder(photoPath: string): string[] {
  try {
    return fs.readdirSync(path.dirname(photoPath));
  } catch {
    return [];
  }
}

/** `photo` for `photo.jpg`; a name without extension is its own stem. */
function stemOf(name: string): string {
  const extension = path.extname(name);
  return extension === '' ? name : name.slice(0, -extension.length);
}

/** The exact name when present, else one that differs only in case (sorted, so the pick is stable). */
function findName(folderNames: readonly string[], wanted: string): string | undefined {
  const { exact, byLowerCase } = nameIndex(folderNames);
  return exact.has(wanted) ? wanted : byLowerCase.get(wanted.toLowerCase());
}

/**
 * A listing's names, exact and by lower case (the least of the case variants: what sorting the
 * listing would pick first), built once per listing: every photo read looks for its sidecars, and
 * a caller that lists a big folder once and hands the same array to each of its photos (a scan, the
 * organise service's listing cache) must not pay a pass over the folder per photo.
 */
const nameIndexes = new WeakMap<readonly string[], { exact: Set<string>; byLowerCase: Map<string, string> }>();

function nameIndex(folderNames: readonly string[]): { exact: Set<string>; byLowerCase: Map<string, string> } {
  let index = nameIndexes.get(folderNames);
  if (!index) {
    index = { exact: new Set(folderNames), byLowerCase: new Map() };
    for (const name of folderNames) {
      const lower = name.toLowerCase();
      const known = index.byLowerCase.get(lower);
      if (known === undefined || name < known) index.byLowerCase.set(lower, name);
    }
    nameIndexes.set(folderNames, index);
  }
  return index;
}

/** Another file (not a sidecar) in the folder with the same stem, compared without case. */
function stemIsShared(photoName: string, folderNames: readonly string[]): boolean {
  const stem = stemOf(photoName).toLowerCase();
  return folderNames.some(
    (name) =>
      name.toLowerCase() !== photoName.toLowerCase() &&
      path.extname(name).toLowerCase() !== SIDECAR_EXTENSION &&
      stemOf(name).toLowerCase() === stem,
  );
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
