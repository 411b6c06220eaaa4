import type { Db } from '../db/database.js';
import { UNSEGMENTED, foldText } from './full-text.js';
import { isStopWord } from './name-search.js';

/**
 * Cameras, places and people in a search query, as filter chips: the names this library knows (its
 * photos' cameras, their places, named from GPS: library/places.ts, and the people the person
 * named: faces/face-store.ts) found in the words.
 * "sunset in Paris" searches "sunset" among the photos taken in Paris; "iPhone photos of the
 * kids" searches "kids" among the iPhone's. Like date words (search/date-words.ts), each is shown
 * as a chip the person can remove, and then the words are searched as words.
 *
 * Only names this library has are looked for, so a place no photo was taken in never becomes a
 * filter. Many names are also ordinary words ("Nice", "Orange", "Pixel", "Turkey", "Apple"): a
 * single plain word becomes a chip only when the query says it is a name, by a capital letter as
 * typed ("Nice") or a word before it ("in nice", "shot on pixel"). A name that cannot be an
 * ordinary word is always one: several words ("new york", "pixel 7"), a digit ("d750"), a
 * capital inside it ("iPhone", "EOS") or a script without spaces ("法国").
 */

export interface LibraryChip {
  kind: 'camera' | 'place' | 'person';
  /** The words as the person typed them. */
  label: string;
  /** The name as the library knows it ("iPhone", "Paris", "法国"): what the filter matches. */
  value: string;
  /** What was taken out of the query: the label and the word that said it is a name ("in Paris"). */
  words: string;
}

interface KnownName {
  kind: LibraryChip['kind'];
  name: string;
  /** What the chip filters by: the name itself, or a person's full name for one of its words ("Obama" of "Barack Obama"). */
  value: string;
  /** Its words, folded (lowercase, no accents); [] for a name in a script without spaces. */
  words: string[];
  /** It cannot be an ordinary word, so it needs no capital or cue to be taken as a name. */
  distinctive: boolean;
}

/** Words that say what follows is a place or a camera. */
const CUES: Record<LibraryChip['kind'], ReadonlySet<string>> = {
  place: new Set(['in', 'at', 'from', 'near', 'around', 'visiting', 'inside', 'outside']),
  camera: new Set(['with', 'on', 'by', 'using', 'from']),
  person: new Set(['with', 'of', 'and']),
};

/** A word: letters and digits, with inner hyphens and apostrophes ("Neuilly-sur-Seine", "ILCE-7M3"). */
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

/** Company words after a camera maker's name in EXIF ("NIKON CORPORATION", "OLYMPUS IMAGING CORP."). */
const COMPANY = /\b(corporation|corp|inc|co|ltd|company|imaging|optical|electronics|digital|camera)\b\.?/giu;

/** Marks words held aside from the readers (search/query-chips.ts). */
export const HELD = '\uE000';

function distinctive(name: string): boolean {
  return UNSEGMENTED.test(name) || /\s/u.test(name.trim()) || /\p{N}/u.test(name) || /\p{Lu}/u.test(name.slice(1));
}

/**
 * The parts of a place label (library/places.ts): "Neuilly-sur-Seine, Paris, Île-de-France, France 法国"
 * is the areas (town, city, region) and the country in English and, when ICU names it, Chinese.
 */
function parsePlaceLabel(label: string): { areas: string[]; country: string | null; countryChinese: string | null } {
  const parts = label.split(',').map((part) => part.trim()).filter(Boolean);
  const last = parts.pop();
  if (!last) return { areas: [], country: null, countryChinese: null };
  const bilingual = /^(.*?)\s+([\p{Script=Han}]+)$/u.exec(last);
  return { areas: parts, country: bilingual ? bilingual[1]! : last, countryChinese: bilingual ? bilingual[2]! : null };
}

/** The names a place label holds: "Neuilly-sur-Seine, Paris, France 法国" is the town, the city, and the country in both languages. */
export function placeNames(label: string): string[] {
  const { areas, country, countryChinese } = parsePlaceLabel(label);
  // GeoNames says "New York City", "Mexico City", "Quebec City": people also leave out the "City".
  const towns = areas.flatMap((town) => (/\S\s+City$/u.test(town) ? [town, town.replace(/\s+City$/u, '')] : [town]));
  return [...towns, ...[country, countryChinese].filter((name): name is string => name !== null)];
}

