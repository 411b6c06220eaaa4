import type { CaptionStore } from '../captions/caption-store.js';
import { UsageError } from '../errors.js';
import type { LibraryStore } from '../library-store.js';
import type { ClipSearch, SearchHit, SearchOptions, SearchResponse } from './clip-search.js';
import { filterQuery, hasFilters } from './filters.js';
import { RRF_K, reciprocalRankFusion } from './fusion.js';

/** How deep each ranking is read before fusing: enough that a photo ranked well by one list but past `limit` in the other still counts. */
const FUSION_DEPTH = 200;

export interface FusedSearchResponse extends SearchResponse {
  /** How many photos' captions matched the words (0: the ranking is CLIP's alone, scores are cosines). */
  caption_matches: number;
  /** 'clip' (cosine scores), 'captions' (no CLIP model or embeddings: caption matches only) or 'rrf' (both, fused). */
  ranking: 'clip' | 'captions' | 'rrf';
}

/**
 * `iris search`: CLIP's ranking of the photos by the sentence, fused with the caption full-text
 * ranking by reciprocal rank fusion (search/fusion.ts) when any caption matches. With captions
 * and no CLIP model (or no embeddings yet), the caption ranking alone; with neither, CLIP's error.
 */
export async function searchPhotos(
  deps: { store: LibraryStore; captions: CaptionStore; clip: () => ClipSearch },
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
  if (captionIds.length === 0) return { ...clipResponse!, caption_matches: 0, ranking: 'clip' };
  if (!clipResponse) {
    return { model: 'captions', results: hits(deps.store, captionIds.slice(0, limit).map((id, i) => ({ id, score: 1 / (RRF_K + i + 1) }))), timings: { encode_ms: 0, search_ms: 0 }, caption_matches: captionIds.length, ranking: 'captions' };
  }
  const fused = reciprocalRankFusion([clipResponse.results.map((hit) => hit.id), captionIds]).slice(0, limit);
  return { ...clipResponse, results: hits(deps.store, fused), caption_matches: captionIds.length, ranking: 'rrf' };
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
