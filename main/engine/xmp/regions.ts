import type { Document, Element } from '@xmldom/xmldom';
import { XMP_NS, type Packet, appendIndented, attributePrefix, childElements, createElement, dublinCoreHost, findProperty, isRdf, listItems } from './packet.js';

/**
 * Face regions in XMP, in the Metadata Working Group's layout (MWG Guidelines 2.0, §5.9 "Image
 * Region Metadata"), as digiKam, Lightroom, Picasa and Apple Photos write them:
 *
 *   mwg-rs:Regions (a struct)
 *     mwg-rs:AppliedToDimensions  stDim:w, stDim:h, stDim:unit="pixel"
 *     mwg-rs:RegionList (rdf:Bag of structs)
 *       mwg-rs:Name, mwg-rs:Type="Face",
 *       mwg-rs:Area  stArea:x, stArea:y (the CENTRE), stArea:w, stArea:h, stArea:unit="normalized"
 *
 * Struct fields may be written as attributes or as elements (XMP Part 1 §7); both are read.
 * Writing adds the named faces a sidecar does not already have (same name, about the same place)
 * and keeps every region other tools wrote: the union, as for tags.
 */

const MWG_NS = {
  rs: 'http://www.metadataworkinggroup.com/schemas/regions/',
  area: 'http://ns.adobe.com/xmp/sType/Area#',
  dim: 'http://ns.adobe.com/xap/1.0/sType/Dimensions#',
} as const;

/** A named face, its box as fractions of the upright photo (top-left corner, width, height). */
export interface FaceRegion {
  name: string;
  box: { x: number; y: number; w: number; h: number };
}

/** A struct field, as an attribute of the struct or as a child element. */
function field(struct: Element, ns: string, name: string): string | undefined {
  const attribute = struct.getAttributeNS(ns, name);
  if (attribute) return attribute;
  const child = childElements(struct).find((element) => element.namespaceURI === ns && element.localName === name);
  return child?.textContent?.trim() || undefined;
}

/** The struct an rdf:li holds: itself with rdf:parseType="Resource", else its rdf:Description. */
function structOf(item: Element): Element {
  return childElements(item).find((child) => isRdf(child, 'Description')) ?? item;
}

/** The named Face regions of a parsed packet, in top-left form. */
export function faceRegionsOf(doc: Document): FaceRegion[] {
  const regions: FaceRegion[] = [];
  const lists = doc.getElementsByTagNameNS(MWG_NS.rs, 'RegionList');
  for (let i = 0; i < lists.length; i++) {
    const bag = childElements(lists.item(i)!).find((child) => isRdf(child, 'Bag') || isRdf(child, 'Seq'));
    for (const item of bag ? listItems(bag) : []) {
      const struct = structOf(item);
      const name = field(struct, MWG_NS.rs, 'Name');
      const type = field(struct, MWG_NS.rs, 'Type');
      const area = childElements(struct).find((child) => child.namespaceURI === MWG_NS.rs && child.localName === 'Area');
      if (!name || (type && type !== 'Face') || !area) continue;
      const areaStruct = structOf(area);
      const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((key) => Number(field(areaStruct, MWG_NS.area, key)));
      const unit = field(areaStruct, MWG_NS.area, 'unit') ?? 'normalized';
      if (unit !== 'normalized' || ![x, y, w, h].every((value) => Number.isFinite(value))) continue;
      // To the micro-unit written (a centre minus half a width is not exact in binary).
      const fine = (value: number) => Math.round(value * 1e6) / 1e6;
      regions.push({ name, box: { x: fine(x! - w! / 2), y: fine(y! - h! / 2), w: fine(w!), h: fine(h!) } });
    }
  }
  return regions;
}

/** The same person about the same place: centres closer than half the box. */
function alreadyThere(existing: readonly FaceRegion[], face: FaceRegion): boolean {
  const cx = face.box.x + face.box.w / 2;
  const cy = face.box.y + face.box.h / 2;
  return existing.some(
    (other) => other.name.toLowerCase() === face.name.toLowerCase() && Math.abs(other.box.x + other.box.w / 2 - cx) < face.box.w / 2 && Math.abs(other.box.y + other.box.h / 2 - cy) < face.box.h / 2,
  );
}

const round = (value: number) => String(Math.round(value * 1e6) / 1e6);

/** Adds the faces the packet does not have yet; returns whether anything changed. */
export function addFaceRegions(packet: Packet, faces: readonly FaceRegion[], dimensions: { width: number; height: number } | undefined): boolean {
  const existing = faceRegionsOf(packet.doc);
  const missing = faces.filter((face) => !alreadyThere(existing, face));
  if (missing.length === 0) return false;
  let bag = listBag(packet);
  if (!bag) {
    const host = findProperty(packet, [MWG_NS.rs], 'Regions')[0]?.description ?? dublinCoreHost(packet);
    const regions = createElement(packet, host, MWG_NS.rs, 'Regions', 'mwg-rs');
    regions.setAttributeNS(XMP_NS.rdf, `${attributePrefix(host, XMP_NS.rdf, 'rdf')}:parseType`, 'Resource');
    appendIndented(packet, host, regions);
    if (dimensions) {
      const applied = createElement(packet, regions, MWG_NS.rs, 'AppliedToDimensions', 'mwg-rs');
      const dim = attributePrefix(regions, MWG_NS.dim, 'stDim');
      applied.setAttributeNS(MWG_NS.dim, `${dim}:w`, String(dimensions.width));
      applied.setAttributeNS(MWG_NS.dim, `${dim}:h`, String(dimensions.height));
      applied.setAttributeNS(MWG_NS.dim, `${dim}:unit`, 'pixel');
      appendIndented(packet, regions, applied);
    }
    const list = createElement(packet, regions, MWG_NS.rs, 'RegionList', 'mwg-rs');
    appendIndented(packet, regions, list);
    bag = createElement(packet, list, XMP_NS.rdf, 'Bag', 'rdf');
    appendIndented(packet, list, bag);
  }
  for (const face of missing) {
    const item = createElement(packet, bag, XMP_NS.rdf, 'li', 'rdf');
    const struct = createElement(packet, item, XMP_NS.rdf, 'Description', 'rdf');
    const rs = attributePrefix(struct, MWG_NS.rs, 'mwg-rs');
    struct.setAttributeNS(MWG_NS.rs, `${rs}:Name`, face.name);
    struct.setAttributeNS(MWG_NS.rs, `${rs}:Type`, 'Face');
    const area = createElement(packet, struct, MWG_NS.rs, 'Area', 'mwg-rs');
    const st = attributePrefix(area, MWG_NS.area, 'stArea');
    const { x, y, w, h } = face.box;
    for (const [key, value] of [['x', round(x + w / 2)], ['y', round(y + h / 2)], ['w', round(w)], ['h', round(h)], ['unit', 'normalized']] as const) area.setAttributeNS(MWG_NS.area, `${st}:${key}`, value);
    appendIndented(packet, struct, area);
    appendIndented(packet, item, struct);
    appendIndented(packet, bag, item);
  }
  return true;
}

/** The rdf:Bag of the first mwg-rs:RegionList, when the packet has one. */
function listBag(packet: Packet): Element | undefined {
  const list = packet.doc.getElementsByTagNameNS(MWG_NS.rs, 'RegionList').item(0);
  return list ? childElements(list).find((child) => isRdf(child, 'Bag')) : undefined;
}
