import type { AppStore } from './app.svelte.js';
import { errorMessage } from './errors.js';
import { t } from './prefs.svelte.js';
import type { SettingState } from './types.js';

/** What saving a setting came to: the state the engine keeps now (null when the call failed) and what is wrong, if anything. */
export interface SettingSaved {
  state: SettingState | null;
  /** The engine's problem with the stored value, or why the call failed; null when all is well. */
  problem: string | null;
}

/**
 * Saves one library setting the way every Settings card does: blank text clears it (the default
 * applies again), a value that took says "Saved", and what went wrong comes back to be shown beside
 * the field rather than thrown (the typed value stays where it was).
 */
export async function saveSetting(app: Pick<AppStore, 'api' | 'notify'>, key: string, value: string | null, options: { notify?: boolean } = {}): Promise<SettingSaved> {
  const trimmed = value?.trim() ?? '';
  try {
    const state = await app.api.call('settings.set', { key, value: trimmed === '' ? null : trimmed });
    if (options.notify ?? true) app.notify('info', t('settings.saved'));
    return { state, problem: state.problem ?? null };
  } catch (failure) {
    return { state: null, problem: errorMessage(failure) };
  }
}
