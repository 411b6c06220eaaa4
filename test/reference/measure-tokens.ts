/**
 * How many strings of the tricky-query corpus Iris tokenizes exactly as OpenAI's CLIP tokenizer
 * does (fixtures/clip-tokens.json, written by clip_tokenize.py): with the tokenizer.json alone (as
 * before), with Iris's cleaning (now), and with full NFKC added (the alternative not taken).
 * Run: node dist/test/reference/measure-tokens.js [--list]
 */
import fs from 'node:fs';
import path from 'node:path';
import { cleanText } from '../../main/engine/clip/text-clean.js';
import { REFERENCE_DIR } from './reference.js';
import { CORPUS_GROUPS } from './tokenizer-corpus.js';
import { clipBpeTokenizer } from '../../main/engine/clip/bpe-tokenizer.js';
import { repoRoot } from '../helpers/fixtures.js';

export interface ReferenceTokens {
  text: string;
  cleaned: string;
  ids: number[];
}

export function loadReferenceTokens(): ReferenceTokens[] {
  return JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'fixtures', 'clip-tokens.json'), 'utf8')) as ReferenceTokens[];
}

export const CLIP_VOCAB_DIR = path.join(repoRoot, '..', 'shared', 'clip-tokenizer');

/**
 * The tokenizer.json path alone, over the real CLIP vocabulary (laid out as the published
 * tokenizer.json, by the engine's builder, as the fixture model's is): ids cut to 77 keeping the
 * end token, unpadded.
 */
export function tokenizerJsonIds(): (text: string) => number[] {
  const read = (name: string) => fs.readFileSync(path.join(CLIP_VOCAB_DIR, name), 'utf8');
  const tokenizer = clipBpeTokenizer(read('vocab.json'), read('merges.txt'));
  return (text) => {
    const ids = tokenizer.encode(text).ids;
    return ids.length > 77 ? [...ids.slice(0, 76), 49407] : ids;
  };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

if (process.argv[1]?.endsWith('measure-tokens.js')) {
  const reference = loadReferenceTokens();
  const ids = tokenizerJsonIds();
  const variants: Record<string, (text: string) => string> = {
    'tokenizer.json alone (before)': (t) => t,
    'cleanText + tokenizer.json (now)': (t) => cleanText(t),
    'cleanText + full NFKC': (t) => cleanText(t).normalize('NFKC'),
  };
  for (const [name, prepare] of Object.entries(variants)) {
    const wrong = reference.filter((r) => !same(ids(prepare(r.text)), r.ids));
    const groups = CORPUS_GROUPS.map((g) => `${g.name} ${g.texts.filter((t) => !wrong.some((w) => w.text === t)).length}/${g.texts.length}`);
    console.log(`${name}: ${reference.length - wrong.length} / ${reference.length} identical (${groups.join(', ')})`);
    if (process.argv.includes('--list')) for (const r of wrong) console.log(`   ${JSON.stringify(r.text)} → ref ${JSON.stringify(r.cleaned)}, ours ${JSON.stringify(prepare(r.text))}`);
  }
}
