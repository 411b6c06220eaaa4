import type { Db } from '../db/database.js';
import type { Device } from '../runtime/devices.js';
import { UsageError } from '../errors.js';
import { Captioner, type CaptionDetail } from '../generation/captioner.js';
import type { GenerateResult } from '../generation/generative-model.js';
import { ModelSlot, type SlotPriority } from '../generation/model-slot.js';
import { type PhotoPixels, decodePhoto } from '../generation/photo-image.js';
import type { JobKind } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import { currentFile } from '../library/current-file.js';
import type { LibraryStore } from '../library-store.js';
import type { ModelEntry } from '../models/catalog.js';
import { type ModelChoice, chooseModel, unusableChoice } from '../models/choose-model.js';
import type { RuntimeReport } from '../runtime/session.js';
import { getSettingValue } from '../settings.js';
import { captionHandler, captionJobKind, parseCaptionJobKind, parseReadTextJobKind, readTextHandler, readTextJobKind } from './caption-jobs.js';
import type { Caption, CaptionStore } from './caption-store.js';
import type { PhotoTextStore } from './photo-text-store.js';

export interface CaptionQueueResult {
  model: string;
  detail: CaptionDetail;
  /** Caption jobs queued now. */
  queued: number;
  /** Photos asked for whose caption a person wrote: kept, never queued. */
  keptEdited: number;
}

export interface CaptionServiceDeps {
  db: Db;
  store: LibraryStore;
  captions: CaptionStore;
  photoText: PhotoTextStore;
  modelsDir: string;
  device: () => Device;
  onReport: (report: RuntimeReport) => void;
  /** A caption was stored (by a batch or on request). */
  onCaption: (event: { photoId: number; text: string; model: string }) => void;
}

/**
 * Captions and the text in photos, with the local captioning model: batches through the job queue
 * (caption-jobs.ts), one photo on request (streamed), and OCR. One captioner is in memory at a time
 * (ModelSlot), and what a person asks for goes before a batch's next photo.
 */
export class CaptionService {
  private readonly slot = new ModelSlot<Captioner>((captioner) => captioner.release());

  constructor(private readonly deps: CaptionServiceDeps) {}

  /** The captioning model this library uses (the given id, else the caption-model setting, else the catalog's default). */
  choice(modelId?: string): ModelChoice {
    return chooseModel(this.deps.modelsDir, 'caption', modelId || getSettingValue(this.deps.store, 'caption-model') || undefined);
  }

  /** Runs `work` with the captioner `modelId` loaded, in its turn (see ModelSlot: a person's request goes before the batch's next photo). */
  private withCaptioner<R>(modelId: string, priority: SlotPriority, work: (captioner: Captioner) => Promise<R>): Promise<R> {
    const load = async () => {
      const choice = this.choice(modelId);
      if (!choice.entry || !choice.installed) throw unusableChoice(choice, `no captioning model ${modelId}`);
      return Captioner.load(this.deps.modelsDir, choice.entry, { device: this.deps.device(), onReport: this.deps.onReport });
    };
    return this.slot.use(modelId, load, work, priority);
  }

  /**
   * Queues caption jobs for `photoIds` (or every readable photo). Photos whose caption a person
   * wrote are never queued; with `redo` false, photos that already have a caption are skipped too.
   * The jobs run with the engine's runJobs() (and with every later index or watch until done).
   */
  queue(photoIds: readonly number[] | 'all', options: { model?: string; detail?: CaptionDetail; redo?: boolean } = {}): CaptionQueueResult {
    const { db, store, captions } = this.deps;
    const choice = this.choice(options.model);
    if (!choice.entry) throw new UsageError(choice.reason ?? 'no captioning model');
    const detail = options.detail ?? getSettingValue(store, 'caption-detail');
    const kind = captionJobKind(choice.entry.id, detail);
    // The photos asked for, as one photo_id column: every readable photo, or the ids given.
    const wanted = photoIds === 'all' ? `SELECT id AS photo_id FROM photos WHERE status = 'ok' AND orphaned_at IS NULL` : `SELECT value AS photo_id FROM json_each(?)`;
    const params = photoIds === 'all' ? [] : [JSON.stringify(photoIds)];
    const edited = captions.editedIdsQuery();
    const keptEdited = db.prepare(`SELECT count(*) FROM (${wanted}) WHERE photo_id IN (${edited})`).pluck().get(...params) as number;
    const skip = options.redo ? edited : captions.captionedIdsQuery();
    const queued = store.jobs.enqueueSelected(kind, `SELECT photo_id FROM (${wanted}) WHERE photo_id NOT IN (${skip})`, params, { retryFailed: photoIds !== 'all' });
    return { model: choice.entry.id, detail, queued, keptEdited };
  }

