import type { Element } from '@xmldom/xmldom';
import { cleanText, editPacket, isDefaultLanguage, setSimpleText } from './merge.js';
import { mergeKeywords, readKeywords } from './organise-keywords.js';
import {
  type ColourLabel,
  type Stars,
  PERCENT_FOR_STARS,
  colourOfDarktableNumber,
  colourOfXmpLabel,
  darktableNumberOf,
  digiKamNumberOf,
  labelOfDigiKamNumber,
  starsOfPercent,
  starsOfXmpRating,
  xmpLabelOf,
} from './organise-values.js';
import { XMP_NS, type Packet, type PropertyHit, appendIndented, arrayOf, childElements, createElement, findProperty, listItems, openPacket, removeWithIndent, replaceText, simpleValue } from './packet.js';

/**
 * The organising metadata other photo apps keep in XMP (stars, reject, colour label, keywords,
 * caption), read from a packet and merged into one. Pure: text in, text out (files: sidecar.ts).
 * What each property means and who writes it: organise-values.ts and organise-keywords.ts. The
 * merge follows merge.ts: what Iris does not change stays, and a property Iris has no word for
 * (digiKam's orange label, a custom Lightroom label text) is never dropped because Iris said null.
 */

export { colourOfXmpLabel } from './organise-values.js';

export interface OrganiseXmp {
  /** 0..5 (0: the packet says "unrated"), null when it says nothing or nonsense. */
  rating: number | null;
  rejected: boolean;
  /** The label as written ("Red", "Select", "Client A"); colourOfXmpLabel says what Iris makes of it. */
  label: string | null;
  /** dc:subject; the leaves of `hierarchical` when the packet has no dc:subject. */
  keywords: string[];
  /** Paths joined with "|" ("Places|France|Paris"), from lr:hierarchicalSubject or digiKam's "/" lists. */
  hierarchical: string[];
  /** dc:description, the x-default item (else the first). */
  description: string | null;
}

/** Both spellings of the Microsoft namespace occur in the wild (merge.ts). */
const MICROSOFT = [XMP_NS.microsoftPhoto, XMP_NS.microsoftPhoto.slice(0, -1)];

/** Reads a packet. Throws XmpFormatError for malformed XML or text that is not XMP. */
export function readOrganiseXmp(text: string): OrganiseXmp {
  const packet = openPacket(text.replace(/^\uFEFF/, ''));
  return { ...readStars(packet), label: readLabel(packet), ...readKeywords(packet), description: readDescription(packet) };
}

function firstValue(hits: readonly PropertyHit[]): string | undefined {
  return hits.map(simpleValue).find((value) => value !== undefined);
}

function readStars(packet: Packet): Stars {
  const rating = findProperty(packet, [XMP_NS.xmp], 'Rating');
  const percent = findProperty(packet, MICROSOFT, 'Rating');
  // Windows' percentage only counts when the standard property is absent (not when it is garbage).
  const stars: Stars = rating.length > 0 ? (starsOfXmpRating(firstValue(rating)) ?? { rating: null, rejected: false }) : { rating: starsOfPercent(firstValue(percent)) ?? null, rejected: false };
  // digiKam marks a reject with its pick label, keeping the stars.
  const picked = firstValue(findProperty(packet, [XMP_NS.digiKam], 'PickLabel'))?.trim();
  return picked === '1' ? { ...stars, rejected: true } : stars;
}

/** xmp:Label, else digiKam's number, else darktable's first colour. */
function readLabel(packet: Packet): string | null {
  const label = firstValue(findProperty(packet, [XMP_NS.xmp], 'Label'))?.trim();
  if (label) return label;
  const digiKam = labelOfDigiKamNumber(firstValue(findProperty(packet, [XMP_NS.digiKam], 'ColorLabel')));
  if (digiKam) return digiKam;
  const darktable = darktableLabels(packet).items.map((item) => colourOfDarktableNumber(item.textContent ?? '')).find((colour) => colour !== null);
  return darktable ? xmpLabelOf(darktable) : null;
}

