import { decodeHTML, decodeHTMLStrict } from 'entities';

/**
 * Query text cleaned the way the CLIP model's training text was, before its tokenizer.json sees
 * it. OpenAI's CLIP tokenizer (simple_tokenizer.py, which its training captions went through)
 * runs `ftfy.fix_text`, `html.unescape` twice and collapses whitespace before lower-casing; the
 * published tokenizer.json only does NFC, whitespace and lower case. Without this, what people
 * actually type or paste tokenizes differently from training: the curly apostrophe macOS and iOS
 * put in "don’t", HTML entities pasted from a page (&amp;), fullwidth forms from a CJK keyboard
 * (ＣＬＩＰ), ligatures copied from a PDF (ﬁ), mojibake (donâ€™t).
 *
 * What is done is ftfy's default fix_text, in the parts that matter for a query, then OpenAI's
 * unescape and whitespace steps:
 * - control characters removed, C1 controls read as Windows-1252, lone surrogates → U+FFFD;
 * - HTML character references decoded (those ending in ';', until nothing changes, as ftfy
 *   loops), then html.unescape twice (the legacy ones without ';' too), as OpenAI does;
 * - mojibake of UTF-8 read as Windows-1252/Latin-1 undone, run by run between spaces, where a
 *   run round-trips to valid UTF-8 from plausible lead bytes (ftfy's commonest case; its other
 *   code pages, its "badness" scoring and restore_byte_a0 are not ported: see fixRun);
 * - Latin ligatures (ﬁ → fi) and halfwidth/fullwidth forms (ＣＬＩＰ → CLIP, ｶ → カ, U+3000 → space):
 *   that is NFKC restricted to what ftfy folds. Full NFKC is not applied on purpose: it also
 *   rewrites … ™ ½ ² ① and more, which CLIP's training text kept (measured: full NFKC makes more
 *   of the reference corpus tokenize differently, see test/reference/README.md);
 * - curly quotes straightened (‘ ’ ‚ ‛ ʼ → ', “ ” „ ‟ → ");
 * - NFC; whitespace runs to one space, trimmed. (Lower case stays with the tokenizer.json.)
 *
 * Chinese-CLIP's WordPiece tokenizer (`wordpiece`) was trained on BERT-cleaned text, not ftfy:
 * there the fixes that repair what was typed or pasted are applied (entities, mojibake, ligatures,
 * fullwidth Latin letters and digits, whitespace), but fullwidth punctuation (，。！？) and curly
 * quotes (“ ” ‘ ’) are standard Chinese punctuation, in its vocabulary and its training text, so
 * they are kept as typed.
 */
export type TextCleaning = 'openai' | 'wordpiece' | 'canonicalize';

// eslint-disable-next-line no-control-regex -- ftfy's remove_control_chars: matching them is the point
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/gu;
const C1 = /[\u0080-\u009f]/gu;
const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/gu;
const DOUBLE_QUOTES = /[\u201c-\u201f]/gu;
/** ftfy's unescape_html: references that end in ';' only. */
const ENTITY = /&#?[0-9A-Za-z]{1,24};/gu;

const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ', ĳ: 'ij', ŉ: 'ʼn', Ǳ: 'DZ', ǲ: 'Dz', ǳ: 'dz', Ǆ: 'DŽ', ǅ: 'Dž', ǆ: 'dž', Ǉ: 'LJ', ǈ: 'Lj', ǉ: 'lj', Ǌ: 'NJ', ǋ: 'Nj', ǌ: 'nj',
  ﬀ: 'ff', ﬁ: 'fi', ﬂ: 'fl', ﬃ: 'ffi', ﬄ: 'ffl', ﬅ: 'ſt', ﬆ: 'st',
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'gu');
/** Halfwidth and fullwidth forms (ftfy's width map: NFKC of U+FF01-U+FFEF) and the ideographic space. */
const WIDTH = /[\u3000\uff01-\uffef]/gu;
/** A surrogate without its pair (ftfy's fix_surrogates; String.prototype.toWellFormed is ES2024). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const FULLWIDTH_ALNUM = /[\u3000\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]/gu;

/** Windows-1252's 0x80-0x9f (undefined bytes map to the C1 control of the same value, as ftfy's "sloppy" codec). */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const CP1252_BYTE = new Map<string, number>([...CP1252_HIGH].map((ch, i) => [ch, 0x80 + i]));
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function width(ch: string): string {
  return ch === '\u3000' ? ' ' : ch.normalize('NFKC');
}

/** The text as Windows-1252 (or Latin-1) bytes, or undefined when a character has no such byte. */
function cp1252Bytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // C1 controls stand for their own byte: UTF-8 read as Latin-1 (— → â\u0080\u0094).
    const byte = code <= 0xff ? code : CP1252_BYTE.get(text[i]!);
    if (byte === undefined) return undefined;
    bytes[i] = byte;
  }
  return bytes;
}

/**
 * Lead bytes whose mojibake is common and whose cp1252 reading is implausible text: Â Ã Ä Å
 * (Latin-1 and Latin Extended-A: é → Ã©, ° → Â°, œ → Å“, ő → Å‘), È (Romanian ș ț → È™ È›), Î Ï
 * (Greek), Ð Ñ (Cyrillic), à-ï (three-byte: ’ → â€™, CJK, Hangul), ð (four-byte: emoji). Other
 * two-byte leads are capitals that do stand before ’ or a symbol in real text (CAFÉ’S is valid
 * UTF-8 as bytes: É’ → ɒ), so they are left as typed: ftfy weighs such cases with its "badness"
 * heuristics, which are not ported.
 */
