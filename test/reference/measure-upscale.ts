/**
 * Prints how far Iris's preprocessed pixels are from Pillow's (the CLIPImageProcessor reference)
 * on the small-image cases: now, and with the sharp/libvips enlargement Iris used before.
 * Run: node dist/test/reference/measure-upscale.js (needs /usr/bin/python3 with Pillow).
 */
import path from 'node:path';
import sharp from 'sharp';
import { parseClipPreprocessing } from '../../main/engine/clip/preprocessing.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { repoRoot } from '../helpers/fixtures.js';
import { type ImageCase, UPSCALE_CASES } from './patterns.js';
import { type DiffStats, type PilResult, casePng, diffStats, irisPixels, pythonMissing, runReference } from './reference.js';

/** The old path: sharp's cubic to floor(long · (224 / short)), then the centre crop. */
async function sharpPixels(c: ImageCase): Promise<Uint8Array> {
  const scale = 224 / Math.min(c.width, c.height);
  const size = c.mode === 'exact' ? { width: 224, height: 224 } : { width: Math.max(224, Math.floor(c.width * scale)), height: Math.max(224, Math.floor(c.height * scale)) };
  const data = await sharp(await casePng(c)).resize({ ...size, fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
  const out = new Uint8Array(224 * 224 * 3);
  const left = Math.floor((size.width - 224) / 2);
  const top = Math.floor((size.height - 224) / 2);
  for (let y = 0; y < 224; y++) out.set(data.subarray(((top + y) * size.width + left) * 3, ((top + y) * size.width + left + 224) * 3), y * 224 * 3);
  return out;
}

const fmt = (s: DiffStats) => `max ${s.max.join('/')}, mean ${s.mean.map((m) => m.toFixed(2)).join('/')}`;

const missing = pythonMissing(['PIL']);
if (missing) {
  console.log(`cannot measure: ${missing}`);
} else {
  const prep = parseClipPreprocessing('clip-fixture', loadCatalog(path.join(repoRoot, 'test', 'fixtures', 'models')).models[0]!.preprocessing);
  const pil = runReference<PilResult[]>('pil_preprocess.py', UPSCALE_CASES);
  console.log('| image | before (sharp cubic) vs Pillow, R/G/B | now vs Pillow, R/G/B |');
  console.log('| --- | --- | --- |');
  for (const ref of pil) {
    const expected = Buffer.from(ref.pixels, 'base64');
    console.log(`| ${ref.name} | ${fmt(diffStats(await sharpPixels(ref), expected))} | ${fmt(diffStats(await irisPixels(ref, prep), expected))} |`);
  }
}
