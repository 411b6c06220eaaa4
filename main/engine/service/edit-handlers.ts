import sharp from 'sharp';
import { EDIT_MODES, SCHEDULER_NAMES } from '../edits/edit-params.js';
import type { Edit } from '../edits/edit-store.js';
import { errorMessage, UsageError, UserFacingError } from '../errors.js';
import type { EngineHandlers, HandlerContext } from './handler-context.js';

type EditCall = 'edits.options' | 'edits.edges' | 'edits.run' | 'edits.list';

/** Previews are small (latent size: 64×64 for 512²), so one every two steps costs little. */
const PREVIEW_EVERY = 2;

function editView(edit: Edit) {
  const { id, sourcePhotoId, outputPhotoId, params, createdAt, durationMs } = edit;
  return { id, sourcePhotoId, outputPhotoId, params, createdAt, durationMs };
}

function pngDataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Edits and generations (issue 6): the calls behind the viewer's Edit tab. */
export function editHandlers(context: HandlerContext): Pick<EngineHandlers, EditCall> {
  const engine = context.engine;
  const photoMustExist = (photoId: number | undefined): void => {
    if (photoId !== undefined) engine.store.requirePhoto(photoId);
  };
  return {
    'edits.options': ({ photoId }) => {
      photoMustExist(photoId);
      const modes = EDIT_MODES.map((mode) => {
        const needsPhoto = mode !== 'txt2img';
        if (needsPhoto && photoId === undefined) return { mode, ready: false, reason: 'needs a photo', missingModel: null, defaults: null };
        try {
          // Seed 0 here: the UI rolls its own dice; a run without a seed gets a random one.
          const { params } = engine.edits.resolve({ mode, photoId: needsPhoto ? photoId : undefined, prompt: '', seed: 0 });
          return { mode, ready: true, reason: null, missingModel: null, defaults: params };
        } catch (error) {
          return { mode, ready: false, reason: errorMessage(error), missingModel: error instanceof UserFacingError ? (error.modelToInstall ?? null) : null, defaults: null };
        }
      });
      return { schedulers: [...SCHEDULER_NAMES], modes };
    },
    'edits.edges': async ({ photoId, width, height, low, high }) => {
      photoMustExist(photoId);
      if (low > high) throw new UsageError(`the low threshold (${low}) is above the high one (${high})`);
      return { image: pngDataUrl(await engine.edits.edges(photoId, { width, height, canny_low: low, canny_high: high })) };
    },
    'edits.run': ({ editId, ...input }) => {
      photoMustExist(input.photoId);
      return context.streams.run(editId, async (signal) => {
        // Step events go out in order: one with a preview waits for its PNG and the ones after it wait
        // their turn; with nothing pending a step goes out at once (the denoising never waits).
        let events = Promise.resolve();
        let pending = 0;
        const outcome = await engine.edits.run(input, {
          signal,
          previewEvery: PREVIEW_EVERY,
          onStep: ({ step, steps, preview }) => {
            if (!preview && pending === 0) {
              context.emitEditPreview({ editId, step, steps, image: null });
              return;
            }
            pending++;
            events = events.then(async () => {
              const image = preview ? pngDataUrl(await sharp(Buffer.from(preview.rgb), { raw: { width: preview.width, height: preview.height, channels: 3 } }).png().toBuffer()) : null;
              context.emitEditPreview({ editId, step, steps, image });
              pending--;
            });
          },
        });
        await events;
        if (outcome.cancelled) return { cancelled: true as const, stepsRun: outcome.stepsRun };
        // The new photo's thumbnail and search embedding.
        context.workQueueInBackground();
        return { cancelled: false as const, edit: editView(outcome.edit) };
      });
    },
    'edits.list': ({ photoId }) => {
      photoMustExist(photoId);
      return engine.editStore.forPhoto(photoId).map(editView);
    },
  };
}
