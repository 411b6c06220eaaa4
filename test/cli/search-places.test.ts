import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { placeOf } from '../../main/engine/library/places.js';
import { runIrisHere } from '../helpers/cli-in-process.js';
import { colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { makePhoto, tempDir } from '../helpers/fixtures.js';

/**
 * Places (issue 19, item 3): a photo's GPS position is named offline (library/places.ts: the
 * nearest town of GeoNames' cities, the metropolis around it, the country in English and
 * Chinese), and the search box finds the photo by any of those names, saying so.
 */
describe('places from GPS, offline, searchable (iris search)', () => {
  const photos = tempDir('iris-places-');
  const library = tempDir('iris-places-lib-');
  const search = async (query: string) => {
    const run = await runIrisHere(['search', query, '--json', '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as { results: { path: string; why: { signal: string; text?: string }[] }[] };
  };

  before(async () => {
    await colourPhotos(photos, 1);
    // The Sydney Opera House and Tiananmen, as cameras write GPS (degrees, minutes, seconds as rationals).
    await makePhoto(path.join(photos, 'DSC_1001.jpg'), { color: [255, 0, 0], seed: 7, exif: { IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '33/1 51/1 2540/100', GPSLongitudeRef: 'E', GPSLongitude: '151/1 12/1 5410/100' } } });
    await makePhoto(path.join(photos, 'DSC_1002.jpg'), { color: [0, 0, 255], seed: 8, exif: { IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '39/1 54/1 1500/100', GPSLongitudeRef: 'E', GPSLongitude: '116/1 24/1 2700/100' } } });
    const run = await runIrisHere(['index', photos, '--library', library], { env: { IRIS_MODELS: fixtureModels } });
    assert.equal(run.code, 0, run.stderr);
  });

  it('names a position by its town, the city around it, its region and its country, in English and Chinese', () => {
    assert.equal(placeOf(-33.8571, 151.215)?.label, 'The Rocks, Sydney, New South Wales, Australia 澳大利亚');
    assert.equal(placeOf(39.9042, 116.4074)?.label, 'Beijing, China 中国');
    assert.equal(placeOf(40.7128, -74.006)?.label, 'New York City, New York, United States 美国');
    assert.equal(placeOf(43.7036, 7.2661)?.region, "Provence-Alpes-Côte d'Azur");
    assert.equal(placeOf(0, -150), null, 'the middle of the Pacific has no place');
    assert.equal(placeOf(91, 0), null);
  });

  it('finds a photo by its city, its country, and its country in Chinese', async () => {
    const sydney = (await search('sydney')).results[0]!;
    assert.equal(path.basename(sydney.path), 'DSC_1001.jpg');
    assert.deepEqual(sydney.why.find((reason) => reason.signal === 'place'), { signal: 'place', text: 'The Rocks, Sydney, New South Wales, Australia 澳大利亚' });
    assert.equal(path.basename((await search('beijing')).results[0]!.path), 'DSC_1002.jpg');
    assert.equal(path.basename((await search('australia')).results[0]!.path), 'DSC_1001.jpg');
    assert.equal(path.basename((await search('new south wales')).results[0]!.path), 'DSC_1001.jpg', 'by its region');
    assert.equal(path.basename((await search('中国')).results[0]!.path), 'DSC_1002.jpg');
  });
});
