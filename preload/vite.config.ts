/**
 * Bundles the preload into dist/preload/preload.cjs: one CommonJS file, because a sandboxed
 * preload can require only `electron` (and a few built-ins), not other files.
 *
 * The contract's call and event names are computed here from contract.ts and written into the
 * bundle as constants, so the preload carries the names and not zod and the schemas. Build:
 * `vite build --config preload/vite.config.ts` (after tsc, which it does not need).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { eventNames, uiCallNames } from '../main/contract/contract.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default defineConfig({
  root,
  // No public/ folder to copy, no .env files to read: the preload has no configuration.
  publicDir: false,
  envDir: false,
  logLevel: 'warn',
  define: {
    __IRIS_UI_CALLS__: JSON.stringify(uiCallNames),
    __IRIS_EVENTS__: JSON.stringify(eventNames),
  },
  build: {
    outDir: path.join(root, 'dist', 'preload'),
    // tsc also writes dist/preload/bridge.js (the tests import it): keep it.
    emptyOutDir: false,
    // Electron 45 is Chromium 140.
    target: 'chrome140',
    // Unminified: a few kilobytes that a reviewer can read in the packaged app.
    minify: false,
    sourcemap: false,
    lib: {
      entry: path.join(root, 'preload', 'preload.ts'),
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rolldownOptions: {
      external: ['electron'],
    },
  },
});
