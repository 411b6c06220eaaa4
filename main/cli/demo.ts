// `npm run demo`: the Quick start. Indexes the shared sample photos (or, without them, a few
// generated ones) into a fresh temporary library with the real CLI, then lists what it found.
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
  process.stdout.write(`\n$ iris ${args.join(' ')}\n# ${title}\n`);
  return runCli(args);
};

await step('index every photo (broken files and decompression bombs are reported, not fatal)', ['index', photos, '--library', library]);
await step('what the library holds now', ['list', '--library', library]);
process.stdout.write(`\nlibrary: ${library} (temporary; the photos in ${photos} were only read)\n`);
