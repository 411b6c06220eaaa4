import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import type { PreparedImage } from '../../main/engine/ask/types.js';
import { UsageError } from '../../main/engine/errors.js';
import { CAPTION_DETAILS, Captioner } from '../../main/engine/generation/captioner.js';
import { LocalChatProvider, templateMessages } from '../../main/engine/generation/local-chat.js';
import { decodePhoto, toRawImage } from '../../main/engine/generation/photo-image.js';
import { loadCatalog, type ModelEntry } from '../../main/engine/models/catalog.js';
import { ModelCorruptError } from '../../main/engine/models/verified.js';
import { SessionError } from '../../main/engine/runtime/session.js';
import { BLIP_FIXTURE_ID, CAPTION_FIXTURE_ID, LLAVA_FIXTURE_ID, QWEN2VL_FIXTURE_ID, VIT_GPT2_FIXTURE_ID, VQA_FIXTURE_ID } from '../fixtures/generate-models.js';
import { blipCaption } from '../fixtures/vlm/blip-fixture.js';
import { florenceBriefCaption, florenceDetailedCaption, florenceOcrText } from '../fixtures/vlm/florence2-fixture.js';
import { qwen2vlAnswer } from '../fixtures/vlm/qwen2vl-fixture.js';
import { smolvlmAnswer } from '../fixtures/vlm/smolvlm-fixture.js';
import { vitGpt2Caption } from '../fixtures/vlm/vit-gpt2-fixture.js';
import { fixtureModels } from '../helpers/colour-photos.js';
import { makePhoto, repoRoot, runIris, samplePhotosDir, sha256, tempDir } from '../helpers/fixtures.js';

// The real generation path (transformers.js on onnxruntime-node, our streaming, stop tokens,
// cancellation) through fixture models whose answers are checkable: they name the photo's colour.

const entry = (id: string) => {
  const model = loadCatalog(fixtureModels).models.find((m) => m.id === id);
  assert.ok(model, `fixture catalog has ${id} (run npm run fixtures)`);
  return model;
};

async function solid(rgb: [number, number, number], width = 40, height = 30): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .jpeg()
    .toBuffer();
}

async function prepared(rgb: [number, number, number]): Promise<PreparedImage> {
  const data = await solid(rgb);
  return { data, mime: 'image/jpeg', width: 40, height: 30 };
}

describe('local captioner (Florence-2 layout)', () => {
  let captioner: Captioner;
  before(async () => {
    captioner = await Captioner.load(fixtureModels, entry(CAPTION_FIXTURE_ID), { device: 'cpu' });
  });
  after(() => captioner.release());

  test('a brief caption names the dominant colour; detailed uses the <DETAILED_CAPTION> task', async () => {
    const red = await captioner.caption(await decodePhoto(await solid([220, 30, 20]), 256), 'brief');
    assert.equal(red.text, florenceBriefCaption('red'));
    assert.equal(red.finish, 'stop');
    const blue = await captioner.caption(await decodePhoto(await solid([20, 40, 230]), 256), 'detailed');
    assert.equal(blue.text, florenceDetailedCaption('blue'));
  });

  test('a real camera photo with an EXIF orientation decodes upright and gets a caption', async () => {
    const file = path.join(samplePhotosDir, 'Landscape_6.jpg');
    const pixels = await decodePhoto(file, 256);
    const upright = await decodePhoto(path.join(samplePhotosDir, 'Landscape_1.jpg'), 256);
    assert.deepEqual([pixels.width, pixels.height], [upright.width, upright.height]);
    const result = await captioner.caption(pixels, 'brief');
    assert.match(result.text, /^A photo of \w+\.$/);
  });

  test('max tokens cuts the caption and says so', async () => {
    const result = await captioner.caption(await decodePhoto(await solid([220, 30, 20]), 256), 'brief', { decoding: { maxTokens: 3 } });
    assert.equal(result.finish, 'length');
    // <s> is forced first (a special token, not shown), then "A", " photo".
    assert.equal(result.text, 'A photo');
  });

  test('reads the text in a photo with the <OCR> task, streaming, on the same loaded model as captions', async () => {
    const red = await decodePhoto(await solid([220, 30, 20]), 256);
    const pieces: string[] = [];
    const read = await captioner.readText(red, { onToken: (piece) => pieces.push(piece) });
    // Two tokens: <s> (forced first, not shown) and "RED".
    assert.deepEqual([read.text, read.finish, read.tokens], [florenceOcrText('red'), 'stop', 2]);
    assert.deepEqual(pieces, [florenceOcrText('red')]);
    assert.ok(read.firstTokenMs !== null && read.firstTokenMs <= read.totalMs);
    // The task is chosen per call: a caption after it is a caption again.
    assert.equal((await captioner.caption(red, 'brief')).text, florenceBriefCaption('red'));
    assert.equal((await captioner.readText(await decodePhoto(await solid([250, 250, 250]), 256))).text, florenceOcrText('white'));
  });

  test('reading text cancels and stops at the token limit as captions do', async () => {
    const green = await decodePhoto(await solid([20, 200, 40]), 256);
    const controller = new AbortController();
    const cancelled = await captioner.readText(green, { signal: controller.signal, onToken: () => controller.abort() });
    assert.deepEqual([cancelled.text, cancelled.finish], [florenceOcrText('green'), 'cancelled']);
    const already = await captioner.readText(green, { signal: AbortSignal.abort() });
    assert.deepEqual([already.text, already.finish, already.tokens], ['', 'cancelled', 0]);
    // One token is only the forced <s>: the limit ends it before the text.
    const cut = await captioner.readText(green, { decoding: { maxTokens: 1 } });
    assert.deepEqual([cut.text, cut.finish, cut.tokens], ['', 'length', 1]);
  });

  test('a model whose catalog entry declares no OCR task cannot read text', async () => {
    const florence = entry(CAPTION_FIXTURE_ID);
    assert.equal(Captioner.ocrTask(florence), '<OCR>');
    const prep = florence.preprocessing as { caption_tasks: Record<string, string> };
    const withoutOcr = { ...florence, preprocessing: { ...prep, caption_tasks: { brief: '<CAPTION>', detailed: '<DETAILED_CAPTION>' } } };
    // A vision-encoder-decoder (ViT-GPT2) has no task prompts at all; its refusal is tested with the real fixture below.
    assert.throws(() => Captioner.ocrTask(withoutOcr), (error: unknown) => error instanceof UsageError && /cannot read text/.test(error.message));
    // The loaded model refuses too (before any generation), and still captions.
    const noOcr = await Captioner.load(fixtureModels, withoutOcr, { device: 'cpu' });
    try {
      const red = await decodePhoto(await solid([220, 30, 20]), 256);
      await assert.rejects(noOcr.readText(red), (error: unknown) => error instanceof UsageError && /florence2-fixture cannot read text/.test(error.message));
      assert.equal((await noOcr.caption(red, 'brief')).text, florenceBriefCaption('red'));
    } finally {
      await noOcr.release();
    }
  });
});

