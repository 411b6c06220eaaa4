import { XMLSerializer, type Element } from '@xmldom/xmldom';
import {
  XMP_NS,
  type Packet,
  appendIndented,
  arrayOf,
  attributePrefix,
  createElement,
  dublinCoreHost,
  findProperty,
  insertFirst,
  listItems,
  openPacket,
  putInPlaceOf,
  replaceProperty,
  replaceText,
  simpleValue,
  valuesOf,
} from './packet.js';
import { type FaceRegion, addFaceRegions, faceRegionsOf } from './regions.js';
import type { OrganiseData } from './organise.js';

/**
 * The pure half of XMP sidecar export: merge a caption and tags into an XMP packet, as text in and
 * text out. No file system here (see sidecar.ts).
 *
 * References, cited where they are relied on:
 * - XMP Specification Part 1 (ISO 16684-1:2012), §7.3 "Optional outer XML" (x:xmpmeta may wrap
 *   rdf:RDF) and §7.4 "rdf:RDF and rdf:Description elements": an rdf:RDF may hold several
 *   rdf:Description elements, all about the same resource, each with some of its properties. The
 *   rest of §7 (RDF serialization) lets a simple unqualified property be written as an attribute of
 *   rdf:Description instead of a child element; readers must accept both.
 * - XMP data model, "Language alternatives": a Lang Alt is an rdf:Alt whose rdf:li items carry
 *   xml:lang (RFC 3066, compared without case); "x-default" is the default and should be the first
 *   item, so that plain RDF processors pick it too (the RDF default-is-first rule).
 * - Dublin Core in XMP (XMP Part 2): `dc:description` is a Lang Alt, `dc:subject` an unordered Bag.
 * - digiKam reads tags from the FIRST non-empty of digiKam:TagsList, MicrosoftPhoto:LastKeywordXMP,
 *   lr:hierarchicalSubject, ..., dc:subject (DMetadataSettingsContainer::defaultTagValues), so a
 *   tag written only to dc:subject is invisible to digiKam once one of those lists exists.
 *   Lightroom writes leaf keywords to dc:subject and full paths to lr:hierarchicalSubject.
 */

export { XMP_NS, XmpFormatError } from './packet.js';

export interface XmpData {
  /** The caption, written as the `x-default` item of dc:description. Empty or absent: left as it is. */
  description?: string;
  /** Tags, added to dc:subject (never removed: the result is the union with what is there). */
  subjects: readonly string[];
  /** The text read in the photo, written as iris:TextInPhoto (a simple text property). Empty or absent: left as it is. */
  textInPhoto?: string;
  /** Named faces, written as MWG face regions (regions.ts), with the upright photo's size in pixels. */
  faces?: readonly FaceRegion[];
  dimensions?: { width: number; height: number };
  /** Stars, reject, colour label and keywords (organise.ts merges them: `iris export-xmp --marks`, photos.writeSidecars). */
  organise?: OrganiseData;
}


/** The XMP packet wrapper (`<?xpacket?>`, fixed id, `begin` holding a U+FEFF) around a minimal packet. */
const EMPTY_PACKET =
  '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' +
  `<x:xmpmeta xmlns:x="${XMP_NS.x}">\n` +
  ` <rdf:RDF xmlns:rdf="${XMP_NS.rdf}">\n` +
  `  <rdf:Description rdf:about="" xmlns:dc="${XMP_NS.dc}"/>\n` +
  ' </rdf:RDF>\n' +
  '</x:xmpmeta>\n' +
  '<?xpacket end="w"?>';

/**
 * Hierarchical tag lists that digiKam reads before dc:subject. They are only extended when they
 * already exist (so digiKam sees our tags); Iris never creates them. Our tags go in as top-level
 * names; one already present as the leaf of a path (`Animals/Dog` for `dog`) is not added again.
 */
export const TAG_PATH_LISTS: readonly { ns: readonly string[]; name: string; separator: string }[] = [
  { ns: [XMP_NS.digiKam], name: 'TagsList', separator: '/' },
  // Both spellings of the Microsoft namespace occur in the wild.
  { ns: [XMP_NS.microsoftPhoto, XMP_NS.microsoftPhoto.slice(0, -1)], name: 'LastKeywordXMP', separator: '/' },
  { ns: [XMP_NS.lr], name: 'hierarchicalSubject', separator: '|' },
  { ns: [XMP_NS.lr], name: 'HierarchicalSubject', separator: '|' },
];

/**
 * Merges `data` into `existing` (an XMP packet, or undefined for a new one): the caption becomes the
 * x-default dc:description, the tags join dc:subject and any hierarchical tag list already there.
 * Everything else in the packet is kept. When nothing changes, `existing` itself is returned, byte for byte, so callers can
 * compare and skip the write. Throws XmpFormatError for text that is not well-formed XMP.
 */
