import { readCatalog } from '../models/choose-model.js';
import type { ModelEntry } from '../models/catalog.js';
import { isInstalled } from '../models/verified.js';

/**
 * A query in a language the CLIP model was not trained on is still embedded and ranked (the
 * OpenAI BPE turns 红色 into byte tokens the model never learned a meaning for), and the ranking
 * looks like any other. This says so, and names the catalog's Chinese CLIP for Chinese queries.
 */

export type QueryLanguage = 'zh' | 'ja' | 'ko';

export interface LanguageNotice {
  kind: 'language';
  /** The language the query's script suggests. */
  language: QueryLanguage;
  /** The CLIP model that ranked it, which does not read that language. */
  model: string;
  /** A catalog model that reads this language (null: the catalog has none). */
  suggestion: { id: string; title: string; installed: boolean } | null;
}

/** The CJK language a query is written in, if any: kana means Japanese, hangul Korean, other Han characters Chinese. */
export function queryLanguage(text: string): QueryLanguage | null {
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text)) return 'ja';
  if (/\p{Script=Hangul}/u.test(text)) return 'ko';
  if (/\p{Script=Han}/u.test(text)) return 'zh';
  return null;
}

/**
 * The languages a CLIP catalog entry understands, from its `about.languages`: a multilingual
 * model reads them all, a Chinese one Chinese (and some English), the others English only. An
 * entry without `about` (a fixture, an older catalog) is read by its family's name.
 */
export function modelLanguages(entry: Pick<ModelEntry, 'id' | 'family'> & { about?: Pick<NonNullable<ModelEntry['about']>, 'languages'> }): readonly string[] {
  switch (entry.about?.languages) {
    case 'multilingual':
      return ['en', 'zh', 'ja', 'ko'];
    case 'zh':
      return ['zh', 'en'];
    case 'en':
      return ['en'];
    default:
      return /chinese/i.test(entry.family ?? entry.id) ? ['zh', 'en'] : ['en'];
  }
}

/** The notice for `text` searched with `model` (the library's CLIP entry), or null when the model reads its language. */
export function languageNotice(text: string, model: ModelEntry | undefined, modelsDir: string): LanguageNotice | null {
  const language = queryLanguage(text);
  if (!language || !model || modelLanguages(model).includes(language)) return null;
  const readers = (readCatalog(modelsDir).catalog?.models ?? []).filter((entry) => entry.task === 'clip' && modelLanguages(entry).includes(language));
  const installed = readers.filter((entry) => isInstalled(modelsDir, entry));
  // An installed one first, else the first listed (the catalog lists full precision before quantised).
  const pick = installed[0] ?? readers[0];
  return {
    kind: 'language',
    language,
    model: model.id,
    suggestion: pick ? { id: pick.id, title: pick.title, installed: installed.includes(pick) } : null,
  };
}
