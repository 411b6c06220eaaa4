import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Writing an edit's PNG so that a kill at any moment leaves neither a truncated PNG nor a PNG
 * without its edit record:
 *
 * 1. claimOutput: the bytes go to a hidden temporary beside the final name (`.<name>.partial`,
 *    which the scan and the watcher ignore: a leading dot), opened exclusively and flushed to disk;
 * 2. the caller records the edit, with the final path;
 * 3. publishOutput: the temporary gets its final name (a hard link, which never replaces a file,
 *    then the temporary is removed).
 *
 * A kill in 1 leaves only a hidden temporary; after 2, a record whose file is still its
 * temporary, which finishInterruptedOutputs (at engine open) publishes.
 */

export interface ClaimedOutput {
  final: string;
  temporary: string;
}

export function temporaryFor(final: string): string {
  return path.join(path.dirname(final), `.${path.basename(final)}.partial`);
}

function writeExclusive(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `bytes` to the temporary of the first free name that `nameAt(n)` gives (n = 1, 2, ...):
 * free means neither it nor its temporary exists, so two processes never claim one name.
 * With `exact`, only that one name (an --out path), refused if it exists.
 */
export function claimOutput(bytes: Uint8Array, folder: string, nameAt: (n: number) => string, exact = false): ClaimedOutput {
  fs.mkdirSync(folder, { recursive: true });
  for (let n = 1; ; n++) {
    const final = path.join(folder, nameAt(n));
    const temporary = temporaryFor(final);
    if (!fs.existsSync(final)) {
      try {
        writeExclusive(temporary, bytes);
        return { final, temporary };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    if (exact) throw new UsageError(`${final} exists: Iris never writes over a file`);
  }
}

/** Gives the temporary its final name, never over an existing file. */
export function publishOutput({ final, temporary }: ClaimedOutput): void {
  try {
    fs.linkSync(temporary, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${final} appeared while the edit was written: Iris never writes over a file (the edit is kept as ${temporary})`);
    // File systems without hard links (FAT, some network shares): a rename, after checking.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    if (fs.existsSync(final)) throw new UsageError(`${final} exists: Iris never writes over a file (the edit is kept as ${temporary})`);
    fs.renameSync(temporary, final);
    return;
  }
  fs.rmSync(temporary, { force: true });
}

/**
 * Publishes the outputs of edits recorded just before a kill: their final file is missing and
 * their temporary is whole (it was flushed before the record was written). Returns how many.
 */
export function finishInterruptedOutputs(outputPaths: readonly string[]): number {
  let finished = 0;
  for (const final of outputPaths) {
    const temporary = temporaryFor(final);
    if (fs.existsSync(final) || !fs.existsSync(temporary)) continue;
    publishOutput({ final, temporary });
    finished++;
  }
  return finished;
}
