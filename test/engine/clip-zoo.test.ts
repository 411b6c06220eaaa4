import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ClipModel } from '../../main/engine/clip/clip-model.js';
import { preprocessImage } from '../../main/engine/clip/preprocessing.js';
import { ClipTokenizer } from '../../main/engine/clip/tokenize.js';
import { loadCatalog, type ModelEntry } from '../../main/engine/models/catalog.js';
import { CLIP_FIXTURE_ID, FIXTURE_MODELS_DIR, MCLIP_FIXTURE_ID, MOBILECLIP_FIXTURE_ID, SIGLIP2_FIXTURE_ID, generateFixtureModels } from '../fixtures/generate-models.js';
import { FIXTURE_COLOURS, dot, norm } from '../helpers/clip.js';
import { tempDir } from '../helpers/fixtures.js';
import { compareWithSentencePiece } from '../reference/measure-sentencepiece.js';
import { pythonMissing } from '../reference/reference.js';

/**
 * The CLIP zoo's families through the engine's one loader (ClipModel), no mocks: each fixture sees
 * the dominant colour, and each has what makes its family differ from OpenAI's CLIP built in, so
 * treating it as a CLIP (crop instead of squash, CLIP's mean/std, no canonical text, no mask,
 * softmax) gives a visibly wrong answer:
 *
 *   mobileclip-fixture  256-pixel crops, rescale only (no mean/std)
 *   siglip2-fixture     Immich layout: squash, mean/std 0.5, Gemma tokenizer, canonicalized text, batch 1, sigmoid
 *   mclip-fixture       Immich layout: 240-pixel crops, XLM-R Unigram tokenizer with mask, four languages, batch 1
 */

const COLOURS = FIXTURE_COLOURS;

