import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { colourOf, colourPhotos, dominantPhoto, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';
import { call } from '../helpers/service-calls.js';
import { toCallError } from '../../main/engine/service/engine-service.js';
import { EndpointError } from '../../main/engine/ask/endpoint-errors.js';
import { ModelCorruptError } from '../../main/engine/models/verified.js';
import { ModelDownloadError } from '../../main/engine/models/download.js';
import { SidecarError } from '../../main/engine/xmp/sidecar.js';
import { ModelNotInstalledError } from '../../main/engine/models/verified.js';

/**
 * The engine service behind every window: the contract's engine calls against a real library on
 * the fixture CLIP (real onnxruntime sessions, real sqlite-vec), the way the app and `iris serve`
 * drive it.
 */


describe('engine service', () => {
  const photos = tempDir('iris-service-photos-');
  const library = tempDir('iris-service-lib-');
  let service: EngineService;
  const events: { name: string; payload: unknown }[] = [];
  const idOf = new Map<string, number>();

  before(async () => {
    await colourPhotos(photos, 2);
    // A TIFF original: browsers cannot show it, so media.read converts it.
    const jpeg = await dominantPhoto(path.join(tempDir(), 'red-tiff.jpg'), [1, 0, 0], [0, 0, 0]);
    fs.mkdirSync(path.join(photos, 'tiff'));
    await sharp(jpeg).tiff().toFile(path.join(photos, 'tiff', 'red-tiff.tiff'));
    service = EngineService.open({ libraryDir: library, modelsDir: fixtureModels }, { watch: false });
    service.onEvent((name, payload) => events.push({ name, payload }));
    service.start();
  });

  after(async () => {
    await service.close();
  });

  it('refuses unknown calls, host calls and bad arguments with a code and a message naming the field', async () => {
    assert.deepEqual(await service.handle('photos.delete', {}), { ok: false, error: { code: 'unknown-call', message: 'unknown call photos.delete' } });
    const host = await service.handle('folders.choose', {});
    assert.equal(!host.ok && host.error.code, 'unknown-call');
    const bad = await service.handle('photos.get', { id: 'one' });
    assert.ok(!bad.ok && bad.error.code === 'invalid-args' && bad.error.message.includes('(id)'), JSON.stringify(bad));
    const extra = await service.handle('folders.list', { path: '/etc' });
    assert.ok(!extra.ok && extra.error.code === 'invalid-args', 'unknown keys are refused (strict objects)');
  });

  it('answers not-found for an id that names nothing, and a model or endpoint problem in its own words, never as internal', async () => {
    for (const [name, args] of [
      ['photos.get', { id: 987_654 }],
      ['captions.get', { photoId: 987_654 }],
      ['conversations.get', { id: 987_654 }],
      ['edits.list', { photoId: 987_654 }],
      ['library.rescan', { folderId: 987_654 }],
    ] as const) {
      const outcome = await service.handle(name, args);
      assert.ok(!outcome.ok && outcome.error.code === 'not-found', `${name}: ${JSON.stringify(outcome)}`);
    }
    assert.deepEqual(toCallError('ask.send', new EndpointError('network', 'cannot reach http://localhost:1/v1: connection refused')), { code: 'unavailable', message: 'cannot reach http://localhost:1/v1: connection refused' });
    assert.deepEqual(toCallError('ask.send', new EndpointError('auth', 'the endpoint refused the API key (401)')), { code: 'usage', message: 'the endpoint refused the API key (401)' });
    const corrupt = toCallError('captions.generate', new ModelCorruptError('florence-2-base-ft', 'model.onnx', 'sha256-mismatch'));
    assert.equal(corrupt.code, 'usage');
    assert.doesNotMatch(corrupt.message, /failed:/);
    assert.deepEqual(toCallError('photos.get', new TypeError('boom')), { code: 'internal', message: 'photos.get failed: boom' });
    // Every user-facing error (errors.ts UserFacingError) reaches a window in its own words, under its code.
    assert.deepEqual(toCallError('models.install', new ModelDownloadError('huggingface.co answered 503', false)), { code: 'unavailable', message: 'huggingface.co answered 503' });
    assert.deepEqual(toCallError('models.install', new ModelDownloadError('model.onnx: sha256 mismatch', true)), { code: 'usage', message: 'model.onnx: sha256 mismatch' });
    assert.equal(toCallError('captions.generate', new ModelNotInstalledError('florence-2-base-ft', 'model.onnx missing')).code, 'usage');
    assert.equal(toCallError('photos.get', new SidecarError('/p/a.jpg.xmp', 'read-only folder')).code, 'usage');
  });

  it('adds a folder and indexes it in the background, telling the UI through events', async () => {
    const missing = await service.handle('folders.add', { path: path.join(photos, 'nope') });
    assert.ok(!missing.ok && missing.error.code === 'usage' && missing.error.message.includes('folder not found'));
    const folder = (await call(service, 'folders.add', { path: photos }));
    assert.equal(folder.path, fs.realpathSync(photos));
    await waitFor(async () => {
      const status = (await call(service, 'library.status', {}));
      return !status.indexing && status.photos.total === 17 && status.clip.embedded === 17 ? status : undefined;
    }, 60_000, 'the folder to be indexed and embedded');
    assert.ok(events.some((event) => event.name === 'jobs.state' && (event.payload as { running: boolean }).running), 'a jobs.state running event');
    assert.ok(events.some((event) => event.name === 'progress' && (event.payload as { phase: string }).phase === 'jobs'), 'job progress events');
    const last = events.filter((event) => event.name === 'jobs.state').at(-1)!.payload as { running: boolean };
    assert.equal(last.running, false, 'the last jobs.state says the work is over');
  });

  it('gives the grid a newest-first timeline in columns', async () => {
    const timeline = (await call(service, 'photos.timeline', {}));
    assert.equal(timeline.ids.length, 17);
    assert.deepEqual(timeline.pending, [], 'every photo read: none waits for its thumbnail');
    assert.equal(timeline.takenAt.length, 17);
    for (let i = 1; i < timeline.takenAt.length; i++) {
      const [previous, current] = [timeline.takenAt[i - 1], timeline.takenAt[i]];
      if (typeof previous === 'number' && typeof current === 'number') assert.ok(previous >= current, 'newest first');
    }
    assert.ok(timeline.aspect.every((aspect) => Math.abs(aspect - 160 / 120) < 0.01), 'aspect of 160x120 photos');
    // Each cell's accessible name: the file name (photos.names, asked after the grid is painted).
    const { names } = await call(service, 'photos.names', { ids: timeline.ids });
    assert.equal(names.length, timeline.ids.length);
    for (const [i, id] of timeline.ids.entries()) {
      const photo = (await call(service, 'photos.get', { id }));
      idOf.set(path.basename(photo.path), id);
      assert.equal(names?.[i], path.basename(photo.path));
      assert.equal(photo.width, 160);
      assert.equal(photo.caption, null);
    }
    const folders = (await call(service, 'folders.list', {}));
    const one = (await call(service, 'photos.timeline', { folderId: folders[0]!.id }));
    assert.equal(one.ids.length, 17);
  });

  it("tells the grid which photos are marked (the cells' badges), and only those it shows", async () => {
    const red = idOf.get('red-1.jpg')!;
    const blue = idOf.get('blue-1.jpg')!;
    await call(service, 'photos.mark', { photoIds: [red], rating: 4, favourite: true });
    await call(service, 'photos.mark', { photoIds: [blue], label: 'blue' });
    const all = await call(service, 'photos.timeline', {});
    assert.deepEqual(
      [...(all.marks ?? [])].sort((a, b) => a.id - b.id),
      [
        { id: red, favourite: true, rating: 4, rejected: false, label: null },
        { id: blue, favourite: false, rating: 0, rejected: false, label: 'blue' },
      ].sort((a, b) => a.id - b.id),
    );
    const rated = await call(service, 'photos.timeline', { filters: { minRating: 4 } });
    assert.deepEqual(rated.ids, [red]);
    assert.deepEqual(rated.marks, [{ id: red, favourite: true, rating: 4, rejected: false, label: null }]);
    // Marks taken off again: nothing to show (and nothing left for the tests below).
    await call(service, 'photos.mark', { photoIds: [red], rating: 0, favourite: false });
    await call(service, 'photos.mark', { photoIds: [blue], label: null });
    assert.deepEqual((await call(service, 'photos.timeline', {})).marks, []);
  });

  it('serves thumbnails, previews and originals by id only; TIFF originals come as JPEG', async () => {
    const thumb = (await call(service, 'media.read', { kind: 'thumb', id: idOf.get('red-1.jpg')! }));
    assert.equal(thumb.mime, 'image/webp');
    const meta = await sharp(thumb.bytes).metadata();
    assert.equal(meta.format, 'webp');
    const original = (await call(service, 'media.read', { kind: 'photo', id: idOf.get('red-1.jpg')! }));
    assert.equal(original.mime, 'image/jpeg');
    assert.deepEqual(Buffer.from(original.bytes), fs.readFileSync(path.join(photos, 'red-1.jpg')), 'the original bytes, untouched');
    const tiff = (await call(service, 'media.read', { kind: 'photo', id: idOf.get('red-tiff.tiff')! }));
    assert.equal(tiff.mime, 'image/jpeg');
    assert.equal((await sharp(tiff.bytes).metadata()).format, 'jpeg');
    const missing = await service.handle('media.read', { kind: 'thumb', id: 999_999 });
    assert.ok(!missing.ok && missing.error.code === 'not-found');
    const byPath = await service.handle('media.read', { kind: 'photo', id: 1, path: '/etc/passwd' });
    assert.ok(!byPath.ok && byPath.error.code === 'invalid-args', 'no path argument exists');
  });

  it('searches by text and by similarity, best first, and runs zero-shot tags', async () => {
    const search = (await call(service, 'search.text', { query: 'red', limit: 5 }));
    assert.equal(search.model, 'clip-fixture');
    const red = [idOf.get('red-1.jpg'), idOf.get('red-2.jpg'), idOf.get('red-tiff.tiff')];
    assert.deepEqual(new Set(search.results.slice(0, 3).map((hit) => hit.id)), new Set(red), 'the three red photos first');
    // What a screen reader calls a result: its file name (and its caption, which none has yet), read
    // from the raw answer as above.
    const raw = await service.handle('search.text', { query: 'red', limit: 5 });
    const first = raw.ok ? (raw.value as { results: { id: number; name?: string; caption?: string }[] }).results[0] : undefined;
    assert.ok(first && red.includes(first.id));
    assert.match(first.name ?? '', /^red-(1\.jpg|2\.jpg|tiff\.tiff)$/);
    assert.equal(first.caption, undefined);
    const similar = (await call(service, 'search.similar', { photoId: idOf.get('blue-1.jpg')!, limit: 3 }));
    assert.equal(similar.results[0]!.id, idOf.get('blue-2.jpg'));
    assert.ok(!similar.results.some((hit) => hit.id === idOf.get('blue-1.jpg')), 'itself excluded');
    const tags = (await call(service, 'tags.zeroShot', { photoIds: [idOf.get('green-1.jpg')!, idOf.get('yellow-2.jpg')!], labels: ['green', 'yellow', 'black'], save: true }));
    assert.equal(tags[0]!.labels[0]!.label, 'green');
    assert.equal(tags[1]!.labels[0]!.label, 'yellow');
    const saved = (await call(service, 'photos.get', { id: idOf.get('green-1.jpg')! }));
    assert.equal(saved.tags[0]!.label, 'green', 'a saved tag shows on the photo');
  });

  it('lays the library out on a map where photos of one colour sit together', async () => {
    const map = (await call(service, 'map.layout', {}));
    assert.equal(map.points.length, 17);
    for (const point of map.points) assert.ok(point.x >= 0 && point.x <= 1 && point.y >= 0 && point.y <= 1);
    const colourById = new Map([...idOf].map(([file, id]) => [id, colourOf(file)]));
    const distance = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);
    let within = 0;
    let between = 0;
    let nWithin = 0;
    let nBetween = 0;
    for (const a of map.points) {
      for (const b of map.points) {
        if (a.id >= b.id) continue;
        if (colourById.get(a.id) === colourById.get(b.id)) {
          within += distance(a, b);
          nWithin++;
        } else {
          between += distance(a, b);
          nBetween++;
        }
      }
    }
    assert.ok(within / nWithin < (between / nBetween) / 2, `same-colour pairs (${(within / nWithin).toFixed(3)}) sit much closer than others (${(between / nBetween).toFixed(3)})`);
    const again = (await call(service, 'map.layout', {}));
    assert.deepEqual(again.points, map.points, 'cached until the embeddings change');
  });

  it('pauses and resumes the queue, and lists settings, devices and models', async () => {
    assert.deepEqual((await call(service, 'jobs.pause', {})), { paused: true });
    const paused = (await call(service, 'jobs.status', {}));
    assert.equal(paused.paused, true);
    assert.ok(paused.kinds.some((kind) => kind.kind === 'thumbnail' && kind.done === 17));
    // A photo found while paused is recorded but waits, listed as pending (no thumbnail to ask for).
    await dominantPhoto(path.join(photos, 'late-1.jpg'), [0.5, 0.5, 0.5], [0, 0, 0]);
    assert.deepEqual((await call(service, 'library.rescan', {})), { started: true });
    const waiting = await waitFor(async () => {
      const timeline = (await call(service, 'photos.timeline', {}));
      return timeline.ids.length === 18 && !service.indexing ? timeline : undefined;
    }, 30_000, 'the new photo to be recorded');
    assert.equal(waiting.pending.length, 1);
    assert.deepEqual((await call(service, 'jobs.resume', {})), { paused: false });
    await waitFor(async () => ((await call(service, 'photos.timeline', {})).pending.length === 0 ? true : undefined), 30_000, 'the paused photo to be read after resume');
    const bad = await service.handle('settings.set', { key: 'device', value: 'tpu' });
    assert.ok(!bad.ok && bad.error.code === 'usage' && bad.error.message.includes('expected one of'), JSON.stringify(bad));
    const device = (await call(service, 'settings.set', { key: 'device', value: 'cpu' }));
    assert.equal(device.value, 'cpu');
    const status = (await call(service, 'device.status', {}));
    assert.equal(status.setting, 'cpu');
    assert.ok(status.providers.some((provider) => provider.name === 'cpu' && provider.available === true));
    const models = (await call(service, 'models.list', {}));
    assert.ok(models.some((model) => model.id === 'clip-fixture' && model.installed && model.active), JSON.stringify(models));
    const unknown = await service.handle('models.install', { id: 'no-such-model' });
    assert.ok(!unknown.ok && unknown.error.code === 'usage');
  });

  it('forgets a folder without touching the files', async () => {
    const [folder] = (await call(service, 'folders.list', {}));
    const before = fs.readdirSync(photos).length;
    assert.deepEqual((await call(service, 'folders.remove', { folderId: folder!.id })), { photos: 18 });
    assert.equal(fs.readdirSync(photos).length, before);
    assert.equal((await call(service, 'photos.timeline', {})).ids.length, 0);
  });
});
