import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { readFaceRegions, XmpFormatError } from '../../main/engine/xmp/merge.js';
import { colourOfXmpLabel, combineOrganise, decodeXmpBytes, embeddedXmpOf, mergeOrganiseXmp, readOrganiseXmp, type OrganiseData, type OrganiseXmp } from '../../main/engine/xmp/organise.js';
import { MAX_SIDECAR_BYTES, readSidecarsFor, sidecarNamesFor } from '../../main/engine/xmp/sidecar.js';
import { tempDir as makeTempDir } from '../helpers/fixtures.js';

/**
 * Stars, rejects, colour labels and keywords as Lightroom, digiKam and darktable write them: read
 * from sidecars and embedded packets, and merged back without losing anything else in the file.
 */

const scratchDirs: string[] = [];
after(() => {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = makeTempDir('iris-xmp-organise-');
  scratchDirs.push(dir);
  return dir;
}

/** Lightroom Classic's sidecar for a raw: simple properties as attributes, a face region, develop settings. */
const LIGHTROOM = `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00        ">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
   xmp:CreatorTool="Adobe Photoshop Lightroom Classic 13.2 (Macintosh)"
   xmp:ModifyDate="2024-05-04T10:11:12+02:00"
   xmp:Rating="4"
   xmp:Label="Red"
   crs:Version="16.2"
   crs:Exposure2012="+0.35">
   <dc:description>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">Sunset over the Seine</rdf:li>
    </rdf:Alt>
   </dc:description>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>France</rdf:li>
     <rdf:li>Paris</rdf:li>
     <rdf:li>Places</rdf:li>
     <rdf:li>sunset</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>Places|France|Paris</rdf:li>
     <rdf:li>sunset</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:RegionList>
     <rdf:Bag>
      <rdf:li>
       <rdf:Description mwg-rs:Name="Anna" mwg-rs:Type="Face">
        <mwg-rs:Area stArea:x="0.5" stArea:y="0.4" stArea:w="0.2" stArea:h="0.3" stArea:unit="normalized"/>
       </rdf:Description>
      </rdf:li>
     </rdf:Bag>
    </mwg-rs:RegionList>
   </mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
`;

/** digiKam's sidecar with every property as an element, tags in digiKam:TagsList only. */
const DIGIKAM = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.5.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:MicrosoftPhoto="http://ns.microsoft.com/photo/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
   <xmp:Rating>3</xmp:Rating>
   <MicrosoftPhoto:Rating>50</MicrosoftPhoto:Rating>
   <xmp:Label>Green</xmp:Label>
   <digiKam:ColorLabel>4</digiKam:ColorLabel>
   <photoshop:Urgency>4</photoshop:Urgency>
   <digiKam:PickLabel>3</digiKam:PickLabel>
   <digiKam:TagsList>
    <rdf:Seq>
     <rdf:li>Family/Anna</rdf:li>
     <rdf:li>Events/Birthday</rdf:li>
    </rdf:Seq>
   </digiKam:TagsList>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>Anna</rdf:li>
     <rdf:li>Birthday</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;

/** darktable's sidecar: a reject, two colour labels, a tag Seq, and its edit history. */
const DARKTABLE = `<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:darktable="http://darktable.sf.net/"
   xmp:Rating="-1"
   xmpMM:DerivedFrom="IMG_4410.CR3"
   darktable:xmp_version="5"
   darktable:history_end="1">
   <dc:subject>
    <rdf:Seq>
     <rdf:li>mountain</rdf:li>
     <rdf:li>snow</rdf:li>
    </rdf:Seq>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Seq>
     <rdf:li>nature|mountain</rdf:li>
     <rdf:li>snow</rdf:li>
    </rdf:Seq>
   </lr:hierarchicalSubject>
   <darktable:colorlabels>
    <rdf:Seq>
     <rdf:li>3</rdf:li>
     <rdf:li>2</rdf:li>
    </rdf:Seq>
   </darktable:colorlabels>
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1" darktable:modversion="6" darktable:params="0000000000000000"/>
    </rdf:Seq>
   </darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
`;

/** A one-description packet around `body` (attributes first, then child elements). */
function packet(attributes: string, elements = ''): string {
  return (
    `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
    `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:MicrosoftPhoto="http://ns.microsoft.com/photo/1.0/" ${attributes}>${elements}</rdf:Description>` +
    `</rdf:RDF></x:xmpmeta>`
  );
}

const NOTHING: OrganiseXmp = { rating: null, rejected: false, label: null, keywords: [], hierarchical: [], description: null };

/** What a read gives, as the data a merge takes. */
function asData(read: OrganiseXmp): OrganiseData {
  return { rating: read.rating, rejected: read.rejected, label: read.label, keywords: read.keywords, hierarchical: read.hierarchical };
}

describe('readOrganiseXmp', () => {
  it('reads a Lightroom Classic sidecar (attributes, Lang Alt caption, keyword paths)', () => {
    const read = readOrganiseXmp(LIGHTROOM);
    assert.deepEqual(read, {
      rating: 4,
      rejected: false,
      label: 'Red',
      keywords: ['France', 'Paris', 'Places', 'sunset'],
      hierarchical: ['Places|France|Paris', 'sunset'],
      description: 'Sunset over the Seine',
    });
    assert.equal(colourOfXmpLabel(read.label), 'red');
  });

  it('reads a digiKam sidecar written as elements, its "/" tag paths as "|" paths', () => {
    assert.deepEqual(readOrganiseXmp(DIGIKAM), { rating: 3, rejected: false, label: 'Green', keywords: ['Anna', 'Birthday'], hierarchical: ['Family|Anna', 'Events|Birthday'], description: null });
  });

  it("uses MicrosoftPhoto:Rating only without xmp:Rating, and digiKam's own label and reject when the standard ones are missing", () => {
    const digiKamOnly = DIGIKAM.replace(/ *<xmp:Rating>3<\/xmp:Rating>\n/, '').replace(/ *<xmp:Label>Green<\/xmp:Label>\n/, '').replace('<digiKam:PickLabel>3', '<digiKam:PickLabel>1');
    const read = readOrganiseXmp(digiKamOnly);
    assert.equal(read.rating, 3, '50 % is three stars');
    assert.equal(read.label, 'Green', 'digiKam:ColorLabel 4');
    assert.equal(read.rejected, true, 'pick label 1 is a reject; the stars stay');
    assert.equal(readOrganiseXmp(packet('xmp:Rating="5" MicrosoftPhoto:Rating="1"')).rating, 5, 'xmp:Rating wins');
    assert.equal(readOrganiseXmp(packet('xmp:Rating="many" MicrosoftPhoto:Rating="99"')).rating, null, 'a garbage xmp:Rating is still there');
    const orange = readOrganiseXmp(packet('xmlns:digiKam="http://www.digikam.org/ns/1.0/" digiKam:ColorLabel="2"'));
    assert.deepEqual([orange.label, colourOfXmpLabel(orange.label)], ['Orange', null], 'a colour Iris lacks is kept as text');
  });

  it('reads a darktable sidecar: -1 is a reject, its first colour label, a tag Seq', () => {
    assert.deepEqual(readOrganiseXmp(DARKTABLE), { rating: null, rejected: true, label: 'Blue', keywords: ['mountain', 'snow'], hierarchical: ['nature|mountain', 'snow'], description: null });
  });

  it('reads xmp:Rating as attribute or element, in any decimal form, and refuses garbage', () => {
    const cases: [string, number | null, boolean][] = [
      ['4', 4, false],
      ['3.0', 3, false],
      [' 5 ', 5, false],
      ['0', 0, false],
      ['2.6', 3, false],
      ['-1', null, true],
      ['-1.0', null, true],
      ['6', null, false],
      ['-2', null, false],
      ['', null, false],
      ['three', null, false],
      ['0x3', null, false],
      ['1e0', null, false],
    ];
    for (const [value, rating, rejected] of cases) {
      for (const xml of [packet(`xmp:Rating="${value}"`), packet('', `<xmp:Rating>${value}</xmp:Rating>`)]) {
        const read = readOrganiseXmp(xml);
        assert.deepEqual([read.rating, read.rejected], [rating, rejected], JSON.stringify(value));
      }
    }
    const percents: [string, number | null][] = [['1', 1], ['12', 1], ['13', 2], ['25', 2], ['50', 3], ['75', 4], ['88', 5], ['99', 5], ['0', 0], ['101', null], ['x', null]];
    for (const [value, stars] of percents) assert.equal(readOrganiseXmp(packet(`MicrosoftPhoto:Rating="${value}"`)).rating, stars, `${value} %`);
  });

  it('knows the colour of the label names Lightroom, Bridge and digiKam write, and keeps any other text', () => {
    const cases: [string, string | null][] = [
      ['Red', 'red'], [' yellow ', 'yellow'], ['GREEN', 'green'], ['Blue', 'blue'], ['Purple', 'purple'], ['Magenta', 'purple'],
      ['Select', 'red'], ['Second', 'yellow'], ['Approved', 'green'], ['Review', 'blue'], ['To Do', 'purple'],
      ['To Delete', 'red'], ['Good to Use', 'green'], ['Orange', null], ['Rot', null], ['Client A', null], ['', null],
    ];
    for (const [label, colour] of cases) assert.equal(colourOfXmpLabel(label), colour, label);
    assert.equal(readOrganiseXmp(packet('xmp:Label="Client A"')).label, 'Client A');
  });

  it('takes the first caption when there is no x-default, and an attribute caption', () => {
    const alt = '<dc:description><rdf:Alt><rdf:li xml:lang="de-DE">Ein Hund</rdf:li><rdf:li xml:lang="fr-FR">Un chien</rdf:li></rdf:Alt></dc:description>';
    assert.equal(readOrganiseXmp(packet('', alt)).description, 'Ein Hund');
    assert.equal(readOrganiseXmp(packet('dc:description="Plain"')).description, 'Plain');
    assert.deepEqual(readOrganiseXmp(packet('')), NOTHING);
  });

  it('refuses malformed XML and XML that is not XMP', () => {
    assert.throws(() => readOrganiseXmp(LIGHTROOM.replace('</dc:subject>', '</dc:subjec>')), XmpFormatError);
    assert.throws(() => readOrganiseXmp('<html><body/></html>'), /no rdf:RDF element/);
    assert.throws(() => readOrganiseXmp(''), XmpFormatError);
  });
});

describe('mergeOrganiseXmp', () => {
  const DATA: OrganiseData = { rating: 3, rejected: false, label: 'red', keywords: ['Paris', 'river'], hierarchical: ['Places|France|Paris'] };

  it('writes a new packet that reads back as written, and changes nothing the second time', () => {
    const xml = mergeOrganiseXmp(undefined, DATA);
    assert.deepEqual(readOrganiseXmp(xml), { rating: 3, rejected: false, label: 'Red', keywords: ['Paris', 'river'], hierarchical: ['Places|France|Paris', 'river'], description: null });
    assert.equal(mergeOrganiseXmp(xml, DATA), xml);
  });

  it('returns every sidecar byte for byte when given back what was read from it', () => {
    for (const [name, source] of [['Lightroom', LIGHTROOM], ['digiKam', DIGIKAM], ['darktable', DARKTABLE]] as const) {
      assert.equal(mergeOrganiseXmp(source, asData(readOrganiseXmp(source))), source, name);
    }
  });

  it('changes stars, label and keywords in a Lightroom sidecar and keeps its caption, face region and develop settings', () => {
    const xml = mergeOrganiseXmp(LIGHTROOM, { rating: 2, rejected: false, label: 'blue', keywords: ['river'], hierarchical: ['Places|France|Lyon'], removedKeywords: ['sunset'] });
    assert.deepEqual(readOrganiseXmp(xml), {
      rating: 2,
      rejected: false,
      label: 'Blue',
      keywords: ['France', 'Paris', 'Places', 'river', 'Lyon'],
      hierarchical: ['Places|France|Paris', 'Places|France|Lyon', 'river'],
      description: 'Sunset over the Seine',
    });
    assert.match(xml, /xmp:Rating="2"/, 'the attribute is changed where it is');
    assert.match(xml, /xmp:Label="Blue"/);
    assert.match(xml, /crs:Exposure2012="\+0\.35"/);
    assert.match(xml, /xmp:CreatorTool="Adobe Photoshop Lightroom Classic 13\.2 \(Macintosh\)"/);
    assert.deepEqual(readFaceRegions(xml), [{ name: 'Anna', box: { x: 0.4, y: 0.25, w: 0.2, h: 0.3 } }]);
    assert.equal(mergeOrganiseXmp(xml, { rating: 2, rejected: false, label: 'Blue', keywords: ['river'], hierarchical: ['Places|France|Lyon'], removedKeywords: ['sunset'] }), xml, 'the same again: nothing to write');
  });

  it('removes only the keywords removed in Iris: the name, and the paths ending in it', () => {
    const xml = mergeOrganiseXmp(LIGHTROOM, { rating: 4, rejected: false, label: 'Red', keywords: [], removedKeywords: ['paris', 'nowhere'] });
    const read = readOrganiseXmp(xml);
    assert.deepEqual(read.keywords, ['France', 'Places', 'sunset'], 'its parents stay');
    assert.deepEqual(read.hierarchical, ['sunset']);
    assert.equal(mergeOrganiseXmp(LIGHTROOM, { ...asData(readOrganiseXmp(LIGHTROOM)), removedKeywords: ['Paris'] }), LIGHTROOM, 'a keyword still wanted stays');
    const byPath = readOrganiseXmp(mergeOrganiseXmp(LIGHTROOM, { rating: 4, rejected: false, label: 'Red', keywords: [], removedKeywords: ['Places|France|Paris'] }));
    assert.deepEqual([byPath.keywords, byPath.hierarchical], [['France', 'Places', 'sunset'], ['sunset']]);
  });

  it('writes a reject as -1 and removes the stars and a colour label, but never a label Iris cannot show', () => {
    const rejected = mergeOrganiseXmp(LIGHTROOM, { rating: 4, rejected: true, label: null, keywords: [] });
    assert.match(rejected, /xmp:Rating="-1"/);
    assert.doesNotMatch(rejected, /xmp:Label/);
    assert.deepEqual(readOrganiseXmp(rejected).keywords, ['France', 'Paris', 'Places', 'sunset'], 'no keyword was removed');
    const none = mergeOrganiseXmp(rejected, { rating: null, rejected: false, label: null, keywords: [] });
    assert.doesNotMatch(none, /xmp:Rating/);
    assert.deepEqual([readOrganiseXmp(none).rating, readOrganiseXmp(none).rejected], [null, false]);
    const custom = packet('xmp:Label="Client A" xmp:Rating="0"');
    assert.equal(mergeOrganiseXmp(custom, { rating: 0, rejected: false, label: null, keywords: [] }), custom, '"0" already says no stars; custom text stays');
    assert.match(mergeOrganiseXmp(custom, { rating: null, rejected: false, label: 'purple', keywords: [] }), /xmp:Label="Purple"/);
    const bridge = packet('xmp:Label="Select"');
    assert.equal(mergeOrganiseXmp(bridge, { rating: null, rejected: false, label: 'red', keywords: [] }), bridge, "Bridge's name for red stays");
  });

  it("keeps digiKam's own copies in step: percent rating, colour number, pick label, tag paths", () => {
    const xml = mergeOrganiseXmp(DIGIKAM, { rating: 5, rejected: true, label: 'Yellow', keywords: ['cake'], hierarchical: ['Food|cake'], removedKeywords: ['Birthday'] });
    assert.match(xml, /<xmp:Rating>-1<\/xmp:Rating>/, 'the element is changed where it is');
    assert.doesNotMatch(xml, /MicrosoftPhoto:Rating/, 'Windows has no reject');
    assert.match(xml, /<xmp:Label>Yellow<\/xmp:Label>/);
    assert.match(xml, /<digiKam:ColorLabel>3<\/digiKam:ColorLabel>/);
    assert.match(xml, /<digiKam:PickLabel>1<\/digiKam:PickLabel>/);
    assert.match(xml, /<photoshop:Urgency>4<\/photoshop:Urgency>/, 'not ours: IPTC urgency stays');
    assert.match(xml, /<rdf:li>Family\/Anna<\/rdf:li>\n {5}<rdf:li>Food\/cake<\/rdf:li>\n {4}<\/rdf:Seq>/, "digiKam's list gets the path, in its separator and indentation");
    assert.doesNotMatch(xml, /Birthday/);
    assert.doesNotMatch(xml, /lr:hierarchicalSubject/, "digiKam's list is the paths' home here: Lightroom's is not created");
    assert.deepEqual(readOrganiseXmp(xml), { rating: null, rejected: true, label: 'Yellow', keywords: ['Anna', 'cake'], hierarchical: ['Family|Anna', 'Food|cake'], description: null });
    const back = mergeOrganiseXmp(xml, { rating: 4, rejected: false, label: null, keywords: [] });
    assert.match(back, /<digiKam:PickLabel>0<\/digiKam:PickLabel>/);
    assert.match(back, /<digiKam:ColorLabel>0<\/digiKam:ColorLabel>/);
    assert.deepEqual(readOrganiseXmp(back).rating, 4);
    const percent = mergeOrganiseXmp(DIGIKAM, { rating: 4, rejected: false, label: 'Green', keywords: [] });
    assert.match(percent, /<MicrosoftPhoto:Rating>75<\/MicrosoftPhoto:Rating>/);
  });

  it("swaps darktable's colour label and keeps its other colours and history", () => {
    const xml = mergeOrganiseXmp(DARKTABLE, { rating: 2, rejected: false, label: 'purple', keywords: [] });
    assert.match(xml, /<darktable:colorlabels>\s*<rdf:Seq>\s*<rdf:li>2<\/rdf:li>\s*<rdf:li>4<\/rdf:li>\s*<\/rdf:Seq>/, 'blue (3) became purple (4), green stays');
    assert.match(xml, /darktable:operation="exposure"/);
    assert.match(xml, /xmpMM:DerivedFrom="IMG_4410.CR3"/);
    assert.deepEqual([readOrganiseXmp(xml).rating, readOrganiseXmp(xml).label], [2, 'Purple']);
  });

  it('creates Lightroom\'s path list for a path, with the names already there (digiKam reads it before dc:subject)', () => {
    const source = packet('', '<dc:subject><rdf:Bag><rdf:li>beach</rdf:li><rdf:li>Lyon</rdf:li></rdf:Bag></dc:subject>');
    const xml = mergeOrganiseXmp(source, { rating: null, rejected: false, label: null, keywords: [], hierarchical: ['Places|France|Lyon'] });
    assert.match(xml, /<rdf:Description [^>]*xmlns:lr="http:\/\/ns\.adobe\.com\/lightroom\/1\.0\/"/, 'lr is declared on the rdf:Description');
    assert.match(xml, /<\/dc:subject><lr:hierarchicalSubject><rdf:Bag><rdf:li>Places\|France\|Lyon<\/rdf:li>/, 'under the prefix lr, after dc:subject');
    const read = readOrganiseXmp(xml);
    assert.deepEqual(read.hierarchical, ['Places|France|Lyon', 'beach'], 'Lyon is there as the leaf of its path');
    assert.deepEqual(read.keywords, ['beach', 'Lyon']);
  });

  it('refuses a malformed packet and a rating that is not 0..5', () => {
    assert.throws(() => mergeOrganiseXmp('<x:xmpmeta', { rating: 1, rejected: false, label: null, keywords: [] }), XmpFormatError);
    assert.throws(() => mergeOrganiseXmp(undefined, { rating: 6, rejected: false, label: null, keywords: [] }), RangeError);
  });
});

describe('embedded XMP', () => {
  it('reads the packet sharp embeds in a JPEG, and null for a JPEG without one', async () => {
    const pixels = sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 30, b: 30 } } });
    const jpeg = await pixels.clone().jpeg().withXmp(LIGHTROOM).toBuffer();
    const { xmp } = await sharp(jpeg).metadata();
    assert.ok(xmp, 'sharp gives the packet back');
    assert.deepEqual(embeddedXmpOf(xmp), readOrganiseXmp(LIGHTROOM));
    const plain = await pixels.clone().jpeg().toBuffer();
    assert.equal(embeddedXmpOf((await sharp(plain).metadata()).xmp), null);
  });

  it('decodes UTF-16 packets and NUL padding, and gives null for broken bytes instead of failing', () => {
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${DIGIKAM}`, 'utf16le')]);
    assert.equal(embeddedXmpOf(utf16le)?.label, 'Green');
    const utf16be = Buffer.from(Buffer.from(DIGIKAM, 'utf16le')).swap16();
    assert.equal(embeddedXmpOf(utf16be)?.rating, 3, 'no BOM: told by the zero bytes');
    assert.equal(decodeXmpBytes(Buffer.concat([Buffer.from(DARKTABLE), Buffer.alloc(64)])), DARKTABLE);
    assert.equal(embeddedXmpOf(Buffer.from(LIGHTROOM.slice(0, 300))), null);
    assert.equal(embeddedXmpOf(Buffer.from([0xff, 0xd8, 0x00, 0x13])), null);
    assert.equal(embeddedXmpOf(Buffer.alloc(0)), null);
    assert.equal(embeddedXmpOf(undefined), null);
  });

  it('puts the sidecar over the embedded packet field by field', () => {
    const embedded: OrganiseXmp = { rating: 5, rejected: false, label: 'Red', keywords: ['a'], hierarchical: ['x|a'], description: 'From the camera' };
    const sidecar: OrganiseXmp = { rating: null, rejected: true, label: null, keywords: [], hierarchical: [], description: 'Edited' };
    assert.deepEqual(combineOrganise(embedded, sidecar), { rating: null, rejected: true, label: 'Red', keywords: ['a'], hierarchical: ['x|a'], description: 'Edited' });
    assert.deepEqual(combineOrganise(embedded, NOTHING), embedded);
    assert.equal(combineOrganise(NOTHING, { ...NOTHING, rating: 0 })?.rating, 0, 'an explicit "unrated" counts');
    assert.equal(combineOrganise(null, sidecar), sidecar);
    assert.equal(combineOrganise(embedded, null), embedded);
    assert.equal(combineOrganise(null, null), null);
  });
});

