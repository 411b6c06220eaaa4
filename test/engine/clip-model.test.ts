import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tensor } from 'onnxruntime-node';
import { ClipModel } from '../../main/engine/clip/clip-model.js';
import { preprocessImage } from '../../main/engine/clip/preprocessing.js';
import { ClipTokenizer } from '../../main/engine/clip/tokenize.js';
import { loadCatalog, type ModelEntry } from '../../main/engine/models/catalog.js';
import { CHINESE_CLIP_FIXTURE_ID, CLIP_FIXTURE_FP16_ID, CLIP_FIXTURE_ID, FIXTURE_MODELS_DIR, generateFixtureModels } from '../fixtures/generate-models.js';
import { argmax, dot, norm } from '../helpers/clip.js';
import { makePhoto, type Rgb, tempDir } from '../helpers/fixtures.js';

/**
 * The engine's own ClipModel (main/engine/clip/clip-model.ts) on the three fixture CLIPs, with no
 * mocks: catalog -> sha256-verified files -> onnxruntime sessions -> the engine's preprocessing and
 * tokenizer -> embeddings. The fixtures see only the dominant colour of a photo, so every answer
 * is known in advance:
 *
 *   clip-fixture          separate towers, float32 (Xenova/clip-vit-base-patch32's layout)
 *   clip-fixture-fp16     the same, with float16 pixel_values in and float16 embeddings out
 *   chinese-clip-fixture  one graph for both towers, BERT WordPiece, attention_mask (Chinese-CLIP)
 */

/** The colours as 8-bit RGB, in the fixtures' order (independent of the generator's own table). */
const COLOURS: readonly { name: string; rgb: Rgb; chinese: string }[] = [
  { name: 'red', rgb: [255, 0, 0], chinese: '红' },
  { name: 'green', rgb: [0, 255, 0], chinese: '绿' },
  { name: 'blue', rgb: [0, 0, 255], chinese: '蓝' },
  { name: 'yellow', rgb: [255, 255, 0], chinese: '黄' },
  { name: 'cyan', rgb: [0, 255, 255], chinese: '青' },
  { name: 'magenta', rgb: [255, 0, 255], chinese: '紫' },
  { name: 'white', rgb: [255, 255, 255], chinese: '白' },
  { name: 'black', rgb: [0, 0, 0], chinese: '黑' },
];
const EMBED_DIM = 512;

/** The colours of the photos (one per colour, in COLOURS order), best match for `text` first. */
function ranking(text: Float32Array, images: readonly Float32Array[]): string[] {
  return images
    .map((image, i) => ({ colour: COLOURS[i]!.name, score: dot(text, image) }))
    .sort((a, b) => b.score - a.score)
    .map((hit) => hit.colour);
}

