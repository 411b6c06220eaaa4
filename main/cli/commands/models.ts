import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, errorMessage } from '../../engine/errors.js';
import { type Catalog, CATALOG_FILE, type ModelEntry, catalogDirFor, loadCatalog, modelFilePath } from '../../engine/models/catalog.js';
import { type DownloadProgress, type FileState, expectedFromLocal, installModel, verifyModel } from '../../engine/models/download.js';
import { defaultModelsDir } from '../../engine/paths.js';
import { hasAnyFile, modelBytes, modelState } from '../../engine/models/state.js';
export type { ModelState } from '../../engine/models/state.js';
import { type CommandContext, EXIT, type GlobalOptions, emit, globals, out } from '../context.js';
import { writeErr } from '../streams.js';

/**
 * `iris models list | install <id...> | verify [id...]`: the models of the catalog
 * (models/catalog.json) and their files in the models folder (`--models`, IRIS_MODELS, default the
 * install's models/). No library is opened.
 */

interface Location {
  modelsDir: string;
  catalogFile: string;
  catalog: Catalog;
}

function locate(options: GlobalOptions): Location {
  const modelsDir = path.resolve(options.models || defaultModelsDir());
  const catalogDir = catalogDirFor(modelsDir);
  return { modelsDir, catalogFile: path.join(catalogDir, CATALOG_FILE), catalog: loadCatalog(catalogDir) };
}

