import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { openDatabase } from '../../main/engine/db/database.js';
import { readFaceRegions } from '../../main/engine/xmp/merge.js';
import { FACES_FIXTURE_ID } from '../fixtures/face-fixtures.js';
import { FACE_PHOTOS_DIR } from '../reference/measure-faces.js';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { fixtureModels } from '../helpers/colour-photos.js';
import { tempDir } from '../helpers/fixtures.js';

/**
 * People (issue 20) on real trained models and real photos: SCRFD-2.5GF and MobileFaceNet from
 * ../shared/face-models (copied by `npm run fixtures`), the photos of six public figures and a
 * group photo in ../shared/face-photos (read in place: Iris never writes a photo). Through the
 * real CLI: `iris index` finds and groups the faces, `iris people` names, merges and splits, and
 * `iris search` takes a name as a person filter.
 */

const missing = !fs.existsSync(path.join(fixtureModels, FACES_FIXTURE_ID, 'detection', 'model.onnx'))
  ? `the face models are not in ${fixtureModels} (npm run fixtures copies them from ../shared/face-models)`
  : !fs.existsSync(FACE_PHOTOS_DIR)
    ? `no face photos at ${FACE_PHOTOS_DIR}`
    : null;
if (missing) console.log(`# people tests skipped: ${missing}`);

interface Person {
  id: number;
  name: string | null;
  faces: number;
  photos: { id: number; path: string }[];
}

const personOf = (file: string) => path.basename(file).split('-')[0]!;

