import type { Db } from '../db/database.js';
import { type DateChip, chipRange, extractDates } from './date-words.js';
import type { SearchFilters } from './filters.js';
import { HELD, type LibraryChip, extractLibraryWords } from './library-words.js';
import { type MarkChip, extractMarks } from './mark-words.js';

/**
 * The filter chips of a search query: date words (search/date-words.ts), then the cameras and
 * places the library knows (search/library-words.ts). Each chip is taken out of the words and
 * becomes a filter; the person sees the chips and may remove one, which searches again with its
 * label in `literal` (its words are then searched as words), or all of them (`chips: false`).
 */
export type QueryChip = ({ kind: 'date' } & DateChip) | LibraryChip | MarkChip;

export interface ChipOptions {
  /** false: no chips, the query is searched as typed. */
  chips?: boolean;
  /** Labels of chips the person removed: these words stay words. */
  literal?: readonly string[];
  /** "Now" for relative dates ("last summer"); tests pin it. */
  now?: Date;
}

export function readChips(db: Db, query: string, options: ChipOptions = {}): { text: string; chips: QueryChip[] } {
  if (options.chips === false) return { text: query, chips: [] };
  const held = holdAside(query, options.literal ?? []);
  const marks = extractMarks(held.text);
  const dates = extractDates(marks.text, options.now);
  const names = extractLibraryWords(db, dates.text);
  const chips: QueryChip[] = [...marks.chips, ...dates.chips.map((chip) => ({ kind: 'date' as const, ...chip })), ...names.chips];
  return { text: held.restore(names.text), chips: chips.map((chip) => ({ ...chip, label: held.restore(chip.label), ...(chip.kind === 'date' ? {} : { words: held.restore(chip.words) }) })) };
}

/** The filters with the chips' added: dates narrow the range; cameras and places (any of the query's of each kind) and every person named must hold besides any given. */
export function withChipFilters<T extends SearchFilters>(filters: T, chips: readonly QueryChip[]): T {
  const range = chipRange(chips.flatMap((chip) => (chip.kind === 'date' ? [chip] : [])));
  const named = (kind: LibraryChip['kind']) => chips.flatMap((chip) => (chip.kind === kind ? [chip.value] : []));
  const rating = Math.max(0, ...chips.map((chip) => (chip.kind === 'rating' ? chip.min : 0)));
  const cameras = named('camera');
  const places = named('place');
  const people = named('person');
  return {
    ...filters,
    ...(range ? { after: [filters.after, range.after].filter(Boolean).sort().at(-1), before: [filters.before, range.before].filter(Boolean).sort()[0] } : {}),
    ...(cameras.length > 0 ? { cameras: [...(filters.cameras ?? []), cameras] } : {}),
    ...(places.length > 0 ? { places: [...(filters.places ?? []), places] } : {}),
    ...(chips.some((chip) => chip.kind === 'favourite') ? { favourite: true } : {}),
    ...(rating > 0 ? { minRating: Math.max(rating, filters.minRating ?? 0) } : {}),
    // Each person must be in the photo ("Anna and Ben": photos of both), unlike places and cameras (any of them).
    ...(people.length > 0 ? { people: [...(filters.people ?? []), ...people.map((person) => [person])] } : {}),
  };
}

/**
 * The query with each removed chip's words replaced by a marker no reader takes as a word (a
 * private-use character and a number in private-use digits), and the way back.
 */
function holdAside(query: string, literal: readonly string[]): { text: string; restore: (text: string) => string } {
  const held: string[] = [];
  let text = query;
  for (const label of literal) {
    const trimmed = label.trim();
    if (!trimmed) continue;
    const pattern = new RegExp(trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
    text = text.replace(pattern, (whole) => {
      held.push(whole);
      return `${HELD}${String.fromCharCode(0xe100 + held.length - 1)}`;
    });
  }
  const restore = (value: string) => value.replace(new RegExp(`${HELD}([\\ue100-\\ueeff])`, 'gu'), (_, mark: string) => held[mark.charCodeAt(0) - 0xe100] ?? '');
  return { text, restore };
}
