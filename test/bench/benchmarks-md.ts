/**
 * The bench kit: what the benchmarks share. The machine description, BENCHMARKS.md (where each
 * benchmark owns one section between its own start and end markers and rewrites only that), option
 * parsing, the median, sizes in MiB and progress lines on stderr. Peak RSS is test/helpers/peak-rss.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BENCHMARKS_FILE = path.join(REPO_ROOT, 'BENCHMARKS.md');

function osName(): string {
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1];
    if (pretty) return `${pretty} (kernel ${os.release()})`;
  } catch {
    // Not Linux, or no os-release: the generic name below will do.
  }
  return `${os.type()} ${os.release()}`;
}

/** The temp folder's file system matters (tmpfs is far faster than a disk), so it is reported. */
export function fileSystemOf(dir: string): string {
  const names: Record<number, string> = { 0x01021994: 'tmpfs', 0xef53: 'ext4', 0x9123683e: 'btrfs', 0x58465342: 'xfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };
  try {
    const type = fs.statfsSync(dir).type;
    return names[type] ?? `type 0x${type.toString(16)}`;
  } catch {
    return 'unknown';
  }
}

/** CPU, RAM, OS and Node lines for a section's header. */
export function machineBasics(): string[] {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return [`- CPU: ${cpu}, ${os.availableParallelism()} cores`, `- RAM: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`, `- OS: ${osName()}`, `- Node: ${process.version}`];
}

/** Where and when a section's figures were measured, and how to measure them again: the machine lines, then Date and Command. */
export function provenance(machine: readonly string[], date: string, command: string): string[] {
  return [...machine, `- Date: ${date}`, `- Command: \`${command}\``];
}

/** How the benchmark was started, as one would type it again. */
export function commandLine(npmScript: string, distScript: string, argv: readonly string[]): string {
  const quoted = argv.map((arg) => (/^[\w./=:,-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
  if (process.env.npm_lifecycle_event === npmScript) return `npm run ${npmScript}${quoted ? ` -- ${quoted}` : ''}`;
  return `node ${distScript}${quoted ? ` ${quoted}` : ''}`;
}

export function markdownTable(rows: readonly (readonly string[])[], header: readonly string[] = ['Measurement', 'Result', 'Notes']): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [`| ${header.map(cell).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/**
 * Replaces the text from `start` to `end` (markers included) in BENCHMARKS.md with `section`,
 * which must begin with `start` and end with `end`; appends it when the markers are not there yet.
 * Other benchmarks' sections stay as they are.
 */
export function writeBenchmarksSection(start: string, end: string, section: string, file = BENCHMARKS_FILE): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + section + current.slice(to + end.length) : `${current.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
}

/**
 * A benchmark's whole-number option: digits with optional `_` separators and a `k` or `m` suffix
 * (`100_000`, `100k`, `1m`), from 1 to `max`.
 */
export function positiveInt(flag: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value.trim().replaceAll('_', '').replace(/k$/i, '000').replace(/m$/i, '000000'));
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag} must be a whole number from 1 to ${max}, got ${value}`);
  return n;
}

/** The median (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Bytes as whole MiB, e.g. "127 MiB". */
export function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** A benchmark's progress lines, on stderr (stdout carries only its table or its JSON result). */
export function benchLogger(name: string): (message: string) => void {
  return (message) => void process.stderr.write(`${name}: ${message}\n`);
}
