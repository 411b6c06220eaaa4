import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { type ClipPreprocessing, parseClipPreprocessing, preprocessPixels, resizedSize } from '../../main/engine/clip/preprocessing.js';
import { pilResize, sourceRegion } from '../../main/engine/clip/pil-resample.js';
import { cleanText } from '../../main/engine/clip/text-clean.js';
import { PromptTokenizer } from '../../main/engine/diffusion/prompt.js';
import type { DiffusionPreprocessing } from '../../main/engine/models/diffusion-catalog.js';
import { ClipTokenizer } from '../../main/engine/clip/tokenize.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { CHINESE_CLIP_FIXTURE_ID, CLIP_FIXTURE_ID, FIXTURE_MODELS_DIR } from '../fixtures/generate-models.js';
import { repoRoot } from '../helpers/fixtures.js';
import { CLIP_VOCAB_DIR, type ReferenceTokens, loadReferenceTokens, tokenizerJsonIds } from '../reference/measure-tokens.js';
import { UPSCALE_CASES, ZOO_CASES, pattern } from '../reference/patterns.js';
import { type PilResult, REFERENCE_DIR, diffStats, irisPixels, pythonMissing, runReference } from '../reference/reference.js';
import { TOKENIZER_CORPUS } from '../reference/tokenizer-corpus.js';

/**
 * Iris's CLIP inputs against the reference implementations (issue 15, item 4): Hugging Face's
 * CLIPImageProcessor (Pillow underneath) for images, OpenAI's CLIP tokenizer for text. Each part
 * checks the committed fixtures (the reference's recorded outputs, test/reference/fixtures) always,
 * and the reference itself too when /usr/bin/python3 has what it needs; otherwise it says why not.
 */

const prep: ClipPreprocessing = parseClipPreprocessing('clip-fixture', loadCatalog(path.join(repoRoot, 'test', 'fixtures', 'models')).models[0]!.preprocessing);
const fixture = <T>(name: string) => JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'fixtures', name), 'utf8')) as T;

/** Says, in the test output, why the live reference comparison is not run here. */
function liveReference(modules: readonly string[]): boolean {
  const missing = pythonMissing(modules);
  if (missing) console.log(`# not compared with the live python reference: ${missing} (the committed fixtures are checked instead)`);
  return !missing;
}

describe('resize size: transformers get_resize_output_image_size', () => {
  interface Sizes {
    limit: number;
    ordered_pairs_wrong: number;
    wrong: [short: number, long: number, reference: number][];
  }
  const sizes = fixture<Sizes>('resize-sizes.json');

  it('matches int(224 * long / short) for every size up to 4096×4096, where the old floor(long * (224 / short)) missed 5,718', () => {
    let oldWrong = 0;
    const wrong = new Map(sizes.wrong.map(([s, l, ref]) => [s * 8192 + l, ref]));
    for (let short = 1; short <= 4096; short++) {
      const ratio = 224 / short;
      for (let long = short; long <= 4096; long++) {
        // Exact integer quotient, no floating point: what Python's int(224 * long / short) is here.
        const reference = short === 224 ? long : (224 * long - ((224 * long) % short)) / short;
        const tall = resizedSize(short, long, 224, 224);
        const wide = resizedSize(long, short, 224, 224);
        if (tall.width !== 224 || tall.height !== reference || wide.width !== reference || wide.height !== 224) {
          assert.fail(`${short}×${long}: ${tall.width}×${tall.height} / ${wide.width}×${wide.height}, reference long side ${reference}`);
        }
        if (Math.floor(long * ratio) !== reference) {
          oldWrong += short === long ? 1 : 2;
          assert.equal(wrong.get(short * 8192 + long), reference, `${short}×${long} is in the python reference's list`);
        }
      }
    }
    assert.equal(oldWrong, sizes.ordered_pairs_wrong);
    assert.equal(oldWrong, 5718);
    assert.deepEqual(resizedSize(2154, 1077, 224, 224), { width: 448, height: 224 });
  });

  it('the python reference still gives the committed list', { timeout: 60_000 }, () => {
    if (!liveReference([])) return;
    assert.deepEqual(runReference<Sizes>('resize_sizes.py', null), sizes);
  });
});

