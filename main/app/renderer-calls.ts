import { callHost, type HostCalls } from '../contract/gate.js';
import { callErrorOf } from '../contract/rpc.js';
import { gateRendererCall } from './call-gate.js';
import type { EngineCaller } from './host-calls.js';
import type { IpcAnswer } from './ipc-channels.js';

/**
 * One renderer call, start to finish: the gate decides, then the host or the engine answers, and
 * whatever happens comes back as an IpcAnswer (never a thrown error, see ipc-channels.ts). The
 * sender frame has been checked before this runs (sender-check.ts).
 */
export function rendererCallHandler(host: HostCalls, engine: EngineCaller): (name: unknown, args: unknown) => Promise<IpcAnswer> {
  return async (name, args) => {
    const decision = gateRendererCall(name, args);
    if (decision.action === 'refuse') return { ok: false, error: decision.error };
    try {
      const value = decision.action === 'host' ? await callHost(host, decision.name, decision.args) : await engine.call(decision.name, decision.args);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: callErrorOf(error) };
    }
  };
}
