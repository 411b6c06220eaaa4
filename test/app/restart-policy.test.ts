import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartPolicy } from '../../main/app/restart-policy.js';

describe('engine restart policy', () => {
  const options = { maxCrashes: 5, windowMs: 60_000, baseDelayMs: 500, maxDelayMs: 4_000 };

  it('restarts with a doubling delay, capped', () => {
    const policy = new RestartPolicy({ ...options, maxCrashes: 10 });
    const delays = [0, 1, 2, 3, 4, 5].map((i) => policy.onCrash(1_000 + i * 100)).map((decision) => (decision.action === 'restart' ? decision.delayMs : -1));
    assert.deepEqual(delays, [500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('gives up on the fifth crash within a minute', () => {
    const policy = new RestartPolicy(options);
    const actions = [0, 10_000, 20_000, 30_000, 40_000].map((at) => policy.onCrash(at).action);
    assert.deepEqual(actions, ['restart', 'restart', 'restart', 'restart', 'give-up']);
  });

  it('forgets crashes older than the window: a rare crash is always restarted, quickly', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 20; i++) {
      const decision = policy.onCrash(i * 61_000);
      assert.deepEqual(decision, { action: 'restart', delayMs: 500, crashesInWindow: 1 });
    }
  });
});
