import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../main/engine/engine.js';
import { VectorStore } from '../../main/engine/search/vector-store.js';
import { thumbnailPath } from '../../main/engine/library/thumbnails.js';
import { mulberry32 } from '../../main/engine/random.js';

/**
 * A library of `count` photos made without decoding any: rows written through the library store,
 * thumbnails hard-linked from a few dozen real WebPs, random unit vectors for the CLIP fixture.
 * For benchmarks of the UI at 100k photos, where indexing real files would take an hour. The
 * photo files themselves do not exist: never start a scan or watcher on it (it would forget them).
 */
/** CSS hsl() as 8-bit RGB (hue in degrees, saturation and lightness in [0, 1]). */
function hslToRgb(hue: number, saturation: number, lightness: number): [number, number, number] {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const part = (n: number) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (lightness - chroma / 2 * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [part(0), part(8), part(4)];
}

export async function syntheticLibrary(libraryDir: string, modelsDir: string, count: number, options: { modelId?: string; dim?: number; seed?: number } = {}): Promise<Engine> {
  const random = mulberry32(options.seed ?? 1);
  const engine = Engine.open({ libraryDir, modelsDir });
  const photosDir = path.join(libraryDir, '..', `${path.basename(libraryDir)}-photos`);
  fs.mkdirSync(photosDir, { recursive: true });
  const [folder] = engine.library.addFolders([photosDir]);

  const templates: string[] = [];
  for (let t = 0; t < 48; t++) {
    const file = path.join(libraryDir, 'templates', `${t}.webp`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Drawn as raw pixels: the engine's image policy (image-policy.ts) blocks sharp's SVG loader.
    const hue = (t * 47) % 360;
    const [width, height] = [256, 192];
    const background = hslToRgb(hue, 0.6, 0.35 + (t % 4) * 0.1);
    const circle = hslToRgb((hue + 180) % 360, 0.7, 0.6);
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = (x - (60 + t * 3)) ** 2 + (y - 90) ** 2 <= 40 ** 2;
        pixels.set(inside ? circle : background, (y * width + x) * 3);
      }
    }
    await sharp(pixels, { raw: { width, height, channels: 3 } }).webp({ quality: 70 }).toFile(file);
    templates.push(file);
  }

  const start = Date.UTC(2014, 0, 1);
  const span = Date.UTC(2024, 11, 31) - start;
  const insert = engine.database.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const hash = createHash('sha256').update(`synthetic-${i}`).digest('hex');
      const outcome = engine.store.recordFile({ path: path.join(photosDir, `IMG_${String(i).padStart(6, '0')}.jpg`), folderId: folder!.id, size: 1000 + i, mtimeMs: start, hash });
      if (outcome.kind !== 'added') throw new Error(`photo ${i}: ${outcome.kind}`);
      const takenAt = new Date(start + Math.floor(random() * span)).toISOString().slice(0, 19);
      const portrait = random() < 0.3;
      engine.store.saveMetadata(outcome.photoId, {
        format: 'jpeg', width: portrait ? 3000 : 4000, height: portrait ? 4000 : 3000, orientation: 1, takenAt, takenAtSource: 'exif',
        cameraMake: 'Synthetic', cameraModel: 'Synthetic One', lens: null, gps: null,
      });
      engine.store.setStatus(outcome.photoId, 'ok');
      const thumb = thumbnailPath(engine.layout.thumbnails, hash, 256);
      fs.mkdirSync(path.dirname(thumb), { recursive: true });
      fs.linkSync(templates[i % templates.length]!, thumb);
    }
  });
  for (let from = 0; from < count; from += 5000) insert(from, Math.min(count, from + 5000));
  // No thumbnail jobs: the thumbnails are there already.
  engine.database.prepare(`DELETE FROM jobs`).run();

  const dim = options.dim ?? 512;
  const vectors = VectorStore.open(engine.database, options.modelId ?? 'clip-fixture', dim);
  const ids = engine.database.prepare(`SELECT id FROM photos ORDER BY id`).pluck().all() as number[];
  const rows = function* () {
    for (const photoId of ids) {
      const embedding = new Float32Array(dim);
      for (let d = 0; d < dim; d++) embedding[d] = random() - 0.5;
      yield { photoId, embedding };
    }
  };
  vectors.putMany(rows());
  return engine;
}