describe('readSidecarsFor', () => {
  it('finds both sidecar names in any case; photo.jpg.xmp wins field by field; reports sizes and times', async () => {
    const dir = tempDir();
    const photo = path.join(dir, 'IMG_1.JPG');
    fs.writeFileSync(photo, 'not read');
    fs.writeFileSync(path.join(dir, 'img_1.jpg.XMP'), packet('xmp:Rating="2"'));
    fs.writeFileSync(path.join(dir, 'IMG_1.xmp'), LIGHTROOM);
    const old = new Date('2021-03-04T05:06:07Z');
    fs.utimesSync(path.join(dir, 'IMG_1.xmp'), old, old);
    const result = await readSidecarsFor(photo);
    assert.deepEqual(result.organise, { ...readOrganiseXmp(LIGHTROOM), rating: 2 });
    assert.deepEqual(
      result.sidecars.map(({ path: file, size, mtimeMs }) => [path.basename(file), size, mtimeMs]),
      [
        ['img_1.jpg.XMP', fs.statSync(path.join(dir, 'img_1.jpg.XMP')).size, fs.statSync(path.join(dir, 'img_1.jpg.XMP')).mtimeMs],
        ['IMG_1.xmp', Buffer.byteLength(LIGHTROOM), old.getTime()],
      ],
    );
    assert.deepEqual(await readSidecarsFor(photo, ['IMG_1.JPG', 'IMG_1.xmp']).then((read) => read.sidecars.length), 1, 'a listing given is used');
  });

  it('gives null and no sidecars for a photo without any, and never reads the photo as its own sidecar', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.jpg'), '');
    assert.deepEqual(await readSidecarsFor(path.join(dir, 'a.jpg')), { organise: null, sidecars: [] });
    assert.deepEqual(sidecarNamesFor('scan.xmp', ['scan.xmp', 'scan.xmp.xmp']), ['scan.xmp.xmp']);
    assert.deepEqual(sidecarNamesFor('README', ['README', 'README.xmp']), ['README.xmp']);
  });

  it('refuses a sidecar over 1 MiB or not XMP with a clear error, and still reads the other', async () => {
    const dir = tempDir();
    const photo = path.join(dir, 'b.jpg');
    fs.writeFileSync(photo, '');
    fs.writeFileSync(path.join(dir, 'b.jpg.xmp'), DIGIKAM + ' '.repeat(MAX_SIDECAR_BYTES));
    fs.writeFileSync(path.join(dir, 'b.xmp'), DARKTABLE);
    const big = await readSidecarsFor(photo);
    assert.match(big.sidecars[0]!.error ?? '', /^b\.jpg\.xmp is 1\.0 MiB; Iris reads XMP sidecars of up to 1 MiB$/);
    assert.deepEqual(big.organise, readOrganiseXmp(DARKTABLE));
    fs.writeFileSync(path.join(dir, 'b.jpg.xmp'), '<x:xmpmeta><broken');
    const broken = await readSidecarsFor(photo);
    assert.match(broken.sidecars[0]!.error ?? '', /^b\.jpg\.xmp: it is not valid XMP \(not well-formed XML/);
    assert.deepEqual(broken.organise, readOrganiseXmp(DARKTABLE));
  });
});
