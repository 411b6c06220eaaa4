import { t } from './prefs.svelte.js';
import { callMessage } from './transport.js';

type CallErrorCode = 'invalid-args' | 'unknown-call' | 'forbidden' | 'unavailable' | 'not-found' | 'usage' | 'internal';
const CODES: readonly string[] = ['invalid-args', 'unknown-call', 'forbidden', 'unavailable', 'not-found', 'usage', 'internal'] satisfies CallErrorCode[];

/** The contract code of a failed call (a plain object from the preload, an IrisCallError in browser mode), if it has one. */
export function errorCodeOf(error: unknown): CallErrorCode | null {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && CODES.includes(code) ? (code as CallErrorCode) : null;
}

/**
 * A failed call in words for the window, by its code. The engine words `usage`, `not-found` and
 * `forbidden` for the person (what to install, which photo, which token), so they are shown as
 * they are; `unavailable` may pass (try again), `internal` is a fault in Iris, and `invalid-args`
 * or `unknown-call` mean this page and the engine disagree on the contract: each says so first.
 */
export function errorMessage(error: unknown): string {
  const message = callMessage(error);
  switch (errorCodeOf(error)) {
    case 'unavailable':
      return t('error.unavailable', { message });
    case 'internal':
      return t('error.internal', { message });
    case 'invalid-args':
    case 'unknown-call':
      return t('error.contract', { message });
    default:
      return message;
  }
}
