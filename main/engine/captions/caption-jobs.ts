import type { Captioner, CaptionDetail } from '../generation/captioner.js';
import { CAPTION_DETAILS } from '../generation/captioner.js';
import { type PhotoPixels, decodePhoto } from '../generation/photo-image.js';
import { currentFile } from '../library/current-file.js';
import type { JobKind } from '../jobs/queue.js';
import { HandlerUnavailableError, type JobHandler } from '../jobs/runner.js';
import type { LibraryStore } from '../library-store.js';
import type { CaptionStore } from './caption-store.js';
import type { PhotoTextStore } from './photo-text-store.js';
import { errorMessage } from '../errors.js';

/**
 * Caption jobs: kind `caption:<model id>:<detail>`, so a batch with one model and detail never
 * mixes with another and resumes where it stopped (the queue is persistent; a killed process's
 * running jobs go back to pending when the library is opened again).
 */
export function captionJobKind(modelId: string, detail: CaptionDetail): JobKind {
  return `caption:${modelId}:${detail}`;
}

export function parseCaptionJobKind(kind: string): { modelId: string; detail: CaptionDetail } | undefined {
  const match = /^caption:(.+):([a-z]+)$/.exec(kind);
  if (!match || !(CAPTION_DETAILS as readonly string[]).includes(match[2]!)) return undefined;
  return { modelId: match[1]!, detail: match[2] as CaptionDetail };
}

export interface CaptionJobDeps {
  store: LibraryStore;
  captions: CaptionStore;
  /**
   * Runs `work` with the captioner loaded (on first use), in the batch's turn: a caption or OCR a
   * person asked for goes before the next photo. Rejects without calling `work` when the model
   * cannot be used.
   */
  withCaptioner: <R>(work: (captioner: Captioner) => Promise<R>) => Promise<R>;
  detail: CaptionDetail;
  /** Called after a caption is stored. */
  onCaption?: (photoId: number, text: string) => void;
}

/** One photo at a time: generation is sequential per image, and a batch would only add padding. */
export function captionHandler(deps: CaptionJobDeps): JobHandler {
  return onePhotoWithCaptioner(deps, 'cannot caption', async (captioner, photoId, pixels) => {
    const result = await captioner.caption(pixels, deps.detail);
    if (!result.text) throw new Error(`${captioner.id} gave an empty caption`);
    if (deps.captions.putGenerated(photoId, result.text, captioner.id, deps.detail)) deps.onCaption?.(photoId, result.text);
  });
}

/**
 * A job handler that works one photo with the captioner: a photo that fails (unreadable, an
 * empty caption) fails alone and the batch goes on; a model that cannot be loaded blames no
 * photo, so the jobs wait (`unavailable` says what could not be done).
 */
function onePhotoWithCaptioner(
  deps: Pick<CaptionJobDeps, 'store' | 'withCaptioner'>,
  unavailable: string,
  work: (captioner: Captioner, photoId: number, pixels: PhotoPixels) => Promise<void>,
): JobHandler {
  return {
    batchSize: 1,
    failsPhoto: false,
    async run([photoId]) {
      let started = false;
      try {
        return await deps.withCaptioner(async (captioner) => {
          started = true;
          try {
            await work(captioner, photoId!, await decodePhoto(await currentFile(deps.store, photoId!), captioner.imageLongEdge));
            return [undefined];
          } catch (error) {
            return [error instanceof Error ? error : new Error(String(error))];
          }
        });
      } catch (error) {
        if (!started) throw new HandlerUnavailableError(`${unavailable}: ${errorMessage(error)}`);
        throw error;
      }
    },
  };
}

/** Jobs that read the text in photos: kind `ocr:<model id>` (one model per batch, resumable as captions are). */
export function readTextJobKind(modelId: string): JobKind {
  return `ocr:${modelId}`;
}

export function parseReadTextJobKind(kind: string): string | undefined {
  return /^ocr:(.+)$/.exec(kind)?.[1];
}

/** Reads one photo's text and stores it ("" when it has none, so it is not read again). */
export function readTextHandler(deps: Pick<CaptionJobDeps, 'store' | 'withCaptioner'> & { photoText: PhotoTextStore }): JobHandler {
  return onePhotoWithCaptioner(deps, 'cannot read text in photos', async (captioner, photoId, pixels) => {
    deps.photoText.put(photoId, (await captioner.readText(pixels)).text, captioner.id);
  });
}