/** What people call a camera: its maker ("Nikon", not "NIKON CORPORATION"), its model, and the model's family ("iPhone" of "iPhone 12 Pro"). */
export function cameraNames(make: string | null, model: string | null): string[] {
  const names: string[] = [];
  const makerWord = (make ?? '').replace(COMPANY, ' ').trim().split(/\s+/)[0] ?? '';
  // SONY, NIKON: a shouted maker is written as people write it; DJI, HTC stay acronyms.
  const maker = makerWord.length > 3 && makerWord === makerWord.toUpperCase() ? makerWord[0] + makerWord.slice(1).toLowerCase() : makerWord;
  if (maker) names.push(maker);
  // "Canon EOS R5": the model without the maker's name it often starts with.
  const bare = (model ?? '').trim().replace(new RegExp(`^${maker.replace(/[^\p{L}\p{N}]/gu, '')}\\s+`, 'iu'), '');
  if (bare) {
    names.push(bare);
    if (maker && foldText(bare) !== foldText(maker)) names.push(`${maker} ${bare}`);
    const family = bare.split(/\s+/);
    if (family.length > 1 && /^\p{L}{3,}$/u.test(family[0]!)) names.push(family[0]!);
  }
  return names;
}

/** Every camera and place name the library's photos have, longest first (so "New York" is found before "York"). */
function knownNames(db: Db): KnownName[] {
  const byKey = new Map<string, KnownName>();
  const add = (kind: LibraryChip['kind'], name: string, value = name) => {
    const words = UNSEGMENTED.test(name) ? [] : (foldText(name).match(WORD) ?? []);
    if (words.length === 0 && !UNSEGMENTED.test(name)) return;
    const key = `${kind}:${UNSEGMENTED.test(name) ? name : words.join(' ')}`;
    // A person's name was given by the person: it is meant as a name, lower case or not ("obama at the beach").
    if (!byKey.has(key)) byKey.set(key, { kind, name, value, words, distinctive: kind === 'person' || distinctive(name) });
  };
  for (const { name } of db.prepare(`SELECT DISTINCT name FROM people WHERE name IS NOT NULL AND hidden = 0`).all() as { name: string }[]) {
    add('person', name);
    // People are called by one of their names too: "obama", "anna". (Two people sharing a first name: the first named wins the word.)
    for (const word of name.split(/\s+/).filter((part) => part.length > 1 && part !== name)) add('person', word, name);
  }
  for (const { place } of db.prepare(`SELECT DISTINCT place FROM photos WHERE place IS NOT NULL`).all() as { place: string }[]) {
    for (const name of placeNames(place)) add('place', name);
  }
  const cameras = db.prepare(`SELECT DISTINCT camera_make AS make, camera_model AS model FROM photos WHERE camera_model IS NOT NULL OR camera_make IS NOT NULL`).all() as { make: string | null; model: string | null }[];
  for (const { make, model } of cameras) for (const name of cameraNames(make, model)) add('camera', name);
  return [...byKey.values()].sort((a, b) => b.words.length - a.words.length || b.name.length - a.name.length);
}

interface Token {
  folded: string;
  start: number;
  end: number;
}

/** A query with its words as Chinese particles and English stop words aside: is anything left to search for? */
function hasContent(text: string): boolean {
  // A removed chip's words, held aside by search/query-chips.ts, are words to search for.
  if (text.includes(HELD)) return true;
  const han = text.replace(/[在于的和与照片相片图片]/gu, '');
  if (UNSEGMENTED.test(han)) return true;
  return (foldText(text).match(WORD) ?? []).some((word) => !isStopWord(word) && !CUES.place.has(word) && !CUES.camera.has(word));
}

/**
 * The query's camera and place names as chips, and the words left to search. When the names are all there is ("Paris",
 * "iPhone in Paris"), the first stays a word, so something is left to rank by.
 */
