import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Tensor } from 'onnxruntime-node';
import { sampleLatentDistribution } from '../../main/engine/diffusion/pipeline.js';
import { GaussianNoise } from '../../main/engine/diffusion/random.js';
import { createSeededVaeEncoder, ENCODER_NOISE_INPUT, inspectVaeEncoder, ONNX_FLOAT, ONNX_FLOAT16 } from '../../main/engine/diffusion/seeded-vae.js';
import { halfToFloat32, float32ToHalf } from '../../main/engine/runtime/float16.js';
import { createSession } from '../../main/engine/runtime/session.js';
import { SD15_CONTROLNET_FIXTURE_ID, SD15_FIXTURE_ID, SD15_FP16_FIXTURE_ID, SD15_IP2P_FIXTURE_ID } from '../fixtures/diffusion/sd15-fixture.js';
import { VAE_LATENT_STD } from '../fixtures/diffusion/sd15-graphs.js';
import { ExternalDataFile, encodeModel, floatTensor, node, valueInfo } from '../fixtures/onnx-builder.js';
import { fixtureModels } from '../helpers/colour-photos.js';
import { sha256, tempDir } from '../helpers/fixtures.js';

/**
 * The VAE encoder's unseeded sampling node replaced by a noise input (main/engine/diffusion/seeded-vae.ts),
 * on the fixture encoders of the three export layouts and on small graphs Iris must leave alone.
 */

const encoderFile = (id: string) => path.join(fixtureModels, id, 'vae_encoder', 'model.onnx');
/** A flat colour photo, 32x32 (latents [1, 4, 4, 4]). */
const photo = () => new Float32Array(3 * 32 * 32).fill(0.4);
const LATENT_SIZE = 4 * 4 * 4;

/** A one-node graph y = op(x) (plus `extra` nodes), float32 [1, 4]. */
function tinyModel(nodes: ReturnType<typeof node>[], initializers: ReturnType<typeof floatTensor>[] = []): Uint8Array {
  return encodeModel({ name: 'tiny', doc: 'seeded-vae test graph', inputs: [valueInfo('x', 'float32', [1, 4])], outputs: [valueInfo('y', 'float32', [1, 4])], initializers, nodes });
}

