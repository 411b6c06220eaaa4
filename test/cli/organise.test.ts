import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { before, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import { readOrganiseXmp } from '../../main/engine/xmp/organise.js';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { makePhoto, sha256, tempDir } from '../helpers/fixtures.js';

/**
 * Organising photos through the real CLI and engine (issue 21): stars, hearts, rejects and colour
 * labels as filters and as search words, keywords searchable, albums in their order, hidden
 * duplicates out of search and back, the duplicates review's proposals, and export that never
 * writes over a file. No photo file is ever changed (checked by hash at the end).
 */

/** A sidecar as Lightroom Classic writes it: simple properties as attributes, keywords as bags. */
function lightroomSidecar(values: { rating: number; label: string | null; subjects: string[]; paths: string[]; description: string | null }): string {
  const bag = (items: string[]) => `<rdf:Bag>${items.map((item) => `<rdf:li>${item}</rdf:li>`).join('')}</rdf:Bag>`;
  return `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmp:Rating="${values.rating}"${values.label ? ` xmp:Label="${values.label}"` : ''}>
   <dc:subject>${bag(values.subjects)}</dc:subject>
   ${values.paths.length ? `<lr:hierarchicalSubject>${bag(values.paths)}</lr:hierarchicalSubject>` : ''}
   ${values.description ? `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${values.description}</rdf:li></rdf:Alt></dc:description>` : ''}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>`;
}

/** What the app's viewer gets for a photo (photos.get): its marks, keywords and caption. */
async function engineDetail(library: string, id: number) {
  const engine = Engine.open({ libraryDir: library, modelsDir: fixtureModels });
  try {
    const photo = engine.store.requirePhoto(id);
    return { path: photo.path, marks: engine.organise.marks.marksOf(id), keywords: engine.organise.marks.keywordsOf(id), caption: engine.captionStore.get(id)?.text ?? null };
  } finally {
    await engine.close();
  }
}

interface Hit {
  id: number;
  path: string;
  why: { signal: string; text?: string }[];
}
interface Answer {
  results: Hit[];
  relevant: number;
  chips: { kind: string; label: string; min?: number }[];
}

describe('organising photos (iris mark, keywords, albums, hide, duplicates --review, export)', () => {
  const photos = tempDir('iris-organise-');
  const library = tempDir('iris-organise-lib-');
  const env = { env: { IRIS_MODELS: fixtureModels } };
  const iris = async (...args: string[]) => {
    const run = await runIrisHere([...args, '--library', library], env);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    return run.stdout;
  };
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await iris(...args, '--json')) as T;
  const names = (answer: { results: { path: string }[] }) => answer.results.map((hit) => path.basename(hit.path)).sort();
  let files: string[] = [];
  const hashes = new Map<string, string>();

  before(async () => {
    files = await colourPhotos(photos, 2);
    // A near-duplicate pair: the same red photo, once large and sharp, once small and blurred.
    const big = path.join(photos, 'dup-big.jpg');
    await makePhoto(big, { color: [240, 20, 20], seed: 77, width: 1200, height: 900 });
    await sharp(big).resize(400).blur(2).jpeg().toFile(path.join(photos, 'dup-small.jpg'));
    files.push(big, path.join(photos, 'dup-small.jpg'));
    for (const file of fs.readdirSync(photos)) hashes.set(file, sha256(path.join(photos, file)));
    await iris('index', photos);
  });

  const file = (prefix: string) => files.find((candidate) => path.basename(candidate).startsWith(prefix))!;

  it('stars, hearts and labels become filters and search words; a chip says what it took', async () => {
    const [red1, red2] = files.filter((candidate) => path.basename(candidate).startsWith('red-'));
    await iris('mark', red1!, '--rating', '5', '--favourite');
    await iris('mark', red2!, '--rating', '3', '--label', 'green');
    const blue = file('blue-');
    await iris('mark', blue, '--rating', '4');

    assert.deepEqual(names(await json<Answer>('search', 'red', '--min-rating', '5', '--relevant')), [path.basename(red1!)]);
    const fiveStars = await json<Answer>('search', 'red 5 stars', '--relevant');
    assert.deepEqual(fiveStars.chips.map((chip) => [chip.kind, chip.min]), [['rating', 5]]);
    assert.deepEqual(names(fiveStars), [path.basename(red1!)]);
    // "3 stars" means at least three, as rating filters do elsewhere.
    assert.deepEqual(names(await json<Answer>('search', '3 stars', '--relevant', '--limit', '50')), [red1!, red2!, blue].map((f) => path.basename(f)).sort());
    assert.deepEqual(names(await json<Answer>('search', 'my favourites', '--relevant', '--limit', '50')), [path.basename(red1!)]);
    assert.deepEqual(names(await json<Answer>('search', 'red', '--label', 'green', '--relevant')), [path.basename(red2!)]);
    // The chip can be refused: "5 stars" searched as words finds no stars filter.
    const literal = await json<Answer>('search', 'red 5 stars', '--literal', '5 stars', '--relevant');
    assert.equal(literal.chips.length, 0);

    // Rejects: only them, or none of them.
    await iris('mark', red2!, '--reject');
    assert.deepEqual(names(await json<Answer>('search', 'red', '--rejected', '--relevant')), [path.basename(red2!)]);
    const marks = await json<{ rating: number; rejected: boolean; label: string | null }[]>('mark', red2!, '--no-reject');
    assert.deepEqual(marks.map(({ rating, rejected, label }) => ({ rating, rejected, label })), [{ rating: 3, rejected: false, label: 'green' }]);
  });

  it('refuses marks that are not marks, with a clear message', async () => {
    const run = await runIrisHere(['mark', file('red-'), '--rating', '7', '--library', library], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--rating wants a whole number from 0 to 5/);
    const none = await runIrisHere(['mark', file('red-'), '--library', library], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /say what to mark/);
  });

  it('keywords are kept per photo, searchable (why: keyword), and a filter', async () => {
    const green = file('green-');
    await iris('keywords', green, '--add', 'Holiday 2024, Lisbon');
    const listed = await json<{ keywords: { keyword: string }[] }[]>('keywords', green);
    assert.deepEqual(listed[0]!.keywords.map((k) => k.keyword), ['Holiday 2024', 'Lisbon']);
    const answer = await json<Answer>('search', 'lisbon', '--relevant');
    assert.equal(path.basename(answer.results[0]!.path), path.basename(green));
    assert.ok(answer.results[0]!.why.some((why) => why.signal === 'keyword' && why.text?.includes('Lisbon')), JSON.stringify(answer.results[0]!.why));
    assert.deepEqual(names(await json<Answer>('search', 'green', '--keyword', 'lisbon', '--relevant')), [path.basename(green)]);
    await iris('keywords', green, '--remove', 'Lisbon');
    assert.equal((await json<Answer>('search', 'lisbon', '--relevant')).results.filter((hit) => hit.why.some((why) => why.signal === 'keyword')).length, 0);
  });

  it('albums keep photos in date order or by hand, and deleting one leaves its photos', async () => {
    const [a, b, c] = [file('red-'), file('blue-'), file('green-')];
    const album = await json<{ id: number; count: number }>('albums', 'create', 'Best of', a, b);
    assert.equal(album.count, 2);
    await iris('albums', 'add', String(album.id), c, a);
    const shown = await json<{ photos: { path: string }[]; count: number }>('albums', 'show', String(album.id));
    assert.equal(shown.count, 3);
    await iris('albums', 'move', String(album.id), c, '--before', a);
    const manual = await json<{ sort: string; coverPhotoId: number; photos: { id: number; path: string }[] }>('albums', 'show', String(album.id));
    assert.equal(manual.sort, 'manual');
    assert.deepEqual(manual.photos.map((photo) => path.basename(photo.path)), [c, a, b].map((f) => path.basename(f)));
    // No cover chosen: the album's first photo in its order; then the chosen one.
    assert.equal(manual.coverPhotoId, manual.photos[0]!.id);
    const covered = await json<{ coverPhotoId: number }>('albums', 'cover', String(album.id), b);
    assert.equal(covered.coverPhotoId, manual.photos[2]!.id);
    assert.deepEqual(names(await json<Answer>('search', 'blue', '--album', String(album.id), '--relevant')), [path.basename(b)]);
    await iris('albums', 'remove', String(album.id), c);
    await iris('albums', 'rename', String(album.id), 'Keepers');
    const listed = await json<{ name: string; count: number }[]>('albums');
    assert.deepEqual(listed.map(({ name, count }) => ({ name, count })), [{ name: 'Keepers', count: 2 }]);
    await iris('albums', 'delete', String(album.id));
    assert.deepEqual(await json('albums'), []);
    assert.ok((await json<{ id: number }[]>('list')).length >= files.length, 'the photos stay in the library');
  });

  it('reviews near-duplicates with what tells them apart, and a hidden copy leaves search until shown again', async () => {
    type Review = { groups: { photos: { id: number; path: string; width: number; sharpness: number | null; hidden: boolean }[]; keep: { largest: number; sharpest: number; metadata: number } }[] };
    const review = await json<Review>('duplicates', '--review');
    const group = review.groups.find((candidate) => candidate.photos.some((photo) => path.basename(photo.path) === 'dup-big.jpg'));
    assert.ok(group, 'the pair is a group');
    const big = group.photos.find((photo) => path.basename(photo.path) === 'dup-big.jpg')!;
    const small = group.photos.find((photo) => path.basename(photo.path) === 'dup-small.jpg')!;
    assert.equal(group.keep.largest, big.id);
    assert.ok(big.sharpness! > small.sharpness!, `the blurred copy is less sharp (${big.sharpness} vs ${small.sharpness})`);
    assert.notEqual(group.keep.sharpest, small.id);

    await iris('hide', String(small.id));
    const listed = (await json<Answer>('search', 'red', '--limit', '50')).results.map((hit) => hit.id);
    assert.ok(!listed.includes(small.id), 'a hidden copy is not a search result');
    assert.ok(listed.includes(big.id));
    assert.deepEqual((await json<Answer>('search', 'red', '--hidden', '--limit', '50')).results.map((hit) => hit.id), [small.id]);
    // The review still lists it, as hidden, so it can be shown again.
    const again = await json<Review>('duplicates', '--review');
    assert.equal(again.groups.flatMap((g) => g.photos).find((photo) => photo.id === small.id)?.hidden, true);
    await iris('unhide', String(small.id));
    assert.ok((await json<Answer>('search', 'red', '--limit', '50')).results.some((hit) => hit.id === small.id));
  });

  it('exports originals byte for byte and JPEG copies at a size, never over an existing file', async () => {
    const out = tempDir('iris-export-');
    const source = path.join(photos, 'dup-big.jpg');
    await iris('export', source, '--to', out);
    await iris('export', source, '--to', out);
    await iris('export', source, '--to', out, '--jpeg', '--max-edge', '300');
    assert.deepEqual(fs.readdirSync(out).sort(), ['dup-big (2).jpg', 'dup-big (3).jpg', 'dup-big.jpg']);
    assert.equal(sha256(path.join(out, 'dup-big.jpg')), sha256(source));
    assert.equal(sha256(path.join(out, 'dup-big (2).jpg')), sha256(source));
    const resized = await sharp(path.join(out, 'dup-big (3).jpg')).metadata();
    assert.deepEqual([resized.width, resized.height], [300, 225]);
    const refused = await runIrisHere(['export', source, '--to', library, '--library', library], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /inside the library folder/);
  });

  it('takes in the stars, label, keywords and description other apps wrote, in sidecars and in the photo, and reads a changed sidecar again', async () => {
    const dir = tempDir('iris-organise-xmp-');
    const lib = tempDir('iris-organise-xmp-lib-');
    const sidecarPhoto = await makePhoto(path.join(dir, 'lightroom.jpg'), { color: [20, 200, 20], seed: 11 });
    const sidecar = path.join(dir, 'lightroom.xmp');
    fs.writeFileSync(sidecar, lightroomSidecar({ rating: 4, label: 'Red', subjects: ['Lisbon', 'tram'], paths: ['Places|Portugal|Lisbon'], description: 'Tram 28 at dusk' }));
    const embedded = path.join(dir, 'embedded.jpg');
    await sharp(await makePhoto(path.join(dir, 'tmp.png'), { color: [20, 20, 200], seed: 12, format: 'png' }))
      .withXmp(lightroomSidecar({ rating: -1, label: null, subjects: ['Outtake'], paths: [], description: null }))
      .jpeg()
      .toFile(embedded);
    fs.rmSync(path.join(dir, 'tmp.png'));
    fs.writeFileSync(path.join(dir, 'broken.jpg.xmp'), '<x:xmpmeta><rdf:RDF'); // a broken sidecar beside a photo
    await makePhoto(path.join(dir, 'broken.jpg'), { color: [200, 200, 20], seed: 13 });
    const run = (...args: string[]) => runIrisHere([...args, '--library', lib, '--json'], env);
    const indexed = await run('index', dir);
    assert.equal(indexed.code, 0, indexed.stderr);

    type Detail = { id: number; marks: { rating: number; rejected: boolean; label: string | null }; keywords: { keyword: string; hierarchy: string | null }[] };
    const detail = async (file: string): Promise<Detail & { caption: string | null }> => {
      const id = (JSON.parse((await run('list')).stdout) as { id: number; path: string }[]).find((photo) => photo.path === file)!.id;
      return { id, ...(await engineDetail(lib, id)) };
    };
    const fromSidecar = await detail(sidecarPhoto);
    assert.deepEqual(fromSidecar.marks, { favourite: false, rating: 4, rejected: false, label: 'red', hidden: false });
    assert.deepEqual(fromSidecar.keywords, [{ keyword: 'Lisbon', hierarchy: 'Places|Portugal|Lisbon' }, { keyword: 'tram', hierarchy: null }]);
    assert.equal(fromSidecar.caption, 'Tram 28 at dusk');
    const fromPhoto = await detail(embedded);
    assert.equal(fromPhoto.marks.rejected, true);
    assert.deepEqual(fromPhoto.keywords.map((k) => k.keyword), ['Outtake']);
    // The broken sidecar is a problem on record; its photo is read all the same.
    const broken = await detail(path.join(dir, 'broken.jpg'));
    assert.equal(broken.marks.rating, 0);

    // A change in Iris stays while the sidecar does not change; a changed sidecar is read again.
    assert.equal((await run('mark', String(fromSidecar.id), '--rating', '2')).code, 0);
    assert.equal((await run('index', dir)).code, 0);
    assert.equal((await engineDetail(lib, fromSidecar.id)).marks.rating, 2);
    fs.writeFileSync(sidecar, lightroomSidecar({ rating: 5, label: 'Green', subjects: ['Lisbon', 'tram', 'night'], paths: [], description: 'Tram 28 at dusk' }));
    fs.utimesSync(sidecar, new Date(), new Date(Date.now() + 5000));
    assert.equal((await run('index', dir)).code, 0);
    const reread = await engineDetail(lib, fromSidecar.id);
    assert.deepEqual([reread.marks.rating, reread.marks.label], [5, 'green']);
    assert.deepEqual(reread.keywords.map((k) => k.keyword), ['Lisbon', 'night', 'tram']);
    assert.deepEqual((await run('search', 'night', '--relevant')).stdout.includes('lightroom.jpg'), true);
    // Written back on request, merged: Lightroom's other properties stay, a keyword removed in Iris goes.
    fs.writeFileSync(sidecar, fs.readFileSync(sidecar, 'utf8').replace('xmp:Rating=', 'crs:Exposure2012="+0.35" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/" xmp:Rating='));
    fs.utimesSync(sidecar, new Date(), new Date(Date.now() + 10000));
    assert.equal((await run('index', dir)).code, 0);
    assert.equal((await run('mark', String(fromSidecar.id), '--rating', '3', '--label', 'blue', '--favourite')).code, 0);
    assert.equal((await run('keywords', String(fromSidecar.id), '--remove', 'night', '--add', 'Alfama')).code, 0);
    const exported = await run('export-xmp', String(fromSidecar.id), '--marks');
    assert.equal(exported.code, 0, exported.stderr);
    const written = readOrganiseXmp(fs.readFileSync(sidecar, 'utf8'));
    assert.deepEqual([written.rating, written.rejected, written.label], [3, false, 'Blue']);
    assert.deepEqual([...written.keywords].sort(), ['Alfama', 'Lisbon', 'tram']);
    assert.match(fs.readFileSync(sidecar, 'utf8'), /crs:Exposure2012="\+0\.35"/);
    // Iris's own write is not news: indexing again leaves Iris's values as they are.
    assert.equal((await run('index', dir)).code, 0);
    const after = await engineDetail(lib, fromSidecar.id);
    assert.deepEqual([after.marks.rating, after.marks.favourite, after.keywords.map((k) => k.keyword)], [3, true, ['Alfama', 'Lisbon', 'tram']]);
  });

  it('never changed a photo file', () => {
    for (const [name, hash] of hashes) assert.equal(sha256(path.join(photos, name)), hash, name);
  });
});
