import { type GateDecision, gateCall } from '../contract/gate.js';

export type { GateDecision } from '../contract/gate.js';

/**
 * The renderer's only door into main: the contract's gate (contract/gate.ts) in desktop mode, where
 * a path never comes from the page.
 */
export function gateRendererCall(name: unknown, args: unknown): GateDecision {
  return gateCall('desktop', name, args);
}
