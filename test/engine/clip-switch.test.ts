import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { VectorStore } from '../../main/engine/search/vector-store.js';
import { colourOf, colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';
import { call } from '../helpers/service-calls.js';

/**
 * Switching the search model on a library that is already indexed: the new model re-embeds in the
 * background, searches keep answering from the old one until the new one covers the library, and
 * then the old vectors go. Real engine, fixture CLIPs (clip-fixture, then the SigLIP 2 fixture in
 * Immich's layout, 768-d), real sqlite-vec.
 */
describe('switching the search model', () => {
  const photos = tempDir('iris-switch-photos-');
  const library = path.join(tempDir('iris-switch-lib-'), 'library');
  let service: EngineService;
  const colourById = new Map<number, string>();
  const redOf = async () => {
    const answer = await call(service, 'search.text', { query: 'red', limit: 100 });
    return { model: answer.model, top: answer.results.slice(0, answer.relevant).map((hit) => colourById.get(hit.id)) };
  };

  before(async () => {
    await colourPhotos(photos, 2);
    service = EngineService.open({ libraryDir: library, modelsDir: fixtureModels }, { watch: false });
    service.start();
    await call(service, 'folders.add', { path: photos });
    await waitFor(async () => {
      const status = await call(service, 'library.status', {});
      return !status.indexing && status.clip.embedded === 16 ? status : undefined;
    }, 60_000, 'the library to be embedded with the default model');
    for (const id of (await call(service, 'photos.timeline', {})).ids) colourById.set(id, colourOf((await call(service, 'photos.get', { id })).path)!);
  });

  after(async () => {
    await service.close();
  });

  it('keeps answering from the old model while the new one has not embedded the library, then moves over and drops the old vectors', async () => {
    assert.deepEqual(await redOf(), { model: 'clip-fixture', top: ['red', 'red'] });
    // Held: nothing is embedded with the new model yet (as in the first minutes of a long re-embed).
    await call(service, 'jobs.pause', {});
    await call(service, 'settings.set', { key: 'clip-model', value: 'siglip2-fixture' });
    const meanwhile = await call(service, 'library.status', {});
    assert.equal(meanwhile.clip.model, 'siglip2-fixture', 'the chosen model');
    assert.equal(meanwhile.clip.serving, 'clip-fixture', 'the old model still answers');
    assert.equal(meanwhile.clip.embedded, 0);
    assert.deepEqual(await redOf(), { model: 'clip-fixture', top: ['red', 'red'] }, 'search is not broken by the switch');
    const similar = await call(service, 'search.similar', { photoId: [...colourById].find(([, colour]) => colour === 'blue')![0], limit: 100 });
    assert.equal(similar.model, 'clip-fixture');

    await call(service, 'jobs.resume', {});
    const done = await waitFor(async () => {
      const status = await call(service, 'library.status', {});
      return status.clip.embedded === 16 && status.clip.serving === 'siglip2-fixture' ? status : undefined;
    }, 60_000, 'the new model to cover the library');
    assert.equal(done.clip.missing, 0);
    assert.deepEqual(await redOf(), { model: 'siglip2-fixture', top: ['red', 'red'] }, 'the new model answers, canonicalized: "red"');
    const shouted = await call(service, 'search.text', { query: 'RED!', limit: 100 });
    assert.deepEqual(shouted.results.slice(0, shouted.relevant).map((hit) => colourById.get(hit.id)), ['red', 'red']);
    await waitFor(async () => {
      const registered = VectorStore.models(service.engine.database).map((info) => info.modelId);
      return registered.length === 1 && registered[0] === 'siglip2-fixture' ? registered : undefined;
    }, 10_000, 'the old vectors to be dropped');
    const map = await call(service, 'map.layout', {});
    assert.equal(map.model, 'siglip2-fixture');
  });

  it('switching back re-embeds with the first model, and the second one answers until then', async () => {
    await call(service, 'jobs.pause', {});
    await call(service, 'settings.set', { key: 'clip-model', value: null });
    assert.equal((await call(service, 'library.status', {})).clip.serving, 'siglip2-fixture');
    assert.equal((await redOf()).model, 'siglip2-fixture');
    await call(service, 'jobs.resume', {});
    await waitFor(async () => {
      const status = await call(service, 'library.status', {});
      return status.clip.serving === 'clip-fixture' && status.clip.embedded === 16 ? status : undefined;
    }, 60_000, 'the default model to cover the library again');
    assert.deepEqual(await redOf(), { model: 'clip-fixture', top: ['red', 'red'] });
  });
});
