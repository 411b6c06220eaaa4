import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { EDIT_MODES, type EditMode, SCHEDULER_NAMES } from '../../engine/edits/edit-params.js';
import type { Edit } from '../../engine/edits/edit-store.js';
import type { EditInput, EditOutcome, EditRunOptions } from '../../engine/edits/edit-service.js';
import { UsageError } from '../../engine/index.js';
import type { Engine } from '../../engine/engine.js';
import { type CommandContext, type GlobalOptions, emit, globals, withEngine } from '../context.js';

interface EditFlags {
  mode?: string;
  prompt?: string;
  negative?: string;
  steps?: string;
  guidance?: string;
  strength?: string;
  imageGuidance?: string;
  conditioningScale?: string;
  low?: string;
  high?: string;
  seed?: string;
  scheduler?: string;
  width?: string;
  height?: string;
  model?: string;
  controlnet?: string;
  out?: string;
  repeat?: string;
  edges?: string;
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new UsageError(`--${flag} must be a number, got "${value}"`);
  return parsed;
}

/** The flags every edit and generation shares, as EditInput fields. */
function inputFromFlags(mode: EditMode, photoId: number | undefined, flags: EditFlags): EditInput {
  if (flags.prompt === undefined) throw new UsageError('give a --prompt');
  return {
    mode,
    photoId,
    prompt: flags.prompt,
    negative: flags.negative,
    model: flags.model,
    controlnet: flags.controlnet,
    scheduler: flags.scheduler,
    seed: number('seed', flags.seed),
    steps: number('steps', flags.steps),
    guidance: number('guidance', flags.guidance),
    strength: number('strength', flags.strength),
    imageGuidance: number('image-guidance', flags.imageGuidance),
    conditioningScale: number('conditioning-scale', flags.conditioningScale),
    low: number('low', flags.low),
    high: number('high', flags.high),
    width: number('width', flags.width),
    height: number('height', flags.height),
  };
}

function sharedOptions(command: Command): Command {
  return command
    .option('--prompt <text>', 'what the image should show (or, for instruct, what to change)')
    .option('--negative <text>', 'what it should not show')
    .option('--steps <n>', 'denoising steps (default 20)')
    .option('--guidance <g>', 'how strongly the prompt steers (default 7.5; 1 = not at all)')
    .option('--seed <n>', 'the same seed and settings give the same image (default: random, printed)')
    .option('--scheduler <name>', `${SCHEDULER_NAMES.join(', ')} (default dpmpp-2m-karras)`)
    .option('--width <px>', 'output width, a multiple of 8 (default: 512 on the long side, the photo\'s aspect kept)')
    .option('--height <px>', 'output height, a multiple of 8')
    .option('--model <id>', 'diffusion model (default: the installed one for the mode)')
    .option('--out <file>', 'write here instead of the output folder (never over an existing file)');
}

