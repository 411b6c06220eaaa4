import { Command, CommanderError, Option } from 'commander';
import path from 'node:path';
import { LibraryWatcher, UsageError, errorMessage, type PhotoEvent } from '../engine/index.js';
import { runDoctor } from '../engine/doctor.js';
import { irisVersion } from '../version.js';
import { type CommandContext, EXIT, emit, globals, out, untilSignal, withEngine } from './context.js';
import { formatDoctor, formatFolders, formatIndexSummary, formatPhotos } from './format.js';
import { attachProgressBar } from './progress.js';
import { registerSettingsCommands } from './commands/settings.js';
import { registerLibraryCommands } from './commands/library.js';
import { registerSearchCommands } from './commands/search.js';
import { registerModelsCommands } from './commands/models.js';
import { registerServeCommand } from './commands/serve.js';
import { registerCaptionCommands } from './commands/captions.js';
import { registerAskCommands } from './commands/ask.js';
import { registerEditCommands } from './commands/edits.js';
import { registerPeopleCommands } from './commands/people.js';
import { registerOrganiseCommands } from './commands/organise.js';
import { type CliStreams, withStreams, writeErr, writeOut } from './streams.js';

function describeEvent(event: PhotoEvent): string {
  switch (event.event) {
    case 'moved':
      return `moved    ${event.from} -> ${event.path}`;
    case 'failed':
      return `failed   ${event.path}: ${event.error}`;
    default:
      return `${event.event.padEnd(8)} ${event.path}`;
  }
}

/** Command groups that live in their own files (main/cli/commands). */
const commandGroups: ((program: Command, context: CommandContext) => void)[] = [registerSearchCommands, registerCaptionCommands, registerAskCommands, registerEditCommands, registerPeopleCommands, registerOrganiseCommands, registerSettingsCommands, registerLibraryCommands, registerModelsCommands, registerServeCommand];

function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('iris')
    .description('Iris: a local, private AI photo manager.')
    .version(irisVersion)
    .addOption(new Option('--library <dir>', 'library folder (iris.db and thumbnails)').env('IRIS_LIBRARY'))
    .addOption(new Option('--models <dir>', 'models folder (catalog.json and downloaded models)').env('IRIS_MODELS'))
    .addOption(new Option('--device <name>', 'where models run: auto, cpu, cuda, dml, coreml or webgpu (default: the library setting, else auto)').env('IRIS_DEVICE'))
    .option('--json', 'machine-readable output on stdout, nothing else there')
    .option('--read-only', 'open the library for reading only (automatic where this user may not write it)')
    .showHelpAfterError()
    // Help, version and usage errors go where the rest of the output goes (see streams.ts).
    .configureOutput({ writeOut, writeErr })
    .exitOverride();

  program
    .command('add')
    .description('register photo folders (they are read, never written)')
    .argument('<folder...>')
    .action(async (folders: string[], _opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const results = engine.library.registerFolders(folders);
        emit(
          options,
          results.map((result) => result.folder),
          () =>
            results
              .map(({ folder, created }, i) => {
                if (created) return `added ${folder.path}`;
                return path.resolve(folders[i]!) === folder.path ? `${folder.path} is already in the library` : `${folders[i]} is already covered by ${folder.path}`;
              })
              .join('\n'),
        );
      });
    });

  program
    .command('remove')
    .description('forget a folder and its photos (the files stay on disk)')
    .argument('<folder>')
    .action(async (folder: string, _opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const result = engine.library.removeFolder(folder);
        emit(options, result, () => `removed ${folder} (${result.photos} photos left the library; no file was touched)`);
      });
    });

  program
    .command('folders')
    .description('list the library folders')
    .action(async (_opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const folders = engine.library.listFolders();
        emit(options, folders, () => formatFolders(folders));
      });
    });

  program
    .command('index')
    .description('add folders if needed, scan them, and run every job to completion')
    .argument('[folder...]')
    .action(async (folders: string[], _opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const detach = attachProgressBar(engine);
        const summary = await engine.index(folders).finally(detach);
        const { found, indexed, read, unchanged, removed, failed, embeddings, heldElsewhere } = summary;
        emit(options, { found, indexed, read, unchanged, removed, failed, embeddings, heldElsewhere }, () =>
          formatIndexSummary(summary),
        );
        if (summary.failed.length > 0) setExitCode(EXIT.someFailed);
      });
    });

  program
    .command('watch')
    .description('follow folders live until Ctrl-C (SIGINT) or SIGTERM')
    .argument('[folder...]')
    .option('--poll', 'poll the file system instead of native events (network drives)')
    .action(async (folders: string[], opts: { poll?: boolean }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const watched = engine.library.resolveFolders(folders);
        if (watched.length === 0) throw new UsageError('no folders to watch: give one, e.g. `iris watch ~/Pictures`');
        const print = (value: Record<string, unknown>, human: string) => out(options.json ? JSON.stringify(value) : human);
        engine.on('photo', (event) => {
          const { photoId: _photoId, ...printed } = event;
          print(printed, describeEvent(event));
        });
        engine.on('problem', (problem) => writeErr(`iris: ${problem.scope} problem${problem.path ? ` at ${problem.path}` : ''}: ${problem.message}\n`));
        let stopping = false;
        const stopped = untilSignal().then(() => (stopping = true));
        const watcher = new LibraryWatcher(engine, watched, { usePolling: opts.poll ?? false });
        const ready = watcher.start().then(() => {
          if (stopping) return;
          print({ event: 'ready', folders: watched.map((folder) => folder.path) }, `watching ${watched.map((folder) => folder.path).join(', ')} (Ctrl-C to stop)`);
        });
        // The race surfaces a failed start at once; a signal during the initial rescan stops it
        // between files (engine.stop below) instead of waiting for the whole library.
        await Promise.race([ready, stopped]);
        await stopped;
        await engine.stop();
        await watcher.close();
      });
    });

  program
    .command('list')
    .description('every photo in the library')
    .action(async (_opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const photos = engine.listPhotos();
        emit(options, photos, () => formatPhotos(photos));
      });
    });

  program
    .command('doctor')
    .description('versions, library, counts, integrity and execution providers')
    .action(async (_opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const report = await runDoctor(engine, { device: options.device });
        emit(options, report, () => formatDoctor(report));
        if (report.integrity !== 'ok') setExitCode(EXIT.someFailed);
      });
    });

  for (const register of commandGroups) register(program, { setExitCode });
  return program;
}

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit code. With `streams`, its
 * output goes there instead of the process's stdout and stderr (a test running it in-process).
 */
export async function runCli(argv: readonly string[], streams?: CliStreams): Promise<number> {
  return streams ? withStreams(streams, () => run(argv)) : run(argv);
}

async function run(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end with a CommanderError too; they are not failures.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // A library this process may only read (Engine.open opened it read-only): say what still works.
    const readOnly = (error as { code?: string }).code === 'SQLITE_READONLY';
    const message = readOnly ? `this library is read-only here, and this command would change it (reading works: list, folders, search, similar, doctor): ${errorMessage(error)}` : errorMessage(error);
    writeErr(`iris: ${message}\n`);
    return error instanceof UsageError || readOnly ? EXIT.usage : EXIT.someFailed;
  }
}
