/**
 * Date words in a search query, as filter chips: "2019", "june 2019", "2019-06", "last summer",
 * "last year", "this month", "yesterday", and their Chinese forms ("2019年", "2019年6月", "去年",
 * "今年", "上个月", "去年夏天", "昨天"). Each becomes a capture-date range [after, before) and is
 * taken out of the words that CLIP and the text signals search; the person sees it as a chip and
 * can remove it (search/query-chips.ts then keeps its words as words).
 *
 * Seasons are the northern hemisphere's meteorological ones (summer: June to August; winter:
 * December to February, named by the year its December is in). Relative words count from `now`
 * in local time; "last summer" is the most recent summer that has ended.
 */

export interface DateChip {
  /** The words as the person typed them. */
  label: string;
  /** [after, before) as YYYY-MM-DD (capture dates compare as text: search/filters.ts). */
  after: string;
  before: string;
}

export interface QueryDates {
  /** The query without its date words (whitespace collapsed). */
  text: string;
  chips: DateChip[];
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const SHORT_MONTHS = MONTHS.map((month) => month.slice(0, 3));
const SEASONS: Record<string, { start: number; months: number }> = {
  spring: { start: 2, months: 3 },
  summer: { start: 5, months: 3 },
  autumn: { start: 8, months: 3 },
  fall: { start: 8, months: 3 },
  winter: { start: 11, months: 3 },
};
const CHINESE_SEASONS: Record<string, string> = { 春天: 'spring', 夏天: 'summer', 秋天: 'autumn', 冬天: 'winter' };

const pad = (n: number) => String(n).padStart(2, '0');
const day = (year: number, month: number) => {
  const d = new Date(year, month, 1);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-01`;
};
const dayOf = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const monthRange = (label: string, year: number, month: number, months = 1): DateChip => ({ label, after: day(year, month), before: day(year, month + months) });

/** The season that ended most recently before `now` (its start month index may be 11: December of the year before). */
function lastSeason(name: string, now: Date): { year: number; start: number } {
  const { start, months } = SEASONS[name]!;
  let year = now.getFullYear();
  // The season of this year ends at start + months; if that is not over yet, take last year's.
  if (new Date(year, start + months, 1) > now) year -= 1;
  return { year, start };
}

interface Rule {
  pattern: RegExp;
  chip: (match: RegExpExecArray, now: Date) => DateChip | undefined;
}

const MONTH_NAME = `(${MONTHS.join('|')}|${SHORT_MONTHS.join('|')})`;
const monthIndex = (name: string) => SHORT_MONTHS.indexOf(name.slice(0, 3).toLowerCase());

/** Longest forms first, so "june 2019" is one chip, not a month and a year. */
const RULES: readonly Rule[] = [
  { pattern: /(\d{4})年(\d{1,2})月/u, chip: (m) => (Number(m[2]) >= 1 && Number(m[2]) <= 12 ? monthRange(m[0], Number(m[1]), Number(m[2]) - 1) : undefined) },
  // 去年夏天 is the summer of last year (not the last summer that has ended: in December that is this year's).
  { pattern: /去年(春天|夏天|秋天|冬天)/u, chip: (m, now) => seasonChip(m[0], CHINESE_SEASONS[m[1]!]!, new Date(now.getFullYear() - 1, 11, 31), false) },
  { pattern: new RegExp(`\\b${MONTH_NAME}\\s+(\\d{4})\\b`, 'iu'), chip: (m) => monthRange(m[0], Number(m[2]), monthIndex(m[1]!)) },
  { pattern: /\b(\d{4})-(\d{2})\b/u, chip: (m) => (Number(m[2]) >= 1 && Number(m[2]) <= 12 ? monthRange(m[0], Number(m[1]), Number(m[2]) - 1) : undefined) },
  { pattern: /\b(last|this)\s+(spring|summer|autumn|fall|winter)\b/iu, chip: (m, now) => seasonChip(m[0], m[2]!.toLowerCase(), now, m[1]!.toLowerCase() === 'last') },
  { pattern: /\b(last|this)\s+(year|month|week)\b/iu, chip: (m, now) => relativeChip(m[0], m[2]!.toLowerCase() as 'year' | 'month' | 'week', m[1]!.toLowerCase() === 'last' ? -1 : 0, now) },
  { pattern: /去年|今年/u, chip: (m, now) => relativeChip(m[0], 'year', m[0] === '去年' ? -1 : 0, now) },
  { pattern: /上个月|这个月|本月/u, chip: (m, now) => relativeChip(m[0], 'month', m[0] === '上个月' ? -1 : 0, now) },
  { pattern: /上周|本周/u, chip: (m, now) => relativeChip(m[0], 'week', m[0] === '上周' ? -1 : 0, now) },
  { pattern: /\b(yesterday|today)\b|昨天|今天/iu, chip: (m, now) => dayChip(m[0], /yesterday|昨天/iu.test(m[0]) ? -1 : 0, now) },
  { pattern: /(\d{4})年/u, chip: (m) => yearChip(m[0], Number(m[1])) },
  { pattern: /\b(19[0-9]{2}|20[0-9]{2})\b/u, chip: (m) => yearChip(m[0], Number(m[1])) },
];

function yearChip(label: string, year: number): DateChip {
  return { label, after: `${year}-01-01`, before: `${year + 1}-01-01` };
}

function seasonChip(label: string, season: string, now: Date, last: boolean): DateChip {
  const { year, start } = last ? lastSeason(season, now) : { year: now.getFullYear(), start: SEASONS[season]!.start };
  // Winter starts in December of the year before the one it is mostly in; "this winter" in February means the one begun last December.
  const startYear = season === 'winter' && !last && now.getMonth() < 3 ? year - 1 : year;
  return monthRange(label, startYear, start, SEASONS[season]!.months);
}

function relativeChip(label: string, unit: 'year' | 'month' | 'week', offset: number, now: Date): DateChip {
  if (unit === 'year') return yearChip(label, now.getFullYear() + offset);
  if (unit === 'month') return monthRange(label, now.getFullYear(), now.getMonth() + offset);
  // Weeks start on Monday.
  const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7) + 7 * offset);
  const next = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 7);
  return { label, after: dayOf(monday), before: dayOf(next) };
}

function dayChip(label: string, offset: number, now: Date): DateChip {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
  return { label, after: dayOf(start), before: dayOf(new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1)) };
}

/**
 * The query's date words as chips, and the words left to search. A query that is only a date
 * stays a search as typed (there would be nothing left for CLIP to rank).
 */
export function extractDates(query: string, now: Date = new Date()): QueryDates {
  let text = query;
  const chips: DateChip[] = [];
  for (const rule of RULES) {
    const global = new RegExp(rule.pattern.source, `${rule.pattern.flags}g`);
    text = text.replace(global, (whole: string, ...rest: unknown[]) => {
      // The replacer gets the match, its groups, then the offset (a number): the groups are what comes before it.
      const groups = rest.slice(0, rest.findIndex((value) => typeof value === 'number')) as (string | undefined)[];
      const chip = rule.chip(Object.assign([whole, ...groups], { index: 0, input: query }) as unknown as RegExpExecArray, now);
      if (!chip) return whole;
      chips.push(chip);
      return ' ';
    });
  }
  // A Chinese date word's 的 ("去年夏天的海边") goes with it.
  const rest = text.replace(/\s的/gu, ' ').replace(/\s+/gu, ' ').trim();
  if (!rest || chips.length === 0) return { text: query.trim(), chips: [] };
  return { text: rest, chips };
}

/** The range every chip allows (their intersection), or undefined when there are none. */
export function chipRange(chips: readonly DateChip[]): { after: string; before: string } | undefined {
  if (chips.length === 0) return undefined;
  return { after: chips.map((c) => c.after).sort().at(-1)!, before: chips.map((c) => c.before).sort()[0]! };
}
