import { messages, type MessageKey } from './i18n.js';
import { locale, t } from './prefs.svelte.js';

/**
 * A catalog model's description (or its "about" summary) in the UI's language. The engine sends
 * the catalog's English; other languages take it from the i18n key named after the model id
 * (`model.description.<id>`, `model.about.<id>`). English, and a model with no such key (one the
 * catalog does not list), show the engine's text as it is, so the catalog stays the one source.
 */
export function modelText(kind: 'description' | 'about', id: string, english: string): string {
  const key = `model.${kind}.${id}`;
  if (locale() === 'en' || !(key in messages.en)) return english;
  return t(key as MessageKey);
}
