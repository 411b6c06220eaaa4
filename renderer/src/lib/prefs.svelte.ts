/**
 * Preferences that belong to this window rather than the library: language and theme. Kept in
 * localStorage; the library's own settings (device, models) go through `settings.set`.
 */
import { resolveLocale, translate, type Locale, type MessageKey, type MessageParams } from './i18n.js';

export type LanguagePreference = 'auto' | Locale;
export type ThemePreference = 'system' | 'light' | 'dark';

function load<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
  try {
    const value = globalThis.localStorage?.getItem(key);
    return allowed.includes(value as T) ? (value as T) : fallback;
  } catch {
    return fallback;
  }
}

function store(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    // Private windows can refuse storage; the choice still holds for this session.
  }
}

/** Thumbnail sizes of the library grid (preferred cell edge, CSS px), smallest first. */
export const gridSizes = [96, 128, 160, 220, 300] as const;

export const prefs = $state({
  language: load<LanguagePreference>('iris.language', ['auto', 'en', 'zh-CN'], 'auto'),
  theme: load<ThemePreference>('iris.theme', ['system', 'light', 'dark'], 'system'),
  gridSize: Number(load('iris.gridSize', ['0', '1', '2', '3', '4'], '2')),
});

export function setGridSize(index: number): void {
  prefs.gridSize = Math.max(0, Math.min(gridSizes.length - 1, index));
  store('iris.gridSize', String(prefs.gridSize));
}

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

/** The locale in effect (reactive: reads `prefs`). */
export function locale(): Locale {
  return resolveLocale(prefs.language, browserLanguages());
}

/** A UI string in the current language; used in templates, so it re-renders when the language changes. */
export function t(key: MessageKey, params?: MessageParams): string {
  return translate(locale(), key, params);
}

export function setLanguage(language: LanguagePreference): void {
  prefs.language = language;
  store('iris.language', language);
  applyDocumentPrefs();
}

export function setTheme(theme: ThemePreference): void {
  prefs.theme = theme;
  store('iris.theme', theme);
  applyDocumentPrefs();
}

/** `lang` (fonts, screen readers) and the theme override live on <html>. */
export function applyDocumentPrefs(doc: Document = document): void {
  doc.documentElement.lang = locale();
  if (prefs.theme === 'system') delete doc.documentElement.dataset.theme;
  else doc.documentElement.dataset.theme = prefs.theme;
}
