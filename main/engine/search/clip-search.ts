import fs from 'node:fs';
import path from 'node:path';
import type { ClipModel } from '../clip/clip-model.js';
import { preprocessImage } from '../clip/preprocessing.js';
import type { Db } from '../db/database.js';
import { UsageError } from '../errors.js';
import type { LibraryStore } from '../library-store.js';
import type { TagStore } from '../library/tag-store.js';
import { HIDDEN_PHOTOS, type SearchFilters, filterQuery, hasFilters } from './filters.js';
import { type Cutoff, cutRanked, queryBackground } from './relevance.js';
import type { VectorStore } from './vector-store.js';

export interface SearchHit {
  id: number;
  path: string;
  score: number;
}

export interface SearchResponse {
  model: string;
  /** Best first; the first `relevant` of them match the query (search/relevance.ts), the rest are less alike. */
  results: SearchHit[];
  relevant: number;
  /** How the relevance cut was made (null: not made, every result counts). */
  cutoff: Cutoff | null;
  timings: { encode_ms: number; search_ms: number };
}

export interface SearchOptions extends SearchFilters {
  limit?: number;
  /** Cut the ranking where the results stop standing out from the library (default true). */
  cutoff?: boolean;
}

/**
 * Two photos whose CLIP image embeddings have a cosine of at least this are near-duplicates. For
 * ViT-B/32, re-encodes, resizes, small crops and burst shots of one scene land above 0.95, while
 * two different photos of the same kind of subject (two beaches, two cats) stay below about 0.92.
 */
const DUPLICATE_THRESHOLD = 0.95;

/** CLIP's own zero-shot prompt; a bare word ("cat") matches captions less well than a sentence. */
const LABEL_PROMPT = (label: string) => `a photo of a ${label}`;

export interface LabelScore {
  label: string;
  probability: number;
}

export interface TagResult {
  id: number;
  path: string;
  labels: LabelScore[];
}

function elapsed(since: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - since) / 1e4) / 100;
}

/**
 * Search, similar, duplicates and zero-shot tags over one CLIP model's embeddings. A photo is
 * reported with its first location (photos are their bytes; `paths` in `iris list` has them all).
 */
export class ClipSearch {
  constructor(
    private readonly db: Db,
    private readonly store: LibraryStore,
    private readonly tags: TagStore,
    private readonly model: ClipModel,
    private readonly vectors: VectorStore,
  ) {}

  private firstPath(photoId: number): string | undefined {
    return this.store.locationsOf(photoId).map((location) => location.path).sort()[0];
  }

  private hits(found: readonly { photoId: number; score: number }[]): SearchHit[] {
    return found.flatMap(({ photoId, score }) => {
      const where = this.firstPath(photoId);
      return where ? [{ id: photoId, path: where, score: Math.round(score * 1e4) / 1e4 }] : [];
    });
  }

  private requireEmbeddings(): void {
    if (this.vectors.count() === 0) {
      throw new UsageError(`no photo has a ${this.model.id} embedding yet: run \`iris index\` (with the model installed) first`);
    }
  }

  /** Visible photo ids that pass the filters, or undefined when nothing is filtered. */
  private candidates(filters: SearchFilters): number[] | undefined {
    if (!hasFilters(filters)) return undefined;
    const { sql, params } = filterQuery(filters);
    return this.db.prepare(sql).pluck().all(...params) as number[];
  }

  private nearest(query: Float32Array, options: SearchOptions, exclude: number[] = []): { photoId: number; score: number }[] {
    const candidateIds = this.candidates(options);
    if (candidateIds && candidateIds.length === 0) return [];
    // Asked for hidden photos (filters.hidden): the candidates are exactly those, so the index must not drop them.
    return this.vectors.search(query, options.limit ?? 20, { candidateIds, exclude, includeHidden: options.hidden === true });
  }

  async searchText(text: string, options: SearchOptions = {}): Promise<SearchResponse> {
    if (!text.trim()) throw new UsageError('give something to search for, e.g. `iris search "a dog on the beach"`');
    this.requireEmbeddings();
    const encodeStart = process.hrtime.bigint();
    const [query] = await this.model.embedTexts([text]);
    const encode_ms = elapsed(encodeStart);
    const searchStart = process.hrtime.bigint();
    return this.answer(query!, options, [], encode_ms, searchStart);
  }

  /** The nearest photos to a query vector, with how many of them are relevant. */
  private answer(query: Float32Array, options: SearchOptions, exclude: number[], encode_ms: number, searchStart: bigint): SearchResponse {
    const results = this.hits(this.nearest(query, options, exclude));
    const background = options.cutoff === false ? null : queryBackground(this.db, this.model.id, this.vectors, query);
    const { relevant, cutoff } = background ? cutRanked(results.map((hit) => hit.score), background, this.vectors.count()) : { relevant: results.length, cutoff: null };
    return { model: this.model.id, results, relevant, cutoff, timings: { encode_ms, search_ms: elapsed(searchStart) } };
  }

  /**
   * A photo reference: a photo id, a path in the library, or any image file (embedded on the fly,
   * so "photos like this one I was sent" works without adding it).
   */
  async photoVector(reference: string): Promise<{ photoId: number | undefined; vector: Float32Array }> {
    const photoId = this.resolvePhoto(reference);
    if (photoId !== undefined) {
      const vector = this.vectors.get(photoId);
      if (!vector) throw new UsageError(`photo ${reference} has no ${this.model.id} embedding yet (still indexing, or it failed to decode): run \`iris index\``);
      return { photoId, vector };
    }
    const file = path.resolve(reference);
    if (!fs.existsSync(file)) throw new UsageError(`not a photo id or a file: ${reference}`);
    const [vector] = await this.model.embedImages([await preprocessImage(file, this.model.prep)]);
    return { photoId: undefined, vector: vector! };
  }

