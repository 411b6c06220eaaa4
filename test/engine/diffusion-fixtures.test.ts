import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { clipBpeTokenizer } from '../../main/engine/clip/bpe-tokenizer.js';
import { CatalogSchema, type ModelEntry } from '../../main/engine/models/catalog.js';
import { ENCODER_NOISE_INPUT, inspectVaeEncoder, ONNX_FLOAT } from '../../main/engine/diffusion/seeded-vae.js';
import { float32ToHalf, halfToFloat32 } from '../../main/engine/runtime/float16.js';
import { CONTROLNET_RESIDUALS, ControlNetCatalogPreprocessingSchema, DiffusionCatalogPreprocessingSchema } from '../../main/engine/models/diffusion-catalog.js';
import { alphasCumprod, DETAIL_STD, HIDDEN_SIZE, LATENT_BASIS, PULL_SIGMA, TEXT_PULL, VAE_LATENT_STD } from '../fixtures/diffusion/sd15-graphs.js';
import { writeDiffusionFixtures } from '../fixtures/diffusion/sd15-fixture.js';
import { defaultVocabDir } from '../fixtures/generate-models.js';
import { tempDir } from '../helpers/fixtures.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * The Stable Diffusion fixture models, each ONNX file run directly with onnxruntime-node (no
 * pipeline): their names, dtypes and shapes, and the numbers they compute, checked against an
 * independent float64 reimplementation of the documented formulas (sd15-graphs.ts).
 */

const SCALING = 0.18215;
type Vec = readonly number[];

/** Pixel-space ([-1, 1]) colours. */
const RED: Vec = [1, -1, -1];
const BLUE: Vec = [-1, -1, 1];
const WHITE: Vec = [1, 1, 1];

/** SD 1.5's alphas_cumprod, written out here independently of the generator. */
const ALPHAS = (() => {
  const out: number[] = [];
  let product = 1;
  for (let t = 0; t < 1000; t++) {
    product *= 1 - (Math.sqrt(0.00085) + (t / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2;
    out.push(product);
  }
  return out;
})();

function sigmaAt(t: number): number {
  const sigma = (step: number) => Math.sqrt((1 - ALPHAS[step]!) / ALPHAS[step]!);
  const low = Math.floor(t);
  return sigma(low) + (t - low) * (sigma(Math.min(low + 1, 999)) - sigma(low));
}

function latentOf(pixel: Vec): number[] {
  return LATENT_BASIS.map((row) => row[0] * pixel[0]! + row[1] * pixel[1]! + row[2] * pixel[2]!);
}

/** Pixel colour of a model latent: the basis is orthonormal, so its transpose. */
function pixelOf(latent: Vec): number[] {
  return [0, 1, 2].map((c) => LATENT_BASIS.reduce((sum, row, l) => sum + row[c]! * latent[l]!, 0));
}

/** A [batch, channels, h, w] array from a per-element function. */
function nchw(batch: number, channels: number, h: number, w: number, value: (b: number, c: number, y: number, x: number) => number): Float32Array {
  const out = new Float32Array(batch * channels * h * w);
  for (let b = 0; b < batch; b++) for (let c = 0; c < channels; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * channels + c) * h + y) * w + x] = value(b, c, y, x);
  return out;
}

function gaussian(seed: number, length: number): Float32Array {
  const uniform = mulberry32(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (!(error <= worst)) [worst, at] = [error, i];
  }
  assert.ok(worst <= tolerance, `${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (off by ${worst})`);
}

/** Per-channel spatial mean of item `b` of a [batch, channels, h, w] array. */
function channelMeans(data: ArrayLike<number>, b: number, channels: number, cells: number): number[] {
  return Array.from({ length: channels }, (_, c) => {
    let sum = 0;
    for (let i = 0; i < cells; i++) sum += data[(b * channels + c) * cells + i]!;
    return sum / cells;
  });
}

/** The text encoder's output for a prompt: [mean colour of its colour words, has-colour flag, 0 ...]. */
function textState(colour: Vec | null): number[] {
  const state = new Array<number>(HIDDEN_SIZE).fill(0);
  if (colour) state.splice(0, 4, ...colour, 1);
  return state;
}

function hiddenStates(states: readonly number[][]): Tensor {
  const data = new Float32Array(states.length * 77 * HIDDEN_SIZE);
  states.forEach((state, b) => {
    for (let i = 0; i < 77; i++) data.set(state, (b * 77 + i) * HIDDEN_SIZE);
  });
  return new Tensor('float32', data, [states.length, 77, HIDDEN_SIZE]);
}

