import type { DuplicateGroup } from '../engine/organise/duplicates-review.js';
import os from 'node:os';
import type { Folder, IndexSummary, PhotoRecord } from '../engine/index.js';
import type { HeldJobs } from '../engine/jobs/queue.js';
import type { SearchResponse, TagResult } from '../engine/search/clip-search.js';
import type { MatchReason } from '../engine/search/text-search.js';
import type { QueryChip } from '../engine/search/query-chips.js';
import type { LanguageNotice } from '../engine/search/query-language.js';
import type { DoctorReport } from '../engine/doctor.js';

/** Human-readable output. Machine-readable output is plain JSON.stringify of the same objects. */

/** Jobs another process holds, one line per owner and kind: who, and until when its claim stands. */
export function describeHeld(held: readonly HeldJobs[], what = 'jobs'): string[] {
  return held.map((group) => {
    const who = group.ownerPid === null ? 'another Iris process' : `another Iris process (pid ${group.ownerPid}${group.owner && !group.owner.startsWith(`${os.hostname()}:`) ? ` on ${group.owner.split(':')[0]}` : ''})`;
    const until = group.leaseUntil === null ? '' : `; its claim runs out at ${new Date(group.leaseUntil).toLocaleTimeString()}, when any Iris takes the work up again`;
    return `not done  ${group.count} ${what} (${group.kind}): held by ${who}${until}`;
  });
}

export function formatIndexSummary(summary: IndexSummary): string {
  const lines = [`found ${summary.found} photos: ${summary.read} read, ${summary.unchanged} unchanged, ${summary.removed} gone, ${summary.failed.length} failed`];
  for (const failure of summary.failed) lines.push(`  failed  ${failure.path}\n          ${failure.error}`);
  const e = summary.embeddings;
  if (e.skipped) lines.push(`embeddings: ${e.embedded} photos searchable; ${e.missing} not embedded: ${e.skipped}`);
  else if (e.model) lines.push(`embeddings: ${e.embedded} photos searchable with ${e.model}${e.missing ? ` (${e.missing} could not be embedded)` : ''}`);
  lines.push(...describeHeld(summary.heldElsewhere));
  return lines.join('\n');
}

export function formatPhotos(photos: readonly PhotoRecord[]): string {
  if (photos.length === 0) return 'no photos yet: add a folder with `iris index <folder>`';
  const rows = photos.map((photo) => {
    const size = photo.width && photo.height ? `${photo.width}×${photo.height}` : '-';
    const detail = photo.status === 'failed' ? `  ${photo.error}` : '';
    return `${String(photo.id).padStart(6)}  ${photo.status.padEnd(7)} ${(photo.format ?? '-').padEnd(5)} ${size.padEnd(11)} ${(photo.takenAt ?? '-').padEnd(19)}  ${photo.path}${detail}`;
  });
  return [`${'id'.padStart(6)}  ${'status'.padEnd(7)} ${'fmt'.padEnd(5)} ${'size'.padEnd(11)} ${'taken'.padEnd(19)}  path`, ...rows].join('\n');
}

export function formatFolders(folders: readonly Folder[]): string {
  if (folders.length === 0) return 'no folders yet: `iris add <folder>`';
  return folders
    .map((folder) => {
      const scanned = folder.scannedAt ? `scanned ${new Date(folder.scannedAt).toLocaleString()}` : 'not scanned yet';
      return `${folder.path}  (${scanned}${folder.lastError ? `; error: ${folder.lastError}` : ''})`;
    })
    .join('\n');
}