export function extractLibraryWords(db: Db, query: string): { text: string; chips: LibraryChip[] } {
  const names = knownNames(db);
  if (names.length === 0) return { text: query, chips: [] };
  const tokens: Token[] = [...query.matchAll(WORD)].map((match) => ({ folded: foldText(match[0]), start: match.index, end: match.index + match[0].length }));
  const taken = new Array<boolean>(tokens.length).fill(false);
  const found: { chip: LibraryChip; start: number; end: number }[] = [];
  const overlaps = (start: number, end: number) => found.some((f) => start < f.end && f.start < end);
  for (const known of names) {
    if (known.words.length === 0) {
      const at = query.indexOf(known.name);
      if (at >= 0 && !overlaps(at, at + known.name.length)) {
        found.push({ chip: { kind: known.kind, label: known.name, value: known.value, words: known.name }, start: at, end: at + known.name.length });
      }
      continue;
    }
    const n = known.words.length;
    for (let i = 0; i + n <= tokens.length; i++) {
      if (taken.slice(i, i + n).some(Boolean) || known.words.some((word, k) => tokens[i + k]!.folded !== word)) continue;
      const label = query.slice(tokens[i]!.start, tokens[i + n - 1]!.end);
      const cue = i > 0 && CUES[known.kind].has(tokens[i - 1]!.folded) && !taken[i - 1];
      if (!(known.distinctive || cue || /^\p{Lu}/u.test(label))) continue;
      taken.fill(true, cue ? i - 1 : i, i + n);
      const start = cue ? tokens[i - 1]!.start : tokens[i]!.start;
      const end = tokens[i + n - 1]!.end;
      found.push({ chip: { kind: known.kind, label, value: known.value, words: query.slice(start, end) }, start, end });
      break;
    }
  }
  found.sort((a, b) => a.start - b.start);
  let text = withoutRanges(query, found);
  // Nothing left to rank by: the first name stays a word (its own signal, names and places, finds it).
  while (found.length > 0 && !hasContent(text)) {
    found.shift();
    text = withoutRanges(query, found);
  }
  return found.length === 0 ? { text: query, chips: [] } : { text, chips: found.map((f) => f.chip) };
}

function withoutRanges(query: string, ranges: readonly { start: number; end: number }[]): string {
  let text = '';
  let at = 0;
  for (const { start, end } of [...ranges].sort((a, b) => a.start - b.start)) {
    text += `${query.slice(at, start)} `;
    at = end;
  }
  return (text + query.slice(at)).replace(/\s+/gu, ' ').trim();
}

/** At most this many of each in the filter lists (a library of a lifetime's travels has more towns than a menu can hold; the rest are typed). */
const FACET_LIMIT = 300;

/**
 * The cameras (maker and model: "Apple iPhone 12 Pro"), places (towns and cities, and
 * countries) and named people of the library's visible photos, with how many photos each, most first: what the
 * filter bar offers. Each name, given back as a filter, selects exactly those photos.
 */
export function libraryFacets(db: Db): { cameras: { name: string; count: number }[]; places: { name: string; count: number; kind: 'area' | 'country' }[]; people: { name: string; count: number }[] } {
  const cameras = new Map<string, number>();
  const cameraRows = db
    .prepare(`SELECT camera_make AS make, camera_model AS model, count(*) AS n FROM photos WHERE (camera_model IS NOT NULL OR camera_make IS NOT NULL) AND orphaned_at IS NULL GROUP BY 1, 2`)
    .all() as { make: string | null; model: string | null; n: number }[];
  for (const { make, model, n } of cameraRows) {
    // The longest name says maker and model ("Apple iPhone 12 Pro"); a camera with only a maker is named by it.
    const name = cameraNames(make, model).sort((a, b) => b.length - a.length)[0];
    if (name) cameras.set(name, (cameras.get(name) ?? 0) + n);
  }
  const places = new Map<string, { count: number; kind: 'area' | 'country' }>();
  const placeRows = db.prepare(`SELECT place, count(*) AS n FROM photos WHERE place IS NOT NULL AND orphaned_at IS NULL GROUP BY 1`).all() as { place: string; n: number }[];
  for (const { place, n } of placeRows) {
    const { areas, country } = parsePlaceLabel(place);
    const named = [...areas.map((name) => [name, 'area'] as const), ...(country ? [[country, 'country'] as const] : [])];
    for (const [name, kind] of named) places.set(name, { count: (places.get(name)?.count ?? 0) + n, kind });
  }
  const mostFirst = <T extends { name: string; count: number }>(list: T[]) => list.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, FACET_LIMIT);
  const people = db
    .prepare(
      `SELECT pe.name, count(DISTINCT f.photo_id) AS count FROM people pe JOIN faces f ON f.person_id = pe.id AND f.not_face = 0
       JOIN photos p ON p.id = f.photo_id AND p.orphaned_at IS NULL WHERE pe.name IS NOT NULL AND pe.hidden = 0 GROUP BY lower(pe.name)`,
    )
    .all() as { name: string; count: number }[];
  return {
    people: mostFirst(people),
    cameras: mostFirst([...cameras].map(([name, count]) => ({ name, count }))),
    places: mostFirst([...places].map(([name, { count, kind }]) => ({ name, count, kind }))),
  };
}
