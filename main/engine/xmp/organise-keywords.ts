import type { Element } from '@xmldom/xmldom';
import { TAG_PATH_LISTS, addSubjects, addToTagPathList, addToTagPathLists, cleanSubjects, cleanText, tagKey, tagPathArray } from './merge.js';
import { XMP_NS, type Packet, appendIndented, arrayOf, createElement, dublinCoreHost, findProperty, listItems, removeWithIndent, valuesOf } from './packet.js';

/**
 * Keywords in XMP, read and merged the way merge.ts merges tags: nothing another app wrote is lost.
 * - dc:subject (an unordered Bag, XMP Part 2) holds names; Lightroom puts the keyword there (and,
 *   with "Include on Export", its parents; Iris adds only the keyword).
 * - lr:hierarchicalSubject holds paths joined with "|" ("Places|France|Paris"); digiKam:TagsList and
 *   MicrosoftPhoto:LastKeywordXMP hold the same paths joined with "/". Iris's paths use "|",
 *   whichever list they came from.
 * - digiKam reads the first non-empty of digiKam:TagsList, MicrosoftPhoto:LastKeywordXMP,
 *   lr:hierarchicalSubject, ..., dc:subject (merge.ts), so every list already there gets our names.
 */

const PATH = '|';

/** Lightroom's list first (the paths' standard home), the "/" lists only when it is missing. */
const READ_ORDER = [...TAG_PATH_LISTS.filter((list) => list.separator === PATH), ...TAG_PATH_LISTS.filter((list) => list.separator !== PATH)];

/** A path as Iris writes it: segments trimmed, empty ones dropped, joined with "|". */
function toPath(value: string, separator: string): string {
  return cleanText(value)
    .split(separator)
    .map((segment) => segment.trim())
    .filter((segment) => segment !== '')
    .join(PATH);
}

function leafOf(path: string): string {
  return path.slice(path.lastIndexOf(PATH) + 1);
}

/** Paths cleaned and without duplicates (compared like tags: NFC, without case). */
function cleanPaths(paths: readonly string[]): string[] {
  return cleanSubjects(paths.map((path) => toPath(path, PATH)));
}

export function readKeywords(packet: Packet): { keywords: string[]; hierarchical: string[] } {
  let hierarchical: string[] = [];
  for (const list of READ_ORDER) {
    hierarchical = cleanPaths(findProperty(packet, list.ns, list.name).flatMap(valuesOf).map((value) => toPath(value, list.separator)));
    if (hierarchical.length > 0) break;
  }
  const subjects = cleanSubjects(findProperty(packet, [XMP_NS.dc], 'subject').flatMap(valuesOf));
  // A packet with only a path list still has keywords: the paths' leaves.
  return { keywords: subjects.length > 0 ? subjects : cleanSubjects(hierarchical.map(leafOf)), hierarchical };
}

export interface KeywordChange {
  keywords: readonly string[];
  hierarchical: readonly string[];
  /** Names or "|" paths the user removed in Iris; a keyword both removed and wanted stays. */
  removed: readonly string[];
}

/** Removes what the user removed, then adds names and paths; returns whether anything changed. */
export function mergeKeywords(packet: Packet, change: KeywordChange): boolean {
  const paths = cleanPaths(change.hierarchical);
  const names = cleanSubjects([...change.keywords, ...paths.map(leafOf)]);
  const wanted = new Set(names.map(tagKey));
  const wantedPaths = new Set(paths.map(tagKey));
  const removed = cleanSubjects(change.removed.map((entry) => toPath(entry, PATH))).filter((entry) => !(entry.includes(PATH) ? wantedPaths : wanted).has(tagKey(entry)));
  let changed = removed.length > 0 && removeKeywords(packet, removed, wanted, wantedPaths);
  if (paths.length > 0 && addPaths(packet, paths)) changed = true;
  if (names.length > 0 && addSubjects(packet, names)) changed = true;
  if (names.length > 0 && addToTagPathLists(packet, names)) changed = true;
  return changed;
}

function addPaths(packet: Packet, paths: readonly string[]): boolean {
  let changed = false;
  let created: Element | undefined;
  if (!TAG_PATH_LISTS.some((list) => tagPathArray(packet, list))) {
    // Paths have no home without a path list: create Lightroom's, the standard one, next to dc:subject.
    const host = findProperty(packet, [XMP_NS.dc], 'subject')[0]?.description ?? dublinCoreHost(packet);
    const property = createElement(packet, host, XMP_NS.lr, 'hierarchicalSubject', 'lr');
    appendIndented(packet, host, property);
    created = createElement(packet, property, XMP_NS.rdf, 'Bag', 'rdf');
    appendIndented(packet, property, created);
    changed = true;
  }
  const existingNames = cleanSubjects(findProperty(packet, [XMP_NS.dc], 'subject').flatMap(valuesOf));
  for (const list of TAG_PATH_LISTS) {
    const array = tagPathArray(packet, list);
    const joined = paths.map((path) => path.split(PATH).join(list.separator));
    if (array && addToTagPathList(packet, array, list.separator, joined)) changed = true;
  }
  // digiKam reads lr:hierarchicalSubject before dc:subject: a new list must hold the names already
  // there too (as top-level entries, unless a path holds one), or digiKam would lose them.
  if (created) addToTagPathList(packet, created, PATH, existingNames);
  return changed;
}

function removeKeywords(packet: Packet, removed: readonly string[], wanted: ReadonlySet<string>, wantedPaths: ReadonlySet<string>): boolean {
  const removedPaths = new Set(removed.filter((entry) => entry.includes(PATH)).map(tagKey));
  const removedNames = new Set(removed.filter((entry) => !entry.includes(PATH)).map(tagKey));
  let changed = false;
  // A path goes when it was removed, or when its keyword (leaf) was, unless the user still wants it.
  const remainingLeaves = new Set<string>();
  for (const list of TAG_PATH_LISTS) {
    const array = tagPathArray(packet, list);
    for (const item of array ? listItems(array) : []) {
      const path = toPath(item.textContent ?? '', list.separator);
      const key = tagKey(path);
      if (!wantedPaths.has(key) && (removedPaths.has(key) || removedNames.has(tagKey(leafOf(path))))) {
        removeWithIndent(item);
        changed = true;
      } else {
        remainingLeaves.add(tagKey(leafOf(path)));
      }
    }
  }
  // dc:subject loses the removed names, and a removed path's leaf when no other path ends in it.
  const gone = new Set(removedNames);
  for (const path of removed.filter((entry) => entry.includes(PATH))) {
    const leaf = tagKey(leafOf(path));
    if (!wanted.has(leaf) && !remainingLeaves.has(leaf)) gone.add(leaf);
  }
  const isGone = (text: string | null) => gone.has(tagKey(cleanText(text ?? '').trim()));
  for (const hit of findProperty(packet, [XMP_NS.dc], 'subject')) {
    if (hit.attribute && isGone(hit.attribute.value)) {
      hit.description.removeAttributeNode(hit.attribute);
      changed = true;
    } else if (hit.element) {
      // Any container (the spec's Bag, or the Seq darktable writes), or plain text.
      const array = arrayOf(hit.element, 'Bag') ?? arrayOf(hit.element, 'Seq') ?? arrayOf(hit.element, 'Alt');
      const doomed = array ? listItems(array).filter((item) => isGone(item.textContent)) : isGone(hit.element.textContent) ? [hit.element] : [];
      for (const element of doomed) removeWithIndent(element);
      if (doomed.length > 0) changed = true;
    }
  }
  return changed;
}
