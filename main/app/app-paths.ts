import path from 'node:path';

/**
 * The value of `--name VALUE` or `--name=VALUE` in a command line, the last one winning (as with
 * most CLIs). Chromium's own switches pass through untouched.
 */
export function optionValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}` && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  }
  return value === '' ? undefined : value;
}

/**
 * The app's own data folder: `--user-data-dir DIR`, else `<appData>/Iris` (%APPDATA%\Iris,
 * ~/Library/Application Support/Iris, $XDG_CONFIG_HOME/Iris). Set explicitly rather than left to
 * Electron, which names it after the app and calls the app "Electron" when started as
 * `electron dist/main/app/main.js`; this way it always matches the CLI's default library.
 */
export function userDataDirFor({ argv, appData }: { argv: readonly string[]; appData: string }): string {
  const chosen = optionValue(argv, 'user-data-dir');
  return chosen ? path.resolve(chosen) : path.join(appData, 'Iris');
}

export interface PathInputs {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** app.getPath('userData'): %APPDATA%\Iris, ~/Library/Application Support/Iris, ~/.config/Iris. */
  userData: string;
  /** app.isPackaged. */
  isPackaged: boolean;
  /** The folder holding package.json (and models/catalog.json) of this Iris. */
  installRoot: string;
}

/**
 * The library the engine opens: `--library DIR`, else IRIS_LIBRARY, else the app's data folder
 * (the same default as the CLI's, see main/engine/paths.ts, so both open one library).
 */
export function libraryDirFor({ argv, env, userData }: Pick<PathInputs, 'argv' | 'env' | 'userData'>): string {
  return path.resolve(optionValue(argv, 'library') ?? env.IRIS_LIBRARY ?? userData);
}

/**
 * Where models are downloaded: `--models DIR`, else IRIS_MODELS, else in a packaged app a
 * `models` folder in app data (the install folder is read-only; the engine falls back to the
 * bundled catalog, see catalogDirFor), and when run from the repository its models/ folder.
 */
export function modelsDirFor({ argv, env, userData, isPackaged, installRoot }: PathInputs): string {
  const chosen = optionValue(argv, 'models') ?? env.IRIS_MODELS;
  if (chosen) return path.resolve(chosen);
  return isPackaged ? path.join(userData, 'models') : path.join(installRoot, 'models');
}
