import { describe, expect, it } from 'vitest';

// Every component and module's source, as text: to check that each message key is used somewhere.
const sources = import.meta.glob(['../**/*.svelte', '../**/*.ts', '!../**/*.test.ts', '!./i18n.ts'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
import { messages, placeholdersOf, resolveLocale, translate, type MessageKey } from './i18n.js';
import catalog from '../../../models/catalog.json';

const modelKey = (key: string) => /^model\.(description|about)\./.test(key);

describe('i18n', () => {
  const en = messages.en;
  const zh = messages['zh-CN'];

  it('has the same keys in English and Chinese', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it('has no key that nothing uses (a key built at run time is named in full here)', () => {
    const text = Object.values(sources).join('\n');
    // t(`search.language.${notice.language}`): the languages a notice can name.
    const built = ['search.language.zh', 'search.language.ja', 'search.language.ko'];
    expect(text).toContain('search.language.${');
    // modelText builds `model.description.<id>` and `model.about.<id>`: checked against the catalog below.
    expect(text).toContain('model.${kind}.${id}');
    const unused = (Object.keys(en) as MessageKey[]).filter((key) => !built.includes(key) && !modelKey(key) && !text.includes(`'${key}'`) && !text.includes(`"${key}"`));
    expect(unused).toEqual([]);
  });

  it('translates model descriptions only for models the catalog lists, and every catalog model has a description', () => {
    const ids = catalog.models.map((model) => model.id);
    const named = (Object.keys(en) as MessageKey[]).filter(modelKey).map((key) => key.replace(/^model\.(description|about)\./, ''));
    expect(named.filter((id) => !ids.includes(id))).toEqual([]);
    expect(ids.filter((id) => !(`model.description.${id}` in en))).toEqual([]);
  });

  it('has no empty string in either language', () => {
    for (const table of [en, zh]) for (const [key, text] of Object.entries(table)) expect(text.trim(), key).not.toBe('');
  });

  it('uses the same placeholders in both languages (a translation never drops {count})', () => {
    for (const key of Object.keys(en) as MessageKey[]) expect(placeholdersOf(zh[key]), key).toEqual(placeholdersOf(en[key]));
  });

  it('picks plural forms and formats numbers per locale', () => {
    expect(translate('en', 'grid.count', { count: 1 })).toBe('1 photo');
    expect(translate('en', 'grid.count', { count: 12345 })).toBe('12,345 photos');
    expect(translate('zh-CN', 'grid.count', { count: 12345 })).toBe('12,345 张照片');
  });

  it('follows the browser language for "auto"', () => {
    expect(resolveLocale('auto', ['zh-TW', 'en'])).toBe('zh-CN');
    expect(resolveLocale('auto', ['en-GB'])).toBe('en');
    expect(resolveLocale('auto', ['fr-FR'])).toBe('en');
    expect(resolveLocale('zh-CN', ['en-US'])).toBe('zh-CN');
  });
});
