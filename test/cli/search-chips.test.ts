import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { openDatabase } from '../../main/engine/db/database.js';
import { cameraNames, libraryFacets, placeNames } from '../../main/engine/search/library-words.js';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { makePhoto, tempDir } from '../helpers/fixtures.js';

/**
 * Cameras and places in the query become filter chips (issue 19, item 2), through `iris search`:
 * the names the library knows are taken out of the words and narrow the search, the answer
 * names them, --literal keeps one as words. Words that are also ordinary words ("nice",
 * "pixel", "apple") become chips only when the query says they are names. Real engine, fixture
 * CLIP (it sees colours), real SQLite.
 */

interface Chip {
  kind: string;
  label: string;
  value?: string;
  words?: string;
}

interface Answer {
  results: { path: string; why: { signal: string; text?: string }[] }[];
  relevant: number;
  chips: Chip[];
}

const GPS = {
  eiffelTower: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 3024/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4020/100' },
  nice: { GPSLatitudeRef: 'N', GPSLatitude: '43/1 42/1 1300/100', GPSLongitudeRef: 'E', GPSLongitude: '7/1 15/1 5800/100' },
  manhattan: { GPSLatitudeRef: 'N', GPSLatitude: '40/1 42/1 4600/100', GPSLongitudeRef: 'W', GPSLongitude: '74/1 0/1 2200/100' },
};