describe("local captioner (BLIP: Iris's own generate loop, cross-attention, cache, BLIP's prompt)", () => {
  let captioner: Captioner;
  const photo = async (rgb: [number, number, number]) => decodePhoto(await solid(rgb), captioner.imageLongEdge);
  before(async () => {
    captioner = await Captioner.load(fixtureModels, entry(BLIP_FIXTURE_ID), { device: 'cpu' });
  });
  after(() => captioner.release());

  test('captions what follows "a picture of", streamed token by token; both details give the one caption it has', async () => {
    const pieces: string[] = [];
    const red = await captioner.caption(await photo([220, 30, 20]), 'brief', { onToken: (piece) => pieces.push(piece) });
    assert.deepEqual([red.text, red.finish, red.tokens], [blipCaption('red'), 'stop', 3], 'the prompt is not part of the caption; [SEP] ends it, not counted');
    assert.deepEqual(pieces, ['a', ' red', ' square']);
    assert.ok(red.firstTokenMs !== null && red.firstTokenMs <= red.totalMs);
    const blue = await photo([20, 40, 230]);
    for (const detail of CAPTION_DETAILS) assert.equal((await captioner.caption(blue, detail)).text, blipCaption('blue'), detail);
  });

  test('the prompt convention matters: without "picture" in the prompt the fixture says nothing useful', async () => {
    const base = entry(BLIP_FIXTURE_ID);
    const prep = base.preprocessing as { blip: Record<string, unknown> };
    const other = await Captioner.load(fixtureModels, { ...base, preprocessing: { ...base.preprocessing, blip: { ...prep.blip, prompt: 'a photo of' } } }, { device: 'cpu' });
    try {
      const caption = await other.caption(await photo([220, 30, 20]), 'brief');
      assert.notEqual(caption.text, blipCaption('red'));
    } finally {
      await other.release();
    }
  });

  test('max tokens, stop strings, sampling and cancel', async () => {
    const green = await photo([20, 200, 40]);
    const cut = await captioner.caption(green, 'brief', { decoding: { maxTokens: 2 } });
    assert.deepEqual([cut.text, cut.finish, cut.tokens], ['a green', 'length', 2]);
    const stopped = await captioner.caption(green, 'brief', { decoding: { stop: [' square'] } });
    assert.deepEqual([stopped.text, stopped.finish], ['a green', 'stop']);
    // The fixture puts all the probability on one token, so sampling gives the same caption.
    assert.equal((await captioner.caption(green, 'brief', { decoding: { temperature: 0.7, topP: 0.9 } })).text, blipCaption('green'));
    const controller = new AbortController();
    const cancelled = await captioner.caption(green, 'brief', { signal: controller.signal, onToken: () => controller.abort() });
    assert.deepEqual([cancelled.text, cancelled.finish], ['a', 'cancelled']);
    assert.equal((await captioner.caption(green, 'brief')).text, blipCaption('green'), 'usable after a cancel');
  });

  test('it cannot read text, and says so before generating', async () => {
    await assert.rejects(captioner.readText(await photo([220, 30, 20])), (error: unknown) => error instanceof UsageError && /cannot read text in photos/.test(error.message));
  });
});

