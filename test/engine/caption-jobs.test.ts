import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captionHandler, type CaptionJobDeps } from '../../main/engine/captions/caption-jobs.js';
import type { CaptionStore } from '../../main/engine/captions/caption-store.js';
import type { Captioner } from '../../main/engine/generation/captioner.js';
import { HandlerUnavailableError } from '../../main/engine/jobs/runner.js';
import type { LibraryStore } from '../../main/engine/library-store.js';

/**
 * What a caption job says to the runner: a model that cannot be loaded makes the jobs wait (no
 * photo is to blame), a photo that cannot be captioned fails alone and the batch goes on. The
 * captioning itself is covered with the real fixture models in caption-ask-service.test.ts.
 */
describe('caption jobs', () => {
  // A library that knows no file for any photo, so decoding the photo fails.
  const store = { locationsOf: () => [] } as unknown as LibraryStore;
  const captions = { putGenerated: () => assert.fail('nothing should be stored') } as unknown as CaptionStore;
  const deps = (withCaptioner: CaptionJobDeps['withCaptioner']): CaptionJobDeps => ({ store, captions, withCaptioner, detail: 'brief' });

  it('makes the jobs wait when the model cannot be loaded', async () => {
    const handler = captionHandler(deps(() => Promise.reject(new Error('florence is not installed'))));
    await assert.rejects(handler.run([7]), (error: Error) => error instanceof HandlerUnavailableError && /cannot caption: florence is not installed/.test(error.message));
  });

  it('fails only the photo when the photo cannot be read', async () => {
    const captioner = { id: 'fixture', imageLongEdge: 64 } as Captioner;
    const handler = captionHandler(deps((work) => work(captioner)));
    const [outcome] = await handler.run([7]);
    assert.ok(outcome instanceof Error && !(outcome instanceof HandlerUnavailableError));
    assert.match(outcome.message, /vanished/);
  });
});
