import { DOMParser, XMLSerializer, type Attr, type Document, type Element, type Node } from '@xmldom/xmldom';
import { UserFacingError } from '../errors.js';

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

export const XMP_NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  xml: 'http://www.w3.org/XML/1998/namespace',
  xmlns: 'http://www.w3.org/2000/xmlns/',
  digiKam: 'http://www.digikam.org/ns/1.0/',
  lr: 'http://ns.adobe.com/lightroom/1.0/',
  microsoftPhoto: 'http://ns.microsoft.com/photo/1.0/',
  /**
   * Iris's own namespace, for what no standard property holds: the text read in a photo. Dublin
   * Core, IPTC Core and Extension and EXIF have no field for it, and dc:description is the caption
   * (people ask other managers for this export too: immich-app/immich discussion #24879). Tools
   * keep properties they do not know, and exiftool reads it as XMP-iris:TextInPhoto.
   */
  iris: 'http://ns.iris-photos.app/xmp/1.0/',
} as const;

export interface XmpData {
  /** The caption, written as the `x-default` item of dc:description. Empty or absent: left as it is. */
  description?: string;
  /** Tags, added to dc:subject (never removed: the result is the union with what is there). */
  subjects: readonly string[];
  /** The text read in the photo, written as iris:TextInPhoto (a simple text property). Empty or absent: left as it is. */
  textInPhoto?: string;
}

/** The existing text is not an XMP packet Iris can safely rewrite. */
export class XmpFormatError extends UserFacingError {
  readonly callCode = 'usage';

  constructor(message: string) {
    super(message);
    this.name = 'XmpFormatError';
  }
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
const TAG_PATH_LISTS: readonly { ns: readonly string[]; name: string; separator: string }[] = [
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
  // An empty file (a tool that crashed while saving) holds nothing to keep: start a new packet.
  const fresh = existing === undefined || existing.trim() === '';
  const source = fresh ? EMPTY_PACKET : existing;
  const bom = source.startsWith('\uFEFF') ? '\uFEFF' : '';
  const packet = openPacket(source.slice(bom.length));

  let changed = fresh;
  if (description !== undefined && setDescription(packet, description)) changed = true;
  if (subjects.length > 0 && addSubjects(packet, subjects)) changed = true;
  if (subjects.length > 0 && addToTagPathLists(packet, subjects)) changed = true;
  if (textInPhoto !== undefined && setSimpleText(packet, XMP_NS.iris, 'TextInPhoto', 'iris', textInPhoto)) changed = true;
  if (!changed && existing !== undefined) return existing;
  // xmldom drops whitespace after the last node; keep the file's final newline (or its absence).
  const serialized = new XMLSerializer().serializeToString(packet.doc);
  return bom + serialized.trimEnd() + source.slice(source.trimEnd().length);
}

/** True when `data` has anything to write (an empty sidecar is never created). */
export function hasXmpContent(data: XmpData): boolean {
  return cleanDescription(data.description) !== undefined || cleanSubjects(data.subjects).length > 0 || cleanDescription(data.textInPhoto) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Input cleaning: what we write must read back identically, or "unchanged" would never happen.

/** Anything outside the XML 1.0 `Char` production (control characters, lone surrogates). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function cleanText(text: string): string {
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
function tagKey(tag: string): string {
  return tag.normalize('NFC').toLowerCase();
}

function cleanSubjects(subjects: readonly string[]): string[] {
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
// Parsing.

interface Packet {
  doc: Document;
  rdf: Element;
  /** One level of indentation, copied from the file so inserted lines look like their neighbours. */
  unit: string;
}

function openPacket(text: string): Packet {
  const encoding = /^\s*<\?xml[^?]*\bencoding\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    throw new XmpFormatError(`the XML declaration says encoding="${encoding}"; only UTF-8 sidecars are rewritten`);
  }
  const doc = parseXml(text);
  const found = doc.getElementsByTagNameNS(XMP_NS.rdf, 'RDF');
  const rdf = found.item(0);
  if (found.length === 0 || rdf === null) throw new XmpFormatError('no rdf:RDF element: this is not an XMP packet');
  if (found.length > 1) throw new XmpFormatError('more than one rdf:RDF element');
  return { doc, rdf, unit: guessIndentUnit(rdf) };
}