function darktableLabels(packet: Packet): { array?: Element; items: Element[] } {
  const property = findProperty(packet, [XMP_NS.darktable], 'colorlabels').find((hit) => hit.element)?.element;
  const array = property ? (arrayOf(property, 'Seq') ?? arrayOf(property, 'Bag')) : undefined;
  return { array, items: array ? listItems(array) : [] };
}

function readDescription(packet: Packet): string | null {
  for (const hit of findProperty(packet, [XMP_NS.dc], 'description')) {
    const array = hit.element ? childElements(hit.element).find((child) => child.namespaceURI === XMP_NS.rdf) : undefined;
    const items = array ? listItems(array) : [];
    const text = (array ? (items.find(isDefaultLanguage) ?? items[0])?.textContent : simpleValue(hit))?.trim();
    if (text) return text;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Merging.

export interface OrganiseData {
  /** 1..5 stars; 0 and null both mean none. */
  rating: number | null;
  rejected: boolean;
  /** One of Iris's colours in any case ("red": written as "Red"), any other label text as it is, or null. */
  label: string | null;
  keywords: readonly string[];
  hierarchical?: readonly string[];
  /** Keywords (names or "|" paths) the user removed in Iris: the only keywords ever taken out. */
  removedKeywords?: readonly string[];
}

/**
 * Merges `data` into `existing` (undefined or empty: a new packet): xmp:Rating (-1 for a reject),
 * xmp:Label, and the keywords in dc:subject and the path lists. The other apps' copies of the same
 * facts are kept in step where the packet already has them (MicrosoftPhoto:Rating,
 * digiKam:PickLabel and ColorLabel, darktable:colorlabels), since those apps read their own first.
 * Everything else stays; nothing changed: `existing` itself is returned. Throws XmpFormatError.
 */
export function mergeOrganiseXmp(existing: string | undefined, data: OrganiseData): string {
  if (data.rating !== null && !(Number.isInteger(data.rating) && data.rating >= 0 && data.rating <= 5)) throw new RangeError(`a rating is 0 to 5 stars, not ${data.rating}`);
  const keywords = { keywords: data.keywords, hierarchical: data.hierarchical ?? [], removed: data.removedKeywords ?? [] };
  // Cleaned as merge.ts cleans tags, so what is written reads back identically.
  const label = data.label === null ? null : cleanText(data.label).trim() || null;
  return editPacket(existing, (packet) => {
    const stars = writeStars(packet, data.rejected ? -1 : data.rating || null);
    const labelled = writeLabel(packet, label);
    const words = mergeKeywords(packet, keywords);
    return stars || labelled || words;
  });
}

/** Sets a simple property, in place when there is one copy (attribute or element), else as one element. */
function setSimple(packet: Packet, hits: readonly PropertyHit[], ns: string, name: string, prefix: string, value: string): void {
  const only = hits.length === 1 ? hits[0]! : undefined;
  if (only?.attribute) only.description.setAttributeNS(ns, only.attribute.name, value);
  else if (only?.element && childElements(only.element).length === 0) replaceText(packet, only.element, value);
  else setSimpleText(packet, ns, name, prefix, value);
}

function removeAll(hits: readonly PropertyHit[]): void {
  for (const hit of hits) {
    if (hit.attribute) hit.description.removeAttributeNode(hit.attribute);
    else if (hit.element) removeWithIndent(hit.element);
  }
}

/**
 * Applies `wanted` to a property whose value means something (`meaning`): left alone when it already
 * means that (so "4.0" stays "4.0"), removed for undefined, else set to `write(wanted)`. A value
 * that means nothing to Iris (garbage) is left when Iris wants none.
 */
function applyValue<T>(packet: Packet, hits: readonly PropertyHit[], ns: string, name: string, prefix: string, meaning: (value: string | undefined) => T | undefined, wanted: T | undefined, write: (value: T) => string): boolean {
  const current = hits.length > 0 ? meaning(firstValue(hits)) : undefined;
  if (wanted === undefined) {
    if (current === undefined) return false;
    removeAll(hits);
    return true;
  }
  if (hits.length === 1 && current === wanted) return false;
  setSimple(packet, hits, ns, name, prefix, write(wanted));
  return true;
}

/** `stars`: -1 for a reject, 1..5, or null for none. */
function writeStars(packet: Packet, stars: number | null): boolean {
  // 0 ("unrated") already says none: kept rather than removed.
  const ratingOf = (value: string | undefined) => {
    const read = starsOfXmpRating(value);
    return read === undefined || read.rating === 0 ? undefined : read.rejected ? -1 : read.rating!;
  };
  let changed = applyValue(packet, findProperty(packet, [XMP_NS.xmp], 'Rating'), XMP_NS.xmp, 'Rating', 'xmp', ratingOf, stars ?? undefined, String);
  const percent = findProperty(packet, MICROSOFT, 'Rating');
  if (percent.length > 0) {
    // Windows has no reject: a rejected photo has no stars there.
    const wanted = stars === null || stars < 0 ? undefined : stars;
    const ns = percent[0]!.attribute?.namespaceURI ?? percent[0]!.element?.namespaceURI ?? XMP_NS.microsoftPhoto;
    const percentOf = (value: string | undefined) => (starsOfPercent(value) || undefined);
    if (applyValue(packet, percent, ns, 'Rating', 'MicrosoftPhoto', percentOf, wanted, (n) => String(PERCENT_FOR_STARS[n]))) changed = true;
  }
  const pick = findProperty(packet, [XMP_NS.digiKam], 'PickLabel');
  const picked = firstValue(pick)?.trim();
  // digiKam's reject is pick label 1; un-rejecting sets 0 ("no pick label"), keeping 2 and 3.
  if (pick.length > 0 && (stars === -1) !== (picked === '1')) {
    setSimple(packet, pick, XMP_NS.digiKam, 'PickLabel', 'digiKam', stars === -1 ? '1' : '0');
    changed = true;
  }
  return changed;
}

function writeLabel(packet: Packet, label: string | null): boolean {
  const colour = colourOfXmpLabel(label);
  // Iris's own names are written as Lightroom and digiKam spell them; other text as it is.
  const text = colour !== null && label!.toLowerCase() === colour ? xmpLabelOf(colour) : label;
  const before = colourOfXmpLabel(readLabel(packet));
  const hits = findProperty(packet, [XMP_NS.xmp], 'Label');
  const current = firstValue(hits)?.trim() || null;
  // The same colour under another name ("Select") stays; without xmp:Label, digiKam's or
  // darktable's own property saying that colour is enough (nothing is added).
  const sameColour = colour !== null && (hits.length === 0 ? before : colourOfXmpLabel(current)) === colour;
  const alreadySaid = hits.length <= 1 && (current === text || sameColour);
  let changed = false;
  if (text === null) {
    // Only a label meaning one of Iris's colours is removed: other text was never shown as one.
    if (colourOfXmpLabel(current) !== null) {
      removeAll(hits);
      changed = true;
    }
  } else if (!alreadySaid) {
    setSimple(packet, hits, XMP_NS.xmp, 'Label', 'xmp', text);
    changed = true;
  }
  if (writeDigiKamLabel(packet, colour)) changed = true;
  if (writeDarktableLabels(packet, before, colour)) changed = true;
  return changed;
}

/** digiKam reads its number before xmp:Label. Its other colours (orange, gray...) stay unless Iris sets one. */
function writeDigiKamLabel(packet: Packet, colour: ColourLabel | null): boolean {
  const hits = findProperty(packet, [XMP_NS.digiKam], 'ColorLabel');
  if (hits.length === 0) return false;
  const current = labelOfDigiKamNumber(firstValue(hits));
  const wanted = colour === null ? '0' : String(digiKamNumberOf(colour));
  if (colour === null ? colourOfXmpLabel(current) === null : firstValue(hits)?.trim() === wanted) return false;
  setSimple(packet, hits, XMP_NS.digiKam, 'ColorLabel', 'digiKam', wanted);
  return true;
}

/** darktable keeps several colours: the one Iris showed is swapped for the new one, the rest stay. */
function writeDarktableLabels(packet: Packet, before: ColourLabel | null, colour: ColourLabel | null): boolean {
  const { array, items } = darktableLabels(packet);
  if (!array) return false;
  let changed = false;
  if (before !== null && before !== colour) {
    for (const item of items.filter((element) => colourOfDarktableNumber(element.textContent ?? '') === before)) {
      removeWithIndent(item);
      changed = true;
    }
  }
  if (colour !== null && !items.some((element) => colourOfDarktableNumber(element.textContent ?? '') === colour)) {
    const item = createElement(packet, array, XMP_NS.rdf, 'li', 'rdf');
    item.appendChild(packet.doc.createTextNode(String(darktableNumberOf(colour))));
    appendIndented(packet, array, item);
    changed = true;
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------
// Packets from several places: embedded in the photo, and sidecars.

/**
 * Text from XMP bytes: UTF-8 (BOM or not), or UTF-16 by its BOM or by its zero bytes (the XMP
 * packet wrapper, XMP Specification Part 1, allows UTF-8, UTF-16 and UTF-32; the U+FEFF in
 * `begin` tells which). UTF-32 is not decoded (the packet then reads as unparseable). Lenient: bad
 * bytes become U+FFFD, which reading tolerates (nothing decoded here is ever written back).
 */
export function decodeXmpBytes(bytes: Uint8Array): string {
  const [a, b] = [bytes[0], bytes[1]];
  const utf16 = a === 0xfe && b === 0xff ? 'utf-16be' : a === 0xff && b === 0xfe ? 'utf-16le' : a === 0 && b !== 0 ? 'utf-16be' : a !== 0 && b === 0 ? 'utf-16le' : undefined;
  const text = new TextDecoder(utf16 ?? 'utf-8').decode(bytes);
  // Some writers pad the packet with NULs; the declaration's encoding is no longer true once decoded.
  const trimmed = text.replace(/\0+$/, '');
  return utf16 ? trimmed.replace(/^\s*<\?xml[^?]*\?>/, '') : trimmed;
}

/**
 * The organising metadata of a photo's embedded XMP (sharp's `metadata().xmp`), or null when there
 * is none or it cannot be read: a broken packet inside a photo must never fail the photo.
 */
export function embeddedXmpOf(xmp: Uint8Array | undefined): OrganiseXmp | null {
  if (!xmp || xmp.length === 0) return null;
  try {
    return readOrganiseXmp(decodeXmpBytes(xmp));
  } catch {
    return null;
  }
}

/**
 * `sidecar` over `embedded`, field by field; either may be missing. A field is stars-and-reject
 * (one xmp:Rating), label, keywords-and-paths (read together) or caption; an empty one gives way.
 * The sidecar wins because digiKam and Lightroom write edits there when the photo is read-only or a
 * raw (digiKam, reading sidecars, takes XMP from the sidecar rather than the file), so it is the
 * newer word. sidecar.ts uses the same rule to put one sidecar over another.
 */
export function combineOrganise(embedded: OrganiseXmp | null, sidecar: OrganiseXmp | null): OrganiseXmp | null {
  if (!embedded || !sidecar) return sidecar ?? embedded;
  const [first, second] = [sidecar, embedded];
  const stars = first.rating !== null || first.rejected ? first : second;
  const words = first.keywords.length > 0 || first.hierarchical.length > 0 ? first : second;
  return {
    rating: stars.rating,
    rejected: stars.rejected,
    label: first.label ?? second.label,
    keywords: words.keywords,
    hierarchical: words.hierarchical,
    description: first.description ?? second.description,
  };
}
