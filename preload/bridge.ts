/**
 * `window.iris` for the desktop app, built from an IPC object so that it can be tested without
 * Electron (preload.ts passes the real ipcRenderer). No runtime imports but the channel names:
 * the preload runs sandboxed, bundled into one small file, and must not carry zod.
 */
import type { CallArgs, CallError, CallResult, EventName, EventPayload, IrisApi, UiCallName } from '../main/contract/contract.js';
import { CALL_CHANNEL, EVENT_CHANNEL, type IpcAnswer } from '../main/app/ipc-channels.js';

/** The slice of ipcRenderer the bridge uses. */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The contract's UI call and event names, computed from contract.ts at build time (preload/vite.config.ts). */
export interface ContractNames {
  calls: readonly string[];
  events: readonly string[];
}

/** A failed call as the page receives it: a plain object, not an Error (see CallError in the contract: errors cross Electron as plain objects). */
export interface BridgeCallError {
  name: 'IrisCallError';
  code: CallError['code'];
  message: string;
  /** CallError.model: the model whose download cures this. */
  model?: string;
}

function callError(code: CallError['code'], message: string, model?: string): BridgeCallError {
  return { name: 'IrisCallError', code, message, ...(typeof model === 'string' ? { model } : {}) };
}

function isAnswer(value: unknown): value is IpcAnswer {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

export function createIrisApi(ipc: BridgeIpc, names: ContractNames): IrisApi {
  const calls = Object.freeze([...names.calls]) as readonly UiCallName[];
  const callSet: ReadonlySet<string> = new Set(calls);
  const eventSet: ReadonlySet<string> = new Set(names.events);
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  // One listener for all events; the page's listeners get the payload only, never the
  // IpcRendererEvent (whose `sender` is ipcRenderer itself).
  ipc.on(EVENT_CHANNEL, (_event, name, payload) => {
    if (typeof name !== 'string' || !eventSet.has(name)) return;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        console.error(`iris: a listener for "${name}" failed`, error);
      }
    }
  });

  const call = async <N extends UiCallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> => {
    // Refused here before any IPC; main checks again (it trusts nothing from the page).
    if (typeof name !== 'string' || !callSet.has(name)) throw callError('unknown-call', `unknown call ${typeof name === 'string' ? `"${name.slice(0, 64)}"` : typeof name}`);
    const answer = await ipc.invoke(CALL_CHANNEL, name, args ?? {});
    if (!isAnswer(answer)) throw callError('internal', `${name}: malformed answer from the app`);
    if (!answer.ok) throw callError(answer.error.code, answer.error.message, answer.error.model);
    return answer.value as CallResult<N>;
  };

  const on = <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): (() => void) => {
    if (typeof event !== 'string' || !eventSet.has(event)) throw new TypeError(`unknown event ${typeof event === 'string' ? `"${event.slice(0, 64)}"` : typeof event}`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  };

  return { calls, call, on };
}
