import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { dominantPhoto, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';
import { call } from '../helpers/service-calls.js';

/**
 * A library whose models are in the catalog but not downloaded: every place that needs one names
 * the model a Download button would fetch (missingModel, CallError.model), so the app never has to
 * show a terminal command. Real engine and catalog; no model file on disk.
 */
describe('models that are not downloaded', () => {
  const photos = tempDir('iris-missing-photos-');
  const library = tempDir('iris-missing-lib-');
  const models = tempDir('iris-missing-models-');
  let service: EngineService;
  let photoId: number;

  before(async () => {
    fs.copyFileSync(path.join(fixtureModels, 'catalog.json'), path.join(models, 'catalog.json'));
    await dominantPhoto(path.join(photos, 'red-1.jpg'), [1, 0, 0], [0, 0, 1]);
    service = EngineService.open({ libraryDir: library, modelsDir: models }, { watch: false });
    await call(service, 'folders.add', { path: photos });
    photoId = await waitFor(async () => (await call(service, 'photos.timeline', {})).ids[0], 30_000, 'the photo to be recorded');
  });

  after(() => service.close());

  it('statuses name the model to download, beside the reason the CLI prints', async () => {
    const status = await call(service, 'library.status', {});
    assert.equal(status.clip.missingModel, 'clip-fixture');
    assert.match(status.clip.reason ?? '', /clip-fixture is not installed/);
    const captions = await call(service, 'captions.status', {});
    assert.deepEqual([captions.installed, captions.missingModel], [false, 'florence2-fixture']);
    const ask = await call(service, 'ask.status', {});
    assert.deepEqual([ask.ready, ask.missingModel], [false, 'smolvlm-fixture']);
  });

  it('proposes a set for this machine: one model per task, with the setting that selects it', async () => {
    const set = await call(service, 'models.recommended', {});
    // This machine has no GPU the probe can use (CI never does): the CPU's preference.
    if (!set.gpu) {
      assert.deepEqual(
        set.models.map((model) => [model.task, model.id, model.setting, model.installed, model.selected]),
        [
          ['clip', 'clip-fixture', 'clip-model', false, false],
          ['caption', 'florence2-fixture', 'caption-model', false, false],
          ['vqa', 'smolvlm-fixture', 'ask-model', false, false],
        ],
      );
    }
    assert.equal(set.models.length, 3);
    assert.ok(set.models.every((model) => model.title.length > 0));
  });

  it('each edit mode names its diffusion model (or its ControlNet), in words that read', async () => {
    const { modes } = await call(service, 'edits.options', { photoId });
    const byMode = new Map(modes.map((mode) => [mode.mode, mode]));
    assert.equal(byMode.get('txt2img')!.missingModel, 'sd15-fixture');
    assert.match(byMode.get('txt2img')!.reason ?? '', /^no diffusion model for text to image \(standard\) is installed/);
    assert.equal(byMode.get('instruct')!.missingModel, 'sd15-ip2p-fixture');
    assert.match(byMode.get('instruct')!.reason ?? '', /^no diffusion model for instruction edits \(instruct-pix2pix\) is installed/);
    assert.equal(byMode.get('canny')!.missingModel, 'sd15-controlnet-fixture');
  });

  it('a call that needs a missing model fails with `usage` and the model to download', async () => {
    const caption = await service.handle('captions.generate', { photoId, streamId: 'missing-1' });
    assert.ok(!caption.ok);
    assert.deepEqual([caption.error.code, caption.error.model], ['usage', 'florence2-fixture']);
    const search = await service.handle('search.text', { query: 'a sunset' });
    assert.ok(!search.ok);
    assert.deepEqual([search.error.code, search.error.model], ['usage', 'clip-fixture']);
    const ask = await service.handle('ask.send', { photoId, question: 'what colour?', streamId: 'missing-2' });
    assert.ok(!ask.ok);
    assert.deepEqual([ask.error.code, ask.error.model], ['usage', 'smolvlm-fixture']);
  });
});
