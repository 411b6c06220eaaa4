import assert from 'node:assert/strict';
import { type CallArgs, type CallResult, type EngineCallName, calls } from '../../main/contract/contract.js';
import type { EngineService } from '../../main/engine/service/engine-service.js';

/**
 * Calls `name` through the engine service as a window does, and reads its answer through the
 * contract's result schema (calls[name].result): a handler whose answer drifts from the contract
 * fails here rather than in a window, and the test gets the contract's type, not a hand-written one.
 */
export async function call<N extends EngineCallName>(service: EngineService, name: N, args: CallArgs<N>): Promise<CallResult<N>> {
  const outcome = await service.handle(name, args);
  assert.ok(outcome.ok, `${name} failed: ${JSON.stringify(outcome)}`);
  const parsed = calls[name].result.safeParse(outcome.value);
  assert.ok(parsed.success, `${name}: the answer does not match the contract's result schema: ${parsed.success ? '' : parsed.error.message}`);
  return parsed.data as CallResult<N>;
}