function solid(rgb: readonly [number, number, number], width = 300, height = 200): Promise<Buffer> {
  const [r, g, b] = rgb;
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

/**
 * A 600×200 image: blue thirds either side of a red middle third. A centre crop keeps the red
 * square; squashing the whole image keeps two thirds of blue (mean (0.33, 0, 0.67): nearest blue).
 */
async function blueRedBlue(): Promise<Buffer> {
  const third = { width: 200, height: 200, channels: 3 as const };
  const blue = await sharp({ create: { ...third, background: { r: 0, g: 0, b: 255 } } }).png().toBuffer();
  const red = await sharp({ create: { ...third, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
  return sharp({ create: { width: 600, height: 200, channels: 3, background: { r: 0, g: 0, b: 255 } } })
    .composite([
      { input: blue, left: 0, top: 0 },
      { input: red, left: 200, top: 0 },
    ])
    .png()
    .toBuffer();
}

/** The colour name whose text embedding is nearest to the image's. */
async function seenColour(model: ClipModel, image: Buffer): Promise<string> {
  const [embedding] = await model.embedImages([await preprocessImage(image, model.prep)]);
  const texts = await model.embedTexts(COLOURS.map((c) => c.name));
  const scores = texts.map((text) => dot(text, embedding!));
  return COLOURS[scores.indexOf(Math.max(...scores))]!.name;
}

describe('CLIP zoo: the families through one loader', () => {
  let entries: Map<string, ModelEntry>;
  const models: ClipModel[] = [];
  const open = (id: string) => {
    const model = new ClipModel(FIXTURE_MODELS_DIR, entries.get(id)!, { device: 'cpu' });
    models.push(model);
    return model;
  };

  before(() => {
    generateFixtureModels();
    entries = new Map(loadCatalog(FIXTURE_MODELS_DIR).models.map((entry) => [entry.id, entry]));
  });
  after(async () => {
    for (const model of models) await model.release();
  });

  for (const id of [MOBILECLIP_FIXTURE_ID, SIGLIP2_FIXTURE_ID, MCLIP_FIXTURE_ID]) {
    it(`${id}: every solid colour is found by its name, embeddings are unit length at the family's width`, async () => {
      const model = open(id);
      const images = await Promise.all(COLOURS.map((c) => solid(c.rgb).then((png) => preprocessImage(png, model.prep))));
      // More images than a batch-1 graph takes at once: the loader feeds them one by one.
      const embedded = await model.embedImages(images);
      const texts = await model.embedTexts(COLOURS.map((c) => `a photo of a ${c.name} car`));
      assert.equal(embedded.length, COLOURS.length);
      for (const row of [...embedded, ...texts]) {
        assert.equal(row.length, model.dim);
        assert.ok(Math.abs(norm(row) - 1) < 1e-4);
      }
      COLOURS.forEach((colour, i) => {
        const scores = embedded.map((image) => dot(texts[i]!, image));
        assert.equal(scores.indexOf(Math.max(...scores)), i, `"${colour.name}" finds the ${colour.name} photo`);
      });
    });
  }

  it('SigLIP squashes the whole image where CLIP-family models crop its centre', async () => {
    const image = await blueRedBlue();
    assert.equal(await seenColour(open(SIGLIP2_FIXTURE_ID), image), 'blue', 'squashed: two thirds blue');
    assert.equal(await seenColour(open(MOBILECLIP_FIXTURE_ID), image), 'red', 'cropped: the red centre');
    assert.equal(await seenColour(open(MCLIP_FIXTURE_ID), image), 'red', 'cropped: the red centre');
  });

  it("each family's mean/std is applied: the same grey reads differently under CLIP's constants", async () => {
    // A (100, 100, 100) grey: under MobileCLIP's rescale-only input the fixture un-normalises with
    // mean 0/std 1 and sees grey 0.39 (nearest black). Fed CLIP's normalisation instead (the
    // clip-fixture's constants), the same tower would read another mean colour.
    const grey = await solid([100, 100, 100]);
    const mobile = open(MOBILECLIP_FIXTURE_ID);
    assert.equal(await seenColour(mobile, grey), 'black');
    const clipPrep = open(CLIP_FIXTURE_ID).prep;
    const wrong = await preprocessImage(grey, { ...clipPrep, image_size: 256, resize_shortest_edge: 256, crop_size: 256 });
    const right = await preprocessImage(grey, mobile.prep);
    assert.ok(Math.abs(right[0]! - 100 / 255) < 1e-6, 'rescale only');
    assert.ok(Math.abs(wrong[0]! - right[0]!) > 0.5, 'CLIP mean/std gives other inputs');
  });

  it('SigLIP 2 reads canonicalized text: case and punctuation do not change the query', async () => {
    const model = open(SIGLIP2_FIXTURE_ID);
    const tokenizer = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, SIGLIP2_FIXTURE_ID), model.prep);
    assert.equal(tokenizer.cleaning, 'canonicalize');
    assert.deepEqual(tokenizer.ids('RED-car!'), tokenizer.ids('redcar'));
    assert.deepEqual(tokenizer.ids('A  photo_of the Red car.'), tokenizer.ids('a photo of the red car'));
    const [shouted, plain] = await model.embedTexts(['RED!!!', 'red']);
    assert.ok(dot(shouted!, plain!) > 0.9999);
    // Gemma's template opens with <bos> (2) and pads with <pad> (0); no <eos> is added.
    const ids = tokenizer.ids('red');
    assert.equal(ids[0], 2);
    assert.equal(ids.length, 64);
    assert.equal(ids[2], 0);
  });

  it('a text longer than the context is cut at the end, keeping the special tokens the template adds', () => {
    const siglip = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, SIGLIP2_FIXTURE_ID), open(SIGLIP2_FIXTURE_ID).prep);
    const long = Array.from({ length: 100 }, () => 'red').join(' ');
    const ids = siglip.ids(long);
    assert.equal(ids.length, 64);
    assert.equal(ids[0], 2, '<bos> kept at the start');
    assert.ok(!ids.includes(0), 'no padding in a full context');
    const mclip = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, MCLIP_FIXTURE_ID), open(MCLIP_FIXTURE_ID).prep);
    const cut = mclip.ids(long);
    assert.equal(cut.length, 77);
    assert.equal(cut[0], 0, '<s> first');
    assert.equal(cut[76], 2, '</s> kept last');
  });

  it('the multilingual model answers English, German, French and Chinese from one index', async () => {
    const model = open(MCLIP_FIXTURE_ID);
    const photos = await model.embedImages(await Promise.all(COLOURS.map((c) => solid(c.rgb).then((png) => preprocessImage(png, model.prep)))));
    const queries: [string, string][] = [
      ['a red car', 'red'],
      ['ein rot auto', 'red'],
      ['une voiture bleu', 'blue'],
      ['一张黄色的照片', 'yellow'],
      ['海边的黑狗', 'black'],
      ['fleur blanc', 'white'],
    ];
    const texts = await model.embedTexts(queries.map(([q]) => q));
    queries.forEach(([query, colour], i) => {
      const scores = photos.map((photo) => dot(texts[i]!, photo));
      assert.equal(COLOURS[scores.indexOf(Math.max(...scores))]!.name, colour, query);
    });
  });

  it('M-CLIP gets its attention mask: padding changes nothing', async () => {
    const model = open(MCLIP_FIXTURE_ID);
    const tokenizer = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, MCLIP_FIXTURE_ID), model.prep);
    const batch = tokenizer.batch(['red']);
    assert.deepEqual([...batch.attentionMask.slice(0, 4)], [1n, 1n, 1n, 0n], '<s> ▁red </s> then padding');
    assert.equal(batch.inputIds[3], 1n, 'padded with <pad> (1)');
  });

  it('zero-shot follows the family: softmax over labels for CLIP, an independent sigmoid for SigLIP', async () => {
    const red = await solid([255, 0, 0]);
    const labels = ['red', 'blue', 'green'];
    const siglip = open(SIGLIP2_FIXTURE_ID);
    const [image] = await siglip.embedImages([await preprocessImage(red, siglip.prep)]);
    const sigmoid = siglip.zeroShot(image!, await siglip.embedTexts(labels));
    // sigmoid(10 × cos + (-5)): ~0.99 for the right label, ~0.007 for the others; they do not sum to 1.
    assert.ok(sigmoid[0]! > 0.98 && sigmoid[1]! < 0.02 && sigmoid[2]! < 0.02, sigmoid.join(', '));
    assert.ok(Math.abs(sigmoid.reduce((a, b) => a + b, 0) - 1) > 0.001);
    const mobile = open(MOBILECLIP_FIXTURE_ID);
    const [clipImage] = await mobile.embedImages([await preprocessImage(red, mobile.prep)]);
    const softmax = mobile.zeroShot(clipImage!, await mobile.embedTexts(labels));
    assert.ok(Math.abs(softmax.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  it('a SigLIP whose learned scale and bias are not established says so instead of inventing probabilities', async () => {
    const entry = entries.get(SIGLIP2_FIXTURE_ID)!;
    const model = new ClipModel(FIXTURE_MODELS_DIR, { ...entry, preprocessing: { ...entry.preprocessing, logit_bias: null } }, { device: 'cpu' });
    models.push(model);
    assert.throws(() => model.zeroShot(new Float32Array(768), [new Float32Array(768)]), /learned scale and bias that the catalog has not established/);
  });

  it("a transformers.js export whose preprocessor_config.json disagrees with its catalog entry is refused", async () => {
    const entry = entries.get(MOBILECLIP_FIXTURE_ID)!;
    // The catalog guesses CLIP's bicubic and mean/std; MobileCLIP's processor says bilinear and no normalisation.
    const wrong = { ...entry, preprocessing: { ...entry.preprocessing, resample: 'bicubic', image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] } };
    const model = new ClipModel(FIXTURE_MODELS_DIR, wrong, { device: 'cpu' });
    models.push(model);
    await assert.rejects(model.session('vision'), /preprocessor_config\.json has resample 2, the catalog "bicubic".*do_normalize false \(mean 0\)/);
    await model.session('text');
  });

  it("an Immich model whose config files disagree with its catalog entry is refused with both values", async () => {
    const dir = tempDir('iris-zoo-');
    const entry = entries.get(SIGLIP2_FIXTURE_ID)!;
    fs.cpSync(path.join(FIXTURE_MODELS_DIR, SIGLIP2_FIXTURE_ID), path.join(dir, SIGLIP2_FIXTURE_ID), { recursive: true });
    // The catalog says crop with CLIP's mean; the files say squash with 0.5 (and are unchanged, so their sha256 holds).
    const wrong = { ...entry, preprocessing: { ...entry.preprocessing, image_resize: 'shortest_edge', resize_shortest_edge: 224, image_mean: [0.48145466, 0.4578275, 0.40821073] } };
    const model = new ClipModel(dir, wrong, { device: 'cpu' });
    models.push(model);
    await assert.rejects(model.session('vision'), (error: Error) => {
      assert.match(error.message, /its files do not match its catalog entry/);
      assert.match(error.message, /mean \[0\.5,0\.5,0\.5\], the catalog \[0\.48145466/);
      assert.match(error.message, /resize_mode "squash", the catalog "shortest_edge"/);
      return true;
    });
  });

  it("SentencePiece's own ids for the zoo's tokenizer kinds: Gemma's byte-fallback BPE on every corpus string, XLM-R's Unigram on all but one after Iris's cleaning", { timeout: 120_000 }, (context) => {
    const missing = pythonMissing(['sentencepiece', 'google.protobuf']);
    if (missing) {
      context.diagnostic(`not compared with SentencePiece: ${missing} (Debian: python3-sentencepiece python3-protobuf)`);
      return;
    }
    const results = compareWithSentencePiece();
    const row = (kind: string, input: string) => results.find((r) => r.kind.startsWith(kind) && r.input === input)!;
    assert.deepEqual(row('BPE', 'as typed').differing, []);
    assert.deepEqual(row('BPE', "after Iris's cleaning").differing, []);
    // The one left: a ZWJ emoji sequence, which SentencePiece's normaliser and the converted one treat differently.
    assert.ok(row('Unigram', "after Iris's cleaning").differing.length <= 1, row('Unigram', "after Iris's cleaning").differing.join(' | '));
  });
});
