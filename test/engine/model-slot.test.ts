import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelSlot } from '../../main/engine/generation/model-slot.js';

/** A promise that a test settles by hand, to hold a use open while others queue behind it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every queued microtask and timer-free continuation run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ModelSlot', () => {
  it('runs one use at a time, and a person goes before the batch’s next photos', async () => {
    const slot = new ModelSlot<string>(async () => undefined);
    const order: string[] = [];
    const first = gate();
    const load = async () => 'model';
    const running = slot.use('m', load, async () => {
      order.push('batch 1 start');
      await first.promise;
      order.push('batch 1 end');
    }, 'batch');
    await settle();
    const batch2 = slot.use('m', load, async () => void order.push('batch 2'), 'batch');
    const batch3 = slot.use('m', load, async () => void order.push('batch 3'), 'batch');
    const viewer = slot.use('m', load, async () => void order.push('viewer'), 'interactive');
    const terminal = slot.use('m', load, async () => void order.push('terminal'), 'interactive');
    await settle();
    assert.equal(slot.queued, 4);
    assert.deepEqual(order, ['batch 1 start'], 'nothing starts while a use is running');
    first.open();
    await Promise.all([running, batch2, batch3, viewer, terminal]);
    assert.deepEqual(order, ['batch 1 start', 'batch 1 end', 'viewer', 'terminal', 'batch 2', 'batch 3']);
    assert.equal(slot.queued, 0);
  });

  it('keeps one model: loads once per id, and switches only after the running use is done', async () => {
    const events: string[] = [];
    const slot = new ModelSlot<string>(async (model) => void events.push(`release ${model}`));
    const load = (id: string) => async () => {
      events.push(`load ${id}`);
      return id;
    };
    const held = gate();
    const usingA = slot.use('a', load('a'), async (model) => {
      events.push(`use ${model}`);
      await held.promise;
      events.push(`done ${model}`);
    });
    await settle();
    const usingB = slot.use('b', load('b'), async (model) => void events.push(`use ${model}`));
    await settle();
    held.open();
    await Promise.all([usingA, usingB]);
    await slot.use('b', load('b'), async (model) => void events.push(`use ${model}`));
    assert.deepEqual(events, ['load a', 'use a', 'done a', 'release a', 'load b', 'use b', 'use b']);
  });

  it('does not keep a failed load, and the next use tries again', async () => {
    const slot = new ModelSlot<string>(async () => undefined);
    let attempts = 0;
    const load = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('model files missing');
      return 'model';
    };
    await assert.rejects(slot.use('m', load, async () => 'never'), /model files missing/);
    assert.equal(await slot.use('m', load, async (model) => `${model} works`), 'model works');
    assert.equal(attempts, 2);
  });

  it('a failing use gives the turn to the next one', async () => {
    const slot = new ModelSlot<string>(async () => undefined);
    const load = async () => 'model';
    const failing = slot.use('m', load, async () => {
      throw new Error('decoder broke');
    });
    const next = slot.use('m', load, async () => 'next ran');
    await assert.rejects(failing, /decoder broke/);
    assert.equal(await next, 'next ran');
  });

  it('release waits for the running use, then frees the model; the next use loads again', async () => {
    const events: string[] = [];
    const slot = new ModelSlot<string>(async (model) => void events.push(`release ${model}`));
    const load = async () => {
      events.push('load');
      return 'model';
    };
    const held = gate();
    const using = slot.use('m', load, async () => {
      await held.promise;
      events.push('generation done');
    });
    await settle();
    const released = slot.release();
    await settle();
    assert.deepEqual(events, ['load'], 'the model is not freed under a running generation');
    held.open();
    await Promise.all([using, released]);
    await slot.use('m', load, async () => undefined);
    assert.deepEqual(events, ['load', 'generation done', 'release model', 'load']);
  });
});