describe('local captioner (ViT-GPT2 layout: a vision-encoder-decoder without task prompts)', () => {
  let captioner: Captioner;
  const photo = async (rgb: [number, number, number]) => decodePhoto(await solid(rgb), captioner.imageLongEdge);
  before(async () => {
    captioner = await Captioner.load(fixtureModels, entry(VIT_GPT2_FIXTURE_ID), { device: 'cpu' });
  });
  after(() => captioner.release());

  test('captions a red and a blue photo, streaming each token in order; both details give the one caption it has', async () => {
    const pieces: string[] = [];
    const red = await captioner.caption(await photo([220, 30, 20]), 'brief', { onToken: (piece) => pieces.push(piece) });
    // Decoding starts from <|endoftext|> (the prompt, not counted), and the same token ends it (not counted either).
    assert.deepEqual([red.text, red.finish, red.tokens], [vitGpt2Caption('red'), 'stop', 4]);
    assert.deepEqual(pieces, ['a', ' photo', ' of', ' red']);
    assert.ok(red.firstTokenMs !== null && red.firstTokenMs <= red.totalMs);
    const blue = await photo([20, 40, 230]);
    for (const detail of CAPTION_DETAILS) assert.equal((await captioner.caption(blue, detail)).text, vitGpt2Caption('blue'), detail);
  });

  test('max tokens cuts the caption and says so', async () => {
    const cut = await captioner.caption(await photo([220, 30, 20]), 'brief', { decoding: { maxTokens: 2 } });
    assert.deepEqual([cut.text, cut.finish, cut.tokens], ['a photo', 'length', 2]);
  });

  test('cancel ends the caption after the current token with what was said so far', async () => {
    const green = await photo([20, 200, 40]);
    const controller = new AbortController();
    const pieces: string[] = [];
    const cancelled = await captioner.caption(green, 'brief', {
      signal: controller.signal,
      onToken: (piece) => {
        pieces.push(piece);
        controller.abort();
      },
    });
    assert.deepEqual([cancelled.text, cancelled.finish, pieces], ['a', 'cancelled', ['a']]);
    const already = await captioner.caption(green, 'brief', { signal: AbortSignal.abort() });
    assert.deepEqual([already.text, already.finish, already.tokens], ['', 'cancelled', 0]);
    assert.equal((await captioner.caption(green, 'brief')).text, vitGpt2Caption('green'), 'the model is usable after a cancel');
  });

  test('it cannot read text: Captioner.ocrTask, readText and `iris read-text` refuse it, before any generation', async () => {
    const vitGpt2 = entry(VIT_GPT2_FIXTURE_ID);
    const refusal = (error: unknown) => error instanceof UsageError && new RegExp(`model ${VIT_GPT2_FIXTURE_ID} cannot read text in photos`).test(error.message);
    assert.throws(() => Captioner.ocrTask(vitGpt2), refusal);
    await assert.rejects(captioner.readText(await photo([220, 30, 20])), refusal);
    const library = tempDir('iris-gen-vitgpt2-lib-');
    const red = await makePhoto(path.join(tempDir('iris-gen-vitgpt2-photos-'), 'red.jpg'), { color: [220, 30, 20] });
    const cli = (...args: string[]) => runIris([...args, '--library', library, '--models', fixtureModels]);
    assert.equal(cli('index', path.dirname(red)).code, 0);
    const read = cli('read-text', red, '--model', VIT_GPT2_FIXTURE_ID);
    assert.equal(read.code, 2, read.stderr);
    assert.match(read.stderr, new RegExp(`model ${VIT_GPT2_FIXTURE_ID} cannot read text in photos`));
    // The same model captions through the CLI (the real path: catalog, sha256, transformers.js, onnxruntime).
    const caption = cli('caption', red, '--model', VIT_GPT2_FIXTURE_ID, '--json');
    assert.equal(caption.code, 0, caption.stderr);
    const summary = JSON.parse(caption.stdout) as { model: string; captions: { caption: { text: string; model: string } }[] };
    assert.deepEqual([summary.model, summary.captions[0]!.caption.text, summary.captions[0]!.caption.model], [VIT_GPT2_FIXTURE_ID, vitGpt2Caption('red'), VIT_GPT2_FIXTURE_ID]);
  });

  test("its preprocessor_config.json and tokenizer_config.json are the real model's files, byte for byte", () => {
    const real = loadCatalog(path.join(repoRoot, 'models')).models.find((m) => m.id === 'vit-gpt2-image-captioning');
    assert.ok(real, 'the bundled catalog has vit-gpt2-image-captioning');
    for (const file of ['preprocessor_config.json', 'tokenizer_config.json']) {
      assert.equal(sha256(path.join(fixtureModels, VIT_GPT2_FIXTURE_ID, file)), real.files.find((f) => f.path === file)?.sha256, file);
    }
  });

  test('the fixture decoder only answers when the KV cache is carried from step to step, as transformers.js does', async () => {
    const file = 'onnx/decoder_model_merged_quantized.onnx';
    const decoder = await InferenceSession.create(path.join(fixtureModels, VIT_GPT2_FIXTURE_ID, file));
    const pastNames = decoder.inputNames.filter((name) => name.startsWith('past_key_values.'));
    const width = Number(entry(VIT_GPT2_FIXTURE_ID).io[file]!.inputs.find((t) => t.name === 'past_key_values.0.key')!.shape[3]);
    const encoder = await InferenceSession.create(path.join(fixtureModels, VIT_GPT2_FIXTURE_ID, 'onnx/encoder_model_quantized.onnx'));
    // A red image, normalised as the ViT processor does ((x - 0.5) / 0.5): red 1, green and blue -1.
    const pixels = new Float32Array(3 * 224 * 224).fill(-1).fill(1, 0, 224 * 224);
    const { last_hidden_state: states } = await encoder.run({ pixel_values: new Tensor('float32', pixels, [1, 3, 224, 224]) });
    const empty = () => Object.fromEntries(pastNames.map((name) => [name, new Tensor('float32', new Float32Array(0), [1, 1, 0, width])]));
    const step = async (token: number, past: Record<string, Tensor>, useCache: boolean) => {
      const out = await decoder.run({ input_ids: new Tensor('int64', [BigInt(token)], [1, 1]), encoder_hidden_states: states!, ...past, use_cache_branch: new Tensor('bool', [useCache], [1]) });
      const logits = out.logits!.data as Float32Array;
      const present = Object.fromEntries(pastNames.map((name) => [name, out[name.replace('past_key_values', 'present')]!]));
      return { next: logits.indexOf(Math.max(...logits)), present };
    };
    const end = 0;
    const first = await step(end, empty(), false);
    assert.notEqual(first.next, end, 'the first step answers');
    assert.notEqual((await step(first.next, first.present, true)).next, end, 'with the cache carried, the caption goes on');
    assert.equal((await step(first.next, empty(), false)).next, end, 'without the cache, it ends');
    assert.equal((await step(first.next, first.present, false)).next, end, 'use_cache_branch false with a cache: it ends');
    assert.equal((await step(end, empty(), true)).next, end, 'use_cache_branch true without a cache: it ends');
  });
});

