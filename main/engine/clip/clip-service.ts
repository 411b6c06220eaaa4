import type { CaptionStore } from '../captions/caption-store.js';
import type { PhotoTextStore } from '../captions/photo-text-store.js';
import type { Db } from '../db/database.js';
import { embedHandler } from '../jobs/embed-job.js';
import { type JobKind, embedJobKind } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import type { LibraryStore } from '../library-store.js';
import type { TagStore } from '../library/tag-store.js';
import type { ModelEntry } from '../models/catalog.js';
import { type ModelChoice, readCatalog, unusableChoice } from '../models/choose-model.js';
import { isInstalled } from '../models/verified.js';
import type { Device } from '../runtime/devices.js';
import type { RuntimeReport } from '../runtime/session.js';
import { ClipSearch, type SearchOptions } from '../search/clip-search.js';
import { languageNotice } from '../search/query-language.js';
import { type FusedSearchResponse, searchPhotos } from '../search/text-search.js';
import type { ChipOptions } from '../search/query-chips.js';
import { VectorStore } from '../search/vector-store.js';
import { CLIP_MODEL_SETTING, chooseClipModel } from './active-model.js';
import { ClipModel } from './clip-model.js';

export interface EmbeddingSummary {
  /** The CLIP model of this library (null when the catalog names none). */
  model: string | null;
  /**
   * The model searches answer with now: `model` once it covers the library; while it is still
   * embedding after a switch, the previous model (whose vectors cover more of the library).
   */
  serving: string | null;
  /** Photos that have an embedding from it / readable photos that still lack one. */
  embedded: number;
  missing: number;
  /** Why photos were not embedded (model not installed, broken, ...), when that is the case. */
  skipped: string | null;
}

export interface ClipServiceDeps {
  db: Db;
  store: LibraryStore;
  tags: TagStore;
  captions: CaptionStore;
  photoText: PhotoTextStore;
  modelsDir: string;
  device: () => Device;
  onReport: (report: RuntimeReport) => void;
}

/**
 * The library's CLIP model at work: which one it uses, its embedding jobs, and search over its
 * vectors (typed search fused with captions, similar, duplicates, zero-shot tags). The model's
 * sessions open on first use and follow the clip-model setting.
 */
export class ClipService {
  /** Loaded models by id: the chosen one, and while a switch re-embeds, the one still serving searches. */
  private readonly models = new Map<string, ClipModel>();
  /** Why the embed jobs could not run in this process, when they could not. */
  private unavailable: string | null = null;

  constructor(private readonly deps: ClipServiceDeps) {}

  /** The CLIP model this library uses and whether it is installed. */
  choice(): ModelChoice {
    return chooseClipModel(this.deps.modelsDir, this.deps.store.getSetting(CLIP_MODEL_SETTING) || undefined);
  }

  /** A loaded model (sessions open on first use); models neither chosen nor serving are let go. */
  private modelFor(entry: ModelEntry, keep: readonly string[]): ClipModel {
    for (const [id, model] of this.models) {
      if (!keep.includes(id)) {
        this.models.delete(id);
        void model.release();
      }
    }
    let model = this.models.get(entry.id);
    if (!model) {
      model = new ClipModel(this.deps.modelsDir, entry, { device: this.deps.device(), onSession: (session) => this.deps.onReport(session.report()) });
      this.models.set(entry.id, model);
    }
    return model;
  }

  /** The chosen model, loaded, or undefined with the reason. */
  private loaded(): { model?: ClipModel; unusable?: ModelChoice } {
    const choice = this.choice();
    if (!choice.entry || !choice.installed) return { unusable: choice };
    const serving = this.servingEntry(choice);
    return { model: this.modelFor(choice.entry, [choice.entry.id, ...(serving ? [serving.id] : [])]) };
  }

  private vectorsFor(model: ClipModel): VectorStore {
    if (!model.dim) throw new Error(`model ${model.id}: the catalog gives no embedding_dim`);
    return VectorStore.open(this.deps.db, model.id, model.dim);
  }

  /** How many photos each registered model has vectors for (none registered: empty). */
  private coverage(): Map<string, number> {
    return new Map(VectorStore.models(this.deps.db).map((info) => [info.modelId, VectorStore.open(this.deps.db, info.modelId, info.dim).count()]));
  }

  /**
   * The model searches answer with. After a switch the chosen model re-embeds the library in the
   * background; until its vectors cover as much of the library as the previous model's, search
   * keeps answering from the previous one (if it is still installed), so switching never leaves a
   * library unsearchable for the hours a large re-embed takes. Undefined: the chosen model (or
   * nothing usable).
   */
  private servingEntry(choice: ModelChoice): ModelEntry | undefined {
    if (!choice.entry) return undefined;
    const coverage = this.coverage();
    const chosen = choice.installed ? (coverage.get(choice.entry.id) ?? 0) : -1;
    // The catalog is read only while another model covers more (a switch in progress): not on every search.
    let catalog: ReturnType<typeof readCatalog>['catalog'] | null = null;
    let best: { entry: ModelEntry; count: number } | undefined;
    for (const [id, count] of coverage) {
      if (id === choice.entry.id || count <= chosen || (best && count <= best.count)) continue;
      catalog ??= readCatalog(this.deps.modelsDir).catalog;
      const entry = catalog?.models.find((model) => model.id === id && model.task === 'clip');
      if (entry && isInstalled(this.deps.modelsDir, entry)) best = { entry, count };
    }
    return best?.entry;
  }

