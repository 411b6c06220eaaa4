import type { Captioner, CaptionDetail } from '../generation/captioner.js';
import { CAPTION_DETAILS } from '../generation/captioner.js';
import { decodePhoto } from '../generation/photo-image.js';
import { currentFile } from '../library/current-file.js';
import type { JobKind } from '../jobs/queue.js';
import { HandlerUnavailableError, type JobHandler } from '../jobs/runner.js';
import type { LibraryStore } from '../library-store.js';
import type { CaptionStore } from './caption-store.js';
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
  return {
    batchSize: 1,
    failsPhoto: false,
    async run([photoId]) {
      let started = false;
      try {
        return await deps.withCaptioner(async (captioner) => {
          started = true;
          try {
            const pixels = await decodePhoto(await currentFile(deps.store, photoId!), captioner.imageLongEdge);
            const result = await captioner.caption(pixels, deps.detail);
            if (!result.text) throw new Error(`${captioner.id} gave an empty caption`);
            if (deps.captions.putGenerated(photoId!, result.text, captioner.id, deps.detail)) deps.onCaption?.(photoId!, result.text);
            return [undefined];
          } catch (error) {
            // This photo failed (unreadable, empty caption); the batch goes on.
            return [error instanceof Error ? error : new Error(String(error))];
          }
        });
      } catch (error) {
        // The model itself could not be loaded: no photo is to blame, so the jobs wait.
        if (!started) throw new HandlerUnavailableError(`cannot caption: ${errorMessage(error)}`);
        throw error;
      }
    },
  };
}