const MOJIBAKE_LEADS = new Set([0xc2, 0xc3, 0xc4, 0xc5, 0xc8, 0xce, 0xcf, 0xd0, 0xd1, ...Array.from({ length: 16 }, (_, i) => 0xe0 + i), 0xf0]);

/** A run of Windows-1252 (or Latin-1) text that is UTF-8 read wrongly, decoded again; otherwise as it is. */
function fixRun(run: string): string {
  const bytes = cp1252Bytes(run);
  if (!bytes || bytes.every((b) => b < 0x80)) return run;
  for (const b of bytes) if (b >= 0xc0 && !MOJIBAKE_LEADS.has(b)) return run;
  let fixed: string;
  try {
    fixed = UTF8.decode(bytes);
  } catch {
    return run;
  }
  // French typography puts a no-break space before » and €: "café\u00a0»" is valid UTF-8 as bytes
  // (é, nbsp, » → 頻). Mojibake of a script other than Latin, Greek or Cyrillic (日本 → æ—¥æœ¬,
  // 서울 → ì„œìš¸, emoji) has no ASCII letters or digits in its run; Latin (Vietnamese ộ → á»™) and
  // punctuation (’ → â€™) may.
  if (/[\u0800-\u1dff\u1f00-\u1fff\u2c00-\u{10ffff}]/u.test(fixed) && /[A-Za-z0-9]/.test(run)) return run;
  return fixed;
}

/**
 * UTF-8 that was decoded as Windows-1252 (or Latin-1), decoded again, repeated while that changes
 * it (doubly broken text), before any other fix as ftfy does. Each run of characters that
 * Windows-1252 can encode, up to a space or control character, is tried on its own, so that
 * mojibake beside an emoji, CJK or a stray byte is fixed too. (ftfy's restore_byte_a0, for
 * mojibake whose no-break space became a space, "voilÃ le", is not ported.)
 */
function fixMojibake(text: string): string {
  let out = text;
  for (let round = 0; round < 4; round++) {
    const next = out.replace(/[\u0021-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]+/gu, fixRun);
    if (next === out) break;
    out = next;
  }
  return out;
}

/** ftfy's unescape_html: a reference decoded when it ends in ';', an all-caps name (P&EACUTE;REZ) as its capital letter. */
function decodeEntity(ref: string): string {
  const decoded = decodeHTMLStrict(ref);
  if (decoded !== ref || ref !== ref.toUpperCase()) return decoded;
  const lower = decodeHTMLStrict(ref.toLowerCase());
  return lower !== ref.toLowerCase() && lower.length === 1 && /\p{L}/u.test(lower) ? lower.toUpperCase() : ref;
}

function decodeEntities(text: string): string {
  return text.replace(ENTITY, decodeEntity);
}

/** One pass of ftfy's fixes, repeated by cleanText until the text stops changing. */
function fixOnce(text: string, cleaning: TextCleaning): string {
  // ftfy leaves entities alone in a line that holds '<' (it may be HTML source).
  let out = text.includes('<') ? text : decodeEntities(text);
  out = fixMojibake(out);
  out = out.replace(C1, (ch) => CP1252_HIGH[ch.charCodeAt(0) - 0x80]!);
  out = out.replace(LIGATURE, (ch) => LIGATURES[ch]!);
  if (cleaning !== 'wordpiece') {
    out = out.replace(WIDTH, width).replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
  } else {
    out = out.replace(FULLWIDTH_ALNUM, width).replace(/\u02bc/gu, "'");
  }
  return out.replace(CONTROL, '').normalize('NFC');
}

export function cleanText(text: string, cleaning: TextCleaning = 'openai'): string {
  let out = text.replace(LONE_SURROGATE, '\ufffd');
  for (let round = 0; round < 8; round++) {
    const next = fixOnce(out, cleaning);
    if (next === out) break;
    out = next;
  }
  // OpenAI's basic_clean: html.unescape(html.unescape(text)) after ftfy, then whitespace_clean.
  // (entities decodes as HTML5 says, as Python's html.unescape does, except that Python drops the
  // control characters a numeric reference such as &#1; names: dropped here too.)
  out = decodeHTML(decodeHTML(out)).replace(CONTROL, '');
  out = out.replace(/\s+/gu, ' ').trim();
  return cleaning === 'canonicalize' ? canonicalize(out) : out;
}

/** Python's string.punctuation: the ASCII punctuation open_clip's canonicalize_text drops. */
const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/gu;

/**
 * open_clip's canonicalize_text, after its basic_clean (the OpenAI cleaning above): underscores
 * become spaces, ASCII punctuation is dropped (other scripts' punctuation stays, as in Python),
 * lower case, whitespace collapsed. SigLIP's training text went through it, so "Red-car!" and
 * "red car" must be one query.
 */
function canonicalize(text: string): string {
  return text.replace(/_/gu, ' ').replace(ASCII_PUNCTUATION, '').toLowerCase().replace(/\s+/gu, ' ').trim();
}