function parseXml(text: string): Document {
  let problem: string | undefined;
  const parser = new DOMParser({
    // xmldom's default also folds U+2028 and U+0085 into LF (an XML 1.1 rule); XMP is XML 1.0.
    normalizeLineEndings: (source) => source.replace(/\r\n?/g, '\n'),
    onError: (level, message) => {
      // A U+FFFD is odd but legal text; every other report is a well-formedness error.
      if (level === 'warning' && message.startsWith('Unicode replacement character')) return;
      problem ??= message;
      throw new XmpFormatError(message);
    },
  });
  try {
    return parser.parseFromString(text, 'text/xml');
  } catch (error) {
    const detail = problem ?? (error instanceof Error ? error.message : String(error));
    throw new XmpFormatError(`not well-formed XML: ${detail.trim()}`);
  }
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

function isDefaultLanguage(item: Element): boolean {
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

function addSubjects(packet: Packet, subjects: readonly string[]): boolean {
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

function addToTagPathLists(packet: Packet, subjects: readonly string[]): boolean {
  let changed = false;
  for (const list of TAG_PATH_LISTS) {
    const array = findProperty(packet, list.ns, list.name)
      .map((hit) => (hit.element ? (arrayOf(hit.element, 'Seq') ?? arrayOf(hit.element, 'Bag')) : undefined))
      .find((found) => found !== undefined);
    if (!array) continue;
    const known = new Set<string>();
    for (const item of listItems(array)) {
      const path = item.textContent ?? '';
      known.add(tagKey(path));
      known.add(tagKey(path.split(list.separator).pop() ?? path));
    }
    for (const subject of subjects) {
      if (known.has(tagKey(subject))) continue;
      appendIndented(packet, array, textItem(packet, array, subject));
      changed = true;
    }
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

function setSimpleText(packet: Packet, ns: string, name: string, prefix: string, text: string): boolean {
  const hits = findProperty(packet, [ns], name);
  if (hits.length === 1 && simpleValue(hits[0]!) === text) return false;
  const host = hits[0]?.description ?? dublinCoreHost(packet);
  // Always prefixed (declared on the host when the file has none): exiv2 wants properties qualified.
  const property = packet.doc.createElementNS(ns, `${attributePrefix(host, ns, prefix)}:${name}`);
  property.appendChild(packet.doc.createTextNode(text));
  putInPlaceOf(packet, hits, host, property);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Finding properties, in any rdf:Description and in either serialisation (§7).

interface PropertyHit {
  description: Element;
  element?: Element;
  attribute?: Attr;
}

function descriptions(packet: Packet): Element[] {
  return childElements(packet.rdf).filter((child) => isRdf(child, 'Description'));
}

function findProperty(packet: Packet, namespaces: readonly string[], name: string): PropertyHit[] {
  const hits: PropertyHit[] = [];
  for (const description of descriptions(packet)) {
    for (const ns of namespaces) {
      const attribute = description.getAttributeNodeNS(ns, name);
      if (attribute) hits.push({ description, attribute });
    }
    for (const child of childElements(description)) {
      if (child.localName === name && child.namespaceURI !== null && namespaces.includes(child.namespaceURI)) {
        hits.push({ description, element: child });
      }
    }
  }
  return hits;
}

/** The property's `rdf:Bag` / `rdf:Seq` / `rdf:Alt`, when it is that kind. */
function arrayOf(property: Element, kind: 'Bag' | 'Seq' | 'Alt'): Element | undefined {
  const children = childElements(property);
  const array = children[0];
  return children.length === 1 && array && isRdf(array, kind) ? array : undefined;
}

function listItems(array: Element): Element[] {
  return childElements(array).filter((child) => isRdf(child, 'li'));
}

/** Text values of a property, whichever way it is written. */
function valuesOf(hit: PropertyHit): string[] {
  if (hit.attribute) return [hit.attribute.value];
  if (!hit.element) return [];
  const array = childElements(hit.element).find((child) => isRdf(child, 'Bag') || isRdf(child, 'Seq') || isRdf(child, 'Alt'));
  if (array) return listItems(array).map((item) => item.textContent ?? '');
  const text = (hit.element.textContent ?? '').trim();
  return text === '' ? [] : [text];
}

function simpleValue(hit: PropertyHit): string | undefined {
  if (hit.attribute) return hit.attribute.value;
  if (hit.element && childElements(hit.element).length === 0) return hit.element.textContent ?? '';
  return undefined;
}

/** The rdf:Description that already holds Dublin Core properties, else the first one, else a new one. */
function dublinCoreHost(packet: Packet): Element {
  const all = descriptions(packet);
  const host = all.find(holdsDublinCore) ?? all.find((description) => description.lookupPrefix(XMP_NS.dc) !== null) ?? all[0];
  if (host) return host;
  const created = createElement(packet, packet.rdf, XMP_NS.rdf, 'Description', 'rdf');
  created.setAttributeNS(XMP_NS.rdf, `${attributePrefix(packet.rdf, XMP_NS.rdf, 'rdf')}:about`, '');
  appendIndented(packet, packet.rdf, created);
  return created;
}

function holdsDublinCore(description: Element): boolean {
  if (childElements(description).some((child) => child.namespaceURI === XMP_NS.dc)) return true;
  for (let i = 0; i < description.attributes.length; i++) if (description.attributes.item(i)?.namespaceURI === XMP_NS.dc) return true;
  return false;
}

/**
 * Removes every copy of a property and puts one element with an empty array in its place (where
 * the first element copy was, else at the end of `host`). Returns the array.
 */
function replaceProperty(packet: Packet, hits: readonly PropertyHit[], host: Element, ns: string, name: string, kind: 'Bag' | 'Alt'): Element {
  const property = createElement(packet, host, ns, name, 'dc');
  putInPlaceOf(packet, hits, host, property);
  const array = createElement(packet, property, XMP_NS.rdf, kind, 'rdf');
  appendIndented(packet, property, array);
  return array;
}

/** `property` where the first element copy of a property was in `host` (else at its end), every copy removed. */
function putInPlaceOf(packet: Packet, hits: readonly PropertyHit[], host: Element, property: Element): void {
  const firstElement = hits.find((hit) => hit.element && hit.description === host)?.element;
  if (firstElement) host.replaceChild(property, firstElement);
  else appendIndented(packet, host, property);
  for (const hit of hits) {
    if (hit.attribute) hit.description.removeAttributeNode(hit.attribute);
    else if (hit.element && hit.element !== firstElement) removeWithIndent(hit.element);
  }
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: names, namespaces and indentation.

function isElement(node: Node | null): node is Element {
  return node !== null && node.nodeType === node.ELEMENT_NODE;
}

function isRdf(element: Element, name: string): boolean {
  return element.namespaceURI === XMP_NS.rdf && element.localName === name;
}

function childElements(parent: Element): Element[] {
  const result: Element[] = [];
  for (let child = parent.firstChild; child !== null; child = child.nextSibling) if (isElement(child)) result.push(child);
  return result;
}

/** Creates `ns:name` using the prefix already bound in `context`, declaring one on it if none is. */
function createElement(packet: Packet, context: Element, ns: string, name: string, preferredPrefix: string): Element {
  const prefix = context.lookupPrefix(ns);
  if (prefix !== null) return packet.doc.createElementNS(ns, `${prefix}:${name}`);
  if (context.isDefaultNamespace(ns)) return packet.doc.createElementNS(ns, name);
  return packet.doc.createElementNS(ns, `${declarePrefix(context, ns, preferredPrefix)}:${name}`);
}

/** Attributes need a prefix even where the namespace is the default one. */
function attributePrefix(context: Element, ns: string, preferred: string): string {
  return context.lookupPrefix(ns) ?? declarePrefix(context, ns, preferred);
}

/**
 * Declares `ns` on `element`, as `preferred` when that prefix is free there (the file may bind `dc`
 * to something else, or Dublin Core to another prefix: both are legal XML namespaces).
 */
function declarePrefix(element: Element, ns: string, preferred: string): string {
  let prefix = preferred;
  for (let n = 1; element.lookupNamespaceURI(prefix) !== null; n++) prefix = `${preferred}${n}`;
  element.setAttributeNS(XMP_NS.xmlns, `xmlns:${prefix}`, ns);
  return prefix;
}

function isWhitespaceText(node: Node | null): boolean {
  return node !== null && node.nodeType === node.TEXT_NODE && /^\s*$/.test(node.nodeValue ?? '');
}

/** The line break and indentation before `node`, or undefined when it shares a line with its neighbour. */
function indentOf(node: Node): string | undefined {
  const before = node.previousSibling;
  if (!isWhitespaceText(before)) return undefined;
  const text = before?.nodeValue ?? '';
  const lineStart = text.lastIndexOf('\n');
  return lineStart === -1 ? undefined : text.slice(lineStart);
}

/** exiv2 (digiKam) indents by one space, Adobe by three: copy whatever the file does. */
function guessIndentUnit(rdf: Element): string {
  for (const description of childElements(rdf)) {
    const outer = indentOf(description);
    for (const child of childElements(description)) {
      const inner = indentOf(child);
      if (outer !== undefined && inner !== undefined && inner.startsWith(outer) && inner.length > outer.length) return inner.slice(outer.length);
    }
  }
  return ' ';
}

/** Appends `child` as the last element of `parent`, indented like its siblings. */
function appendIndented(packet: Packet, parent: Element, child: Node): void {
  const last = childElements(parent).pop();
  const parentIndent = indentOf(parent);
  const childIndent = last ? indentOf(last) : parentIndent === undefined ? undefined : parentIndent + packet.unit;
  const trailing = isWhitespaceText(parent.lastChild) ? parent.lastChild : null;
  if (childIndent !== undefined) parent.insertBefore(packet.doc.createTextNode(childIndent), trailing);
  parent.insertBefore(child, trailing);
  if (!trailing && !last && childIndent !== undefined && parentIndent !== undefined) parent.appendChild(packet.doc.createTextNode(parentIndent));
}

/** Inserts `child` before the first element of `parent` (the x-default item goes first). */
function insertFirst(packet: Packet, parent: Element, child: Node): void {
  const first = childElements(parent)[0];
  if (!first) return appendIndented(packet, parent, child);
  parent.insertBefore(child, first);
  const indent = indentOf(child);
  if (indent !== undefined) parent.insertBefore(packet.doc.createTextNode(indent), first);
}

function removeWithIndent(element: Element): void {
  const parent = element.parentNode;
  if (!parent) return;
  const before = element.previousSibling;
  if (before && isWhitespaceText(before)) parent.removeChild(before);
  parent.removeChild(element);
}

function replaceText(packet: Packet, element: Element, text: string): void {
  while (element.firstChild) element.removeChild(element.firstChild);
  element.appendChild(packet.doc.createTextNode(text));
}
