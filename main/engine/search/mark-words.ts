/**
 * The search box's words for what a person marked (organise/organise-store.ts): "favourites" (a
 * heart) and star ratings ("5 stars", "3+ stars", "★★★★", "rated 4", "四颗星"). Stars mean "at least":
 * "3 stars" finds 3, 4 and 5, as Lightroom's and digiKam's rating filters do. Pure text in, chips out.
 */

export type MarkChip = { kind: 'favourite'; label: string; words: string } | { kind: 'rating'; label: string; words: string; min: number };

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 };

const FAVOURITE = /(?<![\p{L}\p{N}])(?:my\s+)?(?:favou?rites?|faves?|hearted|loved)(?![\p{L}\p{N}])|(?:我的)?(?:收藏|最爱|最愛)/giu;
// "5 stars", "3+ stars", "4 stars or more", "rated 4", "★★★", "3颗星", "四星及以上". Not "a 5-star hotel"
// or "五星酒店": the singular or hyphenated form is an adjective about the subject, not a rating.
const STARS = /(?<![\p{L}\p{N}])(?:([1-5]|one|two|three|four|five)\s*(\+|\s+or\s+more)?\s+stars(?:\s+(?:and\s+up|or\s+more))?|(1|one)\s+star|rated\s+([1-5])(?:\s+stars?)?)(?![\p{L}\p{N}])|(★{1,5})|([1-5一二两三四五])\s*(?:颗星|星及以上|星以上)/giu;

function stars(value: string | undefined): number | null {
  if (!value) return null;
  const n = /^\d$/.test(value) ? Number(value) : NUMBER_WORDS[value.toLowerCase()];
  return n !== undefined && n >= 1 && n <= 5 ? n : null;
}

/** Takes the favourite and rating words out of `text`; what is left is searched as words. */
export function extractMarks(text: string): { text: string; chips: MarkChip[] } {
  const chips: MarkChip[] = [];
  let rest = text.replace(FAVOURITE, (words) => {
    if (!chips.some((chip) => chip.kind === 'favourite')) chips.push({ kind: 'favourite', label: words.trim(), words: words.trim() });
    return ' ';
  });
  rest = rest.replace(STARS, (words: string, spelled?: string, _more?: string, single?: string, rated?: string, glyphs?: string, chinese?: string) => {
    const min = stars(spelled) ?? stars(single) ?? stars(rated) ?? (glyphs ? glyphs.length : null) ?? stars(chinese);
    if (min === null) return words;
    if (!chips.some((chip) => chip.kind === 'rating')) chips.push({ kind: 'rating', label: words.trim(), words: words.trim(), min });
    return ' ';
  });
  if (chips.length === 0) return { text, chips };
  return { text: rest.replace(/\s+/g, ' ').trim(), chips };
}
