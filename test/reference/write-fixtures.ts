/**
 * Rewrites test/reference/fixtures/*.json from the python reference scripts, so the fidelity
 * tests check against the reference even where python is missing. Needs /usr/bin/python3 with
 * Pillow, regex and ftfy. Run: node dist/test/reference/write-fixtures.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UPSCALE_CASES, ZOO_CASES } from './patterns.js';
import { PYTHON, type PilResult, REFERENCE_DIR, pythonMissing, runReference } from './reference.js';
import { TOKENIZER_CORPUS } from './tokenizer-corpus.js';

const missing = pythonMissing(['PIL', 'regex', 'ftfy']);
if (missing) throw new Error(`cannot write the fixtures: ${missing}`);
const write = (name: string, value: unknown) => {
  fs.writeFileSync(path.join(REFERENCE_DIR, 'fixtures', name), `${JSON.stringify(value)}\n`);
  console.log(`wrote fixtures/${name}`);
};

const sizes = spawnSync(PYTHON, [path.join(REFERENCE_DIR, 'resize_sizes.py')], { encoding: 'utf8', maxBuffer: 1 << 28 });
if (sizes.status !== 0) throw new Error(sizes.stderr);
write('resize-sizes.json', JSON.parse(sizes.stdout));

const pil = runReference<PilResult[]>('pil_preprocess.py', UPSCALE_CASES);
write('pil-upscale.json', pil.map(({ pixels: _pixels, ...rest }) => rest));
const zoo = runReference<PilResult[]>('pil_preprocess.py', ZOO_CASES);
write('pil-zoo.json', zoo.map(({ pixels: _pixels, ...rest }) => rest));

write('clip-tokens.json', runReference('clip_tokenize.py', TOKENIZER_CORPUS, [path.join(REFERENCE_DIR, '..', '..', '..', 'shared', 'clip-tokenizer')]));
