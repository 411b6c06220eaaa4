import type { Command } from 'commander';
import { UsageError } from '../../engine/index.js';
import type { Engine } from '../../engine/engine.js';
import { CAPTION_DETAILS, type CaptionDetail } from '../../engine/generation/captioner.js';
import { writeSidecar } from '../../engine/xmp/sidecar.js';
import { type CommandContext, EXIT, emit, globals, out, withEngine } from '../context.js';
import { attachProgressBar } from '../progress.js';

interface CaptionFlags {
  all?: boolean;
  model?: string;
  detail?: string;
  redo?: boolean;
  set?: string;
}

function parseDetail(value: string | undefined): CaptionDetail | undefined {
  if (value === undefined) return undefined;
  if ((CAPTION_DETAILS as readonly string[]).includes(value)) return value as CaptionDetail;
  throw new UsageError(`--detail wants ${CAPTION_DETAILS.join(' or ')}, not "${value}"`);
}

function photoIds(engine: Engine, photos: readonly string[], all: boolean | undefined): number[] | 'all' {
  if (all && photos.length > 0) throw new UsageError('give photos or --all, not both');
  if (!all && photos.length === 0) throw new UsageError('give a photo (path or id) or --all');
  return all ? 'all' : photos.map((photo) => engine.resolvePhoto(photo));
}

/** `iris caption`, `iris export-xmp`: describing photos in words, and handing the words to other apps. */
export function registerCaptionCommands(program: Command, context: CommandContext): void {
  program
    .command('caption')
    .description('describe photos with the local captioning model (a batch resumes after a crash; a caption a person wrote is never replaced)')
    .argument('[photos...]', 'library paths or photo ids')
    .option('--all', 'every photo in the library that has no caption yet')
    .option('--model <id>', 'captioning model (default: the caption-model setting, else the catalog default)')
    .option('--detail <detail>', `${CAPTION_DETAILS.join(' or ')} (default: the caption-detail setting)`)
    .option('--redo', 'caption again photos that already have a generated caption')
    .option('--set <text>', 'write this caption for the photo yourself (marks it as a person\'s; "" removes it)')
    .action(async (photos: string[], flags: CaptionFlags, command: Command) => {
      const options = globals(command);
      const detail = parseDetail(flags.detail);
      await withEngine(options, async (engine) => {
        const ids = photoIds(engine, photos, flags.all);
        if (flags.set !== undefined) {
          if (ids === 'all') throw new UsageError('--set writes one photo\'s caption: give photos, not --all');
          const captions = ids.map((id) => ({ id, caption: engine.captions.putEdited(id, flags.set!) ?? null }));
          emit(options, captions, () => captions.map(({ id, caption }) => `${id}  ${caption ? caption.text : '(caption removed)'}`).join('\n'));
          return;
        }
        // Photos found but not yet decoded are not captionable yet: finish that work first.
        if (engine.store.counts().pending > 0) await engine.runJobs();
        const queued = engine.queueCaptions(ids, { model: flags.model, detail, redo: flags.redo });
        const detach = attachProgressBar(engine);
        await engine.runJobs().finally(detach);
        const wanted = ids === 'all' ? undefined : new Set(ids);
        const failed = engine.store.jobs.failures(`caption:${queued.model}:${queued.detail}`).filter((f) => !wanted || wanted.has(f.photoId));
        const captions = ids === 'all' ? [] : ids.map((id) => ({ id, caption: engine.captions.get(id) ?? null }));
        const summary = { ...queued, captioned: engine.captions.count(), failed, captions };
        emit(options, summary, () =>
          [
            ...captions.map(({ id, caption }) => `${id}  ${caption ? `${caption.text}${caption.edited ? '  (written by a person: kept)' : ''}` : '(no caption)'}`),
            `${queued.queued} photo${queued.queued === 1 ? '' : 's'} captioned with ${queued.model} (${queued.detail})` +
              (queued.keptEdited > 0 ? `; ${queued.keptEdited} with a caption written by a person left alone` : '') +
              `; ${summary.captioned} photos have a caption`,
            ...failed.map((f) => `failed  ${f.path ?? f.photoId}: ${f.error}`),
          ].join('\n'),
        );
        if (failed.length > 0) context.setExitCode(EXIT.someFailed);
      });
    });

  program
    .command('export-xmp')
    .description('write captions and tags to XMP sidecars (photo.jpg.xmp, or an existing photo.xmp) for digiKam, Lightroom and others; never touches the photos')
    .argument('[photos...]', 'library paths or photo ids')
    .option('--all', 'every photo with a caption or tags')
    .option('--style <style>', 'auto (an existing sidecar wins, else photo.jpg.xmp), append (photo.jpg.xmp) or replace (photo.xmp)', 'auto')
    .option('--dry-run', 'say what would be written, write nothing')
    .action(async (photos: string[], flags: { all?: boolean; style: string; dryRun?: boolean }, command: Command) => {
      const options = globals(command);
      if (!['auto', 'append', 'replace'].includes(flags.style)) throw new UsageError(`--style wants auto, append or replace, not "${flags.style}"`);
      await withEngine(options, async (engine) => {
        const ids = photoIds(engine, photos, flags.all);
        const targets = ids === 'all' ? engine.photosWithWords() : ids;
        const results: { id: number; path: string; sidecar?: string; outcome: string; error?: string }[] = [];
        for (const id of targets) {
          const words = engine.wordsOf(id);
          for (const location of engine.store.locationsOf(id)) {
            try {
              const written = await writeSidecar(location.path, words, { style: flags.style as 'auto' | 'append' | 'replace', dryRun: flags.dryRun });
              results.push({ id, path: location.path, sidecar: written.path, outcome: written.outcome });
            } catch (error) {
              results.push({ id, path: location.path, outcome: 'failed', error: (error as Error).message });
            }
          }
        }
        const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
        emit(options, results, () =>
          [
            ...results.filter((r) => r.outcome !== 'unchanged').map((r) => `${r.outcome.padEnd(9)} ${r.sidecar ?? r.path}${r.error ? `: ${r.error}` : ''}`),
            `${flags.dryRun ? 'would write: ' : ''}${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('failed')} failed`,
          ].join('\n'),
        );
        if (count('failed') > 0) context.setExitCode(EXIT.someFailed);
      });
    });
  void out;
}
