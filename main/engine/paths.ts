import os from 'node:os';
import path from 'node:path';
import { irisRoot } from '../version.js';

/**
 * The folder Electron calls `userData` for an app named Iris, so the CLI and the desktop app open the
 * same library by default: %APPDATA%\Iris, ~/Library/Application Support/Iris, $XDG_CONFIG_HOME/Iris.
 */
export function defaultLibraryDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.IRIS_LIBRARY) return path.resolve(env.IRIS_LIBRARY);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Iris');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Iris');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Iris');
}

/**
 * Where models live: `IRIS_MODELS`, else the `models/` folder of the install, which holds the
 * catalog. (The packaged app passes its app-data folder instead: the install folder is read-only.)
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.IRIS_MODELS ?? path.join(irisRoot, 'models'));
}

/** Everything Iris writes for a library lives below its folder, never in a photo folder. */
export function libraryLayout(libraryDir: string) {
  return {
    dir: libraryDir,
    database: path.join(libraryDir, 'iris.db'),
    thumbnails: path.join(libraryDir, 'thumbnails'),
    /** Online map tiles seen (only with the map-tiles setting on: library/map-tiles.ts). */
    mapTiles: path.join(libraryDir, 'map-tiles'),
  };
}

export type LibraryLayout = ReturnType<typeof libraryLayout>;

/** True when `child` is `parent` or lies below it. Both must be absolute and normalised. */
export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
