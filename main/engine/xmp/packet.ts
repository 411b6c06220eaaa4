import { DOMParser, type Attr, type Document, type Element, type Node } from '@xmldom/xmldom';
import { UserFacingError } from '../errors.js';

/**
 * An XMP packet as a DOM, and the means to find and change its properties without disturbing the
 * rest: parsing (UTF-8 only, well-formed or refused), finding a property in any rdf:Description in
 * either serialisation (XMP Part 1 §7: element or attribute), creating elements under the prefix
 * the file already uses, and indenting inserted lines like their neighbours. What is written is
 * decided by merge.ts (captions, tags, text) and regions.ts (face regions).
 */

export const XMP_NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  /** The XMP basic namespace (XMP Specification Part 2): xmp:Rating, xmp:Label. */
  xmp: 'http://ns.adobe.com/xap/1.0/',
  darktable: 'http://darktable.sf.net/',
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

/** The existing text is not an XMP packet Iris can safely rewrite. */
export class XmpFormatError extends UserFacingError {
  readonly callCode = 'usage';

  constructor(message: string) {
    super(message);
    this.name = 'XmpFormatError';
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing.

export interface Packet {
  doc: Document;
  rdf: Element;
  /** One level of indentation, copied from the file so inserted lines look like their neighbours. */
  unit: string;
}

export function openPacket(text: string): Packet {
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
// Finding properties, in any rdf:Description and in either serialisation (§7).

export interface PropertyHit {
  description: Element;
  element?: Element;
  attribute?: Attr;
}

function descriptions(packet: Packet): Element[] {
  return childElements(packet.rdf).filter((child) => isRdf(child, 'Description'));
}

export function findProperty(packet: Packet, namespaces: readonly string[], name: string): PropertyHit[] {
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
export function arrayOf(property: Element, kind: 'Bag' | 'Seq' | 'Alt'): Element | undefined {
  const children = childElements(property);
  const array = children[0];
  return children.length === 1 && array && isRdf(array, kind) ? array : undefined;
}

export function listItems(array: Element): Element[] {
  return childElements(array).filter((child) => isRdf(child, 'li'));
}

/** Text values of a property, whichever way it is written. */
export function valuesOf(hit: PropertyHit): string[] {
  if (hit.attribute) return [hit.attribute.value];
  if (!hit.element) return [];
  const array = childElements(hit.element).find((child) => isRdf(child, 'Bag') || isRdf(child, 'Seq') || isRdf(child, 'Alt'));
  if (array) return listItems(array).map((item) => item.textContent ?? '');
  const text = (hit.element.textContent ?? '').trim();
  return text === '' ? [] : [text];
}

export function simpleValue(hit: PropertyHit): string | undefined {
  if (hit.attribute) return hit.attribute.value;
  if (hit.element && childElements(hit.element).length === 0) return hit.element.textContent ?? '';
  return undefined;
}

/** The rdf:Description that already holds Dublin Core properties, else the first one, else a new one. */
export function dublinCoreHost(packet: Packet): Element {
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
export function replaceProperty(packet: Packet, hits: readonly PropertyHit[], host: Element, ns: string, name: string, kind: 'Bag' | 'Alt'): Element {
  const property = createElement(packet, host, ns, name, 'dc');
  putInPlaceOf(packet, hits, host, property);
  const array = createElement(packet, property, XMP_NS.rdf, kind, 'rdf');
  appendIndented(packet, property, array);
  return array;
}

/** `property` where the first element copy of a property was in `host` (else at its end), every copy removed. */
export function putInPlaceOf(packet: Packet, hits: readonly PropertyHit[], host: Element, property: Element): void {
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

export function isRdf(element: Element, name: string): boolean {
  return element.namespaceURI === XMP_NS.rdf && element.localName === name;
}

export function childElements(parent: Element): Element[] {
  const result: Element[] = [];
  for (let child = parent.firstChild; child !== null; child = child.nextSibling) if (isElement(child)) result.push(child);
  return result;
}

/** Creates `ns:name` using the prefix already bound in `context`, declaring one on it if none is. */
export function createElement(packet: Packet, context: Element, ns: string, name: string, preferredPrefix: string): Element {
  const prefix = context.lookupPrefix(ns);
  if (prefix !== null) return packet.doc.createElementNS(ns, `${prefix}:${name}`);
  // Not isDefaultNamespace(): xmldom (0.9) answers true for every namespace without a prefix, which
  // wrote `<hierarchicalSubject xmlns="...">` instead of declaring `lr`. '' is the default namespace.
  if (context.lookupNamespaceURI('') === ns) return packet.doc.createElementNS(ns, name);
  return packet.doc.createElementNS(ns, `${declarePrefix(context, ns, preferredPrefix)}:${name}`);
}

/** Attributes need a prefix even where the namespace is the default one. */
export function attributePrefix(context: Element, ns: string, preferred: string): string {
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
export function appendIndented(packet: Packet, parent: Element, child: Node): void {
  const last = childElements(parent).pop();
  const parentIndent = indentOf(parent);
  const childIndent = last ? indentOf(last) : parentIndent === undefined ? undefined : parentIndent + packet.unit;
  const trailing = isWhitespaceText(parent.lastChild) ? parent.lastChild : null;
  if (childIndent !== undefined) parent.insertBefore(packet.doc.createTextNode(childIndent), trailing);
  parent.insertBefore(child, trailing);
  if (!trailing && !last && childIndent !== undefined && parentIndent !== undefined) parent.appendChild(packet.doc.createTextNode(parentIndent));
}

/** Inserts `child` before the first element of `parent` (the x-default item goes first). */
export function insertFirst(packet: Packet, parent: Element, child: Node): void {
  const first = childElements(parent)[0];
  if (!first) return appendIndented(packet, parent, child);
  parent.insertBefore(child, first);
  const indent = indentOf(child);
  if (indent !== undefined) parent.insertBefore(packet.doc.createTextNode(indent), first);
}

/** Removes `element` and the line break and indentation before it. */
export function removeWithIndent(element: Element): void {
  const parent = element.parentNode;
  if (!parent) return;
  const before = element.previousSibling;
  if (before && isWhitespaceText(before)) parent.removeChild(before);
  parent.removeChild(element);
}

export function replaceText(packet: Packet, element: Element, text: string): void {
  while (element.firstChild) element.removeChild(element.firstChild);
  element.appendChild(packet.doc.createTextNode(text));
}
