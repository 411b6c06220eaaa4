import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { SD15_FIXTURE_ID } from '../fixtures/diffusion/sd15-fixture.js';
import { fixtureModels } from '../helpers/colour-photos.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';
import { call } from '../helpers/service-calls.js';

/** The Edit tab's calls as the engine service answers them, on the fixture Stable Diffusion models. */


interface Preview {
  editId: string;
  step: number;
  steps: number;
  image: string | null;
}

describe('edit calls through the engine service', () => {
  const photos = tempDir('iris-edit-calls-photos-');
  const outputs = tempDir('iris-edit-calls-out-');
  let service: EngineService;
  let photoId: number;
  const previews: Preview[] = [];

  before(async () => {
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 20, g: 40, b: 220 } } }).jpeg().toFile(path.join(photos, 'blue.jpg'));
    service = EngineService.open({ libraryDir: tempDir('iris-edit-calls-lib-'), modelsDir: fixtureModels }, { watch: false });
    service.onEvent((name, payload) => {
      if (name === 'edit.preview') previews.push(payload as Preview);
    });
    (await call(service, 'settings.set', { key: 'output-folder', value: outputs }));
    (await call(service, 'folders.add', { path: photos }));
    await waitFor(async () => {
      const status = (await call(service, 'library.status', {}));
      return !status.indexing && status.photos.ok === 1 ? status : undefined;
    }, 60_000, 'the photo to be indexed');
    photoId = (await call(service, 'photos.timeline', {})).ids[0]!;
  });

  after(async () => {
    await service.close();
  });

  it('offers each mode with its model and defaults for the photo', async () => {
    const options = (await call(service, 'edits.options', { photoId }));
    assert.deepEqual(options.schedulers, ['dpmpp-2m-karras', 'euler-a', 'ddim', 'lcm']);
    assert.deepEqual(options.modes.map((m) => [m.mode, m.ready]), [['txt2img', true], ['img2img', true], ['canny', true], ['instruct', true]]);
    const img2img = options.modes.find((m) => m.mode === 'img2img')!.defaults!;
    assert.deepEqual([img2img.model, img2img.width, img2img.height], [SD15_FIXTURE_ID, 512, 344]);
    const withoutPhoto = (await call(service, 'edits.options', {}));
    assert.equal(withoutPhoto.modes.find((m) => m.mode === 'canny')!.reason, 'needs a photo');
  });

  it('shows the canny edge map before generating', async () => {
    const edges = (await call(service, 'edits.edges', { photoId, width: 96, height: 64, low: 100, high: 200 }));
    assert.match(edges.image, /^data:image\/png;base64,/);
    const bad = await service.handle('edits.edges', { photoId, width: 96, height: 64, low: 250, high: 200 });
    assert.ok(!bad.ok && bad.error.code === 'usage');
  });

  it('runs an edit with step events and previews, lists it, and cancels another within a step', async () => {
    const result = (await call(service, 'edits.run', { editId: 'edit-run-0001', mode: 'img2img', photoId, prompt: 'red', seed: 8, steps: 6, width: 64, height: 64 }));
    assert.equal(result.cancelled, false);
    assert.ok(result.edit.outputPhotoId !== null);
    assert.ok(fs.readdirSync(outputs).length === 1);
    const mine = previews.filter((p) => p.editId === 'edit-run-0001');
    // strength 0.75 of 6 steps runs 4
    assert.deepEqual(mine.map((p) => p.step), [1, 2, 3, 4]);
    assert.ok(mine.filter((p) => p.image !== null).every((p) => p.image!.startsWith('data:image/png;base64,')));
    assert.deepEqual(mine.filter((p) => p.image !== null).map((p) => p.step), [2, 4]);
    const listed = (await call(service, 'edits.list', { photoId }));
    assert.deepEqual(listed.map((e) => e.id), [result.edit.id]);

    const stop = service.onEvent((name, payload) => {
      if (name === 'edit.preview' && (payload as Preview).editId === 'edit-run-0002' && (payload as Preview).step === 1) void service.handle('streams.cancel', { streamId: 'edit-run-0002' });
    });
    const cancelled = (await call(service, 'edits.run', { editId: 'edit-run-0002', mode: 'txt2img', prompt: 'red', steps: 10, width: 64, height: 64 }));
    stop();
    assert.deepEqual(cancelled, { cancelled: true, stepsRun: 1 }, 'stopped before the second step');
    assert.equal(fs.readdirSync(outputs).length, 1, 'nothing written');
  });
});
