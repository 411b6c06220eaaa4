import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { mergeXmp, readFaceRegions, XMP_NS, XmpFormatError } from '../../main/engine/xmp/merge.js';
import { chooseSidecarName, SidecarError, sidecarPathFor, writeSidecar } from '../../main/engine/xmp/sidecar.js';
import { makePhoto, repoRoot, sha256, tempDir as makeTempDir } from '../helpers/fixtures.js';

/**
 * XMP sidecar export: the merge keeps everything other tools wrote, the result reads back the way
 * digiKam and Lightroom read it, and the photo itself is never touched.
 */

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'xmp');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const scratchDirs: string[] = [];
after(() => {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  scratchDirs.push(dir);
  return dir;
}

const DATA = { description: 'A dog running on the beach', subjects: ['dog', 'sunset', 'ocean'] };

/** An independent reading of the result: strict parse, then the Dublin Core values by namespace. */
function readBack(xml: string) {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(xml.replace(/^\uFEFF/, ''), 'text/xml');
  const items = (ns: string, name: string): Element[] => {
    const property = doc.getElementsByTagNameNS(ns, name).item(0);
    return property ? Array.from(property.getElementsByTagNameNS(XMP_NS.rdf, 'li')) : [];
  };
  const descriptions = items(XMP_NS.dc, 'description').map((li) => [li.getAttributeNS(XMP_NS.xml, 'lang'), li.textContent] as const);
  return {
    doc,
    descriptions,
    caption: descriptions.find(([lang]) => lang === 'x-default')?.[1],
    subjects: items(XMP_NS.dc, 'subject').map((li) => li.textContent),
    list: (ns: string, name: string) => items(ns, name).map((li) => li.textContent),
    containerOf: (ns: string, name: string) => doc.getElementsByTagNameNS(ns, name).item(0)?.getElementsByTagNameNS(XMP_NS.rdf, '*').item(0)?.localName,
  };
}

/** A folder holding one fake photo (the sidecar code must never read it, so any bytes will do). */
function photoFolder(name = 'photo.jpg'): { dir: string; photo: string } {
  const dir = tempDir('iris-xmp-');
  const photo = path.join(dir, name);
  fs.writeFileSync(photo, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]));
  return { dir, photo };
}

