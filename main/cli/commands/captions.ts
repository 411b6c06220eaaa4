import type { Command } from 'commander';
import type { FinishReason } from '../../engine/ask/types.js';
import { UsageError, errorMessage } from '../../engine/index.js';
import type { Engine } from '../../engine/engine.js';
import { CAPTION_DETAILS, type CaptionDetail } from '../../engine/generation/captioner.js';
import { writeSidecar } from '../../engine/xmp/sidecar.js';
import { photosWithWords, sidecarWords } from '../../engine/xmp/words.js';
import { type CommandContext, EXIT, emit, globals, out, withEngine } from '../context.js';
import { attachProgressBar } from '../progress.js';
import { describeHeld } from '../format.js';

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
  return all ? 'all' : photos.map((photo) => engine.library.resolvePhoto(photo));
}

/** What `iris read-text` found in one photo: `text` is "" when there is none, null when the photo could not be read. */
interface ReadTextResult {
  id: number;
  model: string;
  text: string | null;
  finish?: FinishReason;
  error?: string;
}

/**
 * Reads the text in each photo with the chosen captioning model's OCR task, one photo at a time,
 * stores nothing. The model is loaded for this command and released after it.
 */
async function readTexts(engine: Engine, ids: readonly number[], modelId: string | undefined): Promise<ReadTextResult[]> {
  const results: ReadTextResult[] = [];
  for (const id of ids) {
    try {
      const { text, finish, model } = await engine.captions.readText(id, { model: modelId });
      results.push({ id, model, text: text.trim(), finish });
    } catch (error) {
      // A model that cannot read text (or is not installed) fails every photo alike: say it once.
      if (error instanceof UsageError) throw error;
      results.push({ id, model: engine.captions.choice(modelId).entry?.id ?? '', text: null, error: errorMessage(error) });
    }
  }
  return results;
}

function describeReadText(result: ReadTextResult): string {
  if (result.error !== undefined) return `failed: ${result.error}`;
  if (!result.text) return '(no text found)';
  return result.finish === 'length' ? `${result.text} [cut at the token limit]` : result.text;
}

