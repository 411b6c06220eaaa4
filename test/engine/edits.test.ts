import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { Engine } from '../../main/engine/engine.js';
import type { EditInput } from '../../main/engine/edits/edit-service.js';
import { SD15_CONTROLNET_FIXTURE_ID, SD15_FIXTURE_ID, SD15_FP16_FIXTURE_ID, SD15_IP2P_FIXTURE_ID } from '../fixtures/diffusion/sd15-fixture.js';
import { fixtureModels } from '../helpers/colour-photos.js';
import { sha256, tempDir } from '../helpers/fixtures.js';

/**
 * Edits and generations end to end through the real pipeline and real onnxruntime sessions on the
 * fixture Stable Diffusion models (test/fixtures/diffusion): their UNets pull the denoised image
 * toward the prompt's colour, the ControlNet whitens edge cells, the InstructPix2Pix UNet anchors
 * to the photo's latents. So the assertions are about colours and edges, which a wrong scheduler,
 * guidance, strength, residual or dtype would change.
 */

type Rgb = [number, number, number];

async function meanColour(file: string, region?: { left: number; top: number; width: number; height: number }): Promise<Rgb> {
  // stats() reads the input, not the extracted region: cut the region out first.
  const image = region ? sharp(await sharp(file).extract(region).png().toBuffer()) : sharp(file);
  const { channels } = await image.stats();
  return [channels[0]!.mean, channels[1]!.mean, channels[2]!.mean];
}

const isRed = ([r, g, b]: Rgb) => r > 170 && g < 90 && b < 90;
const isBlue = ([r, g, b]: Rgb) => b > 150 && r < 100 && g < 110;

