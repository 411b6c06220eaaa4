/**
 * The CLIP zoo's image preprocessing against its reference, with numbers: for each family in the
 * catalog (models/catalog.json), Iris's crop against Pillow's (what open_clip's and transformers'
 * processors run: Image.resize with the family's resample, then the centre crop, or the squash to
 * size×size), and Iris's normalised floats against (x / 255 - mean) / std computed in float64.
 *
 *   node dist/test/reference/measure-zoo.js      (needs /usr/bin/python3 with Pillow)
 *
 * Prints a Markdown table for test/reference/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { parseClipPreprocessing, preprocessImage, preprocessPixels, type ClipPreprocessing } from '../../main/engine/clip/preprocessing.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { repoRoot, samplePhotosDir } from '../helpers/fixtures.js';
import { type ImageCase } from './patterns.js';
import { type PilResult, casePng, diffStats, pythonMissing, runReference } from './reference.js';

const FAMILIES = ['clip-vit-b32', 'siglip2-vit-b16', 'mobileclip-s2', 'xlm-roberta-large-vit-b16plus'] as const;

/** Enlarged (short side under the crop), shrunk, very wide, and real photos as lossless PNGs. */
async function cases(dir: string): Promise<{ group: string; cases: ImageCase[] }[]> {
  const photos: ImageCase[] = [];
  for (const name of ['Landscape_1.jpg', 'Portrait_1.jpg', '2569067123_aca715a2ee_o.jpg']) {
    const file = path.join(dir, `${name}.png`);
    const info = await sharp(path.join(samplePhotosDir, name)).autoOrient().removeAlpha().png().toFile(file);
    photos.push({ name, pattern: 'noise', width: info.width, height: info.height, mode: 'shortest_edge', file });
  }
  const synthetic = (list: [ImageCase['pattern'], number, number][]): ImageCase[] => list.map(([p, width, height]) => ({ name: `${p} ${width}×${height}`, pattern: p, width, height, mode: 'shortest_edge' }));
  return [
    { group: 'enlarged (short side under the crop)', cases: synthetic([['noise', 37, 50], ['checker', 150, 97], ['gradient', 120, 160], ['noise', 600, 100]]) },
    { group: 'shrunk (synthetic, 2-4×)', cases: synthetic([['noise', 640, 480], ['checker', 900, 700], ['gradient', 500, 1000]]) },
    { group: 'photos (lossless, 600×450 to 2725×2225)', cases: photos },
  ];
}

function asCase(c: ImageCase, prep: ClipPreprocessing): ImageCase {
  if (prep.resample === 'nearest') throw new Error('the reference script has no nearest filter');
  return { ...c, mode: prep.image_resize ?? 'shortest_edge', size: prep.crop_size, resample: prep.resample };
}

/** Largest |Iris − (x/255 − mean)/std| over the crop, the reference computed in float64 from Iris's own bytes. */
async function normaliseError(png: Buffer, prep: ClipPreprocessing): Promise<number> {
  const floats = await preprocessImage(png, prep);
  const bytes = await preprocessPixels(png, prep);
  const plane = prep.crop_size * prep.crop_size;
  let worst = 0;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const reference = (bytes[i * 3 + c]! * prep.rescale_factor - prep.image_mean[c]!) / prep.image_std[c]!;
      worst = Math.max(worst, Math.abs(floats[c * plane + i]! - reference));
    }
  }
  return worst;
}

const missing = pythonMissing(['PIL']);
if (missing) {
  console.log(`cannot measure: ${missing}`);
} else {
  const catalog = loadCatalog(path.join(repoRoot, 'models'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-zoo-ref-'));
  const groups = await cases(dir);
  console.log('| model | resize | group | max \\|Δ\\| per channel (0-255) | mean \\|Δ\\| | bytes differing | normalise max \\|Δ\\| |');
  console.log('|---|---|---|---|---|---|---|');
  for (const id of FAMILIES) {
    const entry = catalog.models.find((model) => model.id === id)!;
    const prep = parseClipPreprocessing(id, entry.preprocessing);
    const resize = `${prep.image_resize === 'exact' ? 'squash' : 'shortest side + crop'} ${prep.crop_size}, ${prep.resample}`;
    for (const { group, cases: list } of groups) {
      const reference = runReference<PilResult[]>('pil_preprocess.py', list.map((c) => asCase(c, prep)));
      const max = [0, 0, 0];
      const mean = [0, 0, 0];
      let differing = 0;
      let normalise = 0;
      for (const [i, c] of list.entries()) {
        const png = await casePng(c);
        const ours = await preprocessPixels(png, prep);
        const stats = diffStats(ours, Buffer.from(reference[i]!.pixels, 'base64'));
        stats.max.forEach((m, k) => (max[k] = Math.max(max[k]!, m)));
        stats.mean.forEach((m, k) => (mean[k]! += m / list.length));
        differing += stats.differing / list.length;
        normalise = Math.max(normalise, await normaliseError(png, prep));
      }
      console.log(`| ${id} | ${resize} | ${group} | ${max.join('/')} | ${mean.map((m) => m.toFixed(2)).join('/')} | ${(differing * 100).toFixed(1)}% | ${normalise.toExponential(1)} |`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