export function mergeXmp(existing: string | undefined, data: XmpData): string {
  const description = cleanDescription(data.description);
  const subjects = cleanSubjects(data.subjects);
  const textInPhoto = cleanDescription(data.textInPhoto);
  return editPacket(existing, (packet) => {
    let changed = false;
    if (description !== undefined && setDescription(packet, description)) changed = true;
    if (subjects.length > 0 && addSubjects(packet, subjects)) changed = true;
    if (subjects.length > 0 && addToTagPathLists(packet, subjects)) changed = true;
    if (textInPhoto !== undefined && setSimpleText(packet, XMP_NS.iris, 'TextInPhoto', 'iris', textInPhoto)) changed = true;
    if (data.faces?.length && addFaceRegions(packet, data.faces, data.dimensions)) changed = true;
    return changed;
  });
}

/**
 * Opens `existing` (a new minimal packet when it is undefined or empty), lets `edit` change it and
 * serialises the result. When `edit` reports no change, `existing` itself is returned, byte for
 * byte. Shared by every writer (captions and tags here, ratings and labels in organise.ts), so all
 * keep a file's BOM and final newline the same way. Throws XmpFormatError.
 */
export function editPacket(existing: string | undefined, edit: (packet: Packet) => boolean): string {
  // An empty file (a tool that crashed while saving) holds nothing to keep: start a new packet.
  const fresh = existing === undefined || existing.trim() === '';
  const source = fresh ? EMPTY_PACKET : existing;
  const bom = source.startsWith('\uFEFF') ? '\uFEFF' : '';
  const packet = openPacket(source.slice(bom.length));
  const changed = edit(packet);
  if (!changed && !fresh && existing !== undefined) return existing;
  // xmldom drops whitespace after the last node; keep the file's final newline (or its absence).
  const serialized = new XMLSerializer().serializeToString(packet.doc);
  return bom + serialized.trimEnd() + source.slice(source.trimEnd().length);
}

/** True when `data` has anything to write (an empty sidecar is never created). */
export function hasXmpContent(data: XmpData): boolean {
  const organise = data.organise;
  const marks = !!organise && ((organise.rating ?? 0) > 0 || organise.rejected || !!organise.label || organise.keywords.length > 0);
  return marks || cleanDescription(data.description) !== undefined || cleanSubjects(data.subjects).length > 0 || cleanDescription(data.textInPhoto) !== undefined || (data.faces?.length ?? 0) > 0;
}

// ---------------------------------------------------------------------------------------------
// Input cleaning: what we write must read back identically, or "unchanged" would never happen.

/** Anything outside the XML 1.0 `Char` production (control characters, lone surrogates). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function cleanText(text: string): string {
  // XML parsers turn CRLF and CR into LF (XML 1.0 §2.11), so store LF in the first place.
  return text.replace(/\r\n?/g, '\n').replace(NOT_XML_CHAR, '');
}

function cleanDescription(description: string | undefined): string | undefined {
  const text = description === undefined ? '' : cleanText(description).trim();
  return text === '' ? undefined : text;
}

/**
 * Tags compare case-insensitively after NFC normalisation, so `Dog` already there is not joined by
 * a model's `dog` (the user's spelling wins).
 */
export function tagKey(tag: string): string {
  return tag.normalize('NFC').toLowerCase();
}

