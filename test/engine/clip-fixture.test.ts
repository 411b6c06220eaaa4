import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { CATALOG_FILE, loadCatalog, modelFilePath, type ModelEntry } from '../../main/engine/models/catalog.js';
import { verifyModel } from '../../main/engine/models/download.js';
import { CLIP_FIXTURE_ID, FIXTURE_MODELS_DIR, generateFixtureModels } from '../fixtures/generate-models.js';
import { argmax, ClipPreprocessingSchema, FIXTURE_COLOURS, dot, inputIdsBatch, norm, pixelValuesBatch, rows, tokenIds, type ClipPreprocessing } from '../helpers/clip.js';
import { makePhoto, sha256, tempDir } from '../helpers/fixtures.js';

/**
 * The CLIP fixture model, end to end with no mocks: generated catalog -> verified files -> real
 * onnxruntime-node sessions -> real tokenizer and sharp preprocessing -> embeddings that must
 * encode the dominant colour. Other tests rely on this behaviour, so it is pinned here.
 */

const COLOURS = FIXTURE_COLOURS;
const EMBED_DIM = 512;

/** A solid-colour PNG, not square, so the resize and centre crop both do something. */
function solidImage(rgb: readonly [number, number, number]): Promise<Buffer> {
  const [r, g, b] = rgb;
  return sharp({ create: { width: 320, height: 240, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

function assertUnitRows(embeddings: Float32Array[]): void {
  for (const [i, row] of embeddings.entries()) assert.ok(Math.abs(norm(row) - 1) < 1e-4, `row ${i} has norm ${norm(row)}`);
}

describe('CLIP fixture model', () => {
  let model: ModelEntry;
  let prep: ClipPreprocessing;
  let vision: InferenceSession;
  let text: InferenceSession;
  let tokenizer: Tokenizer;

  /** Reads a fixture file, refusing it unless it matches the catalog (as the runtime must). */
  function verifiedBytes(relative: string): Buffer {
    const entry = model.files.find((file) => file.path === relative);
    assert.ok(entry, `${relative} is in the catalog`);
    const bytes = fs.readFileSync(modelFilePath(FIXTURE_MODELS_DIR, model, entry));
    assert.equal(bytes.length, entry.bytes, `${relative} size`);
    assert.equal(sha256Bytes(bytes), entry.sha256, `${relative} sha256`);
    return bytes;
  }

  async function imageEmbeddings(images: readonly Buffer[]): Promise<Float32Array[]> {
    const batch = await pixelValuesBatch(images, prep);
    const result = await vision.run({ pixel_values: new Tensor('float32', batch.data, batch.dims) });
    return embeddingRows(result.image_embeds, images.length);
  }

  async function textEmbeddings(texts: readonly string[]): Promise<Float32Array[]> {
    const batch = inputIdsBatch(tokenizer, texts, prep);
    const result = await text.run({ input_ids: new Tensor('int64', batch.data, batch.dims) });
    return embeddingRows(result.text_embeds, texts.length);
  }

  before(async () => {
    generateFixtureModels(); // idempotent: a no-op when `npm run fixtures` already made them
    const entry = loadCatalog(FIXTURE_MODELS_DIR).models.find((m) => m.id === CLIP_FIXTURE_ID);
    assert.ok(entry, 'the fixture catalog has clip-fixture');
    model = entry;
    prep = ClipPreprocessingSchema.parse(model.preprocessing);
    vision = await InferenceSession.create(verifiedBytes('onnx/vision_model.onnx'));
    text = await InferenceSession.create(verifiedBytes('onnx/text_model.onnx'));
    const json = (relative: string): object => JSON.parse(verifiedBytes(relative).toString('utf8')) as object;
    tokenizer = new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  });

  after(async () => {
    await vision?.release();
    await text?.release();
  });

  it('has a catalog entry shaped like the real CLIP ViT-B/32 export', () => {
    assert.equal(model.task, 'clip');
    assert.equal(model.licence, 'MIT');
    assert.deepEqual(model.files.map((f) => f.path).sort(), ['onnx/text_model.onnx', 'onnx/vision_model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    assert.deepEqual(prep, {
      image_size: 224,
      resample: 'bicubic',
      embedding_dim: 512,
      resize_shortest_edge: 224,
      crop_size: 224,
      rescale_factor: 1 / 255,
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_std: [0.26862954, 0.26130258, 0.27577711],
      context_length: 77,
      bos_token_id: 49406,
      eos_token_id: 49407,
      pad_token_id: 49407,
      logit_scale: 100,
    });
  });

  it('passes the engine’s own verification (sizes and sha256)', async () => {
    const states = await verifyModel(FIXTURE_MODELS_DIR, model);
    assert.deepEqual(states.map((s) => s.state), model.files.map(() => 'ok'));
  });

  it('generates the same bytes every time, and rewrites nothing that is already right', () => {
    const out = tempDir('iris-fixtures-');
    try {
      const first = generateFixtureModels({ outDir: out });
      const allFiles = loadCatalog(FIXTURE_MODELS_DIR).models.reduce((sum, entry) => sum + entry.files.length, 0);
      assert.equal(first.written.length, allFiles + 1, 'every file of every fixture model, and the catalog, written');
      assert.deepEqual(generateFixtureModels({ outDir: out }).written, []);
      assert.equal(sha256(`${out}/${CATALOG_FILE}`), sha256(`${FIXTURE_MODELS_DIR}/${CATALOG_FILE}`), 'same hashes as the shared fixture');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('has the input and output names, types and shapes of the catalog (and of the real export)', () => {
    assert.deepEqual([vision.inputNames, vision.outputNames], [['pixel_values'], ['image_embeds']]);
    assert.deepEqual([text.inputNames, text.outputNames], [['input_ids'], ['text_embeds']]);
    for (const [file, session] of [['onnx/vision_model.onnx', vision], ['onnx/text_model.onnx', text]] as const) {
      const io = model.io[file];
      assert.ok(io, `io for ${file}`);
      const shapes = (metadata: readonly InferenceSession.ValueMetadata[]) => metadata.map((m) => (m.isTensor ? { name: m.name, dtype: m.type, shape: [...m.shape] } : m.name));
      assert.deepEqual(shapes(session.inputMetadata), io.inputs, `${file} inputs`);
      assert.deepEqual(shapes(session.outputMetadata), io.outputs, `${file} outputs`);
    }
  });

  it('tokenizes exactly like the published CLIP tokenizer', () => {
    assert.deepEqual(tokenizer.encode('a photo of a cat').ids, [49406, 320, 1125, 539, 320, 2368, 49407]);
    assert.deepEqual(tokenizer.encode('A Photo of a  RED car!').ids, [49406, 320, 1125, 539, 320, 736, 1615, 256, 49407]);
    const padded = tokenIds(tokenizer, 'red', prep);
    assert.equal(padded.length, 77);
    assert.deepEqual(padded.slice(0, 4), [49406, 736, 49407, 49407]);
    const long = tokenIds(tokenizer, 'red '.repeat(100), prep);
    assert.equal(long.length, 77);
    assert.deepEqual([long[0], long[75], long[76]], [49406, 736, 49407], 'truncated text keeps its final eos');
  });

  it('puts each solid colour nearest the text naming it, for a batch of 8 images in one run', async () => {
    const images = await imageEmbeddings(await Promise.all(COLOURS.map((c) => solidImage(c.rgb))));
    const texts = await textEmbeddings(COLOURS.map((c) => `a photo of something ${c.name}`));
    assertUnitRows(images);
    assertUnitRows(texts);
    for (const [i, image] of images.entries()) {
      const similarities = texts.map((t) => dot(image, t));
      assert.equal(COLOURS[argmax(similarities)]?.name, COLOURS[i]?.name, `${COLOURS[i]?.name} image: ${similarities.map((s) => s.toFixed(3)).join(' ')}`);
    }
  });

  it('ranks the red image first for the text "red", however it is written', async () => {
    const images = await imageEmbeddings(await Promise.all(COLOURS.map((c) => solidImage(c.rgb))));
    for (const query of ['red', 'A Photo of a  RED car!']) {
      const [embedding] = await textEmbeddings([query]);
      assert.ok(embedding);
      const ranking = images.map((image, i) => ({ colour: COLOURS[i]?.name, score: dot(embedding, image) })).sort((a, b) => b.score - a.score);
      assert.equal(ranking[0]?.colour, 'red', `${query}: ${JSON.stringify(ranking)}`);
    }
  });

  it('gives each image the same embedding in a batch as alone', async () => {
    const inputs = await Promise.all([solidImage([0, 0, 255]), solidImage([255, 255, 0])]);
    const batch = await imageEmbeddings(inputs);
    const alone = await imageEmbeddings([inputs[1]!]);
    assert.ok(batch[1] && alone[0]);
    for (let i = 0; i < EMBED_DIM; i++) assert.ok(Math.abs(batch[1][i]! - alone[0][i]!) < 1e-6, `dimension ${i}`);
  });

  it('scores a dull, noisy red photo as red, below a pure red one', async () => {
    const dir = tempDir('iris-clip-');
    try {
      const dull = fs.readFileSync(await makePhoto(`${dir}/dull-red.jpg`, { color: [200, 30, 30], width: 300, height: 200 }));
      const [pure, dullRed] = await imageEmbeddings([await solidImage([255, 0, 0]), dull]);
      const texts = await textEmbeddings(COLOURS.map((c) => c.name));
      assert.ok(pure && dullRed && texts[0]);
      assert.equal(argmax(texts.map((t) => dot(dullRed, t))), 0, 'the dull red photo is nearest "red"');
      // Graded, by a margin well above float error: search results must be able to order by purity.
      assert.ok(dot(pure, texts[0]) - dot(dullRed, texts[0]) > 1e-3, `pure ${dot(pure, texts[0])} vs dull ${dot(dullRed, texts[0])}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('embeds a text without colour words as a unit vector equally near every colour', async () => {
    const [neutral] = await textEmbeddings(['a photo of a cat']);
    assert.ok(neutral);
    assertUnitRows([neutral]);
    const images = await imageEmbeddings(await Promise.all(COLOURS.map((c) => solidImage(c.rgb))));
    const similarities = images.map((image) => dot(neutral, image));
    assert.ok(Math.max(...similarities) - Math.min(...similarities) < 1e-3, similarities.join(' '));
  });
});

function embeddingRows(value: Tensor | undefined, count: number): Float32Array[] {
  assert.ok(value, 'the session returned the embedding output');
  assert.deepEqual(value.dims, [count, EMBED_DIM]);
  assert.ok(value.data instanceof Float32Array, `embeddings are float32, got ${value.type}`);
  return rows(value.data, EMBED_DIM);
}

function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
