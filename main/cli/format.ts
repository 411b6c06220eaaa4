import type { Folder, IndexSummary, PhotoRecord } from '../engine/index.js';
import type { DoctorReport } from '../engine/doctor.js';

/** Human-readable output. Machine-readable output is plain JSON.stringify of the same objects. */

export function formatIndexSummary(summary: IndexSummary): string {
  const lines = [`found ${summary.found} photos: ${summary.indexed} read, ${summary.unchanged} unchanged, ${summary.removed} gone, ${summary.failed.length} failed`];
  for (const failure of summary.failed) lines.push(`  failed  ${failure.path}\n          ${failure.error}`);
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
  const providers = report.executionProviders.map((p) => `  ${p.name}${p.bundled ? '' : ' (not bundled: install its runtime to use it)'}`);
  const c = report.counts;
  const j = report.jobs;
  return [
    'versions',
    ...versions,
    'library',
    `  path              ${report.library.path}`,
    `  database          ${report.library.database} (${(report.library.databaseBytes / 1024).toFixed(0)} KiB, schema ${report.library.schemaVersion})`,
    `  integrity         ${report.integrity}`,
    `  folders           ${c.folders}`,
    `  photos            ${c.photos} (${c.ok} ok, ${c.failed} failed, ${c.pending} pending; ${c.hidden} hidden after deletion)`,
    `  jobs              ${j.pending} pending, ${j.running} running, ${j.done} done, ${j.failed} failed`,
    'execution providers',
    ...providers,
    ...(report.recentProblems.length ? ['recent problems', ...report.recentProblems.map((p) => `  ${p.at} ${p.scope} ${p.path ?? ''} ${p.message}`)] : []),
  ].join('\n');
}
