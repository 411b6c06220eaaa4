import { Tokenizer } from '@huggingface/tokenizers';
import fs from 'node:fs';
import path from 'node:path';
import type { ClipPreprocessing } from './preprocessing.js';
import { type TextCleaning, cleanText } from './text-clean.js';

export interface TokenizedBatch {
  /** [N, context_length] token ids, padded with pad_token_id. */
  inputIds: BigInt64Array;
  /** [N, context_length], 1 for a real token and 0 for padding (for models that take it). */
  attentionMask: BigInt64Array;
  dims: [number, number];
}

/**
 * Text to token ids with the model's own tokenizer.json (its normaliser, BPE or WordPiece merges
 * and special-token template), after the cleaning the model's training text had (text-clean.ts:
 * OpenAI's ftfy + unescape + whitespace for byte-level BPE CLIPs, its repairs without the
 * punctuation folding for WordPiece ones such as Chinese-CLIP), so the ids are those the model
 * was trained on.
 */
export class ClipTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly prep: ClipPreprocessing,
    readonly cleaning: TextCleaning,
  ) {}

  /** The tokenizer in the model folder's `tokenizer_dir` (the root, or Immich's textual/). */
  static load(modelDir: string, prep: ClipPreprocessing): ClipTokenizer {
    const json = (name: string) => {
      const file = path.join(modelDir, ...(prep.tokenizer_dir ?? '').split('/').filter(Boolean), name);
      return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as object) : {};
    };
    const tokenizerJson = json('tokenizer.json') as { model?: { type?: string } };
    const cleaning: TextCleaning = prep.text_cleaning ?? (tokenizerJson.model?.type === 'WordPiece' ? 'wordpiece' : 'openai');
    return new ClipTokenizer(new Tokenizer(tokenizerJson, json('tokenizer_config.json')), prep, cleaning);
  }

  /** One text's ids, cut to the context length keeping the special tokens, then padded. */
  ids(text: string): number[] {
    return this.encode(text).ids;
  }

  /**
   * A text too long for the context is cut as Hugging Face's truncation cuts it: the words at the
   * end go, the special tokens the tokenizer's template adds (CLIP's and XLM-R's closing one,
   * Gemma's opening one) stay. The template is read from the tokenizer itself (the same text with
   * and without special tokens), not assumed.
   */
  private encode(text: string): { ids: number[]; real: number } {
    const { context_length: length, pad_token_id: pad } = this.prep;
    const cleaned = cleanText(text, this.cleaning);
    let ids = this.tokenizer.encode(cleaned).ids;
    if (ids.length > length) {
      const words = this.tokenizer.encode(cleaned, { add_special_tokens: false }).ids;
      const before = ids.length - words.length > 0 ? leadingSpecials(ids, words) : 0;
      const after = ids.length - words.length - before;
      ids = [...ids.slice(0, before), ...words.slice(0, Math.max(0, length - before - after)), ...ids.slice(ids.length - after)].slice(0, length);
    }
    return { ids: [...ids, ...new Array<number>(length - ids.length).fill(pad)], real: ids.length };
  }

  batch(texts: readonly string[]): TokenizedBatch {
    const length = this.prep.context_length;
    const inputIds = new BigInt64Array(texts.length * length);
    const attentionMask = new BigInt64Array(texts.length * length);
    texts.forEach((text, row) => {
      const { ids, real } = this.encode(text);
      ids.forEach((id, i) => {
        inputIds[row * length + i] = BigInt(id);
        attentionMask[row * length + i] = i < real ? 1n : 0n;
      });
    });
    return { inputIds, attentionMask, dims: [texts.length, length] };
  }
}

/** How many ids the template puts before the words: where the words start inside the full encoding. */
function leadingSpecials(full: readonly number[], words: readonly number[]): number {
  for (let start = 0; start + words.length <= full.length; start++) {
    if (words.every((id, i) => full[start + i] === id)) return start;
  }
  return 0;
}