/** A progress bar on a terminal; silent otherwise. */
function progressBar(): { onStep: EditRunOptions['onStep']; stop(): void } {
  if (!process.stderr.isTTY) return { onStep: undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'Denoising {bar} {value}/{total} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    onStep: ({ step, steps }) => {
      if (!started) {
        bar.start(steps, 0);
        started = true;
      }
      bar.update(step);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function describe(edit: Edit): string {
  const p = edit.params;
  return `edit ${edit.id}: ${edit.outputPath}\n  ${p.mode} · ${p.model}${p.controlnet ? ` + ${p.controlnet}` : ''} · ${p.scheduler} · ${p.steps} steps · guidance ${p.guidance} · seed ${p.seed} · ${p.width}×${p.height} · ${(edit.durationMs / 1000).toFixed(1)} s`;
}

/** Runs one edit with Ctrl-C as cancel (stops within one step, writes nothing). */
async function runEdit(engine: Engine, options: GlobalOptions, context: CommandContext, start: (run: EditRunOptions) => Promise<EditOutcome>, outFile: string | undefined): Promise<void> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const progress = progressBar();
  try {
    const outcome = await start({ signal: controller.signal, onStep: progress.onStep, outFile });
    progress.stop();
    if (outcome.cancelled) {
      context.setExitCode(1);
      emit(options, { cancelled: true, stepsRun: outcome.stepsRun }, () => `cancelled after ${outcome.stepsRun} steps; nothing was written`);
      return;
    }
    // Thumbnails and the search embedding of the new image.
    await engine.runJobs();
    emit(options, outcome.edit, () => describe(outcome.edit));
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
  }
}

/** `iris edit`, `iris generate`, `iris edits`: Stable Diffusion edits of library photos, and new images from a prompt. */
export function registerEditCommands(program: Command, context: CommandContext): void {
  sharedOptions(
    program
      .command('edit')
      .description('edit a photo with Stable Diffusion into a new file (the photo itself is never written): canny re-render, img2img, instruct')
      .argument('[photo]', 'library path or photo id')
      .option('--mode <mode>', `${EDIT_MODES.filter((mode) => mode !== 'txt2img').join(', ')}`)
      .option('--strength <s>', 'img2img: 0 keeps the photo, 1 ignores it (default 0.75)')
      .option('--image-guidance <g>', 'instruct: how closely to keep to the photo (default 1.5)')
      .option('--conditioning-scale <s>', 'canny: how strongly the edges steer (default 1)')
      .option('--low <t>', 'canny: low edge threshold (default 100)')
      .option('--high <t>', 'canny: high edge threshold (default 200)')
      .option('--controlnet <id>', 'canny: the ControlNet model')
      .option('--edges <file>', 'canny: only write the edge map the edit would use to this PNG, and stop')
      .option('--repeat <edit-id>', 'make an earlier edit again with exactly its settings'),
  ).action(async (photo: string | undefined, flags: EditFlags, command: Command) => {
    const options = globals(command);
    await withEngine(options, async (engine) => {
      if (flags.repeat !== undefined) {
        const id = number('repeat', flags.repeat);
        if (id === undefined || !Number.isInteger(id)) throw new UsageError('--repeat takes an edit id');
        await runEdit(engine, options, context, (run) => engine.edits.repeat(id, run), flags.out);
        return;
      }
      if (!photo) throw new UsageError('give the photo to edit (a path or an id), or --repeat <edit-id>');
      const mode = flags.mode;
      if (!mode || mode === 'txt2img' || !(EDIT_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of canny, img2img, instruct (for a new image: iris generate)`);
      const input = inputFromFlags(mode as EditMode, engine.library.resolvePhoto(photo), flags);
      if (flags.edges !== undefined) {
        if (mode !== 'canny') throw new UsageError('--edges is for --mode canny');
        const { params } = engine.edits.resolve(input);
        const target = path.resolve(flags.edges);
        fs.writeFileSync(target, await engine.edits.edges(input.photoId!, params), { flag: 'wx' });
        emit(options, { edges: target, width: params.width, height: params.height, low: params.canny_low, high: params.canny_high }, () => `edge map (${params.width}×${params.height}, thresholds ${params.canny_low}/${params.canny_high}): ${target}`);
        return;
      }
      await runEdit(engine, options, context, (run) => engine.edits.run(input, run), flags.out);
    });
  });

  sharedOptions(program.command('generate').description('make a new image from a prompt with Stable Diffusion (txt2img), saved in the output folder and added to the library')).action(
    async (flags: EditFlags, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        await runEdit(engine, options, context, (run) => engine.edits.run(inputFromFlags('txt2img', undefined, flags), run), flags.out);
      });
    },
  );

  program
    .command('edits')
    .description('the edits made from a photo (or the latest ones), with every setting that made them')
    .argument('[photo]', 'library path or photo id')
    .action(async (photo: string | undefined, _flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const edits = photo ? engine.editStore.forPhoto(engine.library.resolvePhoto(photo)) : engine.editStore.latest(50);
        emit(options, edits, () => (edits.length === 0 ? 'no edits yet' : edits.map(describe).join('\n')));
      });
    });
}
