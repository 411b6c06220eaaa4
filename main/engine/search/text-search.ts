import type { CaptionStore } from '../captions/caption-store.js';
import type { PhotoTextStore } from '../captions/photo-text-store.js';
import { UsageError } from '../errors.js';
import type { LibraryStore } from '../library-store.js';
import type { ClipSearch, SearchHit, SearchOptions, SearchResponse } from './clip-search.js';
import { HIDDEN_PHOTOS, filterQuery, hasFilters } from './filters.js';
import { type ChipOptions, type QueryChip, readChips, withChipFilters } from './query-chips.js';
import { reciprocalRankFusion } from './fusion.js';
import { type NameField, type NameMatch, searchKeywords, searchNames } from './name-search.js';
import type { Db } from '../db/database.js';
import type { LanguageNotice } from './query-language.js';

/** How deep each ranking is read before fusing: enough that a photo ranked well by one list but past `limit` in the other still counts. */
const FUSION_DEPTH = 200;

export interface FusedSearchResponse extends Omit<SearchResponse, 'results'> {
  results: ExplainedHit[];
  /** How many photos' captions matched the words (0: the ranking is CLIP's alone, scores are cosines). */
  caption_matches: number;
  /** How many photos' file names, folders or cameras matched the words (search/name-search.ts). */
  name_matches: number;
  /** How many photos' text (read in them: the read-text setting) matched the words. */
  text_matches: number;
  /** 'clip' (cosine scores), 'captions' (no CLIP model or embeddings: text matches only, captions and names), 'rrf' (several rankings, fused) or 'filters' (the query was only chips such as "favourites": newest first). */
  ranking: 'clip' | 'captions' | 'rrf' | 'filters';
  /** Something the person should know about this answer (a query in a language the model does not read), else null. */
  notice: LanguageNotice | null;
  /** Words taken from the query as filters: dates ("2019", "last summer", "去年"), cameras and places the library knows; [] when none (or `chips: false`). */
  chips: QueryChip[];
}

/** Why a result matched: what it looks like (clip), its caption, or its file name, folder or camera (with the text that matched). */
export interface MatchReason {
  signal: 'clip' | 'caption' | 'text in photo' | NameField;
  text?: string;
}

export interface ExplainedHit extends SearchHit {
  /** Empty for a result past the relevance cut (ranked, but nothing made it a match). */
  why: MatchReason[];
}

interface SearchDeps {
  db: Db;
  store: LibraryStore;
  captions: CaptionStore;
  photoText: PhotoTextStore;
  clip: () => ClipSearch;
  notice?: (text: string) => LanguageNotice | null;
}

/**
 * `iris search`: CLIP's ranking of the photos by the sentence, fused by reciprocal rank fusion
 * (search/fusion.ts) with the text rankings that match: captions (full text) and names (file
 * name, folder, camera: search/name-search.ts). With text matches and no CLIP model (or no
 * embeddings yet), the text rankings alone; with neither, CLIP's error. Each result says why it
 * matched.
 */
export async function searchPhotos(deps: SearchDeps, query: string, options: SearchOptions & ChipOptions = {}): Promise<FusedSearchResponse> {
  if (!query.trim()) throw new UsageError('give something to search for, e.g. `iris search "a dog on the beach"`');
  // Date words, cameras and places become filters (search/query-chips.ts), on top of any given.
  const { text, chips } = readChips(deps.db, query, options);
  // "my favourites", "5 stars": nothing left to rank, so the photos the chips allow, newest first.
  if (!text.trim() && chips.some((chip) => chip.kind === 'favourite' || chip.kind === 'rating')) return { ...filteredOnly(deps, withChipFilters(options, chips)), chips };
  const answer = await fusedSearch(deps, text, withChipFilters(options, chips));
  return { ...answer, chips };
}

function filteredOnly(deps: SearchDeps, options: SearchOptions): Omit<FusedSearchResponse, 'chips'> {
  const started = process.hrtime.bigint();
  const { sql, params } = filterQuery(options);
  const ids = deps.db.prepare(`SELECT p.id FROM photos p WHERE p.id IN (${sql}) AND p.status = 'ok' ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.id DESC LIMIT ?`).pluck().all(...params, options.limit ?? 20) as number[];
  const results = hits(deps.store, ids.map((id) => ({ id, score: 1 })), new Reasons([], [], [], undefined));
  const search_ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { model: 'filters', results, relevant: results.length, cutoff: null, notice: null, timings: { encode_ms: 0, search_ms }, caption_matches: 0, name_matches: 0, text_matches: 0, ranking: 'filters' };
}