function assertUnitRows(rows: readonly Float32Array[], what: string): void {
  for (const [i, row] of rows.entries()) {
    assert.equal(row.length, EMBED_DIM, `${what} ${i} width`);
    assert.ok(Math.abs(norm(row) - 1) < 1e-5, `${what} ${i} has norm ${norm(row)}`);
  }
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('ClipModel (engine) on the fixture CLIPs', () => {
  const photosDir = tempDir('iris-clip-model-');
  /** One photo per colour (JPEG, 320×240 so the resize and crop both matter, a little noise), in COLOURS order. */
  const photos: string[] = [];
  const entries = new Map<string, ModelEntry>();
  const models: ClipModel[] = [];

  function open(id: string): ClipModel {
    const entry = entries.get(id);
    assert.ok(entry, `the fixture catalog lists ${id}`);
    const model = new ClipModel(FIXTURE_MODELS_DIR, entry, { device: 'cpu' });
    models.push(model);
    return model;
  }

  async function embedPhotos(model: ClipModel): Promise<Float32Array[]> {
    return model.embedImages(await Promise.all(photos.map((file) => preprocessImage(file, model.prep))));
  }

  before(async () => {
    generateFixtureModels(); // idempotent: a no-op when `npm run fixtures` already made them
    for (const entry of loadCatalog(FIXTURE_MODELS_DIR).models) entries.set(entry.id, entry);
    for (const [k, colour] of COLOURS.entries()) {
      photos.push(await makePhoto(path.join(photosDir, `${colour.name}.jpg`), { color: colour.rgb, width: 320, height: 240, seed: k + 1 }));
    }
  });

  after(async () => {
    for (const model of models) await model.release();
    fs.rmSync(photosDir, { recursive: true, force: true });
  });

  describe('clip-fixture (float32, two graphs)', () => {
    let model: ClipModel;
    let images: Float32Array[];
    before(async () => {
      model = open(CLIP_FIXTURE_ID);
      images = await embedPhotos(model);
    });

    it('ranks the photo of each colour first for its English name, with unit-length embeddings', async () => {
      const texts = await model.embedTexts(COLOURS.map((c) => c.name));
      assertUnitRows(images, 'image');
      assertUnitRows(texts, 'text');
      for (const [k, colour] of COLOURS.entries()) assert.equal(ranking(texts[k]!, images)[0], colour.name, `query "${colour.name}"`);
      const [sentence] = await model.embedTexts(['a photo of something yellow']);
      assert.equal(ranking(sentence!, images)[0], 'yellow');
    });

    it('zero-shot labels every photo with its colour', async () => {
      const labels = await model.embedTexts(COLOURS.map((c) => `a photo of a ${c.name} thing`));
      for (const [k, image] of images.entries()) {
        const probabilities = model.zeroShot(image, labels);
        assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-9);
        assert.equal(argmax(probabilities), k, `photo ${COLOURS[k]!.name}: [${probabilities.map((p) => p.toFixed(3)).join(', ')}]`);
        assert.ok(probabilities[k]! > 0.9);
      }
    });
  });

  describe('clip-fixture-fp16 (float16 inputs and outputs)', () => {
    let fp16: ClipModel;
    let fp32: ClipModel;
    before(() => {
      fp16 = open(CLIP_FIXTURE_FP16_ID);
      fp32 = open(CLIP_FIXTURE_ID);
    });

    it('really takes and returns float16 (so the conversion path is what is tested)', async () => {
      const vision = await fp16.session('vision');
      const text = await fp16.session('text');
      assert.deepEqual(vision.inputs.map((i) => [i.name, i.dtype]), [['pixel_values', 'float16']]);
      assert.deepEqual(vision.outputs.map((o) => [o.name, o.dtype]), [['image_embeds', 'float16']]);
      assert.deepEqual(text.inputs.map((i) => [i.name, i.dtype]), [['input_ids', 'int64']]);
      assert.deepEqual(text.outputs.map((o) => [o.name, o.dtype]), [['text_embeds', 'float16']]);
      assert.deepEqual(fp16.filesFor('vision'), ['onnx/vision_model_fp16.onnx']);
    });

    it('ranks the photo of each colour first for its English name, with unit-length embeddings', async () => {
      const images = await embedPhotos(fp16);
      const texts = await fp16.embedTexts(COLOURS.map((c) => c.name));
      assertUnitRows(images, 'fp16 image');
      assertUnitRows(texts, 'fp16 text');
      for (const [k, colour] of COLOURS.entries()) assert.equal(ranking(texts[k]!, images)[0], colour.name, `query "${colour.name}"`);
    });

    it('agrees with clip-fixture to float16 precision', async () => {
      const queries = [...COLOURS.map((c) => c.name), 'a photo of something red', 'nothing in particular'];
      const [images16, images32, texts16, texts32] = [await embedPhotos(fp16), await embedPhotos(fp32), await fp16.embedTexts(queries), await fp32.embedTexts(queries)];
      // float16 keeps 11 significant bits: one rounding moves a value by at most half an ulp, 2^-12
      // relative. A fixture embedding's coordinates are at most sqrt(8/512) = 0.125 in size (ulp 2^-13
      // = 1.2e-4 there; measured differences are ~2e-5), so 2.5e-4 allows a couple of roundings of the
      // weights, the pixels and the outputs. Cosines get 1e-3, far below the ~0.9 gap between colours.
      const tolerance = 2.5e-4;
      for (const [i, image] of images16.entries()) assert.ok(maxAbsDifference(image, images32[i]!) < tolerance, `image ${i}: ${maxAbsDifference(image, images32[i]!)}`);
      for (const [i, text] of texts16.entries()) assert.ok(maxAbsDifference(text, texts32[i]!) < tolerance, `text "${queries[i]}": ${maxAbsDifference(text, texts32[i]!)}`);
      for (const [q, text16] of texts16.entries()) {
        // (A text without a colour word is equally near every photo: its order is float noise.)
        if (queries[q] !== 'nothing in particular') assert.equal(ranking(text16, images16)[0], ranking(texts32[q]!, images32)[0], `query "${queries[q]}"`);
        for (const [i, image16] of images16.entries()) {
          const difference = Math.abs(dot(text16, image16) - dot(texts32[q]!, images32[i]!));
          assert.ok(difference < 1e-3, `cosine of "${queries[q]}" and photo ${i} differs by ${difference}`);
        }
      }
      assert.ok(images16.some((image, i) => maxAbsDifference(image, images32[i]!) > 0), 'the fp16 model is not secretly float32');
    });
  });

  describe('chinese-clip-fixture (one graph, WordPiece, attention_mask)', () => {
    let model: ClipModel;
    let images: Float32Array[];
    before(async () => {
      model = open(CHINESE_CLIP_FIXTURE_ID);
      images = await embedPhotos(model);
    });

    it('has the real export’s inputs and outputs, and serves both towers from that one session', async () => {
      const vision = await model.session('vision');
      const text = await model.session('text');
      assert.equal(vision, text, 'one session for both towers');
      assert.deepEqual(vision.inputs, entries.get(CHINESE_CLIP_FIXTURE_ID)!.io['onnx/model.onnx']!.inputs);
      assert.deepEqual(vision.outputs, entries.get(CHINESE_CLIP_FIXTURE_ID)!.io['onnx/model.onnx']!.outputs);
      assert.deepEqual(vision.inputs.map((i) => i.name), ['input_ids', 'pixel_values', 'attention_mask']);
      assert.deepEqual(vision.outputs.map((o) => o.name), ['logits_per_image', 'logits_per_text', 'text_embeds', 'image_embeds']);
      assert.deepEqual(model.filesFor('text'), ['onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    });

    it('tokenizes like BERT: one token per Chinese character, [CLS] … [SEP], padded with [PAD] = 0 under a 0 mask', () => {
      const tokenizer = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, CHINESE_CLIP_FIXTURE_ID), model.prep);
      const ids = tokenizer.ids('一张蓝色的照片');
      assert.equal(ids.length, 52);
      assert.deepEqual(ids.slice(0, 1), [101]);
      assert.equal(ids[8], 102, '7 characters, 7 tokens, then [SEP]');
      assert.ok(ids.slice(1, 8).every((id) => id > 103), `every character is in the vocabulary: [${ids.slice(0, 9).join(', ')}]`);
      assert.equal(new Set(ids.slice(1, 8)).size, 7);
      assert.ok(ids.slice(9).every((id) => id === 0));
      const batch = tokenizer.batch(['一张蓝色的照片', 'red']);
      assert.deepEqual(batch.dims, [2, 52]);
      assert.deepEqual([...batch.attentionMask.slice(0, 10)], [1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]);
      assert.deepEqual([...batch.attentionMask.slice(52, 56)], [1n, 1n, 1n, 0n]);
      assert.equal(tokenizer.ids('Red')[1], tokenizer.ids('red')[1], 'lower-cased');
      assert.deepEqual(tokenizer.ids('红色，的'), tokenizer.ids('红色 ， 的'), 'punctuation split off');
      const long = tokenizer.ids('红'.repeat(100));
      assert.deepEqual([long.length, long[0], long[50], long[51]], [52, 101, tokenizer.ids('红')[1], 102], 'cut to 52, keeping [SEP]');
    });

    it('ranks red first for 「红色的照片」, blue for 「一张蓝色的照片」 and black for 「海边的黑狗」', async () => {
      const queries = { 红色的照片: 'red', 一张蓝色的照片: 'blue', 海边的黑狗: 'black' } as const;
      const texts = await model.embedTexts(Object.keys(queries));
      assertUnitRows(images, 'image');
      assertUnitRows(texts, 'text');
      Object.values(queries).forEach((colour, q) => assert.equal(ranking(texts[q]!, images)[0], colour, `query ${Object.keys(queries)[q]}`));
    });

    it('ranks each colour first for its Chinese colour word (「X色」) and for its English name', async () => {
      const chinese = await model.embedTexts(COLOURS.map((c) => `${c.chinese}色`));
      const english = await model.embedTexts(COLOURS.map((c) => c.name));
      for (const [k, colour] of COLOURS.entries()) {
        assert.equal(ranking(chinese[k]!, images)[0], colour.name, `query ${colour.chinese}色`);
        assert.equal(ranking(english[k]!, images)[0], colour.name, `query ${colour.name}`);
      }
    });

    it('zero-shot with Chinese labels gives each photo its colour', async () => {
      const labels = await model.embedTexts(COLOURS.map((c) => `一张${c.chinese}色的照片`));
      for (const [k, image] of images.entries()) assert.equal(argmax(model.zeroShot(image, labels)), k, `photo ${COLOURS[k]!.name}`);
    });

    it('honours attention_mask: padded to 52 under the mask = not padded at all; unmasked padding would change it', async () => {
      const text = '一张蓝色的照片';
      const [engine] = await model.embedTexts([text]);
      const session = await model.session('text');
      const ids = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, CHINESE_CLIP_FIXTURE_ID), model.prep).ids(text);
      const real = ids.indexOf(102) + 1;
      const run = async (tokens: readonly number[], mask: readonly number[]) => {
        const dims = [1, tokens.length];
        const out = await session.run({
          input_ids: new Tensor('int64', BigInt64Array.from(tokens, BigInt), dims),
          attention_mask: new Tensor('int64', BigInt64Array.from(mask, BigInt), dims),
          pixel_values: new Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]),
        });
        const embeds = out.text_embeds!.data as Float32Array;
        const length = norm(embeds);
        return embeds.map((v) => v / length);
      };
      const unpadded = await run(ids.slice(0, real), new Array<number>(real).fill(1));
      assert.ok(maxAbsDifference(engine!, unpadded) < 1e-6, `engine (padded to 52, masked) vs unpadded: ${maxAbsDifference(engine!, unpadded)}`);
      const unmasked = await run(ids, new Array<number>(ids.length).fill(1));
      assert.ok(dot(unmasked, unpadded) < 0.95, `padding that the mask does not hide changes the embedding (cosine ${dot(unmasked, unpadded)})`);
    });

    /** A models folder holding the fixture catalog and a copy of chinese-clip-fixture whose tokenizer.json maps 红 and 蓝 to each other's ids. */
    function tamperedTokenizerCopy(): string {
      const dir = tempDir('iris-models-tampered-');
      fs.copyFileSync(path.join(FIXTURE_MODELS_DIR, 'catalog.json'), path.join(dir, 'catalog.json'));
      const source = path.join(FIXTURE_MODELS_DIR, CHINESE_CLIP_FIXTURE_ID);
      fs.cpSync(source, path.join(dir, CHINESE_CLIP_FIXTURE_ID), { recursive: true, filter: (file) => path.basename(file) !== '.verified.json' });
      const file = path.join(dir, CHINESE_CLIP_FIXTURE_ID, 'tokenizer.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { model: { vocab: Record<string, number> } };
      const { vocab } = json.model;
      [vocab['红'], vocab['蓝']] = [vocab['蓝']!, vocab['红']!];
      fs.writeFileSync(file, JSON.stringify(json));
      return dir;
    }

    it('refuses a tampered tokenizer.json by sha256 when a search opens the graph first', async () => {
      const dir = tamperedTokenizerCopy();
      try {
        const tampered = new ClipModel(dir, entries.get(CHINESE_CLIP_FIXTURE_ID)!, { device: 'cpu' });
        models.push(tampered);
        await assert.rejects(tampered.embedTexts(['红色']), /tokenizer\.json is wrong hash/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    // With one graph for both towers, the image tower opens the shared session first; the text tower
    // must still verify its own files (the tokenizer) before its first use.
    it(
      'refuses a tampered tokenizer.json by sha256 even after indexing opened the one graph for the image tower',
      async () => {
        const dir = tamperedTokenizerCopy();
        try {
          const tampered = new ClipModel(dir, entries.get(CHINESE_CLIP_FIXTURE_ID)!, { device: 'cpu' });
          models.push(tampered);
          await tampered.embedImages([await preprocessImage(photos[0]!, tampered.prep)]);
          await assert.rejects(tampered.embedTexts(['红色']), /tokenizer\.json is wrong hash/);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    );

    it('embeds images independently of the placeholder text, and logits_per_image is 100 × cosine', async () => {
      const session = await model.session('vision');
      const texts = ['红色的照片', '海边的黑狗'];
      const tokenizer = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, CHINESE_CLIP_FIXTURE_ID), model.prep);
      const batch = tokenizer.batch(texts);
      const pixels = await Promise.all(photos.slice(0, 3).map((file) => preprocessImage(file, model.prep)));
      const data = new Float32Array(3 * 3 * 224 * 224);
      pixels.forEach((p, i) => data.set(p, i * p.length));
      const out = await session.run({
        input_ids: new Tensor('int64', batch.inputIds, batch.dims),
        attention_mask: new Tensor('int64', batch.attentionMask, batch.dims),
        pixel_values: new Tensor('float32', data, [3, 3, 224, 224]),
      });
      assert.deepEqual(out.logits_per_image!.dims, [3, 2]);
      assert.deepEqual(out.logits_per_text!.dims, [2, 3]);
      const engineImages = images.slice(0, 3);
      const engineTexts = await model.embedTexts(texts);
      const imageEmbeds = out.image_embeds!.data as Float32Array;
      for (let i = 0; i < 3; i++) {
        assert.ok(maxAbsDifference(imageEmbeds.subarray(i * EMBED_DIM, (i + 1) * EMBED_DIM), engineImages[i]!) < 1e-6, `image ${i} with another text batch`);
        for (let t = 0; t < 2; t++) {
          const expected = model.logitScale * dot(engineImages[i]!, engineTexts[t]!);
          assert.ok(Math.abs((out.logits_per_image!.data as Float32Array)[i * 2 + t]! - expected) < 1e-3, `logits_per_image[${i}][${t}]`);
          assert.ok(Math.abs((out.logits_per_text!.data as Float32Array)[t * 3 + i]! - expected) < 1e-3, `logits_per_text[${t}][${i}]`);
        }
      }
      assert.equal(model.logitScale, 100);
    });
  });
});