/** `iris caption`, `iris read-text`, `iris export-xmp`: describing photos in words, reading the words in them, and handing the words to other apps. */
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
          const captions = ids.map((id) => ({ id, caption: engine.captionStore.putEdited(id, flags.set!) ?? null }));
          emit(options, captions, () => captions.map(({ id, caption }) => `${id}  ${caption ? caption.text : '(caption removed)'}`).join('\n'));
          return;
        }
        // Photos found but not yet decoded are not captionable yet: finish that work first.
        if (engine.store.counts().pending > 0) await engine.runJobs();
        const queued = engine.captions.queue(ids, { model: flags.model, detail, redo: flags.redo });
        const detach = attachProgressBar(engine);
        await engine.runJobs().finally(detach);
        const wanted = ids === 'all' ? undefined : new Set(ids);
        const failed = engine.store.jobs.failures(`caption:${queued.model}:${queued.detail}`).filter((f) => !wanted || wanted.has(f.photoId));
        const captions = ids === 'all' ? [] : ids.map((id) => ({ id, caption: engine.captionStore.get(id) ?? null }));
        // Work another live process holds (its lease still runs) is not done here: say so, not "null".
        const kind = `caption:${queued.model}:${queued.detail}`;
        const heldElsewhere = engine.store.jobs.heldElsewhere(ids === 'all' ? undefined : ids).filter((held) => held.kind === kind);
        const summary = { ...queued, captioned: engine.captionStore.counts().captioned, failed, heldElsewhere, captions };
        emit(options, summary, () =>
          [
            ...captions.map(({ id, caption }) => `${id}  ${caption ? `${caption.text}${caption.edited ? '  (written by a person: kept)' : ''}` : '(no caption)'}`),
            `${queued.queued} photo${queued.queued === 1 ? '' : 's'} captioned with ${queued.model} (${queued.detail})` +
              (queued.keptEdited > 0 ? `; ${queued.keptEdited} with a caption written by a person left alone` : '') +
              `; ${summary.captioned} photos have a caption`,
            ...failed.map((f) => `failed  ${f.path ?? f.photoId}: ${f.error}`),
            ...describeHeld(heldElsewhere, 'photos'),
          ].join('\n'),
        );
        if (failed.length > 0 || heldElsewhere.length > 0) context.setExitCode(EXIT.someFailed);
      });
    });

  // Reading text is a command of its own rather than `iris caption --task ocr`: `caption` queues
  // resumable jobs that store one description per photo, and four of its five options (--all,
  // --redo, --set, --detail) are about those stored captions. Reading text stores nothing (the
  // text is not a caption: captions describe), runs now on the photos named and answers with
  // another JSON shape; a flag that switched all of that off would read worse than a command that
  // never had it.
  program
    .command('read-text')
    .description('read the text in photos (signs, documents, labels) with the captioning model\'s OCR task; prints it, stores nothing')
    .argument('<photos...>', 'library paths or photo ids')
    .option('--model <id>', 'a captioning model with an OCR task, e.g. Florence-2 (default: the caption-model setting, else the catalog default)')
    .action(async (photos: string[], flags: { model?: string }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const results = await readTexts(
          engine,
          photos.map((photo) => engine.library.resolvePhoto(photo)),
          flags.model,
        );
        emit(options, results, () => results.map((result) => `${result.id}  ${describeReadText(result)}`).join('\n'));
        if (results.some((result) => result.error !== undefined)) context.setExitCode(EXIT.someFailed);
      });
    });

  program
    .command('export-xmp')
    .description('write captions and tags (and with --text, the text read in photos) to XMP sidecars (photo.jpg.xmp, or an existing photo.xmp) for digiKam, Lightroom and others; never touches the photos')
    .argument('[photos...]', 'library paths or photo ids')
    .option('--all', 'every photo with a caption or tags (with --text, or text read in it)')
    .option('--text', 'also write the text read in each photo (read-text, "Read text"), as iris:TextInPhoto')
    .option('--faces', "also write the named people's faces as MWG face regions (mwg-rs:Regions), as digiKam and Lightroom do")
    .option('--marks', 'also write stars, reject, colour label and keywords (xmp:Rating, xmp:Label, dc:subject, lr:hierarchicalSubject); a keyword removed in Iris leaves the sidecar')
    .option('--style <style>', 'auto (an existing sidecar wins, else photo.jpg.xmp), append (photo.jpg.xmp) or replace (photo.xmp)', 'auto')
    .option('--dry-run', 'say what would be written, write nothing')
    .action(async (photos: string[], flags: { all?: boolean; style: string; dryRun?: boolean; text?: boolean; faces?: boolean; marks?: boolean }, command: Command) => {
      const options = globals(command);
      if (!['auto', 'append', 'replace'].includes(flags.style)) throw new UsageError(`--style wants auto, append or replace, not "${flags.style}"`);
      await withEngine(options, async (engine) => {
        const ids = photoIds(engine, photos, flags.all);
        const stores = {
          captions: engine.captionStore,
          tags: engine.tags,
          ...(flags.text ? { photoText: engine.photoText } : {}),
          ...(flags.faces ? { faces: { store: engine.faces.faces, library: engine.store } } : {}),
        };
        const targets = ids === 'all' ? photosWithWords(stores) : ids;
        const results: { id: number; path: string; sidecar?: string; outcome: string; error?: string }[] = [];
        for (const id of targets) {
          const words = sidecarWords(stores, id);
          for (const location of engine.store.locationsOf(id)) {
            try {
              const written = await writeSidecar(location.path, words, { style: flags.style as 'auto' | 'append' | 'replace', dryRun: flags.dryRun });
              results.push({ id, path: location.path, sidecar: written.path, outcome: written.outcome });
            } catch (error) {
              results.push({ id, path: location.path, outcome: 'failed', error: errorMessage(error) });
            }
          }
        }
        if (flags.marks) {
          // Stars, label and keywords: merged into the same sidecars, after the words (organise/sidecar-marks.ts).
          const marked = await engine.organise.writeSidecars(ids === 'all' ? engine.organise.marks.photosWithMarks() : ids, { dryRun: flags.dryRun, style: flags.style as 'auto' | 'append' | 'replace' });
          for (const written of marked.written) {
            const same = results.find((r) => r.id === written.photoId && r.sidecar === written.path);
            if (!same) results.push({ id: written.photoId, path: engine.store.getPhoto(written.photoId)?.path ?? '', sidecar: written.path, outcome: written.outcome });
            else if (written.outcome !== 'unchanged' && same.outcome === 'unchanged') same.outcome = 'updated';
          }
          for (const failure of marked.failed) results.push({ id: failure.photoId, path: failure.path ?? '', outcome: 'failed', error: failure.error });
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