async function fusedSearch(deps: SearchDeps, text: string, options: SearchOptions): Promise<Omit<FusedSearchResponse, 'chips'>> {
  const limit = options.limit ?? 20;
  const depth = Math.max(FUSION_DEPTH, limit);
  const within = hasFilters(options) ? filterQuery(options) : undefined;
  // Filters leave hidden photos out (filters.ts); without them, they are left out here (few: a set).
  const hidden = within ? new Set<number>() : new Set(deps.db.prepare(HIDDEN_PHOTOS).pluck().all() as number[]);
  const shown = (id: number) => !hidden.has(id);
  const captionIds = deps.captions.search(text, depth, within).map((match) => match.photoId).filter(shown);
  const readIds = deps.photoText.search(text, depth, within).map((match) => match.photoId).filter(shown);
  const names = [...searchNames(deps.db, text, depth, within), ...searchKeywords(deps.db, text, depth, within)].filter((match) => shown(match.photoId));
  const nameIds = [...new Set(names.map((match) => match.photoId))];
  const textMatches = captionIds.length + readIds.length + nameIds.length;
  let clipResponse: SearchResponse | undefined;
  try {
    clipResponse = await deps.clip().searchText(text, { ...options, limit: textMatches > 0 ? depth : limit });
  } catch (error) {
    // No CLIP model or no embeddings yet: the text signals can still answer.
    if (!(error instanceof UsageError) || textMatches === 0) throw error;
  }
  // CLIP ranked the words: say so when it cannot read their language.
  const notice = clipResponse ? (deps.notice?.(text) ?? null) : null;
  const readTexts = deps.photoText.textsOf(readIds);
  const reasons = new Reasons(names, captionIds, readIds.map((id) => ({ id, text: readTexts.get(id) ?? '' })), clipResponse);
  const counts = { caption_matches: captionIds.length, name_matches: nameIds.length, text_matches: readIds.length, notice };
  if (textMatches === 0) return { ...clipResponse!, results: clipResponse!.results.map((hit, i) => ({ ...hit, why: i < clipResponse!.relevant ? [{ signal: 'clip' }] : [] })), ...counts, ranking: 'clip' };
  const textRankings = [captionIds, readIds, nameIds].filter((ranking) => ranking.length > 0);
  if (!clipResponse) {
    const results = hits(deps.store, reciprocalRankFusion(textRankings).slice(0, limit), reasons);
    return { model: 'captions', results, relevant: results.length, cutoff: null, timings: { encode_ms: 0, search_ms: 0 }, ...counts, ranking: 'captions' };
  }
  // A photo is relevant when CLIP's cut-off keeps it or a text signal has the words; relevant ones
  // come first (each part in fused order), so a text match is never ranked below a photo CLIP cut.
  // CLIP's list goes first: on a tie in fused score, what it looks like wins over a name.
  const matching = new Set([...clipResponse.results.slice(0, clipResponse.relevant).map((hit) => hit.id), ...captionIds, ...readIds, ...nameIds]);
  const fused = reciprocalRankFusion([clipResponse.results.map((hit) => hit.id), ...textRankings]);
  const ranked = [...fused.filter((hit) => matching.has(hit.id)), ...fused.filter((hit) => !matching.has(hit.id))].slice(0, limit);
  const results = hits(deps.store, ranked, reasons);
  return { ...clipResponse, results, relevant: results.filter((hit) => matching.has(hit.id)).length, ...counts, ranking: 'rrf' };
}

/** What made each photo a match, from each signal's matches. */
class Reasons {
  private readonly byPhoto = new Map<number, MatchReason[]>();

  constructor(names: readonly NameMatch[], captionIds: readonly number[], read: readonly { id: number; text: string }[], clip: SearchResponse | undefined) {
    for (const hit of clip?.results.slice(0, clip.relevant) ?? []) this.add(hit.id, { signal: 'clip' });
    for (const id of captionIds) this.add(id, { signal: 'caption' });
    // What is written in the photo, shortened: the words matched are in it.
    for (const { id, text } of read) this.add(id, { signal: 'text in photo', text: text.length > 80 ? `${text.slice(0, 79)}…` : text });
    for (const match of names) for (const reason of match.reasons) this.add(match.photoId, { signal: reason.field, text: reason.text });
  }

  private add(id: number, reason: MatchReason): void {
    const list = this.byPhoto.get(id);
    if (list) list.push(reason);
    else this.byPhoto.set(id, [reason]);
  }

  of(id: number): MatchReason[] {
    return this.byPhoto.get(id) ?? [];
  }
}

function hits(store: LibraryStore, ranked: readonly { id: number; score: number }[], reasons: Reasons): ExplainedHit[] {
  return ranked.flatMap(({ id, score }) => {
    const where = store.locationsOf(id).map((location) => location.path).sort()[0];
    return where ? [{ id, path: where, score: Math.round(score * 1e6) / 1e6, why: reasons.of(id) }] : [];
  });
}
