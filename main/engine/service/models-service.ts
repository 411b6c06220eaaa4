import { FacesCatalogPreprocessingSchema } from '../models/face-catalog.js';
import type { CallResult } from '../../contract/contract.js';
import { CLIP_MODEL_SETTING } from '../clip/active-model.js';
import { UsageError } from '../errors.js';
import { type ModelEntry, catalogDirFor, loadCatalog } from '../models/catalog.js';
import { installModel, learnSizes, verifyModel } from '../models/download.js';
import { RECOMMENDED_TASKS, type RecommendedTask, recommendModels } from '../models/recommend.js';
import { modelBytes, modelState } from '../models/state.js';

/** The library setting that selects each recommended task's model. */
const TASK_SETTING = { clip: CLIP_MODEL_SETTING, caption: 'caption-model', vqa: 'ask-model' } as const satisfies Record<RecommendedTask, string>;

type ModelsProgress = (progress: { id: string; file: string; received: number; total: number | null; done: boolean }) => void;

/**
 * The Settings page's model manager: the catalog with what is on disk, one download per model at
 * a time (a second click joins the first), verification on demand.
 */
/** A download stopped by models.pause: what was downloaded is kept, and installing again resumes it. */
export class DownloadPausedError extends UsageError {
  constructor(id: string) {
    super(`the download of ${id} is paused; what was downloaded is kept, and downloading it again resumes there`);
    this.name = 'DownloadPausedError';
  }
}

export class ModelsService {
  private readonly installs = new Map<string, Promise<CallResult<'models.install'>>>();
  /** Each running download's switch (models.pause). */
  private readonly pausers = new Map<string, AbortController>();

  constructor(
    private readonly modelsDir: string,
    private readonly activeClipModel: () => string | null,
    private readonly onProgress: ModelsProgress,
    /** Told when a model finished installing (the engine may now embed with it). */
    private readonly onInstalled: (id: string) => void,
  ) {}

  private catalog() {
    return loadCatalog(catalogDirFor(this.modelsDir));
  }

  private entry(id: string): ModelEntry {
    const model = this.catalog().models.find((candidate) => candidate.id === id);
    if (!model) throw new UsageError(`unknown model ${id}`);
    return model;
  }

  list(): CallResult<'models.list'> {
    const active = this.activeClipModel();
    return this.catalog().models.map((model) => ({
      id: model.id,
      task: model.task,
      description: model.title,
      license: model.licence,
      bytes: modelBytes(this.modelsDir, model),
      installed: modelState(this.modelsDir, model) === 'installed',
      active: model.id === active,
      installing: this.installs.has(model.id),
      use: model.task === 'faces' ? (FacesCatalogPreprocessingSchema.safeParse(model.preprocessing).data?.use ?? null) : null,
      about: model.about ? { languages: model.about.languages, speed: model.about.speed, imagenetZeroShot: model.about.imagenet_zero_shot, retrieval: model.about.retrieval, summary: model.about.summary, figuresSource: model.about.figures_source } : null,
    }));
  }

  /**
   * The recommended set for this machine (models/recommend.ts). `chosen`: the library's settings
   * per task; `provider`: where models would run now.
   */
  recommended(provider: string, gpu: boolean, chosen: (setting: string) => string | undefined): CallResult<'models.recommended'> {
    const selected = Object.fromEntries(RECOMMENDED_TASKS.map((task) => [task, chosen(TASK_SETTING[task])])) as Partial<Record<RecommendedTask, string>>;
    const installed = (model: ModelEntry) => modelState(this.modelsDir, model) === 'installed';
    const models = recommendModels(this.catalog(), gpu, selected, installed).map((model) => {
      const task = model.task as RecommendedTask;
      return { id: model.id, task, title: model.title, bytes: modelBytes(this.modelsDir, model), installed: installed(model), setting: TASK_SETTING[task], selected: selected[task] === model.id };
    });
    return { provider, gpu, models };
  }

  /**
   * Asks the server for the sizes the catalog does not pin (models/download.ts learnSizes), for
   * every entry without a size, within `timeoutMs` in all; then the catalog as models.list gives
   * it. Offline, nothing is learned and nothing fails: the sizes stay unknown until next time.
   */
  async learnSizes(timeoutMs = 15_000): Promise<CallResult<'models.list'>> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (const model of this.catalog().models) {
      if (modelBytes(this.modelsDir, model) !== null) continue;
      try {
        await learnSizes(this.modelsDir, model, signal);
      } catch {
        if (signal.aborted) break;
        // This one could not be learned (offline, a server error): the others may still be.
      }
    }
    return this.list();
  }

  install(id: string): Promise<CallResult<'models.install'>> {
    const running = this.installs.get(id);
    if (running) return running;
    const model = this.entry(id);
    const pauser = new AbortController();
    this.pausers.set(id, pauser);
    // A download reports every chunk; the UI needs a few updates a second.
    let lastSent = 0;
    const install = installModel(this.modelsDir, model, {
      signal: pauser.signal,
      onProgress: (progress) => {
        const now = Date.now();
        if (now - lastSent < 100 && progress.received < progress.total) return;
        lastSent = now;
        this.onProgress({ id, file: progress.file, received: progress.received, total: progress.total, done: false });
      },
    })
      .then((result) => {
        this.onProgress({ id, file: '', received: 0, total: null, done: true });
        this.onInstalled(id);
        return result;
      })
      .catch((error: unknown) => {
        // The partial file stays (installModel resumes it with a Range request next time).
        throw pauser.signal.aborted ? new DownloadPausedError(id) : error;
      })
      .finally(() => {
        this.installs.delete(id);
        this.pausers.delete(id);
      });
    this.installs.set(id, install);
    return install;
  }

  /** Stops a running download where it is; false when none is running. */
  pause(id: string): { paused: boolean } {
    const pauser = this.pausers.get(id);
    pauser?.abort();
    return { paused: pauser !== undefined };
  }

  async verify(id: string): Promise<CallResult<'models.verify'>> {
    return { files: await verifyModel(this.modelsDir, this.entry(id)) };
  }
}
