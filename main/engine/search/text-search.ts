import type { CaptionStore } from '../captions/caption-store.js';
import { UsageError } from '../errors.js';
import type { LibraryStore } from '../library-store.js';
import type { ClipSearch, SearchHit, SearchOptions, SearchResponse } from './clip-search.js';
import { filterQuery, hasFilters } from './filters.js';
import { RRF_K, reciprocalRankFusion } from './fusion.js';
import type { LanguageNotice } from './query-language.js';

/** How deep each ranking is read before fusing: enough that a photo ranked well by one list but past `limit` in the other still counts. */
const FUSION_DEPTH = 200;

export interface FusedSearchResponse extends SearchResponse {
  /** How many photos' captions matched the words (0: the ranking is CLIP's alone, scores are cosines). */
  caption_matches: number;
  /** 'clip' (cosine scores), 'captions' (no CLIP model or embeddings: caption matches only) or 'rrf' (both, fused). */
  ranking: 'clip' | 'captions' | 'rrf';
  /** Something the person should know about this answer (a query in a language the model does not read), else null. */
  notice: LanguageNotice | null;
}

/**
 * `iris search`: CLIP's ranking of the photos by the sentence, fused with the caption full-text
 * ranking by reciprocal rank fusion (search/fusion.ts) when any caption matches. With captions
 * and no CLIP model (or no embeddings yet), the caption ranking alone; with neither, CLIP's error.
 */
export async function searchPhotos(
  deps: { store: LibraryStore; captions: CaptionStore; clip: () => ClipSearch; notice?: (text: string) => LanguageNotice | null },
  text: string,
  options: SearchOptions = {},
): Promise<FusedSearchResponse> {
  if (!text.trim()) throw new UsageError('give something to search for, e.g. `iris search "a dog on the beach"`');
  const limit = options.limit ?? 20;
  const depth = Math.max(FUSION_DEPTH, limit);
  const captionIds = captionMatches(deps.captions, text, options, depth);
  let clipResponse: SearchResponse | undefined;
  try {
    clipResponse = await deps.clip().searchText(text, { ...options, limit: captionIds.length > 0 ? depth : limit });
  } catch (error) {
    // No CLIP model or no embeddings yet: the captions can still answer.
    if (!(error instanceof UsageError) || captionIds.length === 0) throw error;
  }
  // CLIP ranked the words: say so when it cannot read their language.
  const notice = clipResponse ? (deps.notice?.(text) ?? null) : null;
  if (captionIds.length === 0) return { ...clipResponse!, caption_matches: 0, ranking: 'clip', notice };
  if (!clipResponse) {
    const results = hits(deps.store, captionIds.slice(0, limit).map((id, i) => ({ id, score: 1 / (RRF_K + i + 1) })));
    return { model: 'captions', results, relevant: results.length, cutoff: null, timings: { encode_ms: 0, search_ms: 0 }, caption_matches: captionIds.length, ranking: 'captions', notice };
  }
  // A photo is relevant when CLIP's cut-off keeps it or its caption has the words; relevant ones
  // come first (each part in fused order), so a caption match is never ranked below a photo CLIP cut.
  const matching = new Set([...clipResponse.results.slice(0, clipResponse.relevant).map((hit) => hit.id), ...captionIds]);
  const fused = reciprocalRankFusion([clipResponse.results.map((hit) => hit.id), captionIds]);
  const ranked = [...fused.filter((hit) => matching.has(hit.id)), ...fused.filter((hit) => !matching.has(hit.id))].slice(0, limit);
  const results = hits(deps.store, ranked);
  return { ...clipResponse, results, relevant: results.filter((hit) => matching.has(hit.id)).length, caption_matches: captionIds.length, ranking: 'rrf', notice };
}

function captionMatches(captions: CaptionStore, text: string, filters: SearchOptions, depth: number): number[] {
  return captions.search(text, depth, hasFilters(filters) ? filterQuery(filters) : undefined).map((match) => match.photoId);
}

function hits(store: LibraryStore, ranked: readonly { id: number; score: number }[]): SearchHit[] {
  return ranked.flatMap(({ id, score }) => {
    const where = store.locationsOf(id).map((location) => location.path).sort()[0];
    return where ? [{ id, path: where, score: Math.round(score * 1e6) / 1e6 }] : [];
  });
}