/** ε = σ(y − T)/(σ² + DETAIL_STD²), y = x·sqrt(1+σ²), for a per-element target. */
function referenceEpsilon(sample: Float32Array, sigma: number, target: (i: number, y: number) => number): Float64Array {
  const out = new Float64Array(sample.length);
  const scale = Math.sqrt(1 + sigma * sigma);
  for (let i = 0; i < sample.length; i++) {
    const y = sample[i]! * scale;
    out[i] = (sigma * (y - target(i, y))) / (sigma * sigma + DETAIL_STD ** 2);
  }
  return out;
}

/** The standard UNet's target: the sample's own mean colour pulled toward the text's. */
function standardTarget(sample: Float32Array, sigma: number, states: readonly number[][], channels: number, cells: number): (i: number) => number {
  const scale = Math.sqrt(1 + sigma * sigma);
  const y = Float64Array.from(sample, (v) => v * scale);
  return (i) => {
    const b = Math.floor(i / (channels * cells));
    const c = Math.floor(i / cells) % channels;
    const state = states[b]!;
    const mean = channelMeans(y, b, channels, cells)[c]!;
    const pull = state[3]! * TEXT_PULL * (sigma ** 4 / (sigma ** 4 + PULL_SIGMA ** 4));
    return mean + pull * (latentOf(state)[c]! - mean);
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('Stable Diffusion fixture models', () => {
  let dir: string;
  let entries: ModelEntry[];
  const sessions = new Map<string, InferenceSession>();

  async function session(id: string, file: string): Promise<InferenceSession> {
    const key = `${id}/${file}`;
    if (!sessions.has(key)) sessions.set(key, await InferenceSession.create(path.join(dir, id, file)));
    return sessions.get(key)!;
  }

  async function floats(s: InferenceSession, feeds: Record<string, Tensor>, output: string): Promise<Float32Array> {
    const result = await s.run(feeds);
    return result[output]!.data as Float32Array;
  }

  function promptIds(texts: readonly string[]): Tensor {
    const read = (name: string) => fs.readFileSync(path.join(dir, 'sd15-fixture', 'tokenizer', name), 'utf8');
    const tokenizer = clipBpeTokenizer(read('vocab.json'), read('merges.txt'));
    const ids = texts.flatMap((text) => {
      const row = tokenizer.encode(text).ids.slice(0, 77);
      return [...row, ...new Array<number>(77 - row.length).fill(49407)];
    });
    return new Tensor('int32', Int32Array.from(ids), [texts.length, 77]);
  }

  before(async () => {
    dir = tempDir('iris-diffusion-fixtures-');
    entries = await writeDiffusionFixtures(dir, defaultVocabDir());
  });

  after(async () => {
    for (const s of sessions.values()) await s.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has valid catalog entries whose files, hashes and io match what was written', async () => {
    const catalog = CatalogSchema.parse({ version: 1, models: entries });
    assert.deepEqual(
      catalog.models.map((m) => [m.id, m.task, m.default]),
      [
        ['sd15-fixture', 'diffusion', true],
        ['sd15-controlnet-fixture', 'diffusion', false],
        ['sd15-ip2p-fixture', 'diffusion', false],
        ['controlnet-canny-fixture', 'controlnet', true],
        ['sd15-fixture-fp16', 'diffusion', false],
      ],
    );
    const kinds = catalog.models.filter((m) => m.task === 'diffusion').map((m) => DiffusionCatalogPreprocessingSchema.parse(m.preprocessing).unet_kind);
    assert.deepEqual(kinds, ['standard', 'controlnet', 'instruct-pix2pix', 'standard']);
    assert.deepEqual(catalog.models.map((m) => m.dtype), ['fp32', 'fp32', 'fp32', 'fp32', 'fp16']);
    const controlnet = ControlNetCatalogPreprocessingSchema.parse(catalog.models[3]!.preprocessing);
    assert.deepEqual(controlnet, { session: 'controlnet/model.onnx', condition: 'canny', pairs_with: ['sd15-controlnet-fixture'] });
    const sd = DiffusionCatalogPreprocessingSchema.parse(catalog.models[0]!.preprocessing);
    assert.deepEqual([sd.tokenizer.max_length, sd.tokenizer.bos_token_id, sd.tokenizer.eos_token_id, sd.tokenizer.pad_token_id], [77, 49406, 49407, 49407]);
    assert.deepEqual([sd.latent_channels, sd.vae_scale_factor, sd.scaling_factor, sd.default_size], [4, 8, 0.18215, 512]);
    assert.deepEqual(sd.schedule, { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon', steps_offset: 1 });
    for (const model of catalog.models) {
      const onDisk = fs.readdirSync(path.join(dir, model.id), { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, model.id, f)).isFile());
      assert.deepEqual(model.files.map((f) => f.path).sort(), onDisk.map((f) => f.split(path.sep).join('/')).sort(), `${model.id}: files listed`);
      for (const file of model.files) {
        const bytes = fs.readFileSync(path.join(dir, model.id, file.path));
        assert.equal(file.bytes, bytes.length, `${model.id}/${file.path} bytes`);
        assert.equal(file.sha256, sha256(bytes), `${model.id}/${file.path} sha256`);
      }
      assert.deepEqual(Object.keys(model.io).sort(), model.files.map((f) => f.path).filter((f) => f.endsWith('.onnx')).sort());
      for (const [file, io] of Object.entries(model.io)) {
        const s = await session(model.id, file);
        const describe = (meta: typeof s.inputMetadata) => meta.map((m) => (m.isTensor ? { name: m.name, dtype: m.type, shape: [...m.shape] } : { name: m.name }));
        assert.deepEqual(describe(s.inputMetadata), io.inputs, `${model.id}/${file} inputs`);
        assert.deepEqual(describe(s.outputMetadata), io.outputs, `${model.id}/${file} outputs`);
      }
    }
    for (const name of ['vocab.json', 'merges.txt']) {
      assert.ok(fs.readFileSync(path.join(dir, 'sd15-fixture', 'tokenizer', name)).equals(fs.readFileSync(path.join(defaultVocabDir(), name))), `${name} is CLIP's`);
    }
  });

  it('declares the diffusers export names, the chosen dtypes and symbolic sizes', () => {
    const io = (id: string, file: string) => entries.find((e) => e.id === id)!.io[file]!;
    const text = io('sd15-fixture', 'text_encoder/model.onnx');
    assert.deepEqual(text.inputs, [{ name: 'input_ids', dtype: 'int32', shape: ['batch', 77] }]);
    assert.deepEqual(text.outputs.map((t) => [t.name, t.shape]), [['last_hidden_state', ['batch', 77, HIDDEN_SIZE]], ['pooler_output', ['batch', HIDDEN_SIZE]]]);
    const timestep = (id: string) => io(id, 'unet/model.onnx').inputs.find((t) => t.name === 'timestep');
    assert.deepEqual(timestep('sd15-fixture'), { name: 'timestep', dtype: 'int64', shape: [1] });
    assert.deepEqual(timestep('sd15-controlnet-fixture'), { name: 'timestep', dtype: 'float32', shape: [1] });
    assert.deepEqual(timestep('sd15-ip2p-fixture'), { name: 'timestep', dtype: 'float32', shape: [1] });
    assert.deepEqual(io('sd15-ip2p-fixture', 'unet/model.onnx').inputs[0], { name: 'sample', dtype: 'float32', shape: ['batch', 8, 'height', 'width'] });
    const controlUnet = io('sd15-controlnet-fixture', 'unet/model.onnx').inputs.map((t) => t.name);
    assert.deepEqual(controlUnet, ['sample', 'timestep', 'encoder_hidden_states', ...CONTROLNET_RESIDUALS]);
    const controlnet = io('controlnet-canny-fixture', 'controlnet/model.onnx');
    assert.deepEqual(controlnet.inputs.map((t) => t.name), ['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond', 'conditioning_scale']);
    assert.deepEqual(controlnet.outputs.map((t) => t.name), [...CONTROLNET_RESIDUALS]);
    // Residual shapes agree between the ControlNet's outputs and the UNet's inputs.
    const unetResiduals = io('sd15-controlnet-fixture', 'unet/model.onnx').inputs.slice(3);
    assert.deepEqual(unetResiduals, controlnet.outputs);
    assert.deepEqual(io('sd15-fixture', 'vae_encoder/model.onnx').outputs[0]!.name, 'latent_sample');
    assert.deepEqual(io('sd15-fixture', 'vae_decoder/model.onnx').inputs[0]!.name, 'latent_sample');
    assert.deepEqual(io('sd15-fixture', 'vae_decoder/model.onnx').outputs[0]!.name, 'sample');
  });

  it('fp16 variant: float16 where a full-fp16 export has it (int32 ids, timestep float16 [1]), the same numbers up to float16 rounding', async () => {
    const declared = async (file: string) => {
      const s = await session('sd15-fixture-fp16', file);
      const dtypes = (meta: typeof s.inputMetadata) => meta.map((m) => [m.name, m.isTensor ? m.type : '?']);
      return { inputs: dtypes(s.inputMetadata), outputs: dtypes(s.outputMetadata) };
    };
    assert.deepEqual(await declared('text_encoder/model.onnx'), { inputs: [['input_ids', 'int32']], outputs: [['last_hidden_state', 'float16'], ['pooler_output', 'float16']] });
    assert.deepEqual(await declared('unet/model.onnx'), {
      inputs: [['sample', 'float16'], ['timestep', 'float16'], ['encoder_hidden_states', 'float16']],
      outputs: [['out_sample', 'float16']],
    });
    assert.deepEqual(await declared('vae_encoder/model.onnx'), { inputs: [['sample', 'float16']], outputs: [['latent_sample', 'float16']] });
    assert.deepEqual(await declared('vae_decoder/model.onnx'), { inputs: [['latent_sample', 'float16']], outputs: [['sample', 'float16']] });
    const timestep = (await session('sd15-fixture-fp16', 'unet/model.onnx')).inputMetadata.find((m) => m.name === 'timestep')!;
    assert.deepEqual(timestep.isTensor && [...timestep.shape], [1]);
    // The tokenizer and scheduler files are sd15-fixture's.
    for (const file of ['tokenizer/vocab.json', 'tokenizer/merges.txt', 'scheduler/scheduler_config.json']) {
      assert.ok(fs.readFileSync(path.join(dir, 'sd15-fixture-fp16', file)).equals(fs.readFileSync(path.join(dir, 'sd15-fixture', file))), file);
    }

    const half = (data: Float32Array, dims: number[]) => new Tensor('float16', float32ToHalf(data), dims);
    const widen = (tensor: Tensor | undefined) => halfToFloat32(tensor!.data as Uint16Array);
    const ids = promptIds(['a red car', 'a photo']);
    const [text, text16] = [await session('sd15-fixture', 'text_encoder/model.onnx'), await session('sd15-fixture-fp16', 'text_encoder/model.onnx')];
    assertClose(widen((await text16.run({ input_ids: ids })).last_hidden_state), (await text.run({ input_ids: ids })).last_hidden_state!.data as Float32Array, 1e-3, 'last_hidden_state');

    const [h, w] = [4, 6];
    const states = hiddenStates([textState(null), textState(RED)]);
    const sample = gaussian(9, 2 * 4 * h * w);
    const [unet, unet16] = [await session('sd15-fixture', 'unet/model.onnx'), await session('sd15-fixture-fp16', 'unet/model.onnx')];
    for (const t of [1, 500, 999]) {
      const expected = await floats(unet, { sample: new Tensor('float32', sample, [2, 4, h, w]), timestep: new Tensor('int64', [BigInt(t)], [1]), encoder_hidden_states: states }, 'out_sample');
      const result = await unet16.run({ sample: half(sample, [2, 4, h, w]), timestep: half(Float32Array.of(t), [1]), encoder_hidden_states: half(states.data as Float32Array, [...states.dims]) });
      assert.equal(result.out_sample!.type, 'float16');
      assertClose(widen(result.out_sample), expected, 5e-3 * Math.max(1, ...expected.map(Math.abs)), `ε at t=${t}`);
    }

    const image = nchw(1, 3, 16, 24, (_, c, __, x) => (x < 8 ? BLUE[c]! : WHITE[c]! * 0.3));
    // The encoder samples; with its noise node fed zeros (seeded-vae.ts, float32 inside) it gives the distribution's mean, which the decoder undoes.
    const sampling = inspectVaeEncoder(fs.readFileSync(path.join(dir, 'sd15-fixture-fp16', 'vae_encoder', 'model.onnx')));
    assert.ok(sampling.kind === 'sampling');
    const encoder16 = await InferenceSession.create(sampling.withNoiseInput(ONNX_FLOAT));
    const decoder16 = await session('sd15-fixture-fp16', 'vae_decoder/model.onnx');
    const latents = widen((await encoder16.run({ sample: half(image, [1, 3, 16, 24]), [ENCODER_NOISE_INPUT]: new Tensor('float32', new Float32Array(4 * 2 * 3), [1, 4, 2, 3]) })).latent_sample);
    const decoded = widen((await decoder16.run({ latent_sample: half(latents, [1, 4, 2, 3]) })).sample);
    assertClose(decoded, image, 5e-3, 'VAE round trip through float16');
  });

  it('text encoder: the mean colour of the colour words and a flag, at every position', async () => {
    const s = await session('sd15-fixture', 'text_encoder/model.onnx');
    const prompts = ['a red car', '', 'a red and blue car', 'Cyan sky', 'a photo of a car'];
    const result = await s.run({ input_ids: promptIds(prompts) });
    const hidden = result.last_hidden_state!;
    assert.deepEqual(hidden.dims, [prompts.length, 77, HIDDEN_SIZE]);
    const expected = [textState(RED), textState(null), textState([0, -1, 0]), textState([-1, 1, 1]), textState(null)];
    const data = hidden.data as Float32Array;
    expected.forEach((state, b) => {
      for (const position of [0, 3, 76]) assertClose(data.subarray((b * 77 + position) * HIDDEN_SIZE, (b * 77 + position + 1) * HIDDEN_SIZE), state, 1e-6, `"${prompts[b]}" at ${position}`);
    });
    assertClose(result.pooler_output!.data as Float32Array, expected.flat(), 1e-6, 'pooler_output');
    await assert.rejects(s.run({ input_ids: new Tensor('int64', new BigInt64Array(77), [1, 77]) }), /type|int64|int32/i, 'int64 ids are refused');
    await assert.rejects(s.run({ input_ids: new Tensor('int32', new Int32Array(10), [1, 10]) }), /dimension|77/i, 'unpadded ids are refused');
  });

  it('VAE: the encoder gives the latent distribution of each block\'s colour in three layouts; the decoder undoes its mean', async () => {
    const colour = [0.2, -0.4, 0.9];
    // 16x24 pixels: the left 8 columns blue, the rest `colour`.
    const image = nchw(1, 3, 16, 24, (_, c, __, x) => (x < 8 ? BLUE[c]! : colour[c]!));
    const input = { sample: new Tensor('float32', image, [1, 3, 16, 24]) };
    const expectedLatents = nchw(1, 4, 2, 3, (_, l, __, x) => latentOf(x < 1 ? BLUE : colour)[l]! / SCALING);

    // The mean alone (sd15-controlnet-fixture's encoder), and the decoder's exact round trip.
    const latents = await floats(await session('sd15-controlnet-fixture', 'vae_encoder/model.onnx'), input, 'latent_sample');
    assertClose(latents, expectedLatents, 1e-4, 'latent_sample (before × 0.18215)');
    const decoded = await (await session('sd15-fixture', 'vae_decoder/model.onnx')).run({ latent_sample: new Tensor('float32', latents, [1, 4, 2, 3]) });
    assert.deepEqual(decoded.sample!.dims, [1, 3, 16, 24]);
    assertClose(decoded.sample!.data as Float32Array, image, 1e-5, 'round trip');

    // optimum's latent_parameters (sd15-ip2p-fixture): the mean's 4 channels, then 4 of log-variance.
    const parameters = await floats(await session('sd15-ip2p-fixture', 'vae_encoder/model.onnx'), input, 'latent_parameters');
    assertClose(parameters.subarray(0, 24), expectedLatents, 1e-4, 'latent_parameters: mean');
    assertClose(parameters.subarray(24), new Array<number>(24).fill(Math.log(VAE_LATENT_STD ** 2)), 1e-4, 'latent_parameters: log-variance');

    // Olive's sampling encoder (sd15-fixture): around the mean with std VAE_LATENT_STD, another sample on every run.
    const sampling = await session('sd15-fixture', 'vae_encoder/model.onnx');
    const wide = { sample: new Tensor('float32', nchw(1, 3, 128, 128, (_, c) => colour[c]!), [1, 3, 128, 128]) };
    const [first, second] = [await floats(sampling, wide, 'latent_sample'), await floats(sampling, wide, 'latent_sample')];
    const mean = latentOf(colour).map((value) => value / SCALING);
    const deviations = Array.from(first, (value, i) => value - mean[Math.floor(i / 256)]!);
    const std = Math.sqrt(deviations.reduce((sum, d) => sum + d * d, 0) / deviations.length);
    assert.ok(Math.abs(std - VAE_LATENT_STD) < 0.006, `sample std ${std}, expected ${VAE_LATENT_STD}`);
    assert.ok(first.some((value, i) => value !== second[i]), 'an unseeded sample differs between runs');
  });

  it('UNet: the exact ε toward the prompt colour, for int64 and float timesteps', async () => {
    const plain = await session('sd15-fixture', 'unet/model.onnx');
    const controlled = await session('sd15-controlnet-fixture', 'unet/model.onnx');
    const [h, w] = [4, 6];
    const states = [textState(null), textState(RED)];
    const x0 = nchw(2, 4, h, w, (_, c, y, x) => latentOf(BLUE)[c]! + 0.3 * Math.sin(y + 2 * x + c));
    const noise = gaussian(7, x0.length);
    const residuals = Object.fromEntries(
      CONTROLNET_RESIDUALS.map((name, i) => {
        const level = i === 12 ? 3 : Math.floor(i / 3);
        const [rh, rw] = [Math.ceil(h / 2 ** level), Math.ceil(w / 2 ** level)];
        const channels = i + 1;
        return [name, new Tensor('float32', new Float32Array(2 * channels * rh * rw), [2, channels, rh, rw])];
      }),
    );
    for (const t of [1, 250, 500, 999]) {
      const alpha = ALPHAS[t]!;
      const sample = Float32Array.from(x0, (v, i) => Math.sqrt(alpha) * v + Math.sqrt(1 - alpha) * noise[i]!);
      const sigma = sigmaAt(t);
      const expected = referenceEpsilon(sample, sigma, standardTarget(sample, sigma, states, 4, h * w));
      const feeds = { sample: new Tensor('float32', sample, [2, 4, h, w]), encoder_hidden_states: hiddenStates(states) };
      const epsilon = await floats(plain, { ...feeds, timestep: new Tensor('int64', BigInt64Array.from([BigInt(t)]), [1]) }, 'out_sample');
      assertClose(epsilon, expected, 2e-4 * Math.max(1, sigma), `ε at t=${t} (int64)`);
      const viaFloat = await floats(controlled, { ...feeds, ...residuals, timestep: new Tensor('float32', [t], [1]) }, 'out_sample');
      assertClose(viaFloat, expected, 2e-4 * Math.max(1, sigma), `ε at t=${t} (float32, no edges)`);

      // Classifier-free guidance at 7.5: the denoised estimate is the prompt's colour when noisy, the sample's own content when nearly clean.
      const cells = 4 * h * w;
      const guided = Array.from({ length: cells }, (_, i) => epsilon[i]! + 7.5 * (epsilon[cells + i]! - epsilon[i]!));
      const denoised = guided.map((e, i) => (sample[cells + i]! - Math.sqrt(1 - alpha) * e) / Math.sqrt(alpha));
      const means = channelMeans(denoised, 0, 4, h * w);
      if (t === 999) assertClose(means, latentOf(RED), 0.02, 'x0 at t=999 is the red latent');
      if (t === 1) assertClose(means, channelMeans(x0, 1, 4, h * w), 0.02, "x0 at t=1 keeps the sample's own colour");
    }
    // A fractional timestep (Euler) interpolates σ between integer steps.
    for (const t of [30.5, 100.5]) {
      const sample = gaussian(8, 2 * 4 * h * w);
      const expectedAt = (step: number) => referenceEpsilon(sample, sigmaAt(step), standardTarget(sample, sigmaAt(step), states, 4, h * w));
      const [expected, truncated] = [expectedAt(t), expectedAt(Math.floor(t))];
      const got = await floats(controlled, { sample: new Tensor('float32', sample, [2, 4, h, w]), encoder_hidden_states: hiddenStates(states), ...residuals, timestep: new Tensor('float32', [t], [1]) }, 'out_sample');
      const tolerance = 1e-5 * Math.max(...expected.map(Math.abs));
      assert.ok(Math.max(...expected.map((v, i) => Math.abs(v - truncated[i]!))) > 20 * tolerance, `the fraction of ${t} matters`);
      assertClose(got, expected, tolerance, `ε at t=${t}`);
    }
    assertClose(alphasCumprod(), ALPHAS, 1e-12, "the generator's alphas_cumprod");
  });

  it('UNet: DDIM with guidance paints the prompt colour; img2img keeps the photo at low strength', async () => {
    const unet = await session('sd15-fixture', 'unet/model.onnx');
    const decoder = await session('sd15-fixture', 'vae_decoder/model.onnx');
    const [h, w, steps] = [16, 16, 20];
    const size = 4 * h * w;
    const states = hiddenStates([textState(null), textState(RED)]);
    /** diffusers' DDIM (eta 0, leading spacing, steps_offset 1, set_alpha_to_one false) from `start` at `strength`. */
    const ddim = async (start: Float32Array | null, strength: number, guidance: number): Promise<number[]> => {
      const stride = 1000 / steps;
      const timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * stride + 1).slice(steps - Math.floor(steps * strength));
      const noise = gaussian(11, size);
      const first = ALPHAS[timesteps[0]!]!;
      let x = start ? Float32Array.from(start, (v, i) => Math.sqrt(first) * v + Math.sqrt(1 - first) * noise[i]!) : noise;
      for (const t of timesteps) {
        const pair = new Float32Array(2 * size);
        pair.set(x);
        pair.set(x, size);
        const e = await floats(unet, { sample: new Tensor('float32', pair, [2, 4, h, w]), timestep: new Tensor('int64', [BigInt(t)], [1]), encoder_hidden_states: states }, 'out_sample');
        const [alpha, previous] = [ALPHAS[t]!, t - stride >= 0 ? ALPHAS[t - stride]! : ALPHAS[0]!];
        x = x.map((v, i) => {
          const eps = e[i]! + guidance * (e[size + i]! - e[i]!);
          const x0 = (v - Math.sqrt(1 - alpha) * eps) / Math.sqrt(alpha);
          return Math.sqrt(previous) * x0 + Math.sqrt(1 - previous) * eps;
        });
      }
      const image = await floats(decoder, { latent_sample: new Tensor('float32', x.map((v) => v / SCALING), [1, 4, h, w]) }, 'sample');
      return channelMeans(image.map((v) => Math.min(1, Math.max(-1, v))), 0, 3, 64 * h * w);
    };
    const txt2img = await ddim(null, 1, 7.5);
    assertClose(txt2img, RED, 0.1, 'txt2img "red" at guidance 7.5 is red');
    const unguided = await ddim(null, 1, 1);
    assert.ok(Math.hypot(...unguided.map((v, c) => v - RED[c]!)) > 0.5, `without guidance the prompt barely matters: ${unguided.join(', ')}`);
    const photo = nchw(1, 4, h, w, (_, c) => latentOf(BLUE)[c]!);
    const light = await ddim(photo, 0.15, 7.5);
    assert.ok(light[2]! > 0.5 && light[0]! < -0.5, `strength 0.15 keeps the blue photo: ${light.join(', ')}`);
    const heavy = await ddim(photo, 0.9, 7.5);
    assert.ok(heavy[0]! > 0.5 && heavy[2]! < -0.5, `strength 0.9 paints it red: ${heavy.join(', ')}`);
  });

  it('ControlNet: residual names and sizes; an edge turns that latent cell white in the ControlNet UNet', async () => {
    const controlnet = await session('controlnet-canny-fixture', 'controlnet/model.onnx');
    const unet = await session('sd15-controlnet-fixture', 'unet/model.onnx');
    const [h, w] = [5, 3]; // latent; the image is 40x24
    const cond = new Float32Array(3 * 8 * h * 8 * w);
    cond[1 * (8 * h * 8 * w) + 21 * (8 * w) + 13] = 1; // green channel, pixel (y 21, x 13): latent cell (2, 1)
    const sample = gaussian(3, 4 * h * w);
    const base = { sample: new Tensor('float32', sample, [1, 4, h, w]), timestep: new Tensor('float32', [500], [1]), encoder_hidden_states: hiddenStates([textState(RED)]) };
    const residuals = await controlnet.run({ ...base, controlnet_cond: new Tensor('float32', cond, [1, 3, 8 * h, 8 * w]), conditioning_scale: new Tensor('float32', [0.75], [1]) });
    assert.deepEqual(Object.keys(residuals).sort(), [...CONTROLNET_RESIDUALS].sort());
    CONTROLNET_RESIDUALS.forEach((name, i) => {
      const level = i === 12 ? 3 : Math.floor(i / 3);
      assert.deepEqual(residuals[name]!.dims, [1, i + 1, Math.ceil(h / 2 ** level), Math.ceil(w / 2 ** level)], name);
    });
    const edges = Array.from(residuals.down_block_0_additional_residual!.data as Float32Array);
    assert.deepEqual(edges, Array.from({ length: h * w }, (_, i) => (i === 2 * w + 1 ? 0.75 : 0)), 'the edge map × conditioning_scale, per latent cell');

    const plain = await floats(unet, { ...base, ...residuals, down_block_0_additional_residual: new Tensor('float32', new Float32Array(h * w), [1, 1, h, w]) }, 'out_sample');
    const edged = await floats(unet, { ...base, ...residuals }, 'out_sample');
    const sigma = sigmaAt(500);
    const y = Float64Array.from(sample, (v) => v * Math.sqrt(1 + sigma * sigma));
    let change = 0;
    for (let c = 0; c < 4; c++) {
      for (let cell = 0; cell < h * w; cell++) {
        const i = c * h * w + cell;
        if (cell !== 2 * w + 1) {
          assert.equal(edged[i], plain[i], `no edge at cell ${cell}: unchanged`);
          continue;
        }
        const x0 = y[i]! - sigma * plain[i]!;
        const expected = (y[i]! - (x0 + 0.75 * (latentOf(WHITE)[c]! - x0))) / sigma;
        assert.ok(Math.abs(edged[i]! - expected) < 1e-4, `edge cell, channel ${c}: ${edged[i]} vs ${expected}`);
        change += Math.abs(edged[i]! - plain[i]!);
      }
    }
    assert.ok(change > 0.2, `the edge changes the prediction (by ${change})`);
    const { mid_block_additional_residual: _mid, ...missing } = residuals;
    await assert.rejects(unet.run({ ...base, ...missing }), /mid_block_additional_residual|missing/i, 'a missing residual fails');
    const swapped = { ...residuals, down_block_1_additional_residual: residuals.down_block_2_additional_residual!, down_block_2_additional_residual: residuals.down_block_1_additional_residual! };
    await assert.rejects(unet.run({ ...base, ...swapped }), /dimension|shape/i, 'residuals fed under the wrong names fail');
  });

  it('InstructPix2Pix: the photo moved toward the instruction colour; image guidance changes it', async () => {
    const unet = await session('sd15-ip2p-fixture', 'unet/model.onnx');
    const [h, w] = [3, 4];
    const cells = h * w;
    // The photo's latents as vae_encoder returns them (unscaled): blue with a brighter corner.
    const photo = nchw(1, 4, h, w, (_, c, y, x) => latentOf(x === 0 && y === 0 ? WHITE : BLUE)[c]! / SCALING);
    const noisy = gaussian(5, 4 * cells);
    const t = 999;
    const sigma = sigmaAt(t);
    // diffusers' three-way batch: (instruction, photo), (no text, photo), (no text, zero image).
    const states = [textState(RED), textState(null), textState(null)];
    const images = [photo, photo, new Float32Array(4 * cells)];
    const sample = new Float32Array(3 * 8 * cells);
    images.forEach((image, b) => {
      sample.set(noisy, b * 8 * cells);
      sample.set(image, b * 8 * cells + 4 * cells);
    });
    const epsilon = await floats(unet, { sample: new Tensor('float32', sample, [3, 8, h, w]), timestep: new Tensor('float32', [t], [1]), encoder_hidden_states: hiddenStates(states) }, 'out_sample');
    const noisyBatch = new Float32Array(3 * 4 * cells);
    for (let b = 0; b < 3; b++) noisyBatch.set(noisy, b * 4 * cells);
    const expected = referenceEpsilon(noisyBatch, sigma, (i) => {
      const [b, rest] = [Math.floor(i / (4 * cells)), i % (4 * cells)];
      const image = images[b]![rest]! * SCALING;
      const c = Math.floor(rest / cells);
      return image + states[b]![3]! * TEXT_PULL * (latentOf(states[b]!)[c]! - image);
    });
    assertClose(epsilon, expected, 2e-4 * sigma, 'ε of the three branches');
    const alpha = ALPHAS[t]!;
    const denoised = (textScale: number, imageScale: number) =>
      Array.from({ length: 4 * cells }, (_, i) => {
        const [text, image, none] = [epsilon[i]!, epsilon[4 * cells + i]!, epsilon[8 * cells + i]!];
        const e = none + textScale * (text - image) + imageScale * (image - none);
        return (noisy[i]! - Math.sqrt(1 - alpha) * e) / Math.sqrt(alpha);
      });
    const pixel = (latents: number[], cell: number) => pixelOf([0, 1, 2, 3].map((c) => latents[c * cells + cell]!));
    // Guided target: g_image·I + g_text·TEXT_PULL·(c − I); at g_text 7.5 that is c + (g_image − 1)·I.
    assertClose(pixel(denoised(7.5, 1), 5), RED, 0.02, 'image guidance 1: the instruction colour');
    assertClose(pixel(denoised(7.5, 1.5), 5), RED.map((v, k) => v + 0.5 * BLUE[k]!), 0.02, 'image guidance 1.5: red with half the blue photo');
    assertClose(pixel(denoised(7.5, 1.5), 0), RED.map((v, k) => v + 0.5 * WHITE[k]!), 0.02, "the photo's layout is kept per cell");
    assertClose(pixel(denoised(0, 1), 5), BLUE, 0.02, 'no text guidance: the photo');
  });
});