describe('small images: enlarged as Pillow does (bicubic, a = -0.5, its pixel centres and 8-bit passes)', () => {
  const expected = fixture<Omit<PilResult, 'pixels'>[]>('pil-upscale.json');

  it('gives Pillow’s exact bytes (by sha256) on every case, 1×500 and 500×1 included', async () => {
    assert.deepEqual(
      expected.map((e) => e.name),
      UPSCALE_CASES.map((c) => c.name),
      'fixtures/pil-upscale.json is for these cases (node dist/test/reference/write-fixtures.js rewrites it)',
    );
    for (const ref of expected) {
      if (ref.mode === 'shortest_edge') assert.deepEqual(resizedSize(ref.width, ref.height, 224, 224), { width: ref.resized[0], height: ref.resized[1] });
      const ours = createHash('sha256').update(await irisPixels(ref, prep)).digest('hex');
      assert.equal(ours, ref.sha256, ref.name);
    }
  });

  it('differs by 0 from live Pillow, per channel', { timeout: 120_000 }, async () => {
    if (!liveReference(['PIL'])) return;
    for (const ref of runReference<PilResult[]>('pil_preprocess.py', UPSCALE_CASES)) {
      const stats = diffStats(await irisPixels(ref, prep), Buffer.from(ref.pixels, 'base64'));
      assert.deepEqual(stats.max, [0, 0, 0], `${ref.name}: max ${stats.max.join('/')}, mean ${stats.mean.map((m) => m.toFixed(3)).join('/')}`);
    }
  });

  it("the CLIP zoo's processors too: MobileCLIP's 256 bilinear crop, M-CLIP's 240 bicubic crop, SigLIP's squash give Pillow's exact bytes", async () => {
    const zoo = fixture<Omit<PilResult, 'pixels'>[]>('pil-zoo.json');
    assert.deepEqual(zoo.map((e) => e.name), ZOO_CASES.map((c) => c.name), 'fixtures/pil-zoo.json is for these cases');
    for (const ref of zoo) assert.equal(createHash('sha256').update(await irisPixels(ref, prep)).digest('hex'), ref.sha256, ref.name);
    if (!liveReference(['PIL'])) return;
    for (const ref of runReference<PilResult[]>('pil_preprocess.py', ZOO_CASES)) {
      assert.deepEqual(diffStats(await irisPixels(ref, prep), Buffer.from(ref.pixels, 'base64')).max, [0, 0, 0], ref.name);
    }
  });

  it('computes any window of the output as the whole resize does, from just the source region it reads', () => {
    for (const [w, h, outW, outH] of [[37, 50, 224, 302], [1, 500, 224, 112_000], [600, 100, 224, 224], [5, 7, 231, 240]] as const) {
      const source = pattern('noise', w, h);
      const windows = [{ left: Math.floor((outW - 224) / 2), top: Math.floor((outH - 224) / 2), width: Math.min(224, outW), height: Math.min(224, outH) }, { left: 0, top: 0, width: 3, height: 5 }, { left: outW - 2, top: outH - 3, width: 2, height: 3 }];
      const full = outW * outH <= 1 << 20 ? pilResize(source, 3, { width: w, height: h }, { width: outW, height: outH }, { left: 0, top: 0, width: outW, height: outH }) : undefined;
      for (const win of windows) {
        const region = sourceRegion(w, h, outW, outH, win);
        const cut = new Uint8Array(region.width * region.height * 3);
        for (let y = 0; y < region.height; y++) cut.set(source.subarray(((region.top + y) * w + region.left) * 3, ((region.top + y) * w + region.left + region.width) * 3), y * region.width * 3);
        const part = pilResize(cut, 3, { width: w, height: h }, { width: outW, height: outH }, win, region);
        assert.deepEqual(pilResize(source, 3, { width: w, height: h }, { width: outW, height: outH }, win), part, `${w}×${h} → ${outW}×${outH}, window ${JSON.stringify(win)}`);
        if (!full) continue;
        for (let y = 0; y < win.height; y++) {
          const row: Uint8Array = full.subarray(((win.top + y) * outW + win.left) * 3, ((win.top + y) * outW + win.left + win.width) * 3);
          assert.deepEqual(part.subarray(y * win.width * 3, (y + 1) * win.width * 3), row, `${w}×${h} → ${outW}×${outH}, window row ${y}`);
        }
      }
      assert.throws(() => pilResize(source.subarray(3), 3, { width: w, height: h }, { width: outW, height: outH }, windows[0]!), /source bytes/);
    }
  });

  it('keeps EXIF orientation on the enlarged path', async () => {
    const upright = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 30, height: 40, channels: 3, background: '#fff' } }, left: 0, top: 0 }])
      .png()
      .toBuffer();
    // Stored turned 90° clockwise with orientation 8 (turn 90° counter-clockwise to view): the same picture.
    const stored = await sharp(upright).rotate(90).withMetadata({ orientation: 8 }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    const a = await preprocessPixels(upright, prep);
    const b = await preprocessPixels(stored, prep);
    assert.ok(diffStats(a, b).mean.every((m) => m < 3), `mean ${diffStats(a, b).mean.join('/')}`);
  });
});

