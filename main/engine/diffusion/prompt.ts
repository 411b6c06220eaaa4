import type { Tokenizer } from '@huggingface/tokenizers';
import fs from 'node:fs';
import path from 'node:path';
import { clipBpeTokenizer } from '../clip/bpe-tokenizer.js';
import { cleanText } from '../clip/text-clean.js';
import type { DiffusionPreprocessing } from '../models/diffusion-catalog.js';

/**
 * Prompts to token ids as Stable Diffusion 1.5's CLIP text encoder takes them: the model's own
 * vocab.json and merges.txt, `<|startoftext|>` … `<|endoftext|>`, cut to 77 keeping the closing
 * token, padded with the pad token (the end-of-text token for SD 1.5), as diffusers' pipeline does
 * with `padding="max_length", truncation=True`. The prompt is cleaned first as CLIP's training
 * text was (clip/text-clean.ts: diffusers' CLIPTokenizer runs ftfy too), so a prompt typed with
 * curly quotes or pasted with entities reads as the model knows it.
 */
export class PromptTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly config: DiffusionPreprocessing['tokenizer'],
  ) {}

  static load(modelDir: string, config: DiffusionPreprocessing['tokenizer']): PromptTokenizer {
    const read = (file: string) => fs.readFileSync(path.join(modelDir, file), 'utf8');
    return new PromptTokenizer(clipBpeTokenizer(read(config.vocab), read(config.merges)), config);
  }

  /** Exactly max_length ids. Also says whether the prompt was cut (the UI warns: words past 75 tokens are not seen). */
  encode(text: string): { ids: number[]; truncated: boolean } {
    const { max_length: length, eos_token_id: eos, pad_token_id: pad } = this.config;
    const ids = this.tokenizer.encode(cleanText(text)).ids;
    const truncated = ids.length > length;
    const cut = truncated ? [...ids.slice(0, length - 1), eos] : ids;
    return { ids: [...cut, ...new Array<number>(length - cut.length).fill(pad)], truncated };
  }
}
