import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { COLOURS } from '../fixtures/clip-fixture.js';
import { repoRoot } from './fixtures.js';

/** The fixture models folder (catalog + clip-fixture, made by `npm run fixtures`). */
export const fixtureModels = path.join(repoRoot, 'test', 'fixtures', 'models');

/** A photo mostly of `main`, with a smaller block of `accent` so no two photos are alike in bytes. */
export async function dominantPhoto(file: string, main: readonly number[], accent: readonly number[], format: 'jpeg' | 'png' | 'webp' = 'jpeg'): Promise<string> {
  const rgb = (c: readonly number[]) => ({ r: Math.round(c[0]! * 255), g: Math.round(c[1]! * 255), b: Math.round(c[2]! * 255) });
  const block = await sharp({ create: { width: 40, height: 30, channels: 3, background: rgb(accent) } }).png().toBuffer();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 160, height: 120, channels: 3, background: rgb(main) } })
    .composite([{ input: block, left: 110, top: 80 }])
    .toFormat(format)
    .toFile(file);
  return file;
}

/**
 * `perColour` JPEGs of every fixture colour (`<colour>-<n>.jpg`), dated one month apart per colour
 * (red newest) so a timeline has several months. Returns the files.
 */
export async function colourPhotos(dir: string, perColour = 2): Promise<string[]> {
  const files: string[] = [];
  for (const [k, colour] of COLOURS.entries()) {
    for (let n = 1; n <= perColour; n++) {
      const accent = COLOURS[(k + n) % COLOURS.length]!.rgb;
      const file = await dominantPhoto(path.join(dir, `${colour.name}-${n}.jpg`), colour.rgb, accent);
      const when = new Date(2024, 11 - k, 10 + n, 12);
      fs.utimesSync(file, when, when);
      files.push(file);
    }
  }
  return files;
}

export const colourOf = (file: string) => path.basename(file).split('-')[0];