describe('people from real faces (iris index, iris people)', { skip: missing ?? false }, () => {
  const library = tempDir('iris-people-lib-');
  const iris = (...args: string[]) => runIrisHere([...args, '--library', library], { env: { IRIS_MODELS: fixtureModels } });
  const people = async (): Promise<Person[]> => {
    const run = await iris('people', '--json');
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Person[];
  };
  const files = (person: Person) => person.photos.map((photo) => path.basename(photo.path)).sort();
  const find = (list: Person[], who: string) => list.find((person) => person.photos.some((photo) => personOf(photo.path) === who))!;

  before(async () => {
    const run = await iris('index', FACE_PHOTOS_DIR);
    assert.equal(run.code, 0, run.stderr);
  });

  it('finds every face: one in each portrait (the partial face too), two in the group photo', () => {
    const db = openDatabase(path.join(library, 'iris.db'), { readonly: true });
    const rows = db.prepare(`SELECT (SELECT min(path) FROM locations WHERE photo_id = s.photo_id) AS path, s.faces FROM face_scans s WHERE s.model = ?`).all(FACES_FIXTURE_ID) as { path: string; faces: number }[];
    db.close();
    const found = Object.fromEntries(rows.map((row) => [path.basename(row.path), row.faces]));
    const photos = fs.readdirSync(FACE_PHOTOS_DIR).filter((name) => /\.(jpe?g|png)$/i.test(name));
    assert.equal(rows.length, photos.length, 'every photo was looked at');
    for (const photo of photos) assert.equal(found[photo], photo.startsWith('group-') ? 2 : 1, photo);
  });

  it("puts each person's photos in one person, never two people in one, and the group photo's faces with their people", async () => {
    const list = await people();
    for (const person of list) {
      const who = new Set(person.photos.map((photo) => personOf(photo.path)).filter((name) => name !== 'group'));
      assert.equal(who.size, 1, `person ${person.id} mixes ${[...who].join(' and ')}`);
    }
    // People with two or more photos are found; those with one wait for a second face (alex_lacamoire, lin_manuel_miranda).
    assert.deepEqual(list.map((person) => personOf(person.photos.find((photo) => personOf(photo.path) !== 'group')!.path)).sort(), ['biden', 'kit_harington', 'obama', 'rose_leslie']);
    assert.deepEqual(files(find(list, 'obama')), ['group-two_people.jpg', 'obama-1.jpg', 'obama-2.jpg', 'obama-partial-face.jpg']);
    assert.deepEqual(files(find(list, 'biden')), ['biden-1.jpg', 'biden-2.jpg', 'group-two_people.jpg']);
  });

  it('names persist and a named person takes the new photos of them; a name searches as a person filter', async () => {
    const obama = find(await people(), 'obama');
    assert.equal((await iris('people', 'name', String(obama.id), 'Barack Obama')).code, 0);
    // A new photo of him (another picture: re-encoded smaller) joins the named person.
    const more = tempDir('iris-people-more-');
    await sharp(path.join(FACE_PHOTOS_DIR, 'obama-1.jpg')).resize(600).jpeg({ quality: 80 }).toFile(path.join(more, 'obama-new.jpg'));
    assert.equal((await iris('index', more)).code, 0);
    const after = find(await people(), 'obama');
    assert.equal(after.id, obama.id);
    assert.equal(after.name, 'Barack Obama');
    assert.ok(files(after).includes('obama-new.jpg'), 'the new photo joined him');
    // "obama" alone: his photos, and why.
    const search = JSON.parse((await iris('search', 'obama', '--json', '--relevant')).stdout) as { results: { path: string; why: { signal: string; text?: string }[] }[] };
    // And biden-1.jpg: the White House's caption embedded in it (XMP dc:description, taken in as its
    // caption) says "President Barack Obama and Vice President Joe Biden…" though only Biden's face is in it.
    const byPerson = search.results.filter((hit) => hit.why.some((reason) => reason.signal === 'person' && reason.text === 'Barack Obama'));
    assert.deepEqual(byPerson.map((hit) => path.basename(hit.path)).sort(), [...files(after)].sort());
    const byCaption = search.results.filter((hit) => !byPerson.includes(hit));
    assert.deepEqual(byCaption.map((hit) => [path.basename(hit.path), hit.why.map((reason) => reason.signal)]), [['biden-1.jpg', ['caption']]]);
    // "Obama" in a sentence: a person chip, and only his photos are ranked.
    const sentence = JSON.parse((await iris('search', 'Obama smiling', '--json')).stdout) as { chips: { kind: string; value?: string }[]; results: { path: string }[] };
    assert.deepEqual(sentence.chips.map((chip) => [chip.kind, chip.value]), [['person', 'Barack Obama']]);
    assert.ok(sentence.results.length > 0 && sentence.results.every((hit) => files(after).includes(path.basename(hit.path))), JSON.stringify(sentence.results.map((hit) => hit.path)));
  });

  it('splits faces out into a person of their own that clustering leaves alone, and merges them back', async () => {
    const obama = find(await people(), 'obama');
    const shown = JSON.parse((await iris('people', 'show', String(obama.id), '--json')).stdout) as { faces: { id: number; path: string }[] };
    const partial = shown.faces.find((face) => path.basename(face.path) === 'obama-partial-face.jpg')!;
    const split = await iris('people', 'split', String(obama.id), String(partial.id), '--json');
    assert.equal(split.code, 0, split.stderr);
    const apart = (JSON.parse(split.stdout) as { id: number }).id;
    // Indexing again (clustering runs) does not put it back.
    assert.equal((await iris('index', FACE_PHOTOS_DIR)).code, 0);
    let list = await people();
    assert.deepEqual(files(list.find((person) => person.id === apart)!), ['obama-partial-face.jpg']);
    assert.ok(!files(list.find((person) => person.id === obama.id)!).includes('obama-partial-face.jpg'));
    assert.equal((await iris('people', 'merge', String(obama.id), String(apart))).code, 0);
    list = await people();
    assert.equal(list.find((person) => person.id === apart), undefined);
    assert.ok(files(list.find((person) => person.id === obama.id)!).includes('obama-partial-face.jpg'));
    assert.equal(list.find((person) => person.id === obama.id)!.name, 'Barack Obama', 'the name survives the merge');
  });

  it('refuses what it cannot do, saying why', async () => {
    const bad = await iris('people', 'name', '99999', 'Nobody');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no person with id 99999/);
    const obama = find(await people(), 'obama');
    const wrong = await iris('people', 'split', String(obama.id), '99999');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /not all person/);
  });

  it('forgets every face and person on request, and finds none while faces are off', async () => {
    assert.match((await iris('people', 'forget')).stdout, /would delete/);
    assert.ok((await people()).length > 0, 'nothing deleted without --yes');
    assert.equal((await iris('settings', 'set', 'faces', 'off')).code, 0);
    assert.match((await iris('people', 'forget', '--yes')).stdout, /deleted \d+ faces and \d+ people/);
    assert.equal((await iris('index', FACE_PHOTOS_DIR)).code, 0);
    assert.deepEqual(await people(), [], 'faces off: none found again');
  });
});