function pick(catalog: Catalog, ids: readonly string[]): ModelEntry[] {
  const unknown = ids.filter((id) => !catalog.models.some((model) => model.id === id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown model${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the catalog has: ${catalog.models.map((model) => model.id).join(', ')}`);
  }
  return [...new Set(ids)].map((id) => catalog.models.find((model) => model.id === id)!);
}

function formatBytes(bytes: number | null): string {
  if (bytes === null) return '?';
  // Decimal units, as Hugging Face and download tools show sizes.
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd()).join('\n');
}

/** A download bar on stderr (only when it is a terminal): file, bytes, rate, ETA. */
function downloadBar(stream: NodeJS.WriteStream = process.stderr): { update(progress: DownloadProgress): void; stop(): void } {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream, format: '{label} {bar} {percentage}% | {done}/{size} | {speed}/s | ETA {eta_formatted}', barsize: 20, hideCursor: true, clearOnComplete: true, etaBuffer: 50, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  let current: string | null = null;
  return {
    update(progress) {
      const key = `${progress.model}/${progress.file}`;
      const payload = { label: key.length > 36 ? `…${key.slice(-35)}` : key, done: formatBytes(progress.received), size: formatBytes(progress.total), speed: formatBytes(Math.round(progress.rate)) };
      if (current !== key) {
        if (current !== null) bar.stop();
        bar.start(progress.total, progress.received, payload);
        current = key;
      } else {
        bar.update(progress.received, payload);
      }
    },
    stop() {
      if (current !== null) bar.stop();
      current = null;
    },
  };
}

function describeProblem(modelsDir: string, model: ModelEntry, file: string, state: FileState): string {
  switch (state) {
    case 'missing':
      return 'missing';
    case 'wrong-size': {
      const entry = model.files.find((f) => f.path === file)!;
      const actual = fs.statSync(modelFilePath(modelsDir, model, entry), { throwIfNoEntry: false })?.size;
      return `wrong size: ${actual ?? '?'} bytes, expected ${expectedFromLocal(modelsDir, model, entry)?.bytes ?? '?'} (partial or corrupted)`;
    }
    case 'wrong-hash':
      return 'wrong sha256: the bytes are not the ones pinned for this model (corrupted)';
    case 'unpinned':
      return `cannot be checked: the catalog entry is unpinned and pinned.json has no record of it (\`iris models install ${model.id}\` pins it)`;
    default:
      return state;
  }
}

function parseAttempts(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('a whole number from 1 to 100');
  return n;
}

export function registerModelsCommands(program: Command, context: CommandContext): void {
  const models = program.command('models').description('the models Iris can use: list, install, verify (folder: --models or IRIS_MODELS)');

  models
    .command('list', { isDefault: true })
    .description('every model of the catalog: task, precision, size, and whether it is installed (sizes only; `verify` checks hashes)')
    .action((_opts, command: Command) => {
      const options = globals(command);
      const { modelsDir, catalogFile, catalog } = locate(options);
      const rows = catalog.models.map((model) => ({
        id: model.id,
        title: model.title,
        task: model.task,
        dtype: model.dtype,
        family: model.family ?? null,
        default: model.default,
        pinned: model.pinned ?? true,
        bytes: modelBytes(modelsDir, model),
        state: modelState(modelsDir, model),
        licence: model.licence,
        path: path.join(modelsDir, model.id),
      }));
      emit(options, rows, () =>
        [
          table([
            ['', 'ID', 'TASK', 'DTYPE', 'SIZE', 'STATE', 'PINNED'],
            ...rows.map((row) => [row.default ? '*' : '', row.id, row.task, row.dtype, formatBytes(row.bytes), row.state, row.pinned ? 'yes' : 'no (hashes from the server)']),
          ]),
          '',
          `* default   models folder: ${modelsDir}   catalog: ${catalogFile}`,
        ].join('\n'),
      );
    });

  models
    .command('install')
    .description('download models (resumable), verify every file by sha256, and move it into place')
    .argument('<id...>')
    .option('--attempts <n>', 'tries per file for network failures and bad bytes', parseAttempts, 4)
    .action(async (ids: string[], opts: { attempts: number }, command: Command) => {
      const options = globals(command);
      const { modelsDir, catalog } = locate(options);
      const chosen = pick(catalog, ids);
      const controller = new AbortController();
      const interrupt = () => controller.abort();
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      const results: { id: string; ok: boolean; path: string; downloaded: string[]; present: string[]; bytes: number | null; warnings: string[]; error?: string }[] = [];
      try {
        for (const model of chosen) {
          if (controller.signal.aborted) break;
          const warnings: string[] = [];
          const bar = downloadBar();
          const result = { id: model.id, ok: false, path: path.join(modelsDir, model.id), downloaded: [] as string[], present: [] as string[], bytes: null as number | null, warnings };
          try {
            const installed = await installModel(modelsDir, model, {
              attempts: opts.attempts,
              signal: controller.signal,
              onProgress: (progress) => bar.update(progress),
              onWarning: (message) => warnings.push(message),
            });
            bar.stop();
            Object.assign(result, installed, { ok: true, bytes: modelBytes(modelsDir, model) });
          } catch (error) {
            bar.stop();
            const message = controller.signal.aborted
              ? `interrupted; what arrived is kept (.part files) and \`iris models install ${model.id}\` resumes it`
              : errorMessage(error);
            results.push({ ...result, error: message });
            for (const warning of warnings) writeErr(`iris: warning: ${warning}\n`);
            writeErr(`iris: could not install ${model.id}: ${message}\n`);
            continue;
          }
          results.push(result);
          for (const warning of warnings) writeErr(`iris: warning: ${warning}\n`);
        }
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
      const installed = results.filter((result) => result.ok);
      if (options.json) out(JSON.stringify(results, null, 2));
      else if (installed.length > 0) {
        out(
          installed
            .map((result) => {
              const fetched = result.downloaded.length > 0 ? `${result.downloaded.length} file${result.downloaded.length === 1 ? '' : 's'} downloaded` : 'nothing to download';
              const kept = result.present.length > 0 ? `, ${result.present.length} already present` : '';
              return `installed ${result.id} (${formatBytes(result.bytes)}; ${fetched}${kept}, all verified) in ${result.path}`;
            })
            .join('\n'),
        );
      }
      if (results.length < chosen.length || results.some((result) => !result.ok)) context.setExitCode(EXIT.someFailed);
    });

  models
    .command('verify')
    .description('hash every file of the given models (default: every installed one) against the catalog; exit 1 when any is bad')
    .argument('[id...]')
    .action(async (ids: string[], _opts, command: Command) => {
      const options = globals(command);
      const { modelsDir, catalog } = locate(options);
      const chosen = ids.length > 0 ? pick(catalog, ids) : catalog.models.filter((model) => hasAnyFile(modelsDir, model));
      const reports: { id: string; ok: boolean; path: string; files: { path: string; state: FileState; problem?: string }[] }[] = [];
      for (const model of chosen) {
        const files = (await verifyModel(modelsDir, model)).map((file) =>
          file.state === 'ok' ? file : { ...file, problem: describeProblem(modelsDir, model, file.path, file.state) },
        );
        reports.push({ id: model.id, ok: files.every((file) => file.state === 'ok'), path: path.join(modelsDir, model.id), files });
      }
      emit(options, reports, () => {
        if (reports.length === 0) return `no models installed in ${modelsDir}`;
        return reports
          .map((report) =>
            report.ok
              ? `ok   ${report.id} (${report.files.length} files)`
              : [`BAD  ${report.id}`, ...report.files.filter((file) => file.problem).map((file) => `       ${file.path}: ${file.problem}`)].join('\n'),
          )
          .join('\n');
      });
      const bad = reports.filter((report) => !report.ok);
      if (bad.length > 0) {
        const named = bad.map((report) => `${report.id} (${report.files.filter((file) => file.problem).map((file) => `${file.path}: ${file.state}`).join(', ')})`);
        writeErr(`iris: ${bad.length} model${bad.length === 1 ? '' : 's'} failed verification: ${named.join('; ')}; \`iris models install <id>\` fetches bad files again\n`);
        context.setExitCode(EXIT.someFailed);
      }
    });
}
