import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { isIgnoredName, isPhotoFile } from '../formats.js';
import { isWithin } from '../paths.js';

export interface FoundFile {
  path: string;
  size: number;
  /** Whole milliseconds: what the library stores and compares. */
  mtimeMs: number;
}

export interface WalkOptions {
  /** Folders never entered (the library's own folder when it sits inside a photo folder). */
  exclude?: readonly string[];
  onError?: (dir: string, error: Error) => void;
  /** Called with each XMP sidecar found on the way (another app's stars and keywords: organise/xmp-import.ts), and its folder's names (one array per folder). */
  onSidecar?: (file: string, folderNames: readonly string[]) => void;
}

/**
 * The one rule for which directory entries are photos, shared by the scan (a Dirent) and the
 * watcher (an lstat): a regular file, not a symlink (neither a Dirent from readdir nor an lstat
 * calls a link a file), with a photo extension and a name that is not hidden or temporary.
 */
export function isPhotoEntry(name: string, kind: { isFile(): boolean }): boolean {
  return !isIgnoredName(name) && kind.isFile() && isPhotoFile(name);
}

/**
 * Whether `file` is reached from `root` through real directories only: the scan never enters a
 * symlinked directory, so a file under one is not the library's either (it may lie anywhere).
 */
export function reachedWithoutLinks(root: string, file: string): boolean {
  const parts = path.relative(root, path.dirname(file)).split(path.sep).filter((part) => part !== '');
  let dir = root;
  for (const part of parts) {
    dir = path.join(dir, part);
    try {
      if (!fs.lstatSync(dir).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Walks a folder for photo files, one directory's worth at a time. Synchronous readdir and stat
 * per directory on purpose: on a warm cache they cost microseconds each, far less than a promise
 * per file, which is what keeps a rescan of 100k unchanged files within seconds. The walk yields to
 * the event loop between directories so the engine keeps answering. Symlinks are not followed
 * (no loops, no files outside the folder); hidden and temporary entries are skipped.
 */
export async function* walkPhotos(root: string, options: WalkOptions = {}): AsyncGenerator<FoundFile[]> {
  const exclude = options.exclude ?? [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      options.onError?.(dir, error as Error);
      continue;
    }
    const batch: FoundFile[] = [];
    let names: string[] | undefined;
    for (const entry of entries) {
      if (isIgnoredName(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!exclude.some((excluded) => isWithin(excluded, full))) stack.push(full);
      } else if (options.onSidecar && entry.isFile() && /\.xmp$/i.test(entry.name)) {
        options.onSidecar(full, (names ??= entries.map((candidate) => candidate.name)));
      } else if (isPhotoEntry(entry.name, entry)) {
        try {
          const stat = fs.statSync(full);
          batch.push({ path: full, size: stat.size, mtimeMs: Math.floor(stat.mtimeMs) });
        } catch (error) {
          // Gone between readdir and stat: the next scan or the watcher settles it.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(full, error as Error);
        }
      }
    }
    if (batch.length > 0) yield batch;
    await yieldToEventLoop();
  }
}