describe('seeded VAE encoder', () => {
  it('finds the sampling node in Olive-style encoders, and nothing to do in the others', () => {
    const fp32 = inspectVaeEncoder(fs.readFileSync(encoderFile(SD15_FIXTURE_ID)));
    assert.equal(fp32.kind, 'sampling');
    assert.deepEqual(fp32.kind === 'sampling' && fp32.likelyTypes, [ONNX_FLOAT, ONNX_FLOAT16]);
    // float16 outputs but float32 inside: the first guess (the output's type) is wrong, the second right.
    const fp16 = inspectVaeEncoder(fs.readFileSync(encoderFile(SD15_FP16_FIXTURE_ID)));
    assert.deepEqual(fp16.kind === 'sampling' && fp16.likelyTypes, [ONNX_FLOAT16, ONNX_FLOAT]);
    assert.equal(inspectVaeEncoder(fs.readFileSync(encoderFile(SD15_CONTROLNET_FIXTURE_ID))).kind, 'deterministic');
    assert.equal(inspectVaeEncoder(fs.readFileSync(encoderFile(SD15_IP2P_FIXTURE_ID)), 'latent_parameters').kind, 'deterministic');
  });

  it('feeds the noise it is given: zeros give the mean, the same noise the same latents, a scaled noise a scaled deviation', async () => {
    const before = sha256(encoderFile(SD15_FIXTURE_ID));
    const seeded = await createSeededVaeEncoder(encoderFile(SD15_FIXTURE_ID), { device: 'cpu' });
    assert.deepEqual(seeded.inputs.map((input) => [input.name, input.dtype]), [['sample', 'float32'], [ENCODER_NOISE_INPUT, 'float32']]);
    const mean = await createSession(encoderFile(SD15_CONTROLNET_FIXTURE_ID), { device: 'cpu' });
    const run = async (session: typeof seeded, noise?: Float32Array) => {
      const feeds: Record<string, Tensor> = { sample: new Tensor('float32', photo(), [1, 3, 32, 32]) };
      if (noise) feeds[ENCODER_NOISE_INPUT] = new Tensor('float32', noise, [1, 4, 4, 4]);
      return Float32Array.from((await session.run(feeds)).latent_sample!.data as Float32Array);
    };
    const expected = await run(mean);
    assert.deepEqual(await run(seeded, new Float32Array(LATENT_SIZE)), expected, 'zero noise: the mean (what instruct edits use)');
    const noise = Float32Array.from({ length: LATENT_SIZE }, (_, i) => Math.sin(i + 1));
    const [first, again] = [await run(seeded, noise), await run(seeded, noise)];
    assert.deepEqual(first, again, 'the same noise: the same latents');
    first.forEach((value, i) => assert.ok(Math.abs(value - (expected[i]! + VAE_LATENT_STD * noise[i]!)) < 1e-5, `latent ${i}: ${value}`));
    await seeded.release();
    await mean.release();
    assert.equal(sha256(encoderFile(SD15_FIXTURE_ID)), before, 'the rewrite happens in memory; the model file is untouched');
  });

  it('retries with float32 noise when the float16 guess does not load (float16 edges, float32 inside)', async () => {
    const bytes = fs.readFileSync(encoderFile(SD15_FP16_FIXTURE_ID));
    const graph = inspectVaeEncoder(bytes);
    assert.ok(graph.kind === 'sampling');
    await assert.rejects(createSession(graph.withNoiseInput(ONNX_FLOAT16), { device: 'cpu' }), /float16|float|type/i, 'the first guess really is refused');
    const seeded = await createSeededVaeEncoder(encoderFile(SD15_FP16_FIXTURE_ID), { device: 'cpu' });
    assert.equal(seeded.inputs.find((input) => input.name === ENCODER_NOISE_INPUT)?.dtype, 'float32');
    const out = await seeded.run({ sample: new Tensor('float16', float32ToHalf(photo()), [1, 3, 32, 32]), [ENCODER_NOISE_INPUT]: new Tensor('float32', new Float32Array(LATENT_SIZE), [1, 4, 4, 4]) });
    const zeroNoise = halfToFloat32(out.latent_sample!.data as Uint16Array);
    const again = halfToFloat32((await seeded.run({ sample: new Tensor('float16', float32ToHalf(photo()), [1, 3, 32, 32]), [ENCODER_NOISE_INPUT]: new Tensor('float32', new Float32Array(LATENT_SIZE), [1, 4, 4, 4]) })).latent_sample!.data as Uint16Array);
    assert.deepEqual(zeroNoise, again);
    await seeded.release();
  });

  it('samples optimum\'s latent_parameters from the seed: mean + exp(½·logvar)·z, log-variance clamped to [-30, 20] as diffusers does', () => {
    const mean = [0.5, -1, 2, 0];
    const logVariance = [Math.log(0.04), 0, 100, -100];
    const parameters = Float32Array.from([...mean, ...logVariance]);
    const z = new GaussianNoise(3).sample(4);
    const sampled = sampleLatentDistribution(parameters, 4, new GaussianNoise(3));
    const expected = mean.map((m, i) => m + Math.exp(0.5 * Math.min(20, Math.max(-30, logVariance[i]!))) * z[i]!);
    sampled.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) <= 1e-6 * Math.max(1, Math.abs(expected[i]!)), `latent ${i}: ${value} vs ${expected[i]}`));
    assert.deepEqual(Array.from(sampleLatentDistribution(parameters, 4, null)), mean, 'no noise (instruct): the mean');
    assert.throws(() => sampleLatentDistribution(parameters, 3, null), /expected 6/);
  });

  it('leaves alone what it cannot replace faithfully, and says why', () => {
    const reason = (model: Uint8Array) => {
      const graph = inspectVaeEncoder(model, 'y');
      return graph.kind === 'unseeded' ? graph.reason : graph.kind;
    };
    const noisy = (op: string, attributes: Parameters<typeof node>[3] = {}) => [node(op, ['x'], ['n'], attributes), node('Add', ['x', 'n'], ['y'])];
    assert.equal(reason(tinyModel([node('Relu', ['x'], ['y'])])), 'deterministic');
    assert.equal(reason(tinyModel(noisy('RandomNormalLike'))), 'sampling');
    assert.match(reason(tinyModel(noisy('RandomUniformLike'))), /RandomUniformLike/);
    assert.match(reason(tinyModel(noisy('RandomNormalLike', { scale: { float: 0.5 } }))), /scale 0.5/);
    assert.match(reason(tinyModel([node('RandomNormalLike', ['x'], ['a']), node('RandomNormalLike', ['x'], ['b']), node('Add', ['a', 'b'], ['y'])])), /RandomNormalLike, RandomNormalLike/);
    const dir = tempDir('iris-seeded-vae-');
    const external = new ExternalDataFile(path.join(dir, 'weights.bin'), 'weights.bin');
    const weight = external.externalize(floatTensor('w', [1, 4], [1, 2, 3, 4]));
    external.close();
    assert.match(reason(tinyModel([node('RandomNormalLike', ['x'], ['n']), node('Mul', ['n', 'w'], ['m']), node('Add', ['x', 'm'], ['y'])], [weight])), /external data/);
  });
});
