/**
 * Search state: the query (or the photo whose look-alikes are shown), the filters, and the newest
 * answer. Typing is debounced (200 ms) and only the newest request's answer is ever shown.
 */
import { createContext, tick } from 'svelte';
import type { AppStore } from './app.svelte.js';
import { LatestOnly } from './latest.js';
import { now, perf } from './perf.js';
import { afterPaint } from './timing.js';
import { errorMessage } from './errors.js';
import type { ColourLabel } from './organise.svelte.js';
import type { CallArgs, SearchResult } from './types.js';

export interface SearchFilters {
  folderId: number | null;
  /** YYYY-MM-DD or ''. */
  after: string;
  before: string;
  formats: string[];
  /** A camera name (library.facets, or a query's chip moved here) or ''. */
  camera: string;
  /** A town, city or country (library.facets, or a query's chip) or ''. */
  place: string;
  /** A person's name (library.facets, or a query's chip) or ''. */
  person: string;
  /** Only favourites (a heart; or the query's "favourites" chip). */
  favourite: boolean;
  /** Only photos with at least this many stars; 0: any. */
  minRating: number;
  /** A colour label, or '' for any. */
  label: '' | ColourLabel;
  /** A keyword (library.facets) or ''. */
  keyword: string;
  /** Rejected photos: shown with the rest (''), left out ('hide'), or the only ones shown ('only'). */
  rejected: '' | 'hide' | 'only';
  /** Only the photos hidden from the library (the way back to them: "Show again"). */
  hidden: boolean;
}

/** What the engine calls each format (sharp's names), in the order the filter lists them. */
export const searchFormats = ['jpeg', 'png', 'webp', 'heif', 'tiff', 'gif'] as const;

type Request = { kind: 'text'; query: string; filters: SearchFilters; literal: string[] } | { kind: 'similar'; photoId: number; filters: SearchFilters };

/** A word of the query the engine took as a filter: a date, a camera or a place. */
export type QueryChip = NonNullable<SearchResult['chips']>[number];

/** How many results a search shows (the contract allows up to 500). */
export const RESULT_LIMIT = 200;
export const SEARCH_DEBOUNCE_MS = 200;

export function emptyFilters(): SearchFilters {
  return { folderId: null, after: '', before: '', formats: [], camera: '', place: '', person: '', favourite: false, minRating: 0, label: '', keyword: '', rejected: '', hidden: false };
}

type FilterFields = NonNullable<CallArgs<'photos.timeline'>['filters']>;

/** The filters that are set, as the contract takes them. */
function filterFields(filters: SearchFilters): FilterFields {
  const fields: FilterFields = {};
  if (filters.folderId !== null) fields.folderId = filters.folderId;
  if (filters.after) fields.after = filters.after;
  if (filters.before) fields.before = filters.before;
  if (filters.formats.length > 0) fields.formats = [...filters.formats];
  if (filters.camera) fields.camera = filters.camera;
  if (filters.place) fields.place = filters.place;
  if (filters.person) fields.person = filters.person;
  if (filters.favourite) fields.favourite = true;
  if (filters.minRating > 0) fields.minRating = filters.minRating;
  if (filters.label) fields.label = filters.label;
  if (filters.keyword) fields.keyword = filters.keyword;
  if (filters.rejected) fields.rejected = filters.rejected === 'only';
  if (filters.hidden) fields.hidden = true;
  return fields;
}

export function filterArgs(filters: SearchFilters): Omit<CallArgs<'search.text'>, 'query'> {
  return { limit: RESULT_LIMIT, ...filterFields(filters) };
}

/** The filters as photos.timeline takes them (null: none set). */
export function timelineFilters(filters: SearchFilters): FilterFields | null {
  const fields = filterFields(filters);
  return Object.keys(fields).length > 0 ? fields : null;
}

function describe(request: Request): string {
  return request.kind === 'text' ? request.query : `similar:${request.photoId}`;
}

