import { type CallError, type CallName, calls, isCallName, PATH_SETTINGS, parseCallArgs } from '../contract/contract.js';

/**
 * What main does with a call from the renderer, decided before anything runs: answer it itself
 * (host calls), pass it to the engine with validated arguments, or refuse it.
 */
export type GateDecision =
  | { action: 'host'; name: CallName; args: unknown }
  | { action: 'engine'; name: CallName; args: unknown }
  | { action: 'refuse'; error: CallError };

/**
 * The renderer's only door into main. In order:
 * 1. the name must be a contract call (an allowlist, not a prefix or a pattern);
 * 2. internal calls (media.read, for iris://) are for main alone;
 * 3. calls that take a file path are refused: in the desktop app a folder comes from the native
 *    dialog (`folders.choose`), so a compromised page cannot make the engine read where it likes;
 * 4. the arguments must parse with the call's schema, and what is forwarded is the parsed value
 *    (unknown keys are already refused by the strict schemas), never the renderer's object;
 * 5. a setting that holds a folder (PATH_SETTINGS) may only be reset: its dialog sets it.
 */
export function gateRendererCall(name: unknown, args: unknown): GateDecision {
  if (!isCallName(name)) {
    return { action: 'refuse', error: { code: 'unknown-call', message: `unknown call ${describeName(name)}` } };
  }
  const spec = calls[name] as { internal?: true; takesPath?: true; handledBy: 'engine' | 'host' };
  if (spec.internal) return { action: 'refuse', error: { code: 'forbidden', message: `${name} is not callable from the window` } };
  if (spec.takesPath) {
    return { action: 'refuse', error: { code: 'forbidden', message: `${name} takes a path: in the desktop app folders are chosen with the folder dialog (folders.choose)` } };
  }
  const parsed = parseCallArgs(name, args);
  if (!parsed.ok) return { action: 'refuse', error: parsed.error };
  if (name === 'settings.set') {
    const { key, value } = parsed.value as { key: string; value: string | null };
    if (value !== null && PATH_SETTINGS.includes(key)) {
      return { action: 'refuse', error: { code: 'forbidden', message: `settings.set: ${key} holds a folder: in the desktop app it is chosen with the folder dialog (settings.chooseOutputFolder)` } };
    }
  }
  return { action: spec.handledBy, name, args: parsed.value };
}

/** A refused name is echoed only when short and printable: it comes from the page. */
function describeName(name: unknown): string {
  if (typeof name !== 'string') return `(a ${name === null ? 'null' : typeof name}, not a name)`;
  return /^[\w.-]{1,64}$/.test(name) ? `"${name}"` : '(malformed name)';
}
