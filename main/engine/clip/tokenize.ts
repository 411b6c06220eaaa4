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

  static load(modelDir: string, prep: ClipPreprocessing): ClipTokenizer {
    const json = (name: string) => {
      const file = path.join(modelDir, name);
      return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as object) : {};
    };
    const tokenizerJson = json('tokenizer.json') as { model?: { type?: string } };
    const cleaning: TextCleaning = tokenizerJson.model?.type === 'WordPiece' ? 'wordpiece' : 'openai';
    return new ClipTokenizer(new Tokenizer(tokenizerJson, json('tokenizer_config.json')), prep, cleaning);
  }

  /** One text's ids: cut to the context length keeping the closing eos token, then padded. */
  ids(text: string): number[] {
    return this.encode(text).ids;
  }

  private encode(text: string): { ids: number[]; real: number } {
    const { context_length: length, eos_token_id: eos, pad_token_id: pad } = this.prep;
    const ids = this.tokenizer.encode(cleanText(text, this.cleaning)).ids;
    const cut = ids.length > length ? [...ids.slice(0, length - 1), eos] : ids;
    return { ids: [...cut, ...new Array<number>(length - cut.length).fill(pad)], real: cut.length };
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
