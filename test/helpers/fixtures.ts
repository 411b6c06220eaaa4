import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** Repository root (tests run from dist/test/..., sources live in test/...). */
export const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

export const cliPath = path.join(repoRoot, 'dist', 'main', 'cli', 'iris.js');

/** The shared real-world corpus (read-only: copy before use). */
export const samplePhotosDir = path.resolve(repoRoot, '..', 'shared', 'sample-photos');

export function tempDir(prefix = 'iris-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export type Rgb = readonly [number, number, number];

/**
 * Writes a photo of one colour with a little noise (so every call gives distinct bytes when `seed`
 * differs), optionally with EXIF fields.
 */
export async function makePhoto(
  file: string,
  options: { color?: Rgb; width?: number; height?: number; seed?: number; format?: 'jpeg' | 'png' | 'webp'; exif?: Record<string, Record<string, string>> } = {},
): Promise<string> {
  const { color = [200, 30, 30], width = 64, height = 48, seed = 0, format = 'jpeg' } = options;
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed * 2654435761 + 1;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    const channel = color[i % 3]!;
    pixels[i] = Math.max(0, Math.min(255, channel + ((state >>> 16) % 9) - 4));
  }
  let image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (options.exif) image = image.withExif(options.exif);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await image.toFormat(format).toFile(file);
  return file;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `iris` CLI as a real process. */
export function runIris(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function runIrisAsync(args: readonly string[]) {
  return spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Mean absolute difference of two images' pixels after scaling both to 32×32 RGB (0..255). */
export async function imageDistance(a: string | Buffer, b: string | Buffer): Promise<number> {
  const load = (input: string | Buffer) => sharp(input).resize(32, 32, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  const [pa, pb] = await Promise.all([load(a), load(b)]);
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i]! - pb[i]!);
  return sum / pa.length;
}
