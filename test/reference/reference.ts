import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { type ClipPreprocessing, preprocessPixels } from '../../main/engine/clip/preprocessing.js';
import { repoRoot } from '../helpers/fixtures.js';
import { type ImageCase, pattern } from './patterns.js';

/**
 * Runs the python reference scripts of this folder with Debian's python (/usr/bin/python3, not a
 * pyenv shim), when it has the modules they need. The fidelity tests compare with them live when
 * they can, and with the committed fixtures (their recorded outputs) always.
 */
export const PYTHON = '/usr/bin/python3';
export const REFERENCE_DIR = path.join(repoRoot, 'test', 'reference');

/** Why the reference cannot run here (a missing python or module), or undefined when it can. */
export function pythonMissing(modules: readonly string[]): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} is not there (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} lacks ${modules.join(', ')}: ${probe.stderr.trim().split('\n').at(-1)}`;
  return undefined;
}

/** Runs test/reference/<script> with `input` as JSON on stdin; its stdout parsed as JSON. */
export function runReference<T>(script: string, input: unknown, args: readonly string[] = []): T {
  const run = spawnSync(PYTHON, [path.join(REFERENCE_DIR, script), ...args], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`${script} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

export interface PilResult extends ImageCase {
  resized: [number, number];
  sha256: string;
  /** base64 of the size×size RGB crop */
  pixels: string;
}

/** The case's synthetic image as a lossless PNG, as a photo file would reach preprocessImage. */
export async function casePng(c: ImageCase): Promise<Buffer> {
  if (c.file) return fs.promises.readFile(c.file);
  return sharp(pattern(c.pattern, c.width, c.height), { raw: { width: c.width, height: c.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** What Iris feeds the model for the case: the crop's RGB bytes. */
export async function irisPixels(c: ImageCase, prep: ClipPreprocessing): Promise<Uint8Array> {
  const size = c.size ?? prep.crop_size;
  const sized = c.size ? { image_size: size, crop_size: size, resize_shortest_edge: size } : { resize_shortest_edge: prep.resize_shortest_edge ?? prep.crop_size };
  return preprocessPixels(await casePng(c), { ...prep, ...sized, image_resize: c.mode, resample: c.resample ?? prep.resample });
}

export interface DiffStats {
  /** per channel R, G, B */
  max: [number, number, number];
  mean: [number, number, number];
  /** share of bytes that differ at all */
  differing: number;
}

export function diffStats(a: Uint8Array, b: Uint8Array): DiffStats {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  const max: [number, number, number] = [0, 0, 0];
  const sum = [0, 0, 0];
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    const c = i % 3;
    if (d > max[c]!) max[c] = d;
    sum[c]! += d;
    if (d) differing++;
  }
  const n = a.length / 3;
  return { max, mean: [sum[0]! / n, sum[1]! / n, sum[2]! / n], differing: differing / a.length };
}