export function formatDoctor(report: DoctorReport): string {
  const versions = Object.entries(report.versions).map(([name, version]) => `  ${name.padEnd(17)} ${version}`);
  const providers = report.executionProviders.map((p) => {
    const kind = !p.listed ? 'not in this build' : p.bundled ? 'bundled' : 'not bundled';
    const probe = !p.probe ? 'not probed (Iris does not use it)' : p.probe.available ? `works (probe ${p.probe.ms} ms)` : `unavailable: ${p.probe.reason}`;
    return `  ${p.name.padEnd(17)} ${kind.padEnd(18)} ${probe}`;
  });
  const d = report.device;
  const from = d.source === 'cli' ? '--device / IRIS_DEVICE' : d.source === 'setting' ? 'library setting' : 'default';
  const last = report.lastRuntime;
  const c = report.counts;
  const j = report.jobs;
  return [
    'versions',
    ...versions,
    'library',
    `  path              ${report.library.path}`,
    `  database          ${report.library.database} (${(report.library.databaseBytes / 1024).toFixed(0)} KiB, schema ${report.library.schemaVersion})`,
    `  integrity         ${report.integrity}`,
    `  backups           ${
      report.backups.newest
        ? `newest ${report.backups.newest.name} (${new Date(report.backups.newest.takenAt).toLocaleString()}); ${report.backups.count} in ${report.backups.dir}`
        : `none yet (taken daily while Iris runs and before every schema change, in ${report.backups.dir})`
    }`,
    `  folders           ${c.folders}`,
    `  photos            ${c.photos} (${c.ok} ok, ${c.failed} failed, ${c.pending} pending; ${c.hidden} hidden after deletion)`,
    `  jobs              ${j.pending} pending, ${j.running} running, ${j.done} done, ${j.failed} failed`,
    ...describeHeld(report.heldJobs).map((line) => `  ${line}`),
    'search',
    `  models folder     ${report.embeddings.modelsDir}`,
    `  CLIP model        ${report.embeddings.model ?? 'none'}`,
    `  embedded          ${report.embeddings.embedded} photos (${report.embeddings.missing} readable photos without an embedding)`,
    ...(report.embeddings.skipped ? [`  not embedding     ${report.embeddings.skipped}`] : []),
    'execution providers',
    ...providers,
    'device',
    `  in effect         ${d.effective} (${from}; tries ${d.tries.join(', ')}) -> ${d.resolvesTo ?? 'nothing works'}`,
    `  auto resolves to  ${d.autoResolvesTo ?? 'nothing works'}`,
    'last model session',
    ...(last
      ? [
          `  ${last.label ?? 'model'}: ${last.provider} (asked ${last.device}; ${last.threads.intraOp} intra-op threads; ${last.at})`,
          ...last.attempts.filter((a) => !a.ok).map((a) => `  fell back from ${a.provider}: ${a.reason}`),
        ]
      : ['  none yet']),
    ...(report.recentProblems.length ? ['recent problems', ...report.recentProblems.map((p) => `  ${p.at} ${p.scope} ${p.path ?? ''} ${p.message}`)] : []),
  ].join('\n');
}

const LANGUAGE_NAMES: Record<LanguageNotice['language'], string> = { zh: 'Chinese', ja: 'Japanese', ko: 'Korean' };

/** The notice of a query in a language the model does not read, with what to do about it. */
function formatLanguageNotice(notice: LanguageNotice): string {
  const about = `note: ${notice.model} does not read ${LANGUAGE_NAMES[notice.language]}: this query is ranked without being understood`;
  if (!notice.suggestion) return about;
  const { id, installed } = notice.suggestion;
  const steps = installed ? `\`iris settings set clip-model ${id}\`` : `\`iris models install ${id}\`, then \`iris settings set clip-model ${id}\``;
  return `${about}; ${id} understands Chinese: ${steps} (the library is embedded again)`;
}

type ExplainedResponse = Omit<SearchResponse, 'results'> & {
  results: (SearchResponse['results'][number] & { why?: MatchReason[] })[];
  ranking?: 'clip' | 'captions' | 'rrf' | 'filters';
  caption_matches?: number;
  name_matches?: number;
  text_matches?: number;
  notice?: LanguageNotice | null;
  chips?: QueryChip[];
};

/** "text in name: 'IMG_0042-paris.jpg'": why a result matched, for the search listing. */
function formatWhy(why: readonly MatchReason[]): string {
  return why.map((reason) => (reason.text ? `${reason.signal}: ${JSON.stringify(reason.text)}` : reason.signal)).join(', ');
}

function formatChip(chip: QueryChip): string {
  if (chip.kind === 'date') return `date: "${chip.label}" = taken ${chip.after} to ${lastDay(chip.before)}`;
  if (chip.kind === 'person') return `person: "${chip.label}" = photos of ${chip.value}`;
  if (chip.kind === 'favourite') return `favourites: "${chip.label}" = only photos with a heart`;
  if (chip.kind === 'rating') return `stars: "${chip.label}" = ${chip.min === 5 ? '5 stars' : `${chip.min} stars or more`}`;
  return chip.kind === 'camera' ? `camera: "${chip.label}" = taken with a camera named ${chip.value}` : `place: "${chip.label}" = taken in ${chip.value}`;
}

