/**
 * XMP sidecars on a rescan (a benchmark, not a test): `npm run bench:sidecars -- [--sizes 2000,10000]`.
 *
 * The hostile case for sidecar reading: every photo and its `photo.jpg.xmp` in ONE folder, so any
 * per-sidecar pass over the folder (its listing, its locations) turns quadratic. For each size, the
 * same photos are indexed twice, once with sidecars and once without, in the same run; then a rescan
 * with nothing changed is timed (median of 3) in both, and one after 1 % of the sidecars changed
 * (another app rating photos). The ratio to the no-sidecar rescan is what to watch: it must not
 * grow with the folder. No peer app runs here (digiKam and Lightroom are not installable).
 *
 * Prints a markdown table and replaces the "XMP sidecars on a rescan" section of BENCHMARKS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Engine } from '../../main/engine/index.js';
import { benchLogger, commandLine, machineBasics, markdownTable, median, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';

const log = benchLogger('sidecar-bench');
const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { sizes: { type: 'string', default: '2000,10000' }, 'no-write': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map((size) => positiveInt('sizes', size.trim(), 200_000));

const sidecar = (rating: number) =>
  `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="${rating}"/></rdf:RDF></x:xmpmeta>`;

/** `count` distinct tiny JPEGs in one folder (a comment segment makes each one's bytes its own), with a sidecar each or none. */
async function makeFolder(dir: string, count: number, withSidecars: boolean): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 200, g: 30, b: 30 } } }).jpeg().toBuffer();
  for (let i = 0; i < count; i++) {
    const name = `IMG_${String(i).padStart(6, '0')}.jpg`;
    const comment = Buffer.from(String(i).padStart(8, '0'));
    fs.writeFileSync(path.join(dir, name), Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment, jpeg.subarray(2)]));
    if (withSidecars) fs.writeFileSync(path.join(dir, `${name}.xmp`), sidecar(i % 6));
  }
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** Indexes the folder into a fresh library, then times rescans; `touch` changes some sidecars before the last one. */
async function measure(dir: string, touch?: () => void): Promise<{ index: number; rescan: number; afterChange: number | null; rated: number }> {
  const library = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-sidecar-bench-lib-'));
  const engine = Engine.open({ libraryDir: library, modelsDir: path.join(library, 'no-models') });
  try {
    const [folder] = engine.library.addFolders([dir]);
    const index = await seconds(async () => {
      await engine.library.scan([folder!]);
      await engine.runJobs();
    });
    const rescans: number[] = [];
    for (let run = 0; run < 3; run++) rescans.push(await seconds(() => engine.library.scan([folder!])));
    let afterChange: number | null = null;
    if (touch) {
      touch();
      afterChange = await seconds(() => engine.library.scan([folder!]));
    }
    const rated = engine.database.prepare(`SELECT count(*) FROM photo_marks WHERE rating > 0`).pluck().get() as number;
    return { index, rescan: median(rescans), afterChange, rated };
  } finally {
    await engine.close();
    fs.rmSync(library, { recursive: true, force: true });
  }
}

const rows: string[][] = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-sidecar-bench-'));
try {
  for (const size of sizes) {
    const bare = path.join(work, `bare-${size}`);
    const withXmp = path.join(work, `xmp-${size}`);
    await makeFolder(bare, size, false);
    await makeFolder(withXmp, size, true);
    const without = await measure(bare);
    const changed = Math.max(1, Math.round(size / 100));
    const later = new Date(Date.now() + 60_000);
    const withSidecars = await measure(withXmp, () => {
      for (let i = 0; i < changed; i++) {
        const file = path.join(withXmp, `IMG_${String(i).padStart(6, '0')}.jpg.xmp`);
        fs.writeFileSync(file, sidecar(5));
        fs.utimesSync(file, later, later);
      }
    });
    const expectedRated = Array.from({ length: size }, (_, i) => (i < changed ? 5 : i % 6)).filter((rating) => rating > 0).length;
    if (withSidecars.rated !== expectedRated) throw new Error(`${size}: ${withSidecars.rated} photos rated after the rescan, expected ${expectedRated}: a changed sidecar was missed`);
    const n = size.toLocaleString('en');
    rows.push(
      [`${n} photos, no sidecars: rescan, nothing changed`, `${without.rescan.toFixed(2)} s`, `baseline, same run (first index ${without.index.toFixed(1)} s)`],
      [`${n} photos + ${n} sidecars: rescan, nothing changed`, `${withSidecars.rescan.toFixed(2)} s`, `${(withSidecars.rescan / without.rescan).toFixed(1)}× the baseline (first index ${withSidecars.index.toFixed(1)} s)`],
      [`${n} photos + ${n} sidecars: rescan after ${changed} sidecars changed`, `${withSidecars.afterChange!.toFixed(2)} s`, `every changed rating taken in (${withSidecars.rated} rated photos, as expected)`],
    );
    log(rows.slice(-3).map((row) => row.join(' | ')).join('\n'));
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

const section = [
  '<!-- bench:sidecars:start -->',
  '## XMP sidecars on a rescan',
  '',
  'Made by `test/bench/sidecar-bench.ts`. The hostile case: every photo and its `photo.jpg.xmp` in one folder, so that any pass over the folder per sidecar turns quadratic. The same photos without sidecars are the baseline, in the same run; no peer app can run here. Before the fixes of 2026-12-08 (a stat and one lookup per unchanged sidecar; one listing per folder, not per photo read), a rescan of 2,000 such photos took 10.5 s (0.14 s after), and a first index of 10,000 photos without sidecars took 107.9 s (about 40 s after, as before Iris read XMP at all: 36–43 s in the same runs), on this machine. The first index is mostly thumbnails of the tiny photos; what grows is what matters.',
  '',
  ...provenance(machineBasics(), new Date().toISOString().slice(0, 10), commandLine('bench:sidecars', 'dist/test/bench/sidecar-bench.js', process.argv.slice(2))),
  '',
  markdownTable(rows),
  '<!-- bench:sidecars:end -->',
].join('\n');
console.log(section);
if (!values['no-write']) writeBenchmarksSection('<!-- bench:sidecars:start -->', '<!-- bench:sidecars:end -->', section);