describe('local vision-language model (SmolVLM layout)', () => {
  let vlm: LocalChatProvider;
  before(async () => {
    vlm = await LocalChatProvider.load(fixtureModels, entry(VQA_FIXTURE_ID), { device: 'cpu' });
  });
  after(() => vlm.close());

  test('answers a colour question, streaming pieces in order that add up to the answer', async () => {
    const pieces: string[] = [];
    const answer = await vlm.answer({ image: await prepared([20, 200, 40]), history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0 }, onToken: (p) => pieces.push(p) });
    assert.equal(answer.text, smolvlmAnswer('green'));
    assert.equal(answer.finish, 'stop');
    assert.equal(answer.model, VQA_FIXTURE_ID);
    assert.ok(pieces.length >= 3, `streamed ${pieces.length} pieces`);
    assert.equal(pieces.join(''), answer.text);
    assert.equal(answer.tokens, 4, 'It / is / green / . (the end-of-utterance token not counted)');
    assert.ok(answer.firstTokenMs !== null && answer.firstTokenMs <= answer.totalMs);
  });

  test('each turn sees the history', async () => {
    const image = await prepared([230, 220, 30]);
    const first = await vlm.answer({ image, history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0 } });
    assert.equal(first.text, smolvlmAnswer('yellow'));
    const second = await vlm.answer({
      image,
      history: [
        { role: 'user', text: 'What colour is it?' },
        { role: 'assistant', text: first.text },
      ],
      question: 'What colour is it really?',
      decoding: { maxTokens: 32, temperature: 0 },
    });
    assert.equal(second.text, smolvlmAnswer('yellow', { history: true }));
  });

  test('a Chinese question gets a Chinese answer, streamed without broken characters', async () => {
    const pieces: string[] = [];
    const answer = await vlm.answer({ image: await prepared([220, 30, 20]), history: [], question: '这是什么颜色？', decoding: { maxTokens: 32, temperature: 0 }, onToken: (p) => pieces.push(p) });
    assert.equal(answer.text, smolvlmAnswer('red', { chinese: true }));
    assert.ok(pieces.every((p) => !p.includes('\uFFFD')), `pieces: ${JSON.stringify(pieces)}`);
    assert.ok(answer.tokens > pieces.length, 'some tokens ended inside a character and waited for the next one');
    assert.equal(pieces.join(''), answer.text);
  });

  test('a question about something else gets the fallback answer', async () => {
    const answer = await vlm.answer({ image: await prepared([220, 30, 20]), history: [], question: 'Is it nice?', decoding: { maxTokens: 32, temperature: 0 } });
    assert.equal(answer.text, smolvlmAnswer('red', { aboutColour: false }));
  });

  test('max tokens, stop strings and sampling', async () => {
    const image = await prepared([20, 40, 230]);
    const short = await vlm.answer({ image, history: [], question: 'What colour is it?', decoding: { maxTokens: 2, temperature: 0 } });
    assert.deepEqual([short.text, short.finish, short.tokens], ['It is', 'length', 2]);
    const stopped = await vlm.answer({ image, history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0, stop: [' blue'] } });
    assert.deepEqual([stopped.text, stopped.finish], ['It is', 'stop']);
    // The fixture puts all the probability on one token, so sampling must give the same answer.
    const sampled = await vlm.answer({ image, history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0.7, topP: 0.9 } });
    assert.equal(sampled.text, smolvlmAnswer('blue'));
  });

  test('cancel ends the answer after the current token with what was said so far', async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const answer = await vlm.answer({
      image: await prepared([20, 200, 40]),
      history: [],
      question: 'What colour is it?',
      decoding: { maxTokens: 32, temperature: 0 },
      signal: controller.signal,
      onToken: (p) => {
        pieces.push(p);
        controller.abort();
      },
    });
    assert.equal(answer.finish, 'cancelled');
    assert.equal(answer.text, 'It');
    assert.deepEqual(pieces, ['It']);
    const already = await vlm.answer({ image: await prepared([20, 200, 40]), history: [], question: 'What colour?', decoding: { maxTokens: 32, temperature: 0 }, signal: AbortSignal.abort() });
    assert.deepEqual([already.text, already.finish, already.tokens], ['', 'cancelled', 0]);
  });
});

