import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type PipelineSessions, DiffusionPipeline } from '../../main/engine/diffusion/pipeline.js';
import { PromptTokenizer } from '../../main/engine/diffusion/prompt.js';
import { EDIT_DEFAULTS, type EditParams } from '../../main/engine/edits/edit-params.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { DiffusionCatalogPreprocessingSchema } from '../../main/engine/models/diffusion-catalog.js';
import { type ModelSession, createSession, loadOrt } from '../../main/engine/runtime/session.js';
import { CONTROLNET_CANNY_FIXTURE_ID, SD15_CONTROLNET_FIXTURE_ID, SD15_FIXTURE_ID } from '../fixtures/diffusion/sd15-fixture.js';
import { controlNetModel, standardUnetModel } from '../fixtures/diffusion/sd15-graphs.js';
import { fixtureModels } from '../helpers/colour-photos.js';

/**
 * The pipeline on export variants the shipped fixtures do not cover, run through real sessions:
 * a UNet that takes one timestep per batch item (diffusers' own ONNX export), int64 and float, and a
 * ControlNet with the conditioning scale baked in (no conditioning_scale input), whose residuals the
 * pipeline scales itself. Each must give the image the usual variant gives.
 */

const opened: ModelSession[] = [];
async function session(model: string | Uint8Array): Promise<ModelSession> {
  const created = await createSession(model, { device: 'cpu', label: typeof model === 'string' ? path.basename(path.dirname(model)) : 'variant' });
  opened.push(created);
  return created;
}
const file = (id: string, relative: string) => path.join(fixtureModels, id, ...relative.split('/'));

async function pipelineFor(id: string, variants: { unet?: Uint8Array; controlnet?: Uint8Array | string } = {}): Promise<DiffusionPipeline> {
  const entry = loadCatalog(fixtureModels).models.find((model) => model.id === id)!;
  const prep = DiffusionCatalogPreprocessingSchema.parse(entry.preprocessing);
  const sessions: PipelineSessions = {
    textEncoder: () => session(file(id, prep.sessions.text_encoder)),
    unet: () => session(variants.unet ?? file(id, prep.sessions.unet)),
    vaeEncoder: () => session(file(id, prep.sessions.vae_encoder)),
    vaeDecoder: () => session(file(id, prep.sessions.vae_decoder)),
    controlnet: async () => (variants.controlnet ? session(variants.controlnet) : null),
  };
  return new DiffusionPipeline(await loadOrt(), prep, PromptTokenizer.load(path.join(fixtureModels, id), prep.tokenizer), sessions);
}

const params = (overrides: Partial<EditParams>): EditParams => ({
  ...EDIT_DEFAULTS,
  mode: 'txt2img',
  model: SD15_FIXTURE_ID,
  controlnet: null,
  seed: 21,
  steps: 6,
  prompt: 'a red car',
  width: 32,
  height: 32,
  ...overrides,
});

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i]!)), 0);
}

describe('diffusion pipeline on export variants', () => {
  after(async () => {
    for (const created of opened) await created.release();
  });

  it('feeds one timestep per batch item to a UNet that declares [batch] (guided batch of 2), int64 and float', async () => {
    const run = async (unet?: Uint8Array, overrides: Partial<EditParams> = {}) => (await (await pipelineFor(SD15_FIXTURE_ID, { unet })).run({ params: params(overrides) })).image!;
    for (const scheduler of ['dpmpp-2m-karras', 'euler-a'] as const) {
      for (const type of ['int64', 'float32'] as const) {
        const [usual, perItem] = [await run(standardUnetModel(type, 'one'), { scheduler }), await run(standardUnetModel(type, 'per-item'), { scheduler })];
        assert.ok(maxDifference(perItem, usual) < 1e-5, `${scheduler}, ${type} [batch]: off by ${maxDifference(perItem, usual)}`);
      }
    }
    // A batch of 1 (no guidance) is [1] for both shapes.
    assert.ok(maxDifference(await run(standardUnetModel('int64', 'per-item'), { guidance: 1 }), await run(undefined, { guidance: 1 })) < 1e-5);
  });

  it('scales the residuals itself for a ControlNet without a conditioning_scale input', async () => {
    const edgeMap = new Float32Array(3 * 32 * 32);
    for (let y = 8; y < 24; y++) edgeMap.fill(1, y * 32 + 8, y * 32 + 24);
    for (let c = 1; c < 3; c++) edgeMap.copyWithin(c * 32 * 32, 0, 32 * 32);
    const run = async (controlnet: Uint8Array | string, scale: number) =>
      (await (await pipelineFor(SD15_CONTROLNET_FIXTURE_ID, { controlnet })).run({
        params: params({ mode: 'canny', model: SD15_CONTROLNET_FIXTURE_ID, controlnet: CONTROLNET_CANNY_FIXTURE_ID, conditioning_scale: scale, prompt: 'blue' }),
        control: edgeMap,
      })).image!;
    const withInput = file(CONTROLNET_CANNY_FIXTURE_ID, 'controlnet/model.onnx');
    const baked = controlNetModel(false);
    for (const scale of [0.4, 1]) {
      const [expected, got] = [await run(withInput, scale), await run(baked, scale)];
      assert.ok(maxDifference(got, expected) < 1e-5, `scale ${scale}: off by ${maxDifference(got, expected)}`);
    }
    assert.ok(maxDifference(await run(baked, 0.4), await run(baked, 1)) > 0.1, 'the scale changes the image');
  });
});