describe('cameras and places in the query as filter chips (iris search)', () => {
  const photos = tempDir('iris-chips-');
  const library = tempDir('iris-chips-lib-');
  const search = async (query: string, ...flags: string[]): Promise<Answer> => {
    const run = await runIrisHere(['search', query, '--json', '--relevant', '--library', library, ...flags], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Answer;
  };
  const names = (answer: Answer) => answer.results.map((hit) => path.basename(hit.path));

  before(async () => {
    // Two red photos of every fixture colour with no camera or place, and named ones:
    await colourPhotos(photos, 2);
    const iphone = { Make: 'Apple', Model: 'iPhone 12 Pro' };
    await makePhoto(path.join(photos, 'paris-red.jpg'), { color: [250, 10, 10], seed: 1, exif: { IFD0: iphone, IFD3: GPS.eiffelTower } });
    await makePhoto(path.join(photos, 'paris-blue.jpg'), { color: [10, 10, 250], seed: 2, exif: { IFD0: { Make: 'Canon', Model: 'Canon EOS R5' }, IFD3: GPS.eiffelTower } });
    await makePhoto(path.join(photos, 'nice-red.jpg'), { color: [250, 10, 10], seed: 3, exif: { IFD0: iphone, IFD3: GPS.nice } });
    await makePhoto(path.join(photos, 'pixel-red.jpg'), { color: [250, 10, 10], seed: 4, exif: { IFD0: { Make: 'Google', Model: 'Pixel 7' } } });
    await makePhoto(path.join(photos, 'nikon-red.jpg'), { color: [250, 10, 10], seed: 5, exif: { IFD0: { Make: 'NIKON CORPORATION', Model: 'NIKON D750' }, IFD3: GPS.manhattan } });
    const run = await runIrisHere(['index', photos, '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
  });

  it('knows a place by its town, city and country, and a camera by its maker, model and family', () => {
    assert.deepEqual(placeNames('Neuilly-sur-Seine, Paris, France 法国'), ['Neuilly-sur-Seine', 'Paris', 'France', '法国']);
    assert.deepEqual(placeNames('New York City, United States 美国'), ['New York City', 'New York', 'United States', '美国']);
    assert.deepEqual(cameraNames('Apple', 'iPhone 12 Pro'), ['Apple', 'iPhone 12 Pro', 'Apple iPhone 12 Pro', 'iPhone']);
    assert.deepEqual(cameraNames('NIKON CORPORATION', 'NIKON D750'), ['Nikon', 'D750', 'Nikon D750']);
    assert.deepEqual(cameraNames('Canon', 'Canon EOS R5'), ['Canon', 'EOS R5', 'Canon EOS R5', 'EOS']);
  });

  it('lists the library\'s cameras and places for the filter bar, and each name filters to exactly its photos', async () => {
    const db = openDatabase(path.join(library, 'iris.db'), { readonly: true });
    const facets = libraryFacets(db);
    db.close();
    assert.deepEqual(facets.cameras, [
      { name: 'Apple iPhone 12 Pro', count: 2 },
      { name: 'Canon EOS R5', count: 1 },
      { name: 'Google Pixel 7', count: 1 },
      { name: 'Nikon D750', count: 1 },
    ]);
    assert.deepEqual(facets.places.slice(0, 4), [
      { name: 'France', count: 3, kind: 'country' },
      { name: 'Île-de-France', count: 2, kind: 'area' },
      { name: 'Neuilly-sur-Seine', count: 2, kind: 'area' },
      { name: 'Paris', count: 2, kind: 'area' },
    ]);
    assert.deepEqual(facets.places.map((place) => place.name).slice(4).sort(), ['New York', 'New York City', 'Nice', "Provence-Alpes-Côte d'Azur", 'United States']);
    for (const camera of facets.cameras) {
      assert.equal((await search('red', '--camera', camera.name, '--no-chips')).results.length + (await search('blue', '--camera', camera.name)).results.length, camera.count, camera.name);
    }
    assert.deepEqual(names(await search('red', '--place', 'Neuilly-sur-Seine')), ['paris-red.jpg']);
  });

  it('"red in Paris": the place is a chip, and only photos taken there answer', async () => {
    const answer = await search('red in Paris');
    assert.deepEqual(answer.chips, [{ kind: 'place', label: 'Paris', value: 'Paris', words: 'in Paris' }]);
    assert.deepEqual(names(answer), ['paris-red.jpg'], 'the red photo in Paris; the red ones elsewhere are filtered out');
    // A cue word makes a lowercase name a place; so does a country, in Chinese too.
    assert.deepEqual((await search('red photos in nice')).chips, [{ kind: 'place', label: 'nice', value: 'Nice', words: 'in nice' }]);
    assert.deepEqual(names(await search('red photos in nice')), ['nice-red.jpg']);
    const france = await search('red 法国');
    assert.deepEqual(france.chips, [{ kind: 'place', label: '法国', value: '法国', words: '法国' }]);
    assert.deepEqual(names(france).sort(), ['nice-red.jpg', 'paris-red.jpg']);
    assert.deepEqual((await search('red in new york')).chips, [{ kind: 'place', label: 'new york', value: 'New York', words: 'in new york' }]);
    assert.deepEqual(names(await search('red in new york')), ['nikon-red.jpg']);
  });

  it('"red iPhone": the camera is a chip; maker, model and family all name it', async () => {
    const iphone = await search('red iphone');
    assert.deepEqual(iphone.chips, [{ kind: 'camera', label: 'iphone', value: 'iPhone', words: 'iphone' }]);
    assert.deepEqual(names(iphone).sort(), ['nice-red.jpg', 'paris-red.jpg']);
    assert.deepEqual(names(await search('red Nikon')), ['nikon-red.jpg']);
    assert.deepEqual(names(await search('red pixel 7')), ['pixel-red.jpg']);
    assert.deepEqual(names(await search('red shot on pixel')), ['pixel-red.jpg']);
    // Camera and place together: both must hold.
    assert.deepEqual(names(await search('red iPhone in Nice')), ['nice-red.jpg']);
  });

  it('an ordinary word stays a word unless the query says it is a name', async () => {
    for (const query of ['a nice red photo', 'red pixel art', 'red apple']) {
      const answer = await search(query);
      assert.deepEqual(answer.chips, [], query);
      assert.ok(answer.results.length >= 5, `${query}: every red photo still answers (${answer.results.length})`);
    }
  });

  it('a name that is all the query says stays a word search; the first of several names stays a word', async () => {
    const paris = await search('Paris');
    assert.deepEqual(paris.chips, []);
    assert.deepEqual(names(paris).sort(), ['paris-blue.jpg', 'paris-red.jpg'], 'found by their place');
    const iphoneInParis = await search('iPhone in Paris');
    assert.deepEqual(iphoneInParis.chips, [{ kind: 'place', label: 'Paris', value: 'Paris', words: 'in Paris' }]);
    assert.equal(names(iphoneInParis)[0], 'paris-red.jpg');
  });

  it('--literal keeps a chip as words, --place and --camera filter as the chips do, and the listing names the chips', async () => {
    const literal = await search('red in Paris', '--literal', 'Paris');
    assert.deepEqual(literal.chips, []);
    assert.ok(names(literal).includes('nice-red.jpg'), 'no longer only Paris');
    assert.deepEqual(names(await search('red', '--place', 'nice')), ['nice-red.jpg']);
    assert.deepEqual(names(await search('red', '--camera', 'canon eos r5')), []);
    assert.deepEqual(names(await search('blue', '--camera', 'canon eos r5')), ['paris-blue.jpg']);
    assert.deepEqual(names(await search('red', '--camera', 'pixel')), ['pixel-red.jpg'], 'a word of the camera name');
    assert.deepEqual(names(await search('red', '--camera', 'pixe')), [], 'whole words only');
    const listing = await runIrisHere(['search', 'red iPhone in Paris', '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.match(listing.stdout, /camera: "iPhone" = taken with a camera named iPhone/);
    assert.match(listing.stdout, /place: "Paris" = taken in Paris \(--literal "Paris" searches the words instead\)/);
  });
});