export function cleanSubjects(subjects: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const subject of subjects) {
    const text = cleanText(subject).trim();
    if (text === '' || seen.has(tagKey(text))) continue;
    seen.add(tagKey(text));
    result.push(text);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// dc:description (a Lang Alt: only the x-default item is ours).

function setDescription(packet: Packet, text: string): boolean {
  const hits = findProperty(packet, [XMP_NS.dc], 'description');
  const only = hits.length === 1 ? hits[0] : undefined;
  const alt = only?.element ? arrayOf(only.element, 'Alt') : undefined;
  if (alt) {
    const current = listItems(alt).find(isDefaultLanguage);
    if (current) {
      if (current.textContent === text) return false;
      replaceText(packet, current, text);
    } else {
      insertFirst(packet, alt, languageItem(packet, alt, text));
    }
    return true;
  }
  // Attribute form, a plain-text element, a wrong container or several copies: when the value is
  // already ours leave it, otherwise rewrite it as the Lang Alt the spec asks for, keeping the
  // other languages.
  if (only && simpleValue(only) === text) return false;
  const otherLanguages = hits.flatMap((hit) => {
    const array = hit.element ? arrayOf(hit.element, 'Alt') : undefined;
    return array ? listItems(array).filter((item) => !isDefaultLanguage(item)) : [];
  });
  const host = hits[0]?.description ?? dublinCoreHost(packet);
  const alternative = replaceProperty(packet, hits, host, XMP_NS.dc, 'description', 'Alt');
  appendIndented(packet, alternative, languageItem(packet, alternative, text));
  for (const item of otherLanguages) appendIndented(packet, alternative, item.cloneNode(true));
  return true;
}

export function isDefaultLanguage(item: Element): boolean {
  return item.getAttributeNS(XMP_NS.xml, 'lang')?.toLowerCase() === 'x-default';
}

function languageItem(packet: Packet, context: Element, text: string): Element {
  const item = createElement(packet, context, XMP_NS.rdf, 'li', 'rdf');
  item.setAttributeNS(XMP_NS.xml, 'xml:lang', 'x-default');
  item.appendChild(packet.doc.createTextNode(text));
  return item;
}

// ---------------------------------------------------------------------------------------------
// dc:subject (Bag, union of what is there and ours).

export function addSubjects(packet: Packet, subjects: readonly string[]): boolean {
  const hits = findProperty(packet, [XMP_NS.dc], 'subject');
  const existing = hits.flatMap(valuesOf);
  const known = new Set(existing.map(tagKey));
  const added = subjects.filter((subject) => !known.has(tagKey(subject)));
  if (added.length === 0) return false;

  const only = hits.length === 1 ? hits[0] : undefined;
  let bag = only?.element ? arrayOf(only.element, 'Bag') : undefined;
  if (!bag) {
    // Attribute form, plain text, an rdf:Seq or several copies: rebuild as one Bag, old items first.
    const host = hits[0]?.description ?? dublinCoreHost(packet);
    bag = replaceProperty(packet, hits, host, XMP_NS.dc, 'subject', 'Bag');
    for (const value of existing) appendIndented(packet, bag, textItem(packet, bag, value));
  }
  for (const subject of added) appendIndented(packet, bag, textItem(packet, bag, subject));
  return true;
}

export function addToTagPathLists(packet: Packet, subjects: readonly string[]): boolean {
  let changed = false;
  for (const list of TAG_PATH_LISTS) {
    const array = tagPathArray(packet, list);
    if (array && addToTagPathList(packet, array, list.separator, subjects)) changed = true;
  }
  return changed;
}

/** The rdf:Seq or rdf:Bag of one of the TAG_PATH_LISTS, when the packet has that list. */
export function tagPathArray(packet: Packet, list: (typeof TAG_PATH_LISTS)[number]): Element | undefined {
  return findProperty(packet, list.ns, list.name)
    .map((hit) => (hit.element ? (arrayOf(hit.element, 'Seq') ?? arrayOf(hit.element, 'Bag')) : undefined))
    .find((found) => found !== undefined);
}

/**
 * Appends each subject (a name, or a path already joined with `separator`) to one list unless the
 * list has it as a whole path or, for a name, as any step of a path: Lightroom writes a keyword's
 * parents to dc:subject too, and adding `France` beside `Places|France|Paris` would make it a new
 * top-level keyword in Lightroom's keyword list.
 */
export function addToTagPathList(packet: Packet, array: Element, separator: string, subjects: readonly string[]): boolean {
  const known = new Set<string>();
  for (const item of listItems(array)) {
    const path = item.textContent ?? '';
    known.add(tagKey(path));
    for (const step of path.split(separator)) known.add(tagKey(step.trim()));
  }
  let changed = false;
  for (const subject of subjects) {
    if (known.has(tagKey(subject))) continue;
    appendIndented(packet, array, textItem(packet, array, subject));
    known.add(tagKey(subject));
    changed = true;
  }
  return changed;
}

function textItem(packet: Packet, context: Element, text: string): Element {
  const item = createElement(packet, context, XMP_NS.rdf, 'li', 'rdf');
  item.appendChild(packet.doc.createTextNode(text));
  return item;
}

// ---------------------------------------------------------------------------------------------
// Simple text properties (iris:TextInPhoto): one element with the text, wherever the property was.

export function setSimpleText(packet: Packet, ns: string, name: string, prefix: string, text: string): boolean {
  const hits = findProperty(packet, [ns], name);
  if (hits.length === 1 && simpleValue(hits[0]!) === text) return false;
  const host = hits[0]?.description ?? dublinCoreHost(packet);
  // Always prefixed (declared on the host when the file has none): exiv2 wants properties qualified.
  const property = packet.doc.createElementNS(ns, `${attributePrefix(host, ns, prefix)}:${name}`);
  property.appendChild(packet.doc.createTextNode(text));
  putInPlaceOf(packet, hits, host, property);
  return true;
}


/** The named face regions of an XMP packet (text), for importing people named in other apps. */
export function readFaceRegions(text: string): FaceRegion[] {
  return faceRegionsOf(openPacket(text.replace(/^\uFEFF/, '')).doc);
}
