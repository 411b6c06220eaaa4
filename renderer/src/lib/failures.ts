import type { MessageKey } from './i18n.js';

/**
 * Why a photo could not be read, in the UI's language. The engine words each failure in English
 * (main/engine/decode-errors.ts: one line per PhotoReadError kind, with libvips's own text after
 * it); the UI knows those lines by how they start, here, and shows its translation with the raw
 * text one click away (a bug report needs it). A job's failure comes as "<job kind>: <message>",
 * so the known line may follow a prefix.
 */
const KINDS: readonly [RegExp, MessageKey][] = [
  [/(^|: )refused: /, 'failure.tooLarge'],
  [/(^|: )truncated or damaged image data:/, 'failure.truncated'],
  [/(^|: )(corrupt image( header)?|cannot decode image):/, 'failure.corrupt'],
  [/(^|: )(not a readable image|not a photo):/, 'failure.unsupported'],
  [/(^|: )cannot read file:/, 'failure.unreadable'],
];

/** The translation key for an engine failure message, or null when it is not one the UI knows (shown as it is). */
export function failureKey(raw: string): MessageKey | null {
  for (const [pattern, key] of KINDS) if (pattern.test(raw)) return key;
  return null;
}
