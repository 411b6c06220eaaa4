import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { CaptionStore } from '../captions/caption-store.js';
import { colourOfXmpLabel, combineOrganise, embeddedXmpOf, type OrganiseXmp } from '../xmp/organise.js';
import { readSidecarsFor, sidecarNamesFor } from '../xmp/sidecar.js';
import type { Keyword, OrganiseStore } from './organise-store.js';

/**
 * Takes in what other apps wrote about a photo in XMP (issue 21, item 4): stars, reject, colour
 * label, keywords with their hierarchy, and the description, from the sidecars (`photo.jpg.xmp`,
 * `photo.xmp`) and the XMP embedded in the photo, sidecar over embedded. Read when the photo is read
 * and when a sidecar changes on disk (the watcher); a signature of what was read (each sidecar's
 * size and time, the embedded packet's hash) keeps an unchanged sidecar from being applied again
 * over what the person since set in Iris. A sidecar that cannot be read is reported, never fatal.
 */

export interface XmpImportDeps {
  marks: OrganiseStore;
  captions: CaptionStore;
}

export interface XmpImportOutcome {
  /** True when something was read and applied (the XMP was new or had changed). */
  applied: boolean;
  /** Sidecars that could not be read, each with why. */
  problems: { path: string; error: string }[];
}

/**
 * `embedded`: the packet from the photo's bytes (when the photo was just read), or 'unchanged' (a
 * sidecar changed on disk: the embedded packet is what was read before, and is not read again).
 */
export async function importPhotoXmp(
  deps: XmpImportDeps,
  photoId: number,
  photoPath: string,
  embedded: Uint8Array | undefined | 'unchanged',
  /** The photo's folder's names (the same array for every photo of a folder, so sidecars are found by lookup). */
  names: readonly string[],
): Promise<XmpImportOutcome> {
  const previous = parseSignature(deps.marks.xmpSignature(photoId));
  const sidecarStats = await statSidecars(photoPath, names);
  const embeddedHash = embedded === 'unchanged' ? (previous?.embedded ?? null) : embedded && embedded.length > 0 ? createHash('sha256').update(embedded).digest('hex').slice(0, 16) : null;
  // Most photos have no XMP at all: nothing to read and nothing to record (no write per photo read).
  if (!previous && sidecarStats.length === 0 && embeddedHash === null) return { applied: false, problems: [] };
  const signature = JSON.stringify({ sidecars: sidecarStats, embedded: embeddedHash });
  // Nothing changed since the last read: leave what the person set in Iris since then alone.
  if (previous && JSON.stringify(previous) === signature) {
    deps.marks.noteSidecars(sidecarStats);
    return { applied: false, problems: [] };
  }
  const { organise: sidecar, sidecars } = await readSidecarsFor(photoPath, names);
  const problems = sidecars.flatMap((file) => (file.error ? [{ path: file.path, error: file.error }] : []));
  // Only what changed is applied: a sidecar edit does not re-apply the embedded packet's old values.
  const fromPhoto = embedded !== 'unchanged' && embeddedHash !== previous?.embedded ? embeddedXmpOf(embedded) : null;
  const fromSidecars = JSON.stringify(sidecarStats) !== JSON.stringify(previous?.sidecars ?? []) ? sidecar : null;
  const xmp = combineOrganise(fromPhoto, fromSidecars);
  if (xmp) {
    deps.marks.applyXmp(photoId, { rating: xmp.rating, rejected: xmp.rejected, label: colourOfXmpLabel(xmp.label), keywords: keywordsOf(xmp) }, signature);
    applyDescription(deps.captions, photoId, xmp.description);
  } else {
    deps.marks.markXmpRead(photoId, signature);
  }
  deps.marks.noteSidecars(sidecarStats);
  return { applied: xmp !== null, problems };
}

interface Signature {
  sidecars: [string, number, number][];
  embedded: string | null;
}

function parseSignature(text: string | null): Signature | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as Signature;
  } catch {
    return null;
  }
}

/** Each sidecar's path, size and time: cheap to compare on every scan, and what tells that one changed. */
async function statSidecars(photoPath: string, folderNames: readonly string[]): Promise<[string, number, number][]> {
  const folder = path.dirname(photoPath);
  const stats: [string, number, number][] = [];
  for (const name of sidecarNamesFor(path.basename(photoPath), folderNames)) {
    const stat = await fsp.stat(path.join(folder, name)).catch(() => undefined);
    if (stat) stats.push([path.join(folder, name), stat.size, Math.round(stat.mtimeMs)]);
  }
  return stats;
}

/** dc:subject's keywords, each with the lr:hierarchicalSubject path that ends in it (case aside). */
function keywordsOf(xmp: OrganiseXmp): Keyword[] {
  const leaf = (path: string) => path.split('|').at(-1)!.trim();
  const keywords: Keyword[] = xmp.keywords.map((keyword) => ({ keyword, hierarchy: xmp.hierarchical.find((path) => leaf(path).toLowerCase() === keyword.toLowerCase()) ?? null }));
  for (const path of xmp.hierarchical) {
    if (!keywords.some((keyword) => keyword.keyword.toLowerCase() === leaf(path).toLowerCase())) keywords.push({ keyword: leaf(path), hierarchy: path });
  }
  return keywords.filter((keyword) => keyword.keyword);
}

/**
 * Another app's description becomes the caption, as a person's (batches never replace it), unless
 * it says what the caption already says: Iris's own export writes the caption there, and reading it
 * back must not turn a generated caption into a person's.
 */
function applyDescription(captions: CaptionStore, photoId: number, description: string | null): void {
  if (!description) return;
  const current = captions.get(photoId);
  if (current?.text.trim() === description.trim()) return;
  captions.putEdited(photoId, description);
}
