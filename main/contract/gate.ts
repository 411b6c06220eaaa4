import { type CallArgs, type CallError, type CallName, type CallResult, calls, type HostCallName, isCallName, PATH_SETTINGS, parseCallArgs } from './contract.js';

/**
 * The one door for a call from a window, for both hosts: the desktop app (main/app/call-gate.ts,
 * renderer calls over IPC) and browser mode (main/serve/server.ts, over the WebSocket). In order:
 *
 * 1. the name must be a contract call (an allowlist, not a prefix or a pattern);
 * 2. internal calls (media.read for iris://, ask.useKey from main) are for a host alone;
 * 3. desktop only: calls that take a file path are refused, and so is a path in a setting that
 *    holds one (PATH_SETTINGS): in the desktop app a folder comes from the native dialog, so a
 *    compromised page cannot make the engine read or write where it likes. In browser mode the
 *    user types paths on the machine running `iris serve`, whose token the page holds;
 * 4. the arguments must parse with the call's schema, and what is forwarded is the parsed value
 *    (unknown keys are refused by the strict schemas), never the page's object.
 *
 * Host calls then go to the host's HostCalls (below), the rest to the engine.
 */

export type HostMode = 'desktop' | 'browser';

export type GateDecision =
  | { action: 'host'; name: HostCallName; args: unknown }
  | { action: 'engine'; name: CallName; args: unknown }
  | { action: 'refuse'; error: CallError };

/** Every host call, implemented: the compiler checks that a host answers all of them. */
export type HostCalls = { [N in HostCallName]: (args: CallArgs<N>) => Promise<CallResult<N>> };

export function gateCall(mode: HostMode, name: unknown, args: unknown): GateDecision {
  if (!isCallName(name)) return { action: 'refuse', error: { code: 'unknown-call', message: `unknown call ${describeName(name)}` } };
  const spec = calls[name] as { internal?: true; takesPath?: true; handledBy: 'engine' | 'host' };
  if (spec.internal) return { action: 'refuse', error: { code: 'forbidden', message: `${name} is not callable from a window` } };
  if (mode === 'desktop' && spec.takesPath) {
    return { action: 'refuse', error: { code: 'forbidden', message: `${name} takes a path: in the desktop app folders are chosen with the folder dialog (folders.choose)` } };
  }
  const parsed = parseCallArgs(name, args);
  if (!parsed.ok) return { action: 'refuse', error: parsed.error };
  if (mode === 'desktop' && name === 'settings.set') {
    const { key, value } = parsed.value as { key: string; value: string | null };
    if (value !== null && PATH_SETTINGS.includes(key)) {
      return { action: 'refuse', error: { code: 'forbidden', message: `settings.set: ${key} holds a folder: in the desktop app it is chosen with the folder dialog (settings.chooseOutputFolder)` } };
    }
  }
  return spec.handledBy === 'host' ? { action: 'host', name: name as HostCallName, args: parsed.value } : { action: 'engine', name, args: parsed.value };
}

/** Runs a host call the gate let through on `host`'s own implementation. */
export function callHost(host: HostCalls, name: HostCallName, args: unknown): Promise<unknown> {
  return (host[name] as (args: unknown) => Promise<unknown>)(args);
}

/** A refused name is echoed only when short and printable: it comes from the page. */
function describeName(name: unknown): string {
  if (typeof name !== 'string') return `(a ${name === null ? 'null' : typeof name}, not a name)`;
  return /^[\w.-]{1,64}$/.test(name) ? `"${name}"` : '(malformed name)';
}