export function formatSearch(response: ExplainedResponse, what: string): string {
  const textMatches = [response.caption_matches ? `${response.caption_matches} caption` : '', response.text_matches ? `${response.text_matches} text-in-photo` : '', response.name_matches ? `${response.name_matches} name` : '']
    .filter(Boolean)
    .join(' and ');
  const fused = response.ranking === 'rrf' ? `, fused with ${textMatches} matches` : response.ranking === 'captions' ? `: text matches only (${textMatches})` : '';
  const timing = `(${response.model}${fused}: encode ${response.timings.encode_ms} ms, search ${response.timings.search_ms} ms)`;
  const notice = response.notice ? [formatLanguageNotice(response.notice)] : [];
  // Words taken as filters: say so (a date with its range; before is exclusive: show the last day).
  for (const chip of response.chips ?? []) notice.push(`${formatChip(chip)} (--literal ${JSON.stringify(chip.label)} searches the words instead)`);
  if (response.results.length === 0) return [`no photos match ${what} ${timing}`, ...notice].join('\n');
  // Fused scores are small reciprocal-rank sums (≤ 2/61): more digits keep them apart.
  const digits = response.ranking && response.ranking !== 'clip' ? 5 : 3;
  const rows = response.results.map((hit) => `${hit.score.toFixed(digits)}  ${String(hit.id).padStart(6)}  ${hit.path}${hit.why?.length ? `  (${formatWhy(hit.why)})` : ''}`);
  // The relevance cut (engine/search/relevance.ts): a line where the matches end.
  const { relevant, cutoff } = response;
  const cut = !cutoff ? '' : cutoff.threshold === null ? `-- nothing stands out from the library for ${what}: the closest ones, less alike --` : `-- ${relevant} ${relevant === 1 ? 'match' : 'matches'}; less alike below (threshold ${cutoff.threshold}) --`;
  if (cut && relevant < rows.length) rows.splice(relevant, 0, cut);
  return [`${'score'.padEnd(5)}  ${'id'.padStart(6)}  path`, ...rows, timing, ...notice].join('\n');
}

/** `iris duplicates --review`: each copy's size, resolution, date, sharpness and metadata, and what each rule keeps. */
export function formatDuplicateReview(review: { threshold: number; groups: readonly DuplicateGroup[] }): string {
  if (review.groups.length === 0) return `no near-duplicates (cosine ≥ ${review.threshold})`;
  const blocks = review.groups.map((group, i) => {
    const rules = (id: number) => (['largest', 'sharpest', 'metadata'] as const).filter((rule) => group.keep[rule] === id);
    const lines = group.photos.map((copy) => {
      const kept = rules(copy.id);
      const size = `${(copy.size / 2 ** 20).toFixed(1)} MB`;
      const dims = copy.width && copy.height ? `${copy.width}×${copy.height}` : '?';
      return `  ${String(copy.id).padStart(6)}  ${dims.padEnd(11)} ${size.padStart(8)}  ${(copy.takenAt ?? '').slice(0, 10).padEnd(10)}  sharpness ${copy.sharpness ?? '?'}  metadata ${copy.metadata}${copy.hidden ? '  [hidden]' : ''}${kept.length ? `  ← keep (${kept.join(', ')})` : ''}\n          ${copy.path}`;
    });
    return [`group ${i + 1} (${group.photos.length} copies)`, ...lines].join('\n');
  });
  return [...blocks, `${review.groups.length} groups of near-duplicates (cosine ≥ ${review.threshold}); \`iris hide <ids>\` hides copies (files are never touched)`].join('\n');
}

export function formatDuplicates(result: { threshold: number; groups: { photos: { id: number; path: string; score: number }[] }[] }): string {
  if (result.groups.length === 0) return `no near-duplicates (cosine ≥ ${result.threshold})`;
  const blocks = result.groups.map((group, i) => [`group ${i + 1} (${group.photos.length} photos)`, ...group.photos.map((photo) => `  ${photo.score.toFixed(3)}  ${photo.path}`)].join('\n'));
  return [...blocks, `${result.groups.length} groups of near-duplicates (cosine ≥ ${result.threshold})`].join('\n');
}

export function formatTags(results: readonly TagResult[]): string {
  return results
    .map((result) => `${result.path}\n${result.labels.map((label) => `  ${(label.probability * 100).toFixed(1).padStart(5)}%  ${label.label}`).join('\n')}`)
    .join('\n');
}

/** The day before an exclusive YYYY-MM-DD bound. */
function lastDay(before: string): string {
  const [year, month, day] = before.split('-').map(Number) as [number, number, number];
  const d = new Date(Date.UTC(year, month - 1, day - 1));
  return d.toISOString().slice(0, 10);
}
