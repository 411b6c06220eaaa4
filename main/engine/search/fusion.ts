/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): each ranking gives a photo
 * 1 / (k + rank), rank counted from 1, and a photo's score is the sum over the rankings it is in.
 *
 * Why this and not a blend of scores: CLIP cosines (~0.2-0.35 for a match) and bm25 (unbounded,
 * depends on caption length and corpus) are not on one scale, and calibrating them would need
 * relevance data per model. Ranks need none. k = 60 is the paper's value: it keeps one list's top
 * hit from drowning what both lists agree on, so a photo that CLIP ranks 3rd and whose caption
 * ranks 2nd beats one that only CLIP ranks 1st.
 */
const RRF_K = 60;

export function reciprocalRankFusion(rankings: readonly (readonly number[])[], k = RRF_K): { id: number; score: number }[] {
  const scores = new Map<number, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1)));
  }
  // Ties keep the order of first appearance (the first ranking's order first).
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
