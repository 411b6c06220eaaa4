import { Tokenizer } from '@huggingface/tokenizers';

/**
 * CLIP's byte-level BPE tokenizer built from the two files every CLIP-based export ships
 * (`vocab.json`, `merges.txt`): Stable Diffusion's ONNX repos have only those, no tokenizer.json.
 * The layout is that of the published tokenizer.json of openai/clip-vit-base-patch32, so
 * @huggingface/tokenizers does the real normalising, splitting and merging (no hand-written BPE).
 */

/** CLIP's pre-tokenizer split, as in the published tokenizer.json. */
const CLIP_SPLIT_REGEX = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
const CLIP_BOS = '<|startoftext|>';
const CLIP_EOS = '<|endoftext|>';

function specialToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true };
}

/**
 * A Hugging Face tokenizer.json for CLIP: NFC, whitespace runs to one space, lower case; CLIP's
 * split regex then byte-level; BPE with the `</w>` word suffix; `<|startoftext|>` ...
 * `<|endoftext|>` around every text.
 */
export function clipTokenizerJson(vocab: Record<string, number>, merges: readonly (readonly [string, string])[]): Record<string, unknown> {
  const bos = vocab[CLIP_BOS];
  const eos = vocab[CLIP_EOS];
  if (bos === undefined || eos === undefined) throw new Error(`the vocabulary has no ${CLIP_BOS} / ${CLIP_EOS}: not a CLIP vocabulary`);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [specialToken(bos, CLIP_BOS), specialToken(eos, CLIP_EOS)],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_REGEX }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [CLIP_EOS, eos], cls: [CLIP_BOS, bos], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CLIP_EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** merges.txt: a "#version" header, then one "left right" pair per line. */
function parseMerges(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((line, i) => line !== '' && !(i === 0 && line.startsWith('#version')))
    .map((line) => {
      const [left, right, ...rest] = line.split(' ');
      if (!left || !right || rest.length > 0) throw new Error(`merges.txt: bad merge line "${line}"`);
      return [left, right];
    });
}

/** The tokenizer from vocab.json's and merges.txt's contents. */
export function clipBpeTokenizer(vocabJson: string, mergesText: string): Tokenizer {
  const vocab = JSON.parse(vocabJson) as Record<string, number>;
  return new Tokenizer(clipTokenizerJson(vocab, parseMerges(mergesText)), { bos_token: CLIP_BOS, eos_token: CLIP_EOS, pad_token: CLIP_EOS, unk_token: CLIP_EOS });
}
