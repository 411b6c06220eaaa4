import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { type ClipPreprocessing, parseClipPreprocessing, preprocessImage } from '../../main/engine/clip/preprocessing.js';
import { PhotoReadError } from '../../main/engine/decode-errors.js';
import { imageToPixelValues } from '../helpers/clip.js';
import { repoRoot, samplePhotosDir, tempDir } from '../helpers/fixtures.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';

/** OpenAI CLIP's constants, as the fixture catalog (a copy of the real export's) gives them. */
const prep: ClipPreprocessing = parseClipPreprocessing('clip-fixture', loadCatalog(path.join(repoRoot, 'test', 'fixtures', 'models')).models[0]!.preprocessing);
const PLANE = 224 * 224;
const sample = (name: string) => path.join(samplePhotosDir, name);

function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The 0..255 value a normalised channel value stands for. */
const byteOf = (value: number, channel: number) => (value * prep.image_std[channel]! + prep.image_mean[channel]!) * 255;

describe('CLIP preprocessing (sharp, shrink-on-load)', () => {
  it('makes [3, 224, 224] close to the full-decode CLIPImageProcessor recipe', async () => {
    for (const name of ['Landscape_1.jpg', 'Portrait_1.jpg', '2569067123_aca715a2ee_o.jpg']) {
      const fast = await preprocessImage(sample(name), prep);
      assert.equal(fast.length, 3 * PLANE);
      // The reference decodes every pixel (a lossless PNG of the full decode: no shrink-on-load),
      // then resizes with explicit sizes and crops, as transformers does.
      const full = await sharp(sample(name)).autoOrient().png({ compressionLevel: 0 }).toBuffer();
      const reference = await imageToPixelValues(full, prep);
      // Normalised units: 0.04 is about 2.7/255 of a pixel value on average.
      assert.ok(meanAbsDiff(fast, reference) < 0.04, `${name}: ${meanAbsDiff(fast, reference)}`);
    }
  });

  it('applies the EXIF orientation: all eight orientations of one photo give the same input', async () => {
    const upright = await preprocessImage(sample('Landscape_1.jpg'), prep);
    for (let orientation = 2; orientation <= 8; orientation++) {
      const turned = await preprocessImage(sample(`Landscape_${orientation}.jpg`), prep);
      // Each file is its own JPEG encoding of the rotated pixels, so a little noise remains.
      assert.ok(meanAbsDiff(upright, turned) < 0.08, `orientation ${orientation}: ${meanAbsDiff(upright, turned)}`);
    }
    // And the check can fail: the same photo without rotation is far off.
    const raw = await imageToPixelValues(sample('Landscape_6.jpg'), prep);
    assert.ok(meanAbsDiff(upright, raw) > 0.2);
  });

  it('flattens transparency onto white', async () => {
    const file = path.join(tempDir(), 'clear.png');
    // Fully transparent pixels whose colour is black: dropping alpha would show black.
    await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toFile(file);
    const pixels = await preprocessImage(file, prep);
    for (const channel of [0, 1, 2]) assert.ok(Math.abs(byteOf(pixels[channel * PLANE + 1000]!, channel) - 255) < 1);
  });

  it('reads CMYK JPEGs and 16-bit PNGs as 8-bit sRGB', async () => {
    const cmyk = await preprocessImage(sample('Channel_digital_image_CMYK_color.jpg'), prep);
    assert.ok(cmyk.every(Number.isFinite));
    // The Dutch flag: red over white over blue.
    const flag = await preprocessImage(sample('Flag_of_the_Netherlands-16bit.png'), prep);
    const at = (row: number, channel: number) => byteOf(flag[channel * PLANE + row * 224 + 112]!, channel);
    assert.ok(at(20, 0) > 150 && at(20, 2) < 100, 'top stripe is red');
    assert.ok(at(112, 0) > 230 && at(112, 1) > 230 && at(112, 2) > 230, 'middle stripe is white');
    assert.ok(at(200, 2) > 100 && at(200, 0) < 80, 'bottom stripe is blue');
  });

  it('turns broken files and bombs into PhotoReadError', async () => {
    await assert.rejects(preprocessImage(sample('truncated.jpg'), prep), PhotoReadError);
    await assert.rejects(preprocessImage(sample('corrupt-header.jpg'), prep), PhotoReadError);
    await assert.rejects(preprocessImage(sample('giant-image.jpg'), prep), /pixel limit/);
  });

  it('names the bad field of a catalog preprocessing block', () => {
    assert.throws(() => parseClipPreprocessing('m', { ...prep, image_mean: [0.5, 0.5] }), /model m: catalog preprocessing\.image_mean/);
  });
});
