/**
 * The CLIP zoo's SentencePiece tokenizers against SentencePiece itself, with numbers: trains a
 * Unigram model (XLM-R's kind: M-CLIP) and a BPE model with byte fallback (Gemma's kind: SigLIP 2)
 * with the sentencepiece library (sentencepiece_tokenize.py), converts each to tokenizer.json the
 * way Hugging Face's converters do (which is how the real tokenizer.json files were made), and
 * compares the ids Iris's tokenizer library (@huggingface/tokenizers) gives with SentencePiece's on
 * the query corpus.
 *
 *   node dist/test/reference/measure-sentencepiece.js     (needs /usr/bin/python3 with sentencepiece)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { repoRoot } from '../helpers/fixtures.js';
import { pythonMissing, runReference } from './reference.js';
import { CORPUS_GROUPS } from './tokenizer-corpus.js';
import { cleanText } from '../../main/engine/clip/text-clean.js';

interface Trained {
  pieces: [string, number, number][];
  charsmap: string | null;
  unk_id: number;
  ids: number[][];
}

/** HF's SpmConverter for a Unigram model (XLM-R): Precompiled normaliser + collapsed spaces, Metaspace. */
function unigramJson(model: Trained): Record<string, unknown> {
  const normalizers = [...(model.charsmap ? [{ type: 'Precompiled', precompiled_charsmap: model.charsmap }] : []), { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }];
  return {
    version: '1.0',
    added_tokens: [{ id: model.unk_id, content: model.pieces[model.unk_id]![0], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: model.unk_id, vocab: model.pieces.map(([piece, score]) => [piece, score]), byte_fallback: false },
  };
}

/**
 * HF's GemmaConverter for a BPE model: spaces to ▁ in the normaliser, no pre-tokenizer, byte
 * fallback, merges recovered from the vocabulary as SentencePieceExtractor does (every split of a
 * piece into two pieces, ordered by the merged piece's rank, then the halves').
 */
function bpeJson(model: Trained): Record<string, unknown> {
  const vocab = new Map(model.pieces.map(([piece], id) => [piece, id]));
  const merges: [string, string, number, number, number][] = [];
  model.pieces.forEach(([piece, , type], id) => {
    if (type !== 1) return;
    const chars = [...piece];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('');
      const right = chars.slice(i).join('');
      if (vocab.has(left) && vocab.has(right)) merges.push([left, right, id, vocab.get(left)!, vocab.get(right)!]);
    }
  });
  merges.sort((a, b) => a[2] - b[2] || a[3] - b[3] || a[4] - b[4]);
  const specials = model.pieces.flatMap(([piece, , type], id) => (type === 2 || type === 3 ? [{ id, content: piece, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }] : []));
  return {
    version: '1.0',
    added_tokens: specials,
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
    model: { type: 'BPE', dropout: null, unk_token: model.pieces[model.unk_id]![0], continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: Object.fromEntries(vocab), merges: merges.map(([l, r]) => [l, r]) },
  };
}

export interface SentencePieceComparison {
  kind: string;
  pieces: number;
  input: 'as typed' | "after Iris's cleaning";
  strings: number;
  differing: string[];
}

/** Trains both models with SentencePiece and compares Iris's ids with SentencePiece's on the corpus, as typed and as Iris cleans it. */
export function compareWithSentencePiece(): SentencePieceComparison[] {
  const raw = CORPUS_GROUPS.flatMap((group) => group.texts);
  // The same strings as Iris feeds them: after its cleaning (whitespace collapsed and trimmed, pasted-text repairs).
  const texts = [...raw, ...raw.map((text) => cleanText(text, 'wordpiece'))];
  // Training text: the repository's prose and the corpus, so the vocabulary has English words and the corpus's other scripts.
  const training = ['README.md', 'BENCHMARKS.md', 'models/README.md', 'test/reference/README.md'].flatMap((file) => fs.readFileSync(path.join(repoRoot, file), 'utf8').split('\n')).concat(raw);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-spm-'));
  try {
    const trained = runReference<{ unigram: Trained; bpe: Trained }>('sentencepiece_tokenize.py', { training, texts, dir });
    const results: SentencePieceComparison[] = [];
    for (const [kind, model, json] of [["Unigram, nmt_nfkc (XLM-R's kind)", trained.unigram, unigramJson(trained.unigram)], ["BPE with byte fallback, identity (Gemma's kind)", trained.bpe, bpeJson(trained.bpe)]] as const) {
      const tokenizer = new Tokenizer(json, {});
      for (const [input, from] of [['as typed', 0], ["after Iris's cleaning", raw.length]] as const) {
        const differing: string[] = [];
        for (let i = from; i < from + raw.length; i++) {
          if (JSON.stringify(tokenizer.encode(texts[i]!, { add_special_tokens: false }).ids) !== JSON.stringify(model.ids[i])) differing.push(texts[i]!);
        }
        results.push({ kind, pieces: model.pieces.length, input, strings: raw.length, differing });
      }
    }
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const missing = pythonMissing(['sentencepiece', 'google.protobuf']);
  if (missing) {
    console.log(`cannot measure: ${missing}`);
  } else {
    console.log("| tokenizer (trained with sentencepiece 0.1.97, vocabulary) | input | corpus strings | ids equal to SentencePiece's | differing |");
    console.log('|---|---|---|---|---|');
    const short = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
    for (const r of compareWithSentencePiece()) console.log(`| ${r.kind}, ${r.pieces} pieces | ${r.input} | ${r.strings} | ${r.strings - r.differing.length} | ${r.differing.map(short).join(', ') || 'none'} |`);
  }
}