  /** The library photo a reference names (id or path), if it is one. */
  resolvePhoto(reference: string): number | undefined {
    if (/^\d+$/.test(reference) && this.store.getPhoto(Number(reference))) return Number(reference);
    const absolute = path.resolve(reference);
    const real = fs.existsSync(absolute) ? fs.realpathSync(absolute) : absolute;
    return this.store.knownFile(real)?.photoId;
  }

  async similar(reference: string, options: SearchOptions = {}): Promise<SearchResponse> {
    this.requireEmbeddings();
    const encodeStart = process.hrtime.bigint();
    const { photoId, vector } = await this.photoVector(reference);
    const encode_ms = elapsed(encodeStart);
    const searchStart = process.hrtime.bigint();
    return this.answer(vector, options, photoId === undefined ? [] : [photoId], encode_ms, searchStart);
  }

  /** A photo's embedding (unit length), undefined when it has none. */
  vectorOf(photoId: number): Float32Array | undefined {
    return this.vectors.get(photoId);
  }

  /**
   * Groups of near-duplicates: photos linked when their cosine is at least `threshold`, grouped
   * transitively (union-find), each group best-connected first. Uses each photo's nearest
   * neighbours, so its cost is one k-NN search per photo.
   */
  duplicates(threshold = DUPLICATE_THRESHOLD, neighbours = 16, includeHidden = false): { threshold: number; groups: { photos: SearchHit[] }[] } {
    this.requireEmbeddings();
    const hidden = new Set(includeHidden ? [] : (this.db.prepare(HIDDEN_PHOTOS).pluck().all() as number[]));
    const ids = this.vectors.photoIds().filter((id) => !hidden.has(id));
    const parent = new Map<number, number>(ids.map((id) => [id, id]));
    const root = (id: number): number => {
      let r = id;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(id, r);
      return r;
    };
    const best = new Map<number, number>();
    for (const id of ids) {
      const vector = this.vectors.get(id)!;
      // With includeHidden, the copies a review hid are found too (and photos gone from disk, which hits() drops).
      for (const { photoId, score } of this.vectors.search(vector, neighbours, { exclude: [id], includeHidden })) {
        if (score < threshold) break;
        parent.set(root(photoId), root(id));
        best.set(id, Math.max(best.get(id) ?? 0, score));
        best.set(photoId, Math.max(best.get(photoId) ?? 0, score));
      }
    }
    const groups = new Map<number, number[]>();
    for (const id of best.keys()) groups.set(root(id), [...(groups.get(root(id)) ?? []), id]);
    return {
      threshold,
      groups: [...groups.values()]
        .map((members) => ({ photos: this.hits(members.map((id) => ({ photoId: id, score: best.get(id)! })).sort((a, b) => b.score - a.score || a.photoId - b.photoId)) }))
        .filter((group) => group.photos.length > 1)
        .sort((a, b) => b.photos.length - a.photos.length || a.photos[0]!.path.localeCompare(b.photos[0]!.path)),
    };
  }

  /**
   * Zero-shot labels: the probability of each label for each photo (softmax over the labels of the
   * model's logit scale × cosine, as CLIP was trained). With `store`, each photo's most probable
   * label is saved as a tag (replacing an earlier zero-shot tag among the same labels).
   */
  async tag(references: readonly string[] | 'all', labels: readonly string[], store: boolean): Promise<TagResult[]> {
    const clean = [...new Set(labels.map((label) => label.trim()).filter(Boolean))];
    if (clean.length < 2) throw new UsageError('give at least two labels, e.g. --labels "cat,dog,car": zero-shot picks among them');
    this.requireEmbeddings();
    const labelVectors = await this.model.embedTexts(clean.map(LABEL_PROMPT));
    const targets: { photoId: number | undefined; path: string; vector: Float32Array }[] = [];
    if (references === 'all') {
      for (const photoId of this.vectors.photoIds()) {
        const where = this.firstPath(photoId);
        if (where) targets.push({ photoId, path: where, vector: this.vectors.get(photoId)! });
      }
    } else {
      for (const reference of references) {
        const { photoId, vector } = await this.photoVector(reference);
        targets.push({ photoId, path: photoId === undefined ? path.resolve(reference) : this.firstPath(photoId)!, vector });
      }
    }
    const results = targets.map((target) => ({
      ...target,
      labels: this.model
        .zeroShot(target.vector, labelVectors)
        .map((probability, i) => ({ label: clean[i]!, probability: Math.round(probability * 1e4) / 1e4 }))
        .sort((a, b) => b.probability - a.probability),
    }));
    if (store) this.saveTags(results, clean);
    return results.map(({ photoId, path: where, labels: scores }) => ({ id: photoId ?? -1, path: where, labels: scores }));
  }

  private saveTags(results: readonly { photoId: number | undefined; labels: LabelScore[] }[], labels: readonly string[]): void {
    const best = results.flatMap(({ photoId, labels: scores }) => (photoId === undefined ? [] : [{ photoId, label: scores[0]!.label, score: scores[0]!.probability }]));
    this.tags.saveBest(`zero-shot:${this.model.id}`, labels, best);
  }
}