describe('transparency: flattened onto white (the reference drops alpha and shows the hidden colour)', () => {
  const PLANE = 224 * 224;
  /** A black disc on a fully transparent background whose hidden colour is `hidden`. */
  async function logo(hidden: { r: number; g: number; b: number }, noise = false): Promise<Buffer> {
    const size = 300;
    const data = Buffer.alloc(size * size * 4);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = (y * size + x) * 4;
        const inside = (x - 150) ** 2 + (y - 150) ** 2 < 80 ** 2;
        const seed = (x * 73 + y * 151) & 255;
        data[i] = inside ? 0 : noise ? seed : hidden.r;
        data[i + 1] = inside ? 0 : noise ? 255 - seed : hidden.g;
        data[i + 2] = inside ? 0 : noise ? (seed * 7) & 255 : hidden.b;
        data[i + 3] = inside ? 255 : 0;
      }
    }
    return sharp(data, { raw: { width: size, height: size, channels: 4 } }).png().toBuffer();
  }
  const spread = (pixels: Uint8Array) => pixels.reduce((max, v) => Math.max(max, v), 0) - pixels.reduce((min, v) => Math.min(min, v), 255);

  it('a black logo on a transparent background stays visible (dropping alpha would make it a black square)', async () => {
    const png = await logo({ r: 0, g: 0, b: 0 });
    const ours = await preprocessPixels(png, prep);
    const corner = ours.slice(0, 3);
    const centre = ours.slice((112 * 224 + 112) * 3, (112 * 224 + 112) * 3 + 3);
    assert.deepEqual([...corner], [255, 255, 255]);
    assert.deepEqual([...centre], [0, 0, 0]);
    // What the reference's convert('RGB') sees: no picture at all.
    const dropped = await sharp(png).removeAlpha().resize(224, 224).raw().toBuffer();
    assert.equal(spread(dropped), 0, 'dropping alpha leaves a uniform black image');
    assert.equal(PLANE * 3, ours.length);
  });

  it('two images that look the same give the same input whatever colour the transparent pixels hide', async () => {
    const black = await preprocessPixels(await logo({ r: 0, g: 0, b: 0 }), prep);
    const garbage = await preprocessPixels(await logo({ r: 0, g: 0, b: 0 }, true), prep);
    const red = await preprocessPixels(await logo({ r: 255, g: 0, b: 0 }), prep);
    assert.deepEqual(diffStats(black, garbage).max, [0, 0, 0]);
    assert.deepEqual(diffStats(black, red).max, [0, 0, 0]);
  });

  it('an opaque image with an alpha channel gives exactly what the reference gives (alpha is not touched)', async () => {
    const rgb = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
    const rgba = await sharp(rgb).ensureAlpha(1).png().toBuffer();
    assert.deepEqual(diffStats(await preprocessPixels(rgb, prep), await preprocessPixels(rgba, prep)).max, [0, 0, 0]);
  });
});