export class SearchStore {
  query = $state('');
  similarTo = $state<number | null>(null);
  filters = $state<SearchFilters>(emptyFilters());
  /** Ranked photo ids of the newest answer (the matches, then the rest); null when nothing has been answered for the current search. */
  results = $state.raw<number[] | null>(null);
  /** Words of the query taken as filters (a date, a camera, a place): each can be removed (its words are searched as words) or moved into the filters to edit. */
  chips = $state.raw<QueryChip[]>([]);
  /** Labels of the chips the person removed from this query: the engine searches them as words. */
  literal = $state.raw<string[]>([]);
  /** Why each result matched (file name, folder, camera, caption, or what it shows), by photo id; empty for similar photos. */
  reasons = $state.raw<ReadonlyMap<number, MatchReason[]>>(new Map());
  /** What a screen reader calls each result: its caption, else its file name (absent from an engine that does not send them). */
  labels = $state.raw<ReadonlyMap<number, string>>(new Map());
  /** How many of `results` match (the engine's relevance cut); the rest show on demand. */
  relevant = $state(0);
  /** The person asked to see the ranked photos past the cut ("show more, less alike"). */
  showingAll = $state(false);
  /** Something the answer says about the query (a language the model does not read). */
  notice = $state.raw<SearchResult['notice']>(null);
  model = $state<string | null>(null);
  /** The query (or "similar:<id>") the shown results answer; lets tests and the e2e bench wait for the right answer. */
  answered = $state<string | null>(null);
  pending = $state(false);
  error = $state<string | null>(null);
  tagsOpen = $state(false);

  readonly active = $derived(this.query.trim() !== '' || this.similarTo !== null);
  /** The results on screen: the matches, or every ranked one after "show more". */
  readonly shown = $derived(this.results === null ? null : this.showingAll ? this.results : this.results.slice(0, this.relevant));
  /** Ranked photos past the cut, not shown yet. */
  readonly hidden = $derived(this.results === null || this.showingAll ? 0 : this.results.length - this.relevant);
  readonly filtering = $derived(
    this.filters.folderId !== null ||
      this.filters.after !== '' ||
      this.filters.before !== '' ||
      this.filters.formats.length > 0 ||
      this.filters.camera !== '' ||
      this.filters.place !== '' ||
      this.filters.person !== '' ||
      this.filters.favourite ||
      this.filters.minRating > 0 ||
      this.filters.label !== '' ||
      this.filters.keyword !== '' ||
      this.filters.rejected !== '' ||
      this.filters.hidden,
  );

  private readonly latest: LatestOnly<Request, SearchResult>;
  private keepShowingAll = false;

  constructor(
    private readonly app: AppStore,
    delayMs = SEARCH_DEBOUNCE_MS,
  ) {
    this.latest = new LatestOnly<Request, SearchResult>({
      delayMs,
      run: (request) =>
        request.kind === 'text'
          ? app.api.call('search.text', { query: request.query, ...filterArgs(request.filters), ...(request.literal.length > 0 ? { literal: request.literal } : {}) })
          : app.api.call('search.similar', { photoId: request.photoId, ...filterArgs(request.filters) }),
      onAnswer: (request, answer) => {
        perf.lastSearchAnswerAt = now();
        this.answered = describe(request);
        this.results = answer.results.map((result) => result.id);
        this.reasons = new Map(answer.results.map((result) => [result.id, result.why ?? []]));
        this.labels = new Map(answer.results.map((result) => [result.id, resultLabel(result)]));
        this.chips = answer.chips ?? [];
        this.relevant = Math.min(answer.relevant, answer.results.length);
        // A rerun after photos changed (refresh) keeps "show more" open; a new search starts cut.
        this.showingAll = this.keepShowingAll && this.showingAll;
        this.keepShowingAll = false;
        this.notice = answer.notice;
        this.model = answer.model;
        this.error = null;
        void tick().then(() => afterPaint(() => (perf.lastSearchPaintedAt = now())));
      },
      onError: (request, error) => {
        this.answered = describe(request);
        this.results = [];
        this.relevant = 0;
        this.notice = null;
        this.error = errorMessage(error);
      },
      onPending: (pending) => (this.pending = pending),
    });
    // Photos were marked, hidden, given keywords: the answer may no longer hold ("5 stars").
    app.organise.onChange(() => this.refresh());
  }