describe('local vision-language model (LLaVA-OneVision layout: the image token repeated once per feature)', () => {
  let vlm: LocalChatProvider;
  before(async () => {
    vlm = await LocalChatProvider.load(fixtureModels, entry(LLAVA_FIXTURE_ID), { device: 'cpu' });
  });
  after(() => vlm.close());

  test('answers a colour question, streamed, in English and Chinese, across turns', async () => {
    const pieces: string[] = [];
    const image = await prepared([230, 220, 30]);
    const first = await vlm.answer({ image, history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0 }, onToken: (p) => pieces.push(p) });
    assert.deepEqual([first.text, first.finish, first.tokens, first.model], [smolvlmAnswer('yellow'), 'stop', 4, LLAVA_FIXTURE_ID]);
    assert.equal(pieces.join(''), first.text);
    const second = await vlm.answer({
      image,
      history: [
        { role: 'user', text: 'What colour is it?' },
        { role: 'assistant', text: first.text },
      ],
      question: 'What colour, really?',
      decoding: { maxTokens: 32, temperature: 0 },
    });
    assert.equal(second.text, smolvlmAnswer('yellow', { history: true }));
    const chinese = await vlm.answer({ image: await prepared([20, 40, 230]), history: [], question: '这是什么颜色？', decoding: { maxTokens: 32, temperature: 0 } });
    assert.equal(chinese.text, smolvlmAnswer('blue', { chinese: true }));
  });

  test('runs the vision encoder once per answer: its features are reused for the prompt it sized', async () => {
    const model = vlm.loaded.model as unknown as { encode_image: (inputs: unknown) => Promise<unknown> };
    const original = model.encode_image;
    let runs = 0;
    model.encode_image = function (this: unknown, inputs: unknown) {
      runs++;
      return original.call(this, inputs);
    };
    try {
      const answer = await vlm.answer({ image: await prepared([220, 30, 20]), history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0 } });
      assert.equal(answer.text, smolvlmAnswer('red'));
      assert.equal(runs, 1);
    } finally {
      model.encode_image = original;
    }
  });
});