describe('text: cleaned as OpenAI’s CLIP tokenizer cleans it, then the model’s tokenizer.json', () => {
  const reference = loadReferenceTokens();
  /** Where Iris's cleaning and ftfy's part ways, and why. */
  const WHY_DIFFERENT: Record<string, string> = {
    'voilÃ  le travail': "ftfy's restore_byte_a0 (mojibake whose no-break space became a space) is not ported",
    'Å\u00a0koda Octavia': 'Škoda as mojibake: Iris repairs it, ftfy leaves it',
    'Ã…lesund': 'Ålesund as mojibake: Iris repairs it, ftfy leaves it',
  };
  const KNOWN_DIFFERENT = Object.keys(WHY_DIFFERENT);
  const knownCount = TOKENIZER_CORPUS.filter((t) => KNOWN_DIFFERENT.includes(t)).length;

  function engineIds(tokenizer: ClipTokenizer, text: string): number[] {
    const { inputIds, attentionMask } = tokenizer.batch([text]);
    return [...inputIds].filter((_, i) => attentionMask[i] === 1n).map(Number);
  }

  it('the committed reference is for this corpus, over the real vocabulary', () => {
    assert.deepEqual(
      reference.map((r) => r.text),
      TOKENIZER_CORPUS,
      'fixtures/clip-tokens.json is for tokenizer-corpus.ts (node dist/test/reference/write-fixtures.js rewrites it)',
    );
    assert.deepEqual(reference[0]!.ids, [49406, 320, 1125, 539, 320, 2368, 49407], 'shared/clip-tokenizer README: "a photo of a cat"');
  });

  it(`gives OpenAI's token ids on ${TOKENIZER_CORPUS.length - knownCount} of the ${TOKENIZER_CORPUS.length} corpus strings (the tokenizer.json alone: 80)`, () => {
    const tokenizer = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, CLIP_FIXTURE_ID), prep);
    assert.equal(tokenizer.cleaning, 'openai');
    const different = reference.filter((r) => JSON.stringify(engineIds(tokenizer, r.text)) !== JSON.stringify(r.ids)).map((r) => r.text);
    assert.deepEqual([...new Set(different)].sort(), [...KNOWN_DIFFERENT].sort());
    // The corpus is one that needs the cleaning: without it, much of it tokenizes differently.
    const raw = tokenizerJsonIds();
    assert.equal(reference.filter((r: ReferenceTokens) => JSON.stringify(raw(r.text)) === JSON.stringify(r.ids)).length, 80);
  });

  it('the live python reference (real ftfy) still gives the committed ids', { timeout: 60_000 }, () => {
    if (!liveReference(['ftfy', 'regex'])) return;
    assert.deepEqual(runReference<ReferenceTokens[]>('clip_tokenize.py', TOKENIZER_CORPUS, [CLIP_VOCAB_DIR]), reference);
  });

  it('cleans what people type and paste', () => {
    assert.equal(cleanText('don’t'), "don't");
    assert.equal(cleanText('“golden hour”'), '"golden hour"');
    assert.equal(cleanText('fish &amp;amp; chips'), 'fish & chips');
    assert.equal(cleanText('ＣＬＩＰ　ｐｈｏｔｏ！'), 'CLIP photo!');
    assert.equal(cleanText('ﬂower ﬁeld'), 'flower field');
    assert.equal(cleanText('donâ€™t cafÃ© 🐶'), "don't café 🐶");
    assert.equal(cleanText('  a\t\nb\u00a0c  '), 'a b c');
    assert.equal(cleanText('wait… ½ ™'), 'wait… ½ ™', 'not full NFKC: CLIP’s training text kept these');
    assert.equal(cleanText('×° naïve café'), '×° naïve café', 'text that only looks like mojibake is kept');
    assert.equal(cleanText('un café\u00a0» chaud'), 'un café » chaud', 'é, no-break space, » is valid UTF-8 as bytes, but not mojibake');
  });

  it('Stable Diffusion prompts (its CLIP text encoder) are cleaned the same way', () => {
    const sd = loadCatalog(FIXTURE_MODELS_DIR).models.find((m) => m.id === 'sd15-fixture')!;
    const config = (sd.preprocessing as { tokenizer: DiffusionPreprocessing['tokenizer'] }).tokenizer;
    const prompts = PromptTokenizer.load(path.join(FIXTURE_MODELS_DIR, sd.id), config);
    for (const r of reference.filter((ref) => !KNOWN_DIFFERENT.includes(ref.text))) {
      const { ids } = prompts.encode(r.text);
      assert.deepEqual(ids.slice(0, r.ids.length), r.ids, r.text);
    }
  });

  it('Chinese-CLIP (WordPiece): repairs what was typed or pasted, keeps Chinese punctuation as typed', () => {
    const chinesePrep = parseClipPreprocessing(CHINESE_CLIP_FIXTURE_ID, loadCatalog(FIXTURE_MODELS_DIR).models.find((m) => m.id === CHINESE_CLIP_FIXTURE_ID)!.preprocessing);
    const tokenizer = ClipTokenizer.load(path.join(FIXTURE_MODELS_DIR, CHINESE_CLIP_FIXTURE_ID), chinesePrep);
    assert.equal(tokenizer.cleaning, 'wordpiece');
    assert.equal(cleanText('一张“蓝色”的照片，海边！', 'wordpiece'), '一张“蓝色”的照片，海边！');
    assert.equal(cleanText('ＲＥＤ　１２ &amp; ﬁsh', 'wordpiece'), 'RED 12 & fish');
    assert.deepEqual(tokenizer.ids('ＲＥＤ'), tokenizer.ids('red'));
    assert.deepEqual(tokenizer.ids('红色&amp;'), tokenizer.ids('红色&'));
  });
});