describe('edits and generations (Stable Diffusion fixtures)', () => {
  const photos = tempDir('iris-edit-photos-');
  const outputs = tempDir('iris-edit-out-');
  let engine: Engine;
  let blueId: number;
  let squareId: number;
  let blueHash: string;

  before(async () => {
    // A blue photo, and a dark one with a bright square (edges a canny edit can follow).
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 20, g: 40, b: 220 } } }).jpeg({ quality: 95 }).toFile(path.join(photos, 'blue.jpg'));
    const square = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 230, g: 230, b: 230 } } }).png().toBuffer();
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 30, g: 30, b: 30 } } })
      .composite([{ input: square, left: 20, top: 20 }])
      .png()
      .toFile(path.join(photos, 'square.png'));
    engine = Engine.open({ libraryDir: tempDir('iris-edit-lib-'), modelsDir: fixtureModels, device: 'cpu' });
    await engine.index([photos]);
    engine.store.setSetting('output-folder', outputs);
    blueId = engine.library.resolvePhoto(path.join(photos, 'blue.jpg'));
    squareId = engine.library.resolvePhoto(path.join(photos, 'square.png'));
    blueHash = sha256(path.join(photos, 'blue.jpg'));
  });

  after(async () => {
    await engine.close();
  });

  const small = { width: 64, height: 64, steps: 12 } as const;
  async function made(input: EditInput): Promise<{ file: string; id: number }> {
    const outcome = await engine.edits.run(input);
    assert.equal(outcome.cancelled, false);
    if (outcome.cancelled) throw new Error('cancelled');
    return { file: outcome.edit.outputPath, id: outcome.edit.id };
  }

  it('generates the colour the prompt names, with every scheduler, and adds the file to the library', async () => {
    for (const scheduler of ['dpmpp-2m-karras', 'euler-a', 'ddim', 'lcm']) {
      const { file, id } = await made({ mode: 'txt2img', prompt: 'a red car', seed: 1, scheduler, ...small, steps: scheduler === 'lcm' ? 4 : 12 });
      assert.ok(isRed(await meanColour(file)), `${scheduler}: ${await meanColour(file)}`);
      assert.equal(path.dirname(file), fs.realpathSync(outputs));
      const edit = engine.editStore.get(id)!;
      assert.ok(edit.outputPhotoId !== null, 'the output joined the library');
      assert.equal(edit.params.model, SD15_FIXTURE_ID);
      assert.equal(edit.params.scheduler, scheduler);
    }
    const { file } = await made({ mode: 'txt2img', prompt: 'the blue sea', seed: 1, ...small });
    assert.ok(isBlue(await meanColour(file)), `${await meanColour(file)}`);
  });

  it('writes a file asked for elsewhere (--out) without adding that folder to the library', async () => {
    const elsewhere = tempDir('iris-edit-elsewhere-');
    const target = path.join(elsewhere, 'made.png');
    const before = engine.library.listFolders().map((folder) => folder.path);
    const outcome = await engine.edits.run({ mode: 'txt2img', prompt: 'a red car', seed: 3, ...small }, { outFile: target });
    assert.ok(!outcome.cancelled && fs.existsSync(target));
    assert.equal(engine.editStore.get(outcome.edit.id)!.outputPhotoId, null, 'not in the library');
    const after = engine.library.listFolders().map((folder) => folder.path);
    assert.deepEqual(after.filter((folder) => !before.includes(folder)), [], 'no folder joined the library');
    assert.equal(engine.store.knownFile(fs.realpathSync(target)), undefined);
  });

  it('gives the same bytes for the same seed and settings, other bytes for another seed', async () => {
    const first = await made({ mode: 'txt2img', prompt: 'a green field', seed: 42, ...small });
    const again = await engine.edits.repeat(first.id);
    assert.ok(!again.cancelled);
    assert.notEqual(again.edit.outputPath, first.file, 'a new file, never over the old one');
    assert.equal(sha256(again.edit.outputPath), sha256(first.file));
    const other = await made({ mode: 'txt2img', prompt: 'a green field', seed: 43, ...small });
    assert.notEqual(sha256(other.file), sha256(first.file));
  });

  it('img2img keeps the photo at low strength and follows the prompt at high strength; the original is never written', async () => {
    const low = await made({ mode: 'img2img', photoId: blueId, prompt: 'red', strength: 0.15, seed: 5, ...small });
    const high = await made({ mode: 'img2img', photoId: blueId, prompt: 'red', strength: 0.9, seed: 5, ...small });
    assert.ok(isBlue(await meanColour(low.file)), `strength 0.15: ${await meanColour(low.file)}`);
    assert.ok(isRed(await meanColour(high.file)), `strength 0.9: ${await meanColour(high.file)}`);
    assert.equal(engine.editStore.get(low.id)!.sourcePhotoId, blueId);
    const { comments = [] } = await sharp(low.file).metadata();
    const written = Object.fromEntries(comments.map(({ keyword, text }) => [keyword, text]));
    assert.deepEqual(JSON.parse(written.iris!), engine.editStore.get(low.id)!.params, 'the file carries the settings that made it');
    assert.match(written.parameters!, /^red\nSteps: 12, Sampler: DPM\+\+ 2M Karras, CFG scale: 7.5, Seed: 5, Size: 64x64, Model: sd15-fixture, Denoising strength: 0.15/);
    assert.equal(sha256(path.join(photos, 'blue.jpg')), blueHash);
    assert.deepEqual(engine.editStore.forPhoto(blueId).map((edit) => edit.id), [high.id, low.id]);
  });

  it('repeats img2img and instruct edits byte for byte, though the VAE encoders sample (their noise comes from the seed)', async () => {
    // sd15-fixture's and the fp16 fixture's encoders draw with an unseeded RandomNormalLike (Olive's layout); the InstructPix2Pix one returns latent_parameters (optimum's).
    const cases: EditInput[] = [
      { mode: 'img2img', photoId: blueId, prompt: 'red', strength: 0.3, seed: 11, ...small },
      { mode: 'img2img', photoId: blueId, prompt: 'red', strength: 0.3, seed: 11, ...small, model: SD15_FP16_FIXTURE_ID },
      { mode: 'instruct', photoId: blueId, prompt: 'make it red', seed: 11, ...small },
    ];
    for (const input of cases) {
      const first = await made(input);
      const again = await engine.edits.repeat(first.id);
      assert.ok(!again.cancelled);
      assert.equal(sha256(again.edit.outputPath), sha256(first.file), `${input.mode} on ${input.model ?? 'the default model'}: the same bytes`);
      const other = await made({ ...input, seed: 12 });
      assert.notEqual(sha256(other.file), sha256(first.file), `${input.mode}: another seed, another image`);
    }
  });

  it('runs a model with float16 inputs and outputs (the GPU exports\' layout) to the fp32 model\'s colours, txt2img and img2img', async () => {
    const close = (a: Rgb, b: Rgb) => a.every((v, i) => Math.abs(v - b[i]!) <= 3);
    const txt = { mode: 'txt2img', prompt: 'a red car', seed: 1, ...small } as const;
    const [fp32, fp16] = [await made(txt), await made({ ...txt, model: SD15_FP16_FIXTURE_ID })];
    assert.equal(engine.editStore.get(fp16.id)!.params.model, SD15_FP16_FIXTURE_ID);
    const [want, got] = [await meanColour(fp32.file), await meanColour(fp16.file)];
    assert.ok(isRed(got) && close(got, want), `txt2img fp16 ${got} vs fp32 ${want}`);
    for (const strength of [0.15, 0.9]) {
      const img = { mode: 'img2img', photoId: blueId, prompt: 'red', strength, seed: 5, ...small } as const;
      const [imgWant, imgGot] = [await meanColour((await made(img)).file), await meanColour((await made({ ...img, model: SD15_FP16_FIXTURE_ID })).file)];
      assert.ok((strength < 0.5 ? isBlue : isRed)(imgGot) && close(imgGot, imgWant), `img2img at ${strength}: fp16 ${imgGot} vs fp32 ${imgWant}`);
    }
  });

  it('keeps the photo\'s aspect by default, in multiples of 8', () => {
    const { params } = engine.edits.resolve({ mode: 'img2img', photoId: blueId, prompt: 'red' });
    assert.deepEqual([params.width, params.height], [512, 344]);
    assert.throws(() => engine.edits.resolve({ mode: 'txt2img', prompt: 'x', width: 100 }), /multiple of 8/);
    assert.throws(() => engine.edits.resolve({ mode: 'img2img', prompt: 'x' }), /edits a photo/);
    assert.throws(() => engine.edits.resolve({ mode: 'img2img', photoId: blueId, prompt: 'x', strength: 0.04, steps: 20 }), /leaves no step/);
    assert.throws(() => engine.edits.resolve({ mode: 'canny', photoId: squareId, prompt: 'x', low: 200, high: 100 }), /above the high/);
  });

  it('canny follows the photo\'s edges (ControlNet residuals by name; float timesteps)', async () => {
    const edges = await engine.edits.edges(squareId, { width: 64, height: 64, canny_low: 100, canny_high: 200 });
    assert.equal((await sharp(edges).metadata()).channels, 1, 'a one-channel PNG');
    const { data, info } = await sharp(edges).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[(y * 64 + x) * info.channels]!;
    assert.ok(at(30, 20) === 255 || at(30, 19) === 255, 'the square\'s top edge is in the map');
    assert.equal(at(5, 5), 0, 'no edge in the flat corner');
    const { file, id } = await made({ mode: 'canny', photoId: squareId, prompt: 'blue', seed: 9, ...small });
    assert.equal(engine.editStore.get(id)!.params.model, SD15_CONTROLNET_FIXTURE_ID);
    const onEdge = await meanColour(file, { left: 16, top: 16, width: 8, height: 8 });
    const away = await meanColour(file, { left: 48, top: 0, width: 8, height: 8 });
    // The fixture's white edges lift the mean a little everywhere; blue still dominates away from them.
    assert.ok(away[2] > away[0] + 80 && away[2] > away[1] + 80, `away from edges the prompt's colour: ${away}`);
    assert.ok(onEdge[0] > away[0] + 60 && onEdge[1] > away[1] + 60, `edge cells whiter: ${onEdge} vs ${away}`);
  });

  it('instruct edits move toward the instruction, and image guidance keeps closer to the photo', async () => {
    const loose = await made({ mode: 'instruct', photoId: blueId, prompt: 'make it red', imageGuidance: 1, seed: 2, ...small });
    const close = await made({ mode: 'instruct', photoId: blueId, prompt: 'make it red', imageGuidance: 2, seed: 2, ...small });
    assert.equal(engine.editStore.get(loose.id)!.params.model, SD15_IP2P_FIXTURE_ID);
    const [looseColour, closeColour] = [await meanColour(loose.file), await meanColour(close.file)];
    assert.ok(isRed(looseColour), `image guidance 1: ${looseColour}`);
    assert.ok(closeColour[2] > looseColour[2] + 30, `image guidance 2 keeps more of the blue photo: ${closeColour} vs ${looseColour}`);
  });

  it('reports each step with previews, and a cancel stops within one step, writing nothing', async () => {
    const steps: number[] = [];
    const previews: number[] = [];
    await engine.edits.run({ mode: 'txt2img', prompt: 'red', seed: 1, ...small, steps: 6 }, {
      previewEvery: 2,
      onStep: ({ step, steps: total, preview }) => {
        steps.push(step);
        assert.equal(total, 6);
        if (preview) {
          previews.push(step);
          assert.equal(preview.rgb.length, 8 * 8 * 3, 'a preview at latent size');
        }
      },
    });
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(previews, [2, 4, 6]);

    const before = fs.readdirSync(outputs).length;
    const edits = engine.editStore.latest(1000).length;
    const controller = new AbortController();
    const outcome = await engine.edits.run({ mode: 'txt2img', prompt: 'red', seed: 1, ...small, steps: 10 }, { signal: controller.signal, onStep: ({ step }) => step === 3 && controller.abort() });
    assert.deepEqual(outcome, { cancelled: true, stepsRun: 3 });
    assert.equal(fs.readdirSync(outputs).length, before, 'no file');
    assert.equal(engine.editStore.latest(1000).length, edits, 'no edit stored');
  });

  it('says which model to install when a mode has none', () => {
    assert.throws(() => engine.edits.resolve({ mode: 'txt2img', prompt: 'x', model: 'sd15-nope' }), /is not a diffusion model for text to image \(standard\)/);
  });
});
