import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { EDIT_DEFAULTS, type EditParams } from '../../main/engine/edits/edit-params.js';
import { a1111Parameters, withEditParameters, withPngText } from '../../main/engine/edits/png-parameters.js';

/** The settings an edit writes into its PNG, read back with sharp (libspng: it checks every chunk's CRC). */

const base: EditParams = {
  ...EDIT_DEFAULTS,
  mode: 'img2img',
  model: 'sd15-onnx',
  controlnet: null,
  seed: 1234,
  prompt: 'a red car at dusk',
  negative: 'blurry',
  width: 512,
  height: 344,
};

async function textChunks(png: Buffer): Promise<Record<string, string>> {
  const { comments = [] } = await sharp(png).metadata();
  return Object.fromEntries(comments.map(({ keyword, text }) => [keyword, text]));
}

describe('PNG parameters', () => {
  it("writes AUTOMATIC1111's layout: prompt, negative prompt, then the settings line with the mode's own", () => {
    assert.equal(
      a1111Parameters(base),
      'a red car at dusk\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 1234, Size: 512x344, Model: sd15-onnx, Denoising strength: 0.75, Mode: img2img, Version: Iris',
    );
    const canny = a1111Parameters({ ...base, mode: 'canny', controlnet: 'controlnet-canny-fp16', negative: '', scheduler: 'euler-a' });
    assert.equal(canny.split('\n').length, 2, 'no negative prompt line when there is none');
    assert.match(canny, /Sampler: Euler a, /);
    assert.match(canny, /ControlNet 0: "Module: canny, Model: controlnet-canny-fp16, Weight: 1, Threshold A: 100, Threshold B: 200"/);
    assert.doesNotMatch(canny, /Denoising strength/);
    assert.match(a1111Parameters({ ...base, mode: 'instruct' }), /Image CFG scale: 1.5, Mode: instruct/);
  });

  it('puts the text chunks into a PNG that still decodes to the same pixels; UTF-8 prompts survive', async () => {
    const png = await sharp({ create: { width: 16, height: 8, channels: 3, background: { r: 200, g: 30, b: 10 } } }).png().toBuffer();
    const params = { ...base, prompt: '把天空变成紫色', negative: 'naïve' };
    const tagged = withEditParameters(png, params);
    const chunks = await textChunks(tagged);
    assert.equal(chunks.parameters, a1111Parameters(params));
    assert.deepEqual(JSON.parse(chunks.iris!), params);
    const pixels = async (file: Buffer) => (await sharp(file).raw().toBuffer()).toString('hex');
    assert.equal(await pixels(tagged), await pixels(png));
    assert.throws(() => withPngText(Buffer.from('not a png at all, not even close'), [['a', 'b']]), /not a PNG/);
    assert.throws(() => withPngText(png, [['', 'b']]), /keyword/);
  });
});
