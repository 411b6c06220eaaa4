/** Numbers, sizes, durations and dates in the UI's locale. Formatters are cached: they are costly to build. */
import type { Locale } from './i18n.js';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numberFormat(locale: Locale, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${locale}|${JSON.stringify(options)}`;
  let format = cache.get(key) as Intl.NumberFormat | undefined;
  if (!format) cache.set(key, (format = new Intl.NumberFormat(locale, options)));
  return format;
}

function dateFormat(locale: Locale, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${locale}|${JSON.stringify(options)}`;
  let format = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) cache.set(key, (format = new Intl.DateTimeFormat(locale, options)));
  return format;
}

export function formatCount(locale: Locale, value: number): string {
  return numberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

export function formatBytes(locale: Locale, bytes: number): string {
  const units = [
    ['byte', 1],
    ['kilobyte', 1e3],
    ['megabyte', 1e6],
    ['gigabyte', 1e9],
  ] as const;
  let chosen: (typeof units)[number] = units[0];
  for (const unit of units) if (bytes >= unit[1]) chosen = unit;
  const value = bytes / chosen[1];
  // CLDR's short form of a bare byte is "byte" ("704 byte"); the long one says "704 bytes".
  const unitDisplay = chosen[0] === 'byte' ? 'long' : 'short';
  return numberFormat(locale, { style: 'unit', unit: chosen[0], unitDisplay, maximumFractionDigits: value < 10 && chosen[1] > 1 ? 1 : 0 }).format(value);
}

export function formatPercent(locale: Locale, fraction: number): string {
  return numberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(Math.max(0, Math.min(1, fraction)));
}

export function formatRate(locale: Locale, perSecond: number): string {
  return numberFormat(locale, { maximumFractionDigits: perSecond < 10 ? 1 : 0 }).format(perSecond);
}

/** "45 sec", "12 min", "2 hr 5 min" (or 45秒 / 12分钟 / 2小时5分钟). */
export function formatDuration(locale: Locale, seconds: number): string {
  const unit = (value: number, name: 'second' | 'minute' | 'hour') => numberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short', maximumFractionDigits: 0 }).format(value);
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return unit(Math.round(s / 60), 'minute');
  const hours = Math.floor(s / 3600);
  const minutes = Math.round((s % 3600) / 60);
  return minutes === 0 ? unit(hours, 'hour') : `${unit(hours, 'hour')} ${unit(minutes, 'minute')}`;
}

/**
 * Capture times are camera wall-clock (no zone): the engine sends them as UTC epoch ms or as
 * "2024-07-31T18:02:11". Both are shown in UTC so the hour reads as the camera saw it.
 */
export function formatMonth(locale: Locale, year: number, month: number): string {
  return dateFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(Date.UTC(year, month, 1));
}

export function formatDay(locale: Locale, epochMs: number): string {
  return dateFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(epochMs);
}

export function formatWallClock(locale: Locale, wallClock: string): string {
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(wallClock) ? wallClock : `${wallClock}Z`);
  if (Number.isNaN(ms)) return wallClock;
  const hasTime = wallClock.includes('T');
  return dateFormat(locale, hasTime ? { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' } : { dateStyle: 'long', timeZone: 'UTC' }).format(ms);
}

/** A moment in this machine's time zone (when a folder was scanned). */
export function formatLocalTime(locale: Locale, epochMs: number): string {
  return dateFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(epochMs);
}

export function formatCoordinate(value: number, positive: string, negative: string): string {
  return `${Math.abs(value).toFixed(5)}° ${value >= 0 ? positive : negative}`;
}

export function formatGps(gps: { lat: number; lon: number; alt: number | null }): string {
  const base = `${formatCoordinate(gps.lat, 'N', 'S')}, ${formatCoordinate(gps.lon, 'E', 'W')}`;
  return gps.alt === null ? base : `${base} · ${Math.round(gps.alt)} m`;
}

/** The last part of a path, for labels (works for / and \ separators). */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const index = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return index >= 0 ? trimmed.slice(index + 1) || trimmed : trimmed;
}
