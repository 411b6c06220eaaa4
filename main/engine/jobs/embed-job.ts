import { currentFile } from '../library/current-file.js';
import type { ClipModel } from '../clip/clip-model.js';
import { preprocessImage } from '../clip/preprocessing.js';
import { PhotoReadError } from '../decode-errors.js';
import type { LibraryStore } from '../library-store.js';
import { mapWithConcurrency } from '../concurrency.js';
import type { VectorStore } from '../search/vector-store.js';
import { HandlerUnavailableError, type JobHandler } from './runner.js';
import { errorMessage } from '../errors.js';

/**
 * Images per model run. Larger batches barely raise CPU throughput past 16 (see BENCHMARKS.md,
 * bench:clip) while the memory of a batch grows with it (16 × 3×224×224 floats = 9.6 MB in, plus
 * the activations); a GPU would take more.
 */
const EMBED_BATCH = 16;

interface EmbedDeps {
  store: LibraryStore;
  model: ClipModel;
  vectors: () => VectorStore;
  /** Images decoded at once while preparing a batch. */
  decodeConcurrency: number;
}

/**
 * Embeds a batch of photos with a CLIP model: each image is decoded and preprocessed (shrink on
 * load; see clip/preprocessing.ts), the ones that decode go through the image tower together, and
 * their L2-normalised vectors land in the model's vec0 table in one transaction. A photo that fails
 * to decode fails alone. If the model cannot run at all, no photo is blamed: the jobs wait.
 */
export function embedHandler(deps: EmbedDeps): JobHandler {
  return {
    batchSize: EMBED_BATCH,
    failsPhoto: false,
    async run(photoIds) {
      try {
        await deps.model.session('vision');
      } catch (error) {
        throw new HandlerUnavailableError(`cannot embed with ${deps.model.id}: ${errorMessage(error)}`);
      }
      const outcomes: (Error | undefined)[] = photoIds.map(() => undefined);
      const pixels: (Float32Array | undefined)[] = await mapWithConcurrency([...photoIds], deps.decodeConcurrency, async (photoId, i) => {
        try {
          return await preprocessImage(await currentFile(deps.store, photoId), deps.model.prep);
        } catch (error) {
          outcomes[i] = error instanceof Error ? error : new PhotoReadError(String(error), 'corrupt');
          return undefined;
        }
      });
      const ready = photoIds.map((photoId, i) => ({ photoId, pixels: pixels[i] })).filter((item): item is { photoId: number; pixels: Float32Array } => !!item.pixels);
      if (ready.length === 0) return outcomes;
      const embeddings = await deps.model.embedImages(ready.map((item) => item.pixels));
      deps.vectors().putMany(ready.map((item, i) => ({ photoId: item.photoId, embedding: embeddings[i]! })));
      return outcomes;
    },
  };
}