describe('local vision-language model (Qwen2-VL layout: dynamic resolution, M-RoPE positions, external data)', () => {
  let vlm: LocalChatProvider;
  const ask = (rgb: [number, number, number], question: string, extra: Partial<Parameters<LocalChatProvider['answer']>[0]> = {}) =>
    prepared(rgb).then((image) => vlm.answer({ image, history: [], question, decoding: { maxTokens: 32, temperature: 0 }, ...extra }));
  before(async () => {
    // LocalChatProvider.load checks every file's sha256 (the .onnx_data included) before transformers.js opens anything.
    vlm = await LocalChatProvider.load(fixtureModels, entry(QWEN2VL_FIXTURE_ID), { device: 'cpu' });
  });
  after(() => vlm.close());

  test('answers what colour a red and a blue photo are, streaming the pieces in order', async () => {
    const pieces: string[] = [];
    const red = await ask([220, 30, 20], 'What colour is it?', { onToken: (p) => pieces.push(p) });
    assert.deepEqual([red.text, red.finish, red.tokens, red.model], [qwen2vlAnswer('red'), 'stop', 4, QWEN2VL_FIXTURE_ID]);
    assert.deepEqual(pieces, ['It', ' is', ' red', '.']);
    assert.ok(red.firstTokenMs !== null && red.firstTokenMs <= red.totalMs);
    assert.equal((await ask([20, 40, 230], 'What color is this photo?')).text, qwen2vlAnswer('blue'));
    assert.equal((await ask([220, 30, 20], 'Is it nice?')).text, qwen2vlAnswer('red', { aboutColour: false }));
  });

  test('each turn sees the history', async () => {
    const image = await prepared([230, 220, 30]);
    const first = await vlm.answer({ image, history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0 } });
    assert.equal(first.text, qwen2vlAnswer('yellow'));
    const history = [
      { role: 'user' as const, text: 'What colour is it?' },
      { role: 'assistant' as const, text: first.text },
    ];
    const second = await vlm.answer({ image, history, question: 'What colour is it really?', decoding: { maxTokens: 32, temperature: 0 } });
    assert.equal(second.text, qwen2vlAnswer('yellow', { history: true }));
  });

  test('max tokens and cancel end the answer where they should', async () => {
    const short = await ask([20, 40, 230], 'What colour is it?', { decoding: { maxTokens: 2, temperature: 0 } });
    assert.deepEqual([short.text, short.finish, short.tokens], ['It is', 'length', 2]);
    const controller = new AbortController();
    const pieces: string[] = [];
    const cancelled = await ask([20, 200, 40], 'What colour is it?', {
      signal: controller.signal,
      onToken: (p) => {
        pieces.push(p);
        controller.abort();
      },
    });
    assert.deepEqual([cancelled.text, cancelled.finish, pieces], ['It', 'cancelled', ['It']]);
    const already = await ask([20, 200, 40], 'What colour is it?', { signal: AbortSignal.abort() });
    assert.deepEqual([already.text, already.finish, already.tokens], ['', 'cancelled', 0]);
    assert.equal((await ask([20, 200, 40], 'What colour is it?')).text, qwen2vlAnswer('green'), 'the model is usable after a cancel');
  });

  test('the processor cuts the photo into 14x14x2 patches on a grid, and the fixture decoder only answers with M-RoPE positions', async () => {
    const { processor, model, transformers, chatTemplate } = vlm.loaded;
    const prompt = processor.apply_chat_template(templateMessages([], 'What colour is it?') as never, { add_generation_prompt: true, chat_template: chatTemplate }) as string;
    assert.match(prompt, /^<\|im_start\|>system\nYou are a helpful assistant\.<\|im_end\|>\n<\|im_start\|>user\n<\|vision_start\|><\|image_pad\|><\|vision_end\|>What colour is it\?<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    // 40x30 is below min_pixels (3136): smart_resize scales it to 84x56, a 6x4 patch grid, 2x3 merged tokens.
    const pixels = await decodePhoto(await solid([220, 30, 20]), vlm.loaded.prep.image_long_edge);
    type T = { data: ArrayLike<number | bigint>; dims: number[]; tolist(): unknown };
    const inputs = (await processor(prompt, [toRawImage(transformers, pixels)])) as unknown as Record<'input_ids' | 'attention_mask' | 'pixel_values' | 'image_grid_thw', T>;
    assert.deepEqual(inputs.pixel_values.dims, [24, 1176]);
    assert.deepEqual(inputs.image_grid_thw.tolist(), [[1n, 4n, 6n]]);
    const ids = Array.from(inputs.input_ids.data, Number);
    const imagePad = vlm.loaded.tokenizer.convert_tokens_to_ids('<|image_pad|>') as number;
    assert.equal(ids.filter((id) => id === imagePad).length, 6, 'one <|image_pad|> per merged 2x2 patch');
    const rope = (model as unknown as { get_rope_index(...args: unknown[]): [T, T] }).get_rope_index(inputs.input_ids, inputs.image_grid_thw, null, inputs.attention_mask);
    const positions = Array.from(rope[0].data, Number);
    const length = ids.length;
    const start = ids.indexOf(imagePad);
    const axis = (a: number) => positions.slice(a * length, (a + 1) * length);
    assert.deepEqual([0, 1, 2].map((a) => axis(a).slice(start, start + 6).map((p) => p - start)), [[0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]]);

    // The three graphs run by hand, as transformers.js runs them: embed, vision, merge, decoder.
    const dir = path.join(fixtureModels, QWEN2VL_FIXTURE_ID, 'onnx');
    const [embed, vision, decoder] = await Promise.all(['embed_tokens', 'vision_encoder', 'decoder_model_merged'].map((name) => InferenceSession.create(path.join(dir, `${name}.onnx`))));
    const int64 = (values: readonly (number | bigint)[], dims: number[]) => new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
    const { inputs_embeds: embeds } = await embed!.run({ input_ids: int64(ids, [1, length]) });
    const { image_features: features } = await vision!.run({
      pixel_values: new Tensor('float32', Float32Array.from(inputs.pixel_values.data as Float32Array), inputs.pixel_values.dims),
      grid_thw: int64([1, 4, 6], [1, 3]),
    });
    const width = embeds!.dims[2]!;
    const merged = Float32Array.from(embeds!.data as Float32Array);
    merged.set(features!.data as Float32Array, start * width);
    const cacheWidth = Number(entry(QWEN2VL_FIXTURE_ID).io['onnx/decoder_model_merged.onnx']!.inputs.find((t) => t.name === 'past_key_values.0.key')!.shape[3]);
    const empty = new Tensor('float32', new Float32Array(0), [1, 1, 0, cacheWidth]);
    const next = async (positionIds: number[]) => {
      const out = await decoder!.run({
        inputs_embeds: new Tensor('float32', merged, [1, length, width]),
        attention_mask: int64(new Array(length).fill(1), [1, length]),
        position_ids: int64(positionIds, [3, 1, length]),
        'past_key_values.0.key': empty,
        'past_key_values.0.value': empty,
      });
      const logits = out.logits!.data as Float32Array;
      return logits.indexOf(Math.max(...logits));
    };
    const it = vlm.loaded.tokenizer.encode('It', { add_special_tokens: false })[0];
    const end = vlm.loaded.tokenizer.convert_tokens_to_ids('<|im_end|>') as number;
    assert.equal(await next(positions), it, 'with M-RoPE positions the answer starts');
    const sequential = Array.from({ length: 3 * length }, (_, i) => i % length);
    assert.equal(await next(sequential), end, '1-D positions: the answer is empty');
    assert.equal(await next(positions.map((p, i) => (i % length === length - 1 ? p + 3 : p))), end, 'a newest position that does not continue: the answer is empty');
  });

  test('the decoder reads its weights from the .onnx_data beside it, which is sha256-checked like every file', async () => {
    const qwen = entry(QWEN2VL_FIXTURE_ID);
    assert.ok(qwen.files.some((f) => f.path === 'onnx/decoder_model_merged.onnx_data'));
    const dir = tempDir('iris-gen-qwen-');
    fs.cpSync(path.join(fixtureModels, QWEN2VL_FIXTURE_ID), path.join(dir, QWEN2VL_FIXTURE_ID), { recursive: true });
    const data = path.join(dir, QWEN2VL_FIXTURE_ID, 'onnx', 'decoder_model_merged.onnx_data');
    const bytes = fs.readFileSync(data);
    bytes.writeUInt8(bytes.readUInt8(0) ^ 0xff, 0);
    fs.writeFileSync(data, bytes);
    await assert.rejects(LocalChatProvider.load(dir, qwen, { device: 'cpu' }), (error: unknown) => error instanceof ModelCorruptError && /decoder_model_merged\.onnx_data is wrong hash/.test(error.message));
  });

  test("the catalog, not config.json, says which graphs have external data", async () => {
    // Qwen2-VL's newer config.json turns external data on (for its fp16/fp32 graphs). A config that asks for
    // it everywhere must not make transformers.js look for embed_tokens.onnx_data, which neither the
    // catalog nor the folder has (in 4.3.1 that lookup fails as an unhandled rejection).
    const dir = tempDir('iris-gen-qwen-config-');
    fs.cpSync(path.join(fixtureModels, QWEN2VL_FIXTURE_ID), path.join(dir, QWEN2VL_FIXTURE_ID), { recursive: true });
    const configFile = path.join(dir, QWEN2VL_FIXTURE_ID, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    const bytes = Buffer.from(JSON.stringify({ ...config, 'transformers.js_config': { use_external_data_format: true } }));
    fs.writeFileSync(configFile, bytes);
    const base = entry(QWEN2VL_FIXTURE_ID);
    const files = base.files.map((f) => (f.path === 'config.json' ? { ...f, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } : f));
    const other = await LocalChatProvider.load(dir, { ...base, files }, { device: 'cpu' });
    try {
      const answer = await other.answer({ image: await prepared([220, 30, 20]), history: [], question: 'What colour is it?', decoding: { maxTokens: 32, temperature: 0 } });
      assert.equal(answer.text, qwen2vlAnswer('red'));
    } finally {
      await other.close();
    }
  });

  test('has the layout of the bundled qwen2-vl-2b-instruct entry', () => {
    const real = loadCatalog(path.join(repoRoot, 'models')).models.find((m) => m.id === 'qwen2-vl-2b-instruct');
    assert.ok(real, 'the bundled catalog has qwen2-vl-2b-instruct');
    const fixture = entry(QWEN2VL_FIXTURE_ID);
    const prep = (m: ModelEntry) => m.preprocessing as { architecture: string; sessions: Record<string, string>; stop_tokens: string[] };
    assert.deepEqual([prep(fixture).architecture, Object.keys(prep(fixture).sessions).sort(), prep(fixture).stop_tokens], [prep(real).architecture, Object.keys(prep(real).sessions).sort(), prep(real).stop_tokens]);
    const plainFiles = (m: ModelEntry) => m.files.map((f) => f.path).filter((p) => !p.startsWith('onnx/')).sort();
    assert.deepEqual(plainFiles(fixture), plainFiles(real));
    const vision = (m: ModelEntry) => Object.entries(m.io).find(([file]) => file.startsWith('onnx/vision_encoder'))![1];
    const names = (specs: { name: string }[]) => specs.map((t) => t.name);
    assert.deepEqual([names(vision(fixture).inputs), names(vision(fixture).outputs)], [names(vision(real).inputs), names(vision(real).outputs)]);
  });
});

describe('loading', () => {
  test('a damaged model file is caught by sha256 before anything is loaded', async () => {
    const dir = tempDir('iris-gen-');
    fs.cpSync(fixtureModels, dir, { recursive: true });
    const damage = (model: ModelEntry, file: string) => {
      const target = path.join(dir, model.id, ...file.split('/'));
      const bytes = fs.readFileSync(target);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
      fs.writeFileSync(target, bytes);
    };
    damage(entry(CAPTION_FIXTURE_ID), 'onnx/decoder_model_merged.onnx');
    await assert.rejects(Captioner.load(dir, entry(CAPTION_FIXTURE_ID), { device: 'cpu' }), (error: unknown) => error instanceof ModelCorruptError && /decoder_model_merged\.onnx is wrong hash/.test(error.message));
    // The ViT-GPT2 layout's 8-bit file names are the ones checked (and the ones transformers.js then loads).
    damage(entry(VIT_GPT2_FIXTURE_ID), 'onnx/encoder_model_quantized.onnx');
    await assert.rejects(Captioner.load(dir, entry(VIT_GPT2_FIXTURE_ID), { device: 'cpu' }), (error: unknown) => error instanceof ModelCorruptError && /encoder_model_quantized\.onnx is wrong hash/.test(error.message));
  });

  test('an unavailable device falls back to cpu with a warning, or fails when strict', async () => {
    const fallback = await Captioner.load(fixtureModels, entry(CAPTION_FIXTURE_ID), { device: 'coreml' });
    try {
      assert.equal(fallback.model.provider, 'cpu');
      assert.match(fallback.model.warning ?? '', /device coreml could not be used/);
      assert.deepEqual(fallback.model.report.attempts.map((a) => [a.provider, a.ok]), [['coreml', false], ['cpu', true]]);
    } finally {
      await fallback.release();
    }
    await assert.rejects(Captioner.load(fixtureModels, entry(CAPTION_FIXTURE_ID), { device: 'coreml', strict: true }), SessionError);
  });

  test('a captioner refuses a question-answering model and vice versa', async () => {
    await assert.rejects(Captioner.load(fixtureModels, entry(VQA_FIXTURE_ID)), /not a captioner/);
    await assert.rejects(LocalChatProvider.load(fixtureModels, entry(CAPTION_FIXTURE_ID)), /not a vision-language model/);
  });
});
