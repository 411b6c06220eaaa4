// `npm run demo`: the Quick start. Indexes the shared sample photos (or, without them, a few
// generated ones) into a fresh temporary library with the real CLI, lists what it found, and
// searches it. The search runs on the real CLIP model when it is installed (`iris models install
// clip-vit-b32`); otherwise on the test fixture CLIP (made by `npm run fixtures`, which the demo
// script runs first), a real ONNX model that only knows colours, and the demo says so.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { runCli } from './program.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function generatedPhotos(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-demo-photos-'));
  const colours: Record<string, string> = { red: '#d22', green: '#2a2', blue: '#22d', yellow: '#ee2', black: '#111', white: '#eee' };
  for (const [name, colour] of Object.entries(colours)) {
    await sharp({ create: { width: 640, height: 480, channels: 3, background: colour } }).jpeg().toFile(path.join(dir, `${name}.jpg`));
  }
  return dir;
}

const shared = path.resolve(repoRoot, '..', 'shared', 'sample-photos');
const photos = process.argv[2] ?? (fs.existsSync(shared) ? shared : await generatedPhotos());
const library = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-demo-library-'));

const step = async (title: string, args: string[]) => {
  process.stdout.write(`\n$ iris ${args.map((arg) => (/\s/.test(arg) ? JSON.stringify(arg) : arg)).join(' ')}\n# ${title}\n`);
  return runCli(args);
};

const installedModels = path.join(repoRoot, 'models');
const realModel = fs.existsSync(path.join(installedModels, 'clip-vit-b32', 'onnx', 'vision_model.onnx'));
const models = realModel ? installedModels : path.join(repoRoot, 'test', 'fixtures', 'models');
if (!realModel) {
  process.stdout.write(
    '# The CLIP model is not installed (`iris models install clip-vit-b32` downloads it, ~600 MB), so this demo\n' +
      '# searches with the test fixture CLIP: a real ONNX model whose embeddings encode only the dominant colour.\n',
  );
}
const withModels = ['--library', library, '--models', models];

await step('index every photo (broken files and decompression bombs are reported, not fatal)', ['index', photos, ...withModels]);
await step('what the library holds now', ['list', '--library', library]);
await step('find photos from a sentence', ['search', realModel ? 'a photo of flowers' : 'something red', '--limit', '5', ...withModels]);
process.stdout.write(`\nlibrary: ${library} (temporary; the photos in ${photos} were only read)\n`);
