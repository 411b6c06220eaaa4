import type { CaptionStore } from '../captions/caption-store.js';
import type { Db } from '../db/database.js';
import { embedHandler } from '../jobs/embed-job.js';
import { type JobKind, embedJobKind } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import type { LibraryStore } from '../library-store.js';
import type { TagStore } from '../library/tag-store.js';
import { type ModelChoice, unusableChoice } from '../models/choose-model.js';
import type { Device } from '../runtime/devices.js';
import type { RuntimeReport } from '../runtime/session.js';
import { ClipSearch, type SearchOptions } from '../search/clip-search.js';
import { languageNotice } from '../search/query-language.js';
import { type FusedSearchResponse, searchPhotos } from '../search/text-search.js';
import { VectorStore } from '../search/vector-store.js';
import { CLIP_MODEL_SETTING, chooseClipModel } from './active-model.js';
import { ClipModel } from './clip-model.js';

export interface EmbeddingSummary {
  /** The CLIP model of this library (null when the catalog names none). */
  model: string | null;
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
  private model: ClipModel | undefined;
  /** Why the embed jobs could not run in this process, when they could not. */
  private unavailable: string | null = null;

  constructor(private readonly deps: ClipServiceDeps) {}

  /** The CLIP model this library uses and whether it is installed. */
  choice(): ModelChoice {
    return chooseClipModel(this.deps.modelsDir, this.deps.store.getSetting(CLIP_MODEL_SETTING) || undefined);
  }

  /** The loaded CLIP model (sessions open on first use), or undefined with the reason. */
  private loaded(): { model?: ClipModel; unusable?: ModelChoice } {
    const choice = this.choice();
    if (!choice.entry || !choice.installed) return { unusable: choice };
    if (this.model?.id !== choice.entry.id) {
      void this.model?.release();
      this.model = new ClipModel(this.deps.modelsDir, choice.entry, { device: this.deps.device(), onSession: (session) => this.deps.onReport(session.report()) });
    }
    return { model: this.model };
  }

  private vectorsFor(model: ClipModel): VectorStore {
    if (!model.dim) throw new Error(`model ${model.id}: the catalog gives no embedding_dim`);
    return VectorStore.open(this.deps.db, model.id, model.dim);
  }

  /** Search, similar, duplicates and tags over the library's CLIP model; a UsageError says why not. */
  searcher(): ClipSearch {
    const { model, unusable } = this.loaded();
    if (!model) throw unusableChoice(unusable!, 'no CLIP model');
    return new ClipSearch(this.deps.db, this.deps.store, this.deps.tags, model, this.vectorsFor(model));
  }

  /** `iris search`: CLIP and caption rankings, fused (search/text-search.ts). */
  search(text: string, options: SearchOptions = {}): Promise<FusedSearchResponse> {
    const { store, captions, modelsDir } = this.deps;
    return searchPhotos({ store, captions, clip: () => this.searcher(), notice: (query) => languageNotice(query, this.choice().entry, modelsDir) }, text, options);
  }

  /** The embed jobs' handler, when the model can be loaded. */
  jobHandler(decodeConcurrency: number): [JobKind, JobHandler] | null {
    const { model } = this.loaded();
    if (!model) return null;
    return [embedJobKind(model.id), embedHandler({ store: this.deps.store, model, vectors: () => this.vectorsFor(model), decodeConcurrency })];
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
    if (!choice.entry) return { model: null, embedded: 0, missing: ok, skipped: choice.reason ?? 'no CLIP model' };
    // Only a model that has embedded before has a table; reading the summary must not create one
    // (`iris doctor` changes nothing).
    const registered = VectorStore.models(this.deps.db).find((info) => info.modelId === choice.entry!.id);
    const embedded = registered ? VectorStore.open(this.deps.db, registered.modelId, registered.dim).count() : 0;
    return { model: choice.entry.id, embedded, missing: Math.max(0, ok - embedded), skipped: choice.reason ?? this.unavailable };
  }

  /** Lets go of the model's sessions. */
  async release(): Promise<void> {
    await this.model?.release();
  }
}