  /** The id of the model searches answer with now (see servingEntry), null when the catalog names none. */
  servingId(): string | null {
    const choice = this.choice();
    return this.servingEntry(choice)?.id ?? choice.entry?.id ?? null;
  }

  /** The model searches answer with now (the previous one during a switch, else the chosen one), loaded; a UsageError says why there is none. */
  private servingModel(): ClipModel {
    const choice = this.choice();
    const previous = this.servingEntry(choice);
    const keep = [...(choice.entry ? [choice.entry.id] : []), ...(previous ? [previous.id] : [])];
    if (previous) return this.modelFor(previous, keep);
    if (!choice.entry || !choice.installed) throw unusableChoice(choice, 'no CLIP model');
    return this.modelFor(choice.entry, keep);
  }

  private searchOver(model: ClipModel): ClipSearch {
    return new ClipSearch(this.deps.db, this.deps.store, this.deps.tags, model, this.vectorsFor(model));
  }

  /** Search, similar, duplicates and tags over the serving model (see servingEntry); a UsageError says why not. */
  searcher(): ClipSearch {
    return this.searchOver(this.servingModel());
  }

  /** `iris search`: CLIP, caption and name rankings, fused (search/text-search.ts). */
  search(text: string, options: SearchOptions & ChipOptions = {}): Promise<FusedSearchResponse> {
    const { db, store, captions, photoText, modelsDir } = this.deps;
    // The model that ranked the words, for the language notice (only asked after CLIP answered).
    let served: ClipModel | undefined;
    const clip = () => this.searchOver((served = this.servingModel()));
    return searchPhotos({ db, store, captions, photoText, clip, notice: (query) => languageNotice(query, served?.entry, modelsDir) }, text, options);
  }

  /**
   * The embed jobs' handler, when the model can be loaded. After each batch, once the chosen
   * model covers the library, the vectors of the models it replaced are dropped (they no longer
   * answer anything; switching back re-embeds).
   */
  jobHandler(decodeConcurrency: number): [JobKind, JobHandler] | null {
    const { model } = this.loaded();
    if (!model) return null;
    const handler = embedHandler({ store: this.deps.store, model, vectors: () => this.vectorsFor(model), decodeConcurrency });
    return [
      embedJobKind(model.id),
      {
        ...handler,
        run: async (photoIds) => {
          const outcomes = await handler.run(photoIds);
          this.retireReplaced(model);
          return outcomes;
        },
      },
    ];
  }

  /**
   * Drops the vectors of the models `model` (the chosen one) replaced: once it has a vector for
   * every readable photo; or, on its last batch (nothing of its kind pending), when it has as many
   * as they do (photos that no model can decode keep it from covering every readable one).
   */
  private retireReplaced(model: ClipModel): void {
    if (this.deps.db.readonly) return;
    const count = this.vectorsFor(model).count();
    const covered = count >= this.deps.store.counts().ok;
    const lastBatch = this.deps.store.jobs.counts([embedJobKind(model.id)]).pending === 0;
    for (const [id, theirs] of this.coverage()) {
      if (id !== model.id && (covered || (lastBatch && count >= theirs))) VectorStore.forget(this.deps.db, id);
    }
  }

  /** Queues an embedding for every readable photo that lacks one. Returns how many were queued. */
  queueEmbeddings(): number {
    const { model } = this.loaded();
    if (!model) return 0;
    return this.deps.store.jobs.enqueueSelected(embedJobKind(model.id), this.vectorsFor(model).missingQuery());
  }

  /** A job kind could not run in this process (the runner said why): the summary reports it. */
  noteUnavailable(message: string): void {
    this.unavailable = message;
  }

  /** Where the embeddings stand: how many photos have one, how many lack one, and why. */
  embeddingSummary(): EmbeddingSummary {
    const choice = this.choice();
    const ok = this.deps.store.counts().ok;
    if (!choice.entry) return { model: null, serving: null, embedded: 0, missing: ok, skipped: choice.reason ?? 'no CLIP model' };
    // Only a model that has embedded before has a table; reading the summary must not create one
    // (`iris doctor` changes nothing).
    const registered = VectorStore.models(this.deps.db).find((info) => info.modelId === choice.entry!.id);
    const embedded = registered ? VectorStore.open(this.deps.db, registered.modelId, registered.dim).count() : 0;
    return { model: choice.entry.id, serving: this.servingId(), embedded, missing: Math.max(0, ok - embedded), skipped: choice.reason ?? this.unavailable };
  }

  /** Lets go of the models' sessions. */
  async release(): Promise<void> {
    const models = [...this.models.values()];
    this.models.clear();
    for (const model of models) await model.release();
  }
}