  /**
   * With the read-text setting on, queues reading the text of every readable photo not read yet
   * (with the captioning model's OCR task). Returns how many were queued; 0 when the setting is
   * off or the model cannot read text.
   */
  queueReadText(): number {
    if (getSettingValue(this.deps.store, 'read-text') !== 'on') return 0;
    const choice = this.choice();
    if (!choice.entry || !choice.installed) return 0;
    try {
      Captioner.ocrTask(choice.entry);
    } catch {
      return 0;
    }
    const unread = `SELECT id AS photo_id FROM photos WHERE status = 'ok' AND orphaned_at IS NULL AND id NOT IN (${this.deps.photoText.readIdsQuery()})`;
    return this.deps.store.jobs.enqueueSelected(readTextJobKind(choice.entry.id), unread);
  }

  /** Handlers for the caption and read-text batches in the queue (queued by this process or by one that was killed). */
  jobHandlers(): [JobKind, JobHandler][] {
    const handlers: [JobKind, JobHandler][] = [];
    for (const kind of this.deps.store.jobs.openKinds('ocr:')) {
      const modelId = parseReadTextJobKind(kind);
      if (modelId) handlers.push([kind, readTextHandler({ store: this.deps.store, photoText: this.deps.photoText, withCaptioner: (work) => this.withCaptioner(modelId, 'batch', work) })]);
    }
    for (const kind of this.deps.store.jobs.openKinds('caption:')) {
      const parsed = parseCaptionJobKind(kind);
      if (!parsed) continue;
      handlers.push([
        kind,
        captionHandler({
          store: this.deps.store,
          captions: this.deps.captions,
          withCaptioner: (work) => this.withCaptioner(parsed.modelId, 'batch', work),
          detail: parsed.detail,
          onCaption: (photoId, text) => this.deps.onCaption({ photoId, text, model: parsed.modelId }),
        }),
      ]);
    }
    return handlers;
  }

  /**
   * Captions one photo now, streaming the text as it is generated, and stores it. A person's
   * caption is kept unless `replaceEdited` (the viewer asks first). Returns the caption as stored
   * (or the person's caption that was kept) and the generation figures.
   */
  async generate(
    photoId: number,
    options: { model?: string; detail?: CaptionDetail; replaceEdited?: boolean; onToken?: (piece: string) => void; signal?: AbortSignal } = {},
  ): Promise<{ caption: Caption | undefined; result: GenerateResult; model: string }> {
    const { captions } = this.deps;
    const detail = options.detail ?? getSettingValue(this.deps.store, 'caption-detail');
    return this.withCaptionerAndPhoto(photoId, options.model, async (captioner, pixels) => {
      const result = await captioner.caption(pixels, detail, { onToken: options.onToken, signal: options.signal });
      if (result.finish !== 'cancelled' && result.text) {
        if (options.replaceEdited && captions.get(photoId)?.edited) captions.putEdited(photoId, '');
        if (captions.putGenerated(photoId, result.text, captioner.id, detail)) this.deps.onCaption({ photoId, text: result.text, model: captioner.id });
      }
      return { caption: captions.get(photoId), result, model: captioner.id };
    });
  }

  /**
   * Reads the text in a photo with the captioning model's OCR task (Florence-2's `<OCR>`), streamed.
   * With the read-text setting on, what it read is stored (searchable, shown with the photo); off,
   * nothing is kept. A model without an OCR task is refused before it is loaded.
   */
  async readText(photoId: number, options: { model?: string; onToken?: (piece: string) => void; signal?: AbortSignal } = {}): Promise<GenerateResult & { model: string; stored: boolean }> {
    return this.withCaptionerAndPhoto(
      photoId,
      options.model,
      async (captioner, pixels) => {
        const result = await captioner.readText(pixels, { onToken: options.onToken, signal: options.signal });
        const stored = result.finish !== 'cancelled' && getSettingValue(this.deps.store, 'read-text') === 'on';
        if (stored) this.deps.photoText.put(photoId, result.text, captioner.id);
        return { ...result, model: captioner.id, stored };
      },
      (entry) => Captioner.ocrTask(entry),
    );
  }

  /**
   * Runs `work` with the captioning model (loaded) and the photo decoded for it, ahead of any
   * caption batch's next photo; `check` may refuse the model before it is loaded.
   */
  private withCaptionerAndPhoto<R>(photoId: number, modelId: string | undefined, work: (captioner: Captioner, pixels: PhotoPixels) => Promise<R>, check?: (entry: ModelEntry) => void): Promise<R> {
    const choice = this.choice(modelId);
    if (!choice.entry) throw new UsageError(choice.reason ?? 'no captioning model');
    check?.(choice.entry);
    return this.withCaptioner(choice.entry.id, 'interactive', async (captioner) => work(captioner, await decodePhoto(await currentFile(this.deps.store, photoId), captioner.imageLongEdge)));
  }

  /** Lets go of the captioner in memory. */
  release(): Promise<void> {
    return this.slot.release();
  }
}