  /** True when searching cannot work yet: the library's CLIP model is not installed. */
  get modelMissing(): boolean {
    return this.app.status !== null && !this.app.status.clip.installed;
  }

  setQuery(query: string): void {
    const changed = query.trim() !== this.query.trim() || this.similarTo !== null;
    this.query = query;
    // A new query reads its chips again.
    if (changed) this.literal = [];
    this.similarTo = null;
    // Results show in the library view; typing from the map or settings goes there.
    if (query.trim() !== '' && this.app.view !== 'library') this.app.view = 'library';
    if (changed) this.run('debounced');
  }

  /** A chip's ✕: the same query, that chip's words searched as words. */
  removeChip(chip: QueryChip): void {
    this.literal = [...this.literal, chip.label];
    this.chips = this.chips.filter((other) => other !== chip);
    this.run('now');
  }

  /**
   * A chip moved into the filters, where it can be edited: its words leave the query and the
   * filter it stood for is set ("2019" becomes From 2019-01-01 Until 2020-01-01; "in Paris" the
   * place Paris). Until is exclusive in both.
   */
  editChip(chip: QueryChip): void {
    const change: Partial<SearchFilters> =
      chip.kind === 'date'
        ? { after: chip.after, before: chip.before }
        : chip.kind === 'camera'
          ? { camera: chip.value }
          : chip.kind === 'place'
            ? { place: chip.value }
            : chip.kind === 'person'
              ? { person: chip.value }
              : chip.kind === 'favourite'
                ? { favourite: true }
                : { minRating: chip.min };
    const words = chip.kind === 'date' ? chip.label : chip.words;
    const at = this.query.toLowerCase().indexOf(words.toLowerCase());
    if (at >= 0) this.query = `${this.query.slice(0, at)} ${this.query.slice(at + words.length)}`.replace(/\s+/g, ' ').trim();
    this.chips = this.chips.filter((other) => other !== chip);
    this.setFilters(change);
  }

  /** Enter in the search box: no need to wait for the debounce. */
  submit(): void {
    this.run('now');
  }

  findSimilar(photoId: number): void {
    this.query = '';
    this.similarTo = photoId;
    this.app.view = 'library';
    this.run('now');
  }

  /** "Show N more, less alike": the ranked photos past the cut join the results. */
  showMore(): void {
    this.showingAll = true;
  }

  setFilters(change: Partial<SearchFilters>): void {
    this.filters = { ...this.filters, ...change };
    this.filtersChanged();
  }

  resetFilters(): void {
    this.filters = emptyFilters();
    this.filtersChanged();
  }

  /** Filters narrow the search and, with no query, the grid being browsed. */
  private filtersChanged(): void {
    this.app.setBrowseFilters(timelineFilters($state.snapshot(this.filters) as SearchFilters));
    this.run('now');
  }

  clear(): void {
    this.query = '';
    this.similarTo = null;
    this.run('now');
  }

  /** Runs the current search again (the model was just installed, the engine is back, photos were marked). */
  refresh(): void {
    this.run('now', true);
  }

  private run(mode: 'debounced' | 'now', keepShowingAll = false): void {
    this.keepShowingAll = keepShowingAll;
    if (!this.active || this.modelMissing) {
      this.latest.cancel();
      this.results = null;
      this.relevant = 0;
      this.notice = null;
      this.answered = null;
      this.error = null;
      return;
    }
    const filters = $state.snapshot(this.filters) as SearchFilters;
    const request: Request = this.similarTo !== null ? { kind: 'similar', photoId: this.similarTo, filters } : { kind: 'text', query: this.query.trim(), filters, literal: this.literal };
    if (mode === 'now') this.latest.now(request);
    else this.latest.schedule(request);
  }
}

export const [getSearch, setSearch] = createContext<SearchStore>();

/** A result's caption, else its file name, else '' (the view then says "Search result N"). */
function resultLabel(result: SearchResult['results'][number]): string {
  return result.caption?.trim() || (result.name ?? '');
}

/** One reason a result matched, as search.text gives it. */
export type MatchReason = NonNullable<SearchResult['results'][number]['why']>[number];
