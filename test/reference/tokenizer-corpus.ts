/**
 * Query strings that trip a tokenizer.json-only CLIP pipeline: what people type on phones and
 * Macs, paste from web pages and PDFs, or get from broken encodings. Each is tokenized by the
 * reference (clip_tokenize.py: OpenAI's cleaning and BPE) into fixtures/clip-tokens.json.
 */
export const TOKENIZER_CORPUS: readonly string[] = [
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