describe('people in XMP sidecars: MWG face regions read and written (iris index, iris export-xmp --faces)', { skip: missing ?? false }, () => {
  const photos = tempDir('iris-people-xmp-');
  const library = tempDir('iris-people-xmp-lib-');
  const iris = (...args: string[]) => runIrisHere([...args, '--library', library], { env: { IRIS_MODELS: fixtureModels } });

  before(async () => {
    for (const file of ['biden-1.jpg', 'biden-2.jpg', 'obama-1.jpg', 'obama-2.jpg']) fs.copyFileSync(path.join(FACE_PHOTOS_DIR, file), path.join(photos, file));
    // digiKam named Biden in one photo (a region around his face, as digiKam writes it).
    fs.writeFileSync(
      path.join(photos, 'biden-1.jpg.xmp'),
      `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">
  <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
   <rdf:li><rdf:Description mwg-rs:Name="Joe Biden" mwg-rs:Type="Face"><mwg-rs:Area stArea:x="0.58" stArea:y="0.17" stArea:w="0.28" stArea:h="0.2" stArea:unit="normalized"/></rdf:Description></rdf:li>
  </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
 </rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`,
    );
    assert.equal((await iris('index', photos)).code, 0);
  });

  it('takes a person named in an existing sidecar, and their other photos join them', async () => {
    const people = JSON.parse((await iris('people', '--json')).stdout) as Person[];
    const biden = people.find((person) => person.name === 'Joe Biden');
    assert.ok(biden, JSON.stringify(people.map((person) => person.name)));
    assert.deepEqual(biden.photos.map((photo) => path.basename(photo.path)).sort(), ['biden-1.jpg', 'biden-2.jpg']);
  });

  it("writes named people's faces as regions where their faces are, and the other app's regions stay", async () => {
    const obama = (JSON.parse((await iris('people', '--json')).stdout) as Person[]).find((person) => person.photos.some((photo) => personOf(photo.path) === 'obama'))!;
    assert.equal((await iris('people', 'name', String(obama.id), 'Barack Obama')).code, 0);
    const run = await iris('export-xmp', '--all', '--faces', '--json');
    assert.equal(run.code, 0, run.stderr);
    const obamaSidecar = fs.readFileSync(path.join(photos, 'obama-1.jpg.xmp'), 'utf8');
    const [region] = readFaceRegions(obamaSidecar);
    assert.equal(region?.name, 'Barack Obama');
    // Where the face is: the detector's box, which a person checks by eye on obama-1.jpg (face in the upper middle).
    assert.ok(region!.box.x > 0.2 && region!.box.x + region!.box.w < 0.8 && region!.box.y < 0.5, JSON.stringify(region));
    assert.deepEqual(readFaceRegions(fs.readFileSync(path.join(photos, 'biden-1.jpg.xmp'), 'utf8')).map((r) => r.name), ['Joe Biden'], "digiKam's region kept, not doubled");
    assert.deepEqual(readFaceRegions(fs.readFileSync(path.join(photos, 'biden-2.jpg.xmp'), 'utf8')).map((r) => r.name), ['Joe Biden']);
  });
});