describe('mergeXmp', () => {
  it('creates a minimal valid packet when there is no sidecar', () => {
    const xml = mergeXmp(undefined, DATA);
    assert.ok(xml.startsWith('<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>'));
    assert.ok(xml.endsWith('<?xpacket end="w"?>'));
    const read = readBack(xml);
    assert.equal(read.doc.documentElement?.namespaceURI, XMP_NS.x);
    assert.equal(read.doc.documentElement?.localName, 'xmpmeta');
    const description = read.doc.getElementsByTagNameNS(XMP_NS.rdf, 'Description').item(0);
    assert.equal(description?.getAttributeNS(XMP_NS.rdf, 'about'), '');
    assert.deepEqual(read.descriptions, [['x-default', DATA.description]]);
    assert.deepEqual(read.subjects, DATA.subjects);
    assert.equal(read.containerOf(XMP_NS.dc, 'subject'), 'Bag');
    assert.equal(read.containerOf(XMP_NS.dc, 'description'), 'Alt');
  });

  it('keeps digiKam data and adds our tags to the lists digiKam reads before dc:subject', () => {
    const source = fixture('digikam.jpg.xmp');
    const xml = mergeXmp(source, { description: 'Dog at sunset', subjects: ['dog', 'sunset'] });
    const read = readBack(xml);
    assert.match(xml, /x:xmptk="XMP Core 4\.4\.0-Exiv2"/);
    const description = read.doc.getElementsByTagNameNS(XMP_NS.rdf, 'Description').item(0);
    assert.equal(description?.getAttributeNS('http://ns.adobe.com/xap/1.0/', 'Rating'), '4');
    assert.equal(description?.getAttributeNS(XMP_NS.digiKam, 'ColorLabel'), '3');
    assert.equal(description?.getAttributeNS('http://ns.adobe.com/exif/1.0/', 'DateTimeOriginal'), '2023-07-14T18:42:07');
    // `dog` is already there as `Dog` (and as the leaf of Animals/Dog): only `sunset` is new.
    assert.deepEqual(read.subjects, ['Dog', 'Beach', 'sunset']);
    assert.deepEqual(read.list(XMP_NS.digiKam, 'TagsList'), ['Animals/Dog', 'Places/Beach', 'sunset']);
    assert.equal(read.containerOf(XMP_NS.digiKam, 'TagsList'), 'Seq');
    assert.deepEqual(read.list(XMP_NS.microsoftPhoto, 'LastKeywordXMP'), ['Animals/Dog', 'Places/Beach', 'sunset']);
    assert.deepEqual(read.list(XMP_NS.lr, 'hierarchicalSubject'), ['Animals|Dog', 'Places|Beach', 'sunset']);
    assert.equal(read.caption, 'Dog at sunset');
    // Inserted lines follow the file's one-space (exiv2) indentation.
    assert.match(xml, /\n {5}<rdf:li>Beach<\/rdf:li>\n {5}<rdf:li>sunset<\/rdf:li>\n {4}<\/rdf:Bag>/);
    assert.ok(xml.startsWith('<?xpacket begin="\uFEFF"') && xml.endsWith('<?xpacket end="w"?>'));
  });

  it('keeps Lightroom develop settings and merges subjects without duplicates', () => {
    const source = fixture('lightroom.xmp');
    const crs = (xml: string) => [...xml.matchAll(/crs:(\w+)="([^"]*)"/g)].map((match) => `${match[1]}=${match[2]}`);
    const xml = mergeXmp(source, { subjects: ['Sunset', 'dog', 'beach', 'dog'] });
    const read = readBack(xml);
    assert.deepEqual(crs(xml), crs(source));
    assert.equal(crs(xml).length, 6);
    assert.deepEqual(read.list('http://ns.adobe.com/camera-raw-settings/1.0/', 'ToneCurvePV2012'), ['0, 0', '255, 255']);
    assert.deepEqual(read.subjects, ['beach', 'sunset', 'dog']);
    assert.match(xml, /x:xmptk="Adobe XMP Core 7\.0-c000 1\.000000, 0000\/00\/00-00:00:00 {8}"/);
    assert.match(xml, /dc:format="image\/x-canon-cr2"/);
    assert.equal(read.descriptions.length, 0, 'no description was asked for');
    assert.ok(xml.endsWith('</x:xmpmeta>\n'), 'the final newline is kept');
  });

  it('replaces only the x-default caption and keeps the other languages', () => {
    const read = readBack(mergeXmp(fixture('multilingual.xmp'), { description: 'New caption', subjects: [] }));
    assert.deepEqual(read.descriptions, [
      ['x-default', 'New caption'],
      ['de-DE', 'Ein Hund am Strand'],
      ['fr-FR', 'Un chien sur la plage'],
    ]);
  });

  it('puts a new x-default item first when only other languages exist', () => {
    const source = fixture('multilingual.xmp').replace(/\s*<rdf:li xml:lang="x-default">Old caption<\/rdf:li>/, '');
    const read = readBack(mergeXmp(source, { description: 'New caption', subjects: [] }));
    assert.deepEqual(read.descriptions.map(([lang]) => lang), ['x-default', 'de-DE', 'fr-FR']);
  });

  it('returns the input itself when nothing changes', () => {
    for (const name of ['digikam.jpg.xmp', 'lightroom.xmp', 'multilingual.xmp']) {
      const once = mergeXmp(fixture(name), DATA);
      assert.equal(mergeXmp(once, DATA), once, name);
      assert.equal(mergeXmp(once, { subjects: ['DOG', ' Sunset '] }), once, `${name}: tags compare without case`);
    }
    const source = fixture('lightroom.xmp');
    assert.equal(mergeXmp(source, { subjects: ['beach'] }), source);
    assert.equal(mergeXmp(source, { description: '   ', subjects: [] }), source, 'an empty caption deletes nothing');
  });

  it('writes the text read in a photo as iris:TextInPhoto, keeps the caption apart, and rewrites only when it changed', () => {
    const text = 'CAFÉ LUNA\nOpen 7–23 <daily> & "late"';
    const once = mergeXmp(fixture('digikam.jpg.xmp'), { ...DATA, textInPhoto: text });
    const read = readBack(once);
    const property = read.doc.getElementsByTagNameNS(XMP_NS.iris, 'TextInPhoto');
    assert.equal(property.length, 1);
    assert.equal(property.item(0)!.textContent, text);
    assert.equal(read.caption, DATA.description, 'the caption stays the caption');
    assert.equal(mergeXmp(once, { subjects: [], textInPhoto: text }), once, 'the same text: nothing to write');
    assert.equal(mergeXmp(once, { subjects: [] }), once, 'no text given: what is there stays');
    // A new reading replaces the old one, written as an attribute by another tool too.
    const attribute = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${XMP_NS.rdf}"><rdf:Description rdf:about="" xmlns:i="${XMP_NS.iris}" i:TextInPhoto="OLD"/></rdf:RDF></x:xmpmeta>`;
    const replaced = readBack(mergeXmp(attribute, { subjects: [], textInPhoto: 'NEW' })).doc;
    const values = Array.from(replaced.getElementsByTagNameNS(XMP_NS.iris, 'TextInPhoto')).map((element) => element.textContent);
    assert.deepEqual(values, ['NEW']);
    assert.equal(replaced.getElementsByTagNameNS(XMP_NS.rdf, 'Description').item(0)!.hasAttributeNS(XMP_NS.iris, 'TextInPhoto'), false, 'the attribute copy is gone');
  });

  it('writes named faces as MWG regions (centre, size, normalised; the photo size applied to), reads them back in either form, and adds only what is missing', () => {
    const faces = [{ name: 'Anna', box: { x: 0.1, y: 0.2, w: 0.2, h: 0.3 } }];
    const once = mergeXmp(fixture('digikam.jpg.xmp'), { subjects: [], faces, dimensions: { width: 4000, height: 3000 } });
    assert.deepEqual(readFaceRegions(once), [{ name: 'Anna', box: { x: 0.1, y: 0.2, w: 0.2, h: 0.3 } }]);
    assert.match(once, /stArea:x="0.2"/, 'x is the centre');
    assert.match(once, /stDim:w="4000"/);
    assert.deepEqual(readBack(once).list(XMP_NS.digiKam, 'TagsList'), ['Animals/Dog', 'Places/Beach'], "digiKam's tags are kept");
    assert.equal(mergeXmp(once, { subjects: [], faces }), once, 'the same face: nothing to write');
    const two = mergeXmp(once, { subjects: [], faces: [...faces, { name: 'Ben', box: { x: 0.6, y: 0.2, w: 0.2, h: 0.3 } }] });
    assert.deepEqual(readFaceRegions(two).map((region) => region.name), ['Anna', 'Ben']);
    // Lightroom and digiKam also write struct fields as elements, and non-face regions: read the faces, keep the rest.
    const elements =
      `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${XMP_NS.rdf}"><rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">` +
      `<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>` +
      `<rdf:li rdf:parseType="Resource"><mwg-rs:Name>Cleo</mwg-rs:Name><mwg-rs:Type>Face</mwg-rs:Type><mwg-rs:Area rdf:parseType="Resource"><stArea:x>0.5</stArea:x><stArea:y>0.5</stArea:y><stArea:w>0.2</stArea:w><stArea:h>0.4</stArea:h><stArea:unit>normalized</stArea:unit></mwg-rs:Area></rdf:li>` +
      `<rdf:li><rdf:Description mwg-rs:Name="A dog" mwg-rs:Type="Pet"><mwg-rs:Area stArea:x="0.2" stArea:y="0.2" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/></rdf:Description></rdf:li>` +
      `</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions></rdf:Description></rdf:RDF></x:xmpmeta>`;
    assert.deepEqual(readFaceRegions(elements), [{ name: 'Cleo', box: { x: 0.4, y: 0.3, w: 0.2, h: 0.4 } }]);
    const merged = mergeXmp(elements, { subjects: [], faces });
    assert.deepEqual(readFaceRegions(merged).map((region) => region.name), ['Cleo', 'Anna']);
    assert.match(merged, /A dog/, 'the pet region stays');
  });

  it('reads and rewrites dc properties written as attributes, in other rdf:Descriptions, or under another prefix', () => {
    const source =
      `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${XMP_NS.rdf}">` +
      `<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Make="Canon"/>` +
      `<rdf:Description rdf:about="" xmlns:purl="${XMP_NS.dc}" purl:description="Old" purl:subject="one"/>` +
      `<rdf:Description rdf:about="" xmlns:dc="urn:not-dublin-core"><dc:subject>not ours</dc:subject></rdf:Description>` +
      `</rdf:RDF></x:xmpmeta>`;
    const xml = mergeXmp(source, { description: 'New', subjects: ['two', 'one'] });
    const read = readBack(xml);
    assert.deepEqual(read.descriptions, [['x-default', 'New']]);
    assert.deepEqual(read.subjects, ['one', 'two']);
    assert.match(xml, /<purl:subject><rdf:Bag><rdf:li>one<\/rdf:li><rdf:li>two<\/rdf:li><\/rdf:Bag><\/purl:subject>/);
    assert.doesNotMatch(xml, /purl:description="/, 'the attribute became a Lang Alt');
    assert.match(xml, /<dc:subject>not ours<\/dc:subject>/, 'a foreign namespace that happens to use the dc prefix is left alone');
    assert.match(xml, /tiff:Make="Canon"/);
    assert.equal((xml.match(/rdf:Description /g) ?? []).length, 3);
  });

  it('leaves an attribute caption alone when it already says the same', () => {
    const source = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${XMP_NS.rdf}"><rdf:Description rdf:about="" xmlns:dc="${XMP_NS.dc}" dc:description="Same"/></rdf:RDF></x:xmpmeta>`;
    assert.equal(mergeXmp(source, { description: 'Same', subjects: [] }), source);
  });

  it('converts a dc:subject Seq to the Bag the spec asks for, keeping its items first', () => {
    const source = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${XMP_NS.rdf}"><rdf:Description rdf:about="" xmlns:dc="${XMP_NS.dc}"><dc:subject><rdf:Seq><rdf:li>b</rdf:li><rdf:li>a</rdf:li></rdf:Seq></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>`;
    const read = readBack(mergeXmp(source, { subjects: ['c'] }));
    assert.deepEqual(read.subjects, ['b', 'a', 'c']);
    assert.equal(read.containerOf(XMP_NS.dc, 'subject'), 'Bag');
  });

  it('round-trips special characters', () => {
    const description = 'Tom & Jerry <cartoon> "quoted" \'single\' 中文标题 😀🐕 a\tb\nline two ]]>';
    const subjects = ['R&D', '<tag>', '"quotes"', '狗', '🐕 emoji', 'ünïcödé'];
    const read = readBack(mergeXmp(undefined, { description, subjects }));
    assert.equal(read.caption, description);
    assert.deepEqual(read.subjects, subjects);
  });

  it('cleans text so that it reads back identically (CRLF, control characters)', () => {
    const xml = mergeXmp(undefined, { description: 'one\r\ntwo\rthree\u0007', subjects: ['a\u0000b'] });
    const read = readBack(xml);
    assert.equal(read.caption, 'one\ntwo\nthree');
    assert.deepEqual(read.subjects, ['ab']);
    assert.equal(mergeXmp(xml, { description: 'one\r\ntwo\rthree', subjects: ['ab'] }), xml);
    const separators = mergeXmp(undefined, { description: 'line\u2028separator', subjects: [] });
    assert.equal(mergeXmp(separators, { description: 'line\u2028separator', subjects: [] }), separators, 'U+2028 is text in XML 1.0');
  });

  it('refuses malformed XML and XML that is not XMP', () => {
    assert.throws(() => mergeXmp(fixture('malformed.xmp'), DATA), (error: unknown) => error instanceof XmpFormatError && /not well-formed XML.*mismatch/.test(error.message));
    assert.throws(() => mergeXmp('<html><body/></html>', DATA), /no rdf:RDF element/);
    assert.throws(() => mergeXmp('<a>&nbsp;</a>', DATA), XmpFormatError);
    assert.throws(() => mergeXmp('<?xml version="1.0" encoding="ISO-8859-1"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>', DATA), /only UTF-8/);
  });
});

describe('sidecarPathFor', () => {
  function folderWith(names: readonly string[]): string {
    const dir = tempDir('iris-xmp-path-');
    for (const name of names) fs.writeFileSync(path.join(dir, name), '');
    return dir;
  }

  it("defaults to digiKam's photo.jpg.xmp", () => {
    const dir = folderWith(['photo.jpg']);
    assert.equal(sidecarPathFor(path.join(dir, 'photo.jpg')), path.join(dir, 'photo.jpg.xmp'));
    assert.equal(sidecarPathFor(path.join(dir, 'photo.jpg'), 'append'), path.join(dir, 'photo.jpg.xmp'));
    assert.equal(sidecarPathFor(path.join(dir, 'photo.jpg'), 'replace'), path.join(dir, 'photo.xmp'));
  });

  it('reuses an existing photo.xmp, unless another photo shares the basename', () => {
    let dir = folderWith(['photo.jpg', 'photo.xmp']);
    assert.equal(sidecarPathFor(path.join(dir, 'photo.jpg')), path.join(dir, 'photo.xmp'));
    dir = folderWith(['photo.jpg', 'photo.cr2', 'photo.xmp']);
    assert.equal(sidecarPathFor(path.join(dir, 'photo.jpg')), path.join(dir, 'photo.jpg.xmp'));
    assert.equal(sidecarPathFor(path.join(dir, 'photo.jpg'), 'replace'), path.join(dir, 'photo.xmp'), 'an explicit style is obeyed');
  });

  it('prefers photo.jpg.xmp when both exist', () => {
    const dir = folderWith(['photo.jpg', 'photo.xmp', 'photo.jpg.xmp']);
    assert.equal(sidecarPathFor(path.join(dir, 'photo.jpg')), path.join(dir, 'photo.jpg.xmp'));
  });

  it('finds existing sidecars whatever their case', () => {
    assert.equal(chooseSidecarName('PHOTO.JPG', ['PHOTO.JPG', 'PHOTO.JPG.XMP']), 'PHOTO.JPG.XMP');
    assert.equal(chooseSidecarName('IMG_1.jpg', ['IMG_1.jpg', 'img_1.XMP']), 'img_1.XMP');
    assert.equal(chooseSidecarName('IMG_1.jpg', ['IMG_1.jpg', 'img_1.XMP', 'IMG_1.CR2']), 'IMG_1.jpg.xmp');
    assert.equal(chooseSidecarName('PHOTO.JPG', ['PHOTO.JPG']), 'PHOTO.JPG.xmp');
    const dir = folderWith(['PHOTO.JPG', 'PHOTO.JPG.XMP']);
    assert.equal(sidecarPathFor(path.join(dir, 'PHOTO.JPG')), path.join(dir, 'PHOTO.JPG.XMP'));
  });
});

describe('writeSidecar', () => {
  it('creates a sidecar, then reports unchanged and leaves the file byte-identical', async () => {
    const { dir, photo } = photoFolder();
    const first = await writeSidecar(photo, DATA);
    assert.deepEqual(first, { path: path.join(dir, 'photo.jpg.xmp'), outcome: 'created' });
    const bytes = fs.readFileSync(first.path);
    const read = readBack(bytes.toString('utf8'));
    assert.equal(read.caption, DATA.description);
    assert.deepEqual(read.subjects, DATA.subjects);
    const mtime = fs.statSync(first.path).mtimeMs;

    const second = await writeSidecar(photo, DATA);
    assert.equal(second.outcome, 'unchanged');
    assert.deepEqual(fs.readFileSync(first.path), bytes);
    assert.equal(fs.statSync(first.path).mtimeMs, mtime);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['photo.jpg', 'photo.jpg.xmp'], 'no temporary file is left behind');

    const third = await writeSidecar(photo, { subjects: ['beach'] });
    assert.equal(third.outcome, 'updated');
    assert.deepEqual(readBack(fs.readFileSync(first.path, 'utf8')).subjects, [...DATA.subjects, 'beach']);
  });

  it('merges into an existing digiKam sidecar and keeps its mode and BOM', async (t) => {
    const { dir, photo } = photoFolder();
    const sidecar = path.join(dir, 'photo.jpg.xmp');
    fs.writeFileSync(sidecar, '\uFEFF' + fixture('digikam.jpg.xmp'));
    fs.chmodSync(sidecar, 0o640);
    const result = await writeSidecar(photo, DATA);
    assert.deepEqual(result, { path: sidecar, outcome: 'updated' });
    const text = fs.readFileSync(sidecar, 'utf8');
    assert.ok(text.startsWith('\uFEFF<?xpacket'));
    assert.deepEqual(readBack(text).list(XMP_NS.digiKam, 'TagsList'), ['Animals/Dog', 'Places/Beach', 'sunset', 'ocean']);
    if (process.platform === 'win32') return t.skip('POSIX modes');
    assert.equal(fs.statSync(sidecar).mode & 0o777, 0o640);
  });

  it('writes into the Lightroom-style photo.xmp it finds', async () => {
    const { dir, photo } = photoFolder('IMG_0001.jpg');
    fs.writeFileSync(path.join(dir, 'IMG_0001.xmp'), fixture('lightroom.xmp'));
    const result = await writeSidecar(photo, DATA);
    assert.deepEqual(result, { path: path.join(dir, 'IMG_0001.xmp'), outcome: 'updated' });
    assert.match(fs.readFileSync(result.path, 'utf8'), /crs:Exposure2012="\+0\.35"/);
  });

  it('refuses a malformed sidecar and leaves it untouched', async () => {
    const { dir, photo } = photoFolder();
    const sidecar = path.join(dir, 'photo.jpg.xmp');
    fs.copyFileSync(path.join(FIXTURES, 'malformed.xmp'), sidecar);
    const before = fs.readFileSync(sidecar);
    await assert.rejects(writeSidecar(photo, DATA), (error: unknown) => {
      assert.ok(error instanceof SidecarError);
      assert.equal(error.sidecarPath, sidecar);
      assert.ok(error.message.includes(sidecar), error.message);
      assert.match(error.message, /not valid XMP/);
      return true;
    });
    assert.deepEqual(fs.readFileSync(sidecar), before);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['photo.jpg', 'photo.jpg.xmp']);
  });

  it('refuses a sidecar that is not UTF-8', async () => {
    const { dir, photo } = photoFolder();
    const sidecar = path.join(dir, 'photo.jpg.xmp');
    fs.writeFileSync(sidecar, Buffer.from(fixture('multilingual.xmp').replace('Old caption', 'Caf\u00e9'), 'latin1'));
    const before = fs.readFileSync(sidecar);
    await assert.rejects(writeSidecar(photo, DATA), /not UTF-8/);
    assert.deepEqual(fs.readFileSync(sidecar), before);
  });

  it('never touches the photo: same bytes, same mtime', async () => {
    const dir = tempDir('iris-xmp-');
    const photo = await makePhoto(path.join(dir, 'beach.jpg'));
    const old = new Date('2020-01-02T03:04:05Z');
    fs.utimesSync(photo, old, old);
    const hash = sha256(photo);
    const { mtimeMs, size } = fs.statSync(photo);
    await writeSidecar(photo, DATA);
    await writeSidecar(photo, { description: 'changed', subjects: ['more'] });
    assert.equal(sha256(photo), hash);
    assert.equal(fs.statSync(photo).mtimeMs, mtimeMs);
    assert.equal(fs.statSync(photo).size, size);
  });

  it('refuses a symlinked sidecar, a folder in its place, and the photo itself', async (t) => {
    const { dir, photo } = photoFolder();
    const target = path.join(dir, 'elsewhere.xmp');
    fs.writeFileSync(target, fixture('lightroom.xmp'));
    const sidecar = path.join(dir, 'photo.jpg.xmp');
    try {
      fs.symlinkSync(target, sidecar);
    } catch {
      return t.skip('cannot create symlinks here');
    }
    const before = fs.readFileSync(target);
    await assert.rejects(writeSidecar(photo, DATA), (error: unknown) => error instanceof SidecarError && /symbolic link/.test(error.message));
    assert.deepEqual(fs.readFileSync(target), before);
    assert.ok(fs.lstatSync(sidecar).isSymbolicLink());

    const other = photoFolder();
    fs.mkdirSync(path.join(other.dir, 'photo.jpg.xmp'));
    await assert.rejects(writeSidecar(other.photo, DATA), /not a regular file/);

    const odd = photoFolder('scan.xmp');
    const oddBytes = fs.readFileSync(odd.photo);
    await assert.rejects(writeSidecar(odd.photo, DATA, { style: 'replace' }), /the photo itself/);
    assert.deepEqual(fs.readFileSync(odd.photo), oddBytes);
  });

  it('writes nothing on a dry run, or when there is nothing to write', async () => {
    const { dir, photo } = photoFolder();
    assert.deepEqual(await writeSidecar(photo, DATA, { dryRun: true }), { path: path.join(dir, 'photo.jpg.xmp'), outcome: 'created' });
    assert.deepEqual(await writeSidecar(photo, { description: '', subjects: [] }), { path: path.join(dir, 'photo.jpg.xmp'), outcome: 'unchanged' });
    assert.deepEqual(fs.readdirSync(dir), ['photo.jpg']);
  });

  it('replaces an empty sidecar (left by a crashed tool)', async () => {
    const { dir, photo } = photoFolder();
    const sidecar = path.join(dir, 'photo.jpg.xmp');
    fs.writeFileSync(sidecar, '');
    assert.deepEqual(await writeSidecar(photo, DATA), { path: sidecar, outcome: 'updated' });
    assert.equal(readBack(fs.readFileSync(sidecar, 'utf8')).caption, DATA.description);
  });

  it('refuses to write a sidecar for a photo that is not there', async () => {
    const dir = tempDir('iris-xmp-');
    await assert.rejects(writeSidecar(path.join(dir, 'gone.jpg'), DATA), SidecarError);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
