/**
 * The two IPC channels between the preload and main, and the envelope a call's answer travels in.
 * Type imports only: the preload bundle includes this file, and must not pull in zod.
 */
import type { CallError } from '../contract/contract.js';

/** Renderer -> main: `invoke(CALL_CHANNEL, name, args)`, answered with an IpcAnswer. */
export const CALL_CHANNEL = 'iris:call';
/** Main -> renderer: `send(EVENT_CHANNEL, name, payload)` for every contract event. */
export const EVENT_CHANNEL = 'iris:event';

/** A call's answer as a plain object: errors are returned, not thrown (see CallError in the contract: errors cross Electron as plain objects). */
export type IpcAnswer = { ok: true; value: unknown } | { ok: false; error: CallError };
