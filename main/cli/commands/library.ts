import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { backupNow, backupsDir, listBackups, restoreBackup, type BackupInfo } from '../../engine/db/backups.js';
import { UsageError, errorMessage } from '../../engine/errors.js';
import { defaultLibraryDir, libraryLayout } from '../../engine/paths.js';
import { type CommandContext, emit, globals, type GlobalOptions, withEngine } from '../context.js';

/** `iris library backups | backup | restore <name>`: the database's backups (engine/db/backups.ts). */

function libraryDir(options: GlobalOptions): string {
  return path.resolve(options.library ?? defaultLibraryDir());
}

function describe(backup: BackupInfo): string {
  return `${backup.name}  ${backup.kind.padEnd(13)} ${new Date(backup.takenAt).toLocaleString()}  ${(backup.bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function registerLibraryCommands(program: Command, _context: CommandContext): void {
  const library = program.command('library').description('the library database\'s backups: list, take one, restore one');

  library
    .command('backups', { isDefault: true })
    .description('list the backups, newest first (taken daily while Iris runs and before every schema change)')
    .action((_opts, command: Command) => {
      const options = globals(command);
      const dir = libraryDir(options);
      const backups = listBackups(dir);
      emit(options, backups, () => (backups.length === 0 ? `no backups yet in ${backupsDir(dir)}` : backups.map(describe).join('\n')));
    });

  library
    .command('backup')
    .description('take a backup now')
    .action(async (_opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const backup = backupNow(engine.database, engine.layout.dir, 'manual');
        emit(options, backup, () => `backed up to ${backup.file}`);
      });
    });

  library
    .command('restore')
    .description('put a backup in place of the database (the one it replaces is kept); close the app and other iris commands first')
    .argument('<name>', 'a backup\'s name, as `iris library backups` lists it')
    .action((name: string, _opts, command: Command) => {
      const options = globals(command);
      const dir = libraryDir(options);
      if (!fs.existsSync(dir)) throw new UsageError(`no library at ${dir}`);
      // Without opening the library: its database may be the damaged one being replaced.
      let result: ReturnType<typeof restoreBackup>;
      try {
        result = restoreBackup(dir, libraryLayout(dir).database, name);
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      emit(options, result, () =>
        [
          `restored ${result.restored.name} (${new Date(result.restored.takenAt).toLocaleString()})`,
          ...(result.replaced ? [`the database it replaced is kept as ${result.replaced}`] : []),
          'photos added since that backup are found again by the next scan: `iris index`',
        ].join('\n'),
      );
    });
}
