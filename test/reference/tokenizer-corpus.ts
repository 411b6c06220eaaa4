/**
 * Query strings that trip a tokenizer.json-only CLIP pipeline: what people type on phones and
 * Macs, paste from web pages and PDFs, or get from broken encodings. Each is tokenized by the
 * reference (clip_tokenize.py: OpenAI's cleaning and BPE) into fixtures/clip-tokens.json.
 */
const TRICKY: readonly string[] = [
  // plain (must not change)
  'a photo of a cat',
  'A Photo of a  RED car!',
  'sunset over the sea, 2019',
  "my dog's ball",
  // curly quotes (macOS / iOS smart punctuation)
  'don’t',
  'my dog’s ball',
  '“golden hour” portrait',
  '‘retro’ look',
  'it‘s a „quote‟',
  'rock ʼn roll',
  // HTML entities (pasted from web pages, alt text)
  'fish &amp; chips',
  'fish &amp;amp; chips',
  'cats &amp dogs',
  'a &quot;vintage&quot; car',
  'Tom&#39;s bike',
  'it&#x2019;s late',
  'caf&eacute; interior',
  'wait&hellip; what',
  'a&nbsp;b',
  '&lt;b&gt;bold&lt;/b&gt;',
  '<b>fish &amp; chips</b>',
  // fullwidth and halfwidth forms (CJK keyboards in full-width mode)
  'ＣＬＩＰ',
  'ｐｈｏｔｏ ｏｆ ａ ｄｏｇ',
  '２０２４ summer',
  'red　car',
  'ｶﾒﾗ',
  'photo！',
  // ligatures (copied from PDFs)
  'ﬁsh',
  'waﬄe',
  'ﬂower ﬁeld',
  'ĳsselmeer',
  // compatibility characters full NFKC would fold and ftfy keeps
  'wait… what',
  'Coca-Cola™',
  '½ moon',
  'x² graph',
  '① first',
  '25℃ beach',
  // emoji
  'dog 🐶 on the beach',
  '👨‍👩‍👧 family',
  '🇯🇵 flag',
  '❤️ heart',
  // accents and combining marks
  'café',
  'cafe\u0301',
  'Crème Brûlée',
  'São Paulo',
  'İstanbul',
  'naïve façade',
  'Ærøskøbing',
  // CJK and other scripts
  '红色的照片',
  '一张“蓝色”的照片，海边',
  '東京タワー',
  '서울의 밤',
  'кошка на окне',
  'قطة',
  // mojibake (UTF-8 read as Windows-1252 / Latin-1)
  'donâ€™t',
  'cafÃ©',
  'CrÃ¨me BrÃ»lÃ©e',
  'â€œquotedâ€\u009d',
  'SÃ£o Paulo',
  'naÃ¯ve',
  'Ã¢â‚¬Å“double mojibakeÃ¢â‚¬Â\u009d',
  'cafÃ© 🐶',
  'Ð¼Ð¾Ñ\u0081ÐºÐ²Ð°',
  'voilÃ  le travail',
  'P&EACUTE;REZ',
  'x &lt; y &ampfoo',
  'ellipsis\u0085here',
  '×°',
  'æ—¥æœ¬ã\u0081®å†™çœŸ',
  'un café\u00a0» chaud',
  'café\u00a0€',
  'IRMÃ DE',
  // whitespace and control characters
  '  leading and trailing  ',
  'tab\there',
  'line\nbreak',
  'line\r\nbreak',
  'zero\u200bwidth',
  'bom\ufeffinside',
  'nbsp\u00a0space',
  'bell\u0007char',
  'soft\u00adhyphen',
  // long (cut to 77 keeping the end token)
  'a very long query about a photo '.repeat(12),
];

/** Everyday queries in many languages, as typed (curly quotes included). */
const PHRASES: readonly string[] = [
  'crème brûlée au café', 'São Paulo à noite', 'Zürich Hauptbahnhof im Schnee', 'el niño en la playa', 'la forêt enchantée',
  'smörgåsbord på bordet', 'Ærøskøbing havn', 'a “great” day’s end', 'naïve façade — “déjà vu”', 'piñata de cumpleaños',
  'Kraków old town', 'Dvořák concert', 'Łódź street', 'Þingvellir', 'ελληνικά νησιά', 'кошка на окне', 'Ünter den Linden',
  '25°C beach', '½ price', '© museum', 'Москва зимой', 'İstanbul Boğazı', 'Çay bahçesi', 'Győr', 'Škoda Octavia',
  'Œuvres complètes', 'Straße in München', 'café € 3,50', '東京の夜景', '서울 야경', 'dog 🐶 beach', 'it’s — fine…',
  'Gdańsk shipyard', 'Señora García', 'Reykjavík', 'Ålesund', 'Tromsø', 'Malmö', 'București, Piața Unirii', 'Hà Nội phố cổ',
  'un café\u00a0» chaud', 'CAFÉ’S TERRACE',
];

/** Windows-1252's 0x80-0x9f; the five bytes it leaves undefined read as the C1 control of that value. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** UTF-8 bytes read as Latin-1 (or, with `cp1252`, as Windows-1252): the usual mojibake. */
function mojibake(text: string, cp1252: boolean): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (cp1252 && b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b))).join('');
}

const hasNonAscii = (text: string) => [...text].some((ch) => ch.codePointAt(0)! > 0x7f);

/** The corpus in groups: the tricky strings, the phrases, and the phrases as mojibake two ways. */
export const CORPUS_GROUPS: readonly { name: string; texts: readonly string[] }[] = [
  { name: 'tricky strings', texts: TRICKY },
  { name: 'everyday phrases', texts: PHRASES },
  { name: 'phrases as Windows-1252 mojibake', texts: PHRASES.filter(hasNonAscii).map((p) => mojibake(p, true)) },
  { name: 'phrases as Latin-1 mojibake', texts: PHRASES.filter(hasNonAscii).map((p) => mojibake(p, false)) },
];

export const TOKENIZER_CORPUS: readonly string[] = CORPUS_GROUPS.flatMap((g) => g.texts);
