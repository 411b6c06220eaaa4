/**
 * Prints how far Iris's preprocessed pixels are from Pillow's (the CLIPImageProcessor reference)
 * on the small-image cases: now, and with the sharp/libvips enlargement Iris used before.
 * Run: node dist/test/reference/measure-upscale.js (needs /usr/bin/python3 with Pillow).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { parseClipPreprocessing } from '../../main/engine/clip/preprocessing.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { repoRoot, samplePhotosDir } from '../helpers/fixtures.js';
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
  // Real photos shrunk to small sizes (a thumbnail, an icon), as lossless PNGs both sides read.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-upscale-'));
  const photos: ImageCase[] = [];
  for (const [name, width, height] of [['Landscape_1.jpg', 100, 75], ['Portrait_1.jpg', 60, 80], ['2569067123_aca715a2ee_o.jpg', 200, 150]] as const) {
    const file = path.join(dir, `${width}x${height}-${name}.png`);
    await sharp(path.join(samplePhotosDir, name)).autoOrient().resize(width, height, { fit: 'fill' }).removeAlpha().png().toFile(file);
    photos.push({ name: `photo ${name} at ${width}×${height}`, pattern: 'noise', width, height, mode: 'shortest_edge', file });
  }
  // Larger photos, shrunk by sharp (shrink-on-load, unchanged by this work): how far that path is.
  for (const name of ['Landscape_1.jpg', 'Portrait_1.jpg', '2569067123_aca715a2ee_o.jpg']) {
    const file = path.join(dir, `full-${name}.png`);
    const info = await sharp(path.join(samplePhotosDir, name)).autoOrient().removeAlpha().png().toFile(file);
    photos.push({ name: `photo ${name} at ${info.width}×${info.height} (shrunk: sharp path)`, pattern: 'noise', width: info.width, height: info.height, mode: 'shortest_edge', file });
  }
  // The JPEGs themselves (no EXIF rotation in these): adds libjpeg's decode and sharp's shrink-on-load.
  for (const name of ['Landscape_1.jpg', 'Portrait_1.jpg', '2569067123_aca715a2ee_o.jpg']) {
    const file = path.join(samplePhotosDir, name);
    const { width, height } = await sharp(file).metadata();
    photos.push({ name: `JPEG ${name} at ${width}×${height} (shrink-on-load: sharp path)`, pattern: 'noise', width, height, mode: 'shortest_edge', file });
  }
  const pil = runReference<PilResult[]>('pil_preprocess.py', [...UPSCALE_CASES, ...photos]);
  console.log('| image | before (sharp cubic) vs Pillow, R/G/B | now vs Pillow, R/G/B |');
  console.log('| --- | --- | --- |');
  for (const ref of pil) {
    const expected = Buffer.from(ref.pixels, 'base64');
    console.log(`| ${ref.name} | ${fmt(diffStats(await sharpPixels(ref), expected))} | ${fmt(diffStats(await irisPixels(ref, prep), expected))} |`);
  }
}
