// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Node's built-in modules, with and without `node:` (for code that also runs in a page). */
const nodeBuiltins = ['node:*', ...builtinModules.filter((name) => !name.startsWith('_'))];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '.scratch/**', '.cache/**', 'test/output/**', 'test/fixtures/models/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The engine runs in plain Node (CLI, tests, Electron utilityProcess): it must never reach for Electron.
    files: ['main/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'main/engine is plain Node: no electron imports.' }] }] },
  },
  {
    // The contract is loaded by every process and by the page (browser mode, preload): zod and itself only.
    files: ['main/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'main/contract runs in the page too: no Node built-ins.' },
            { group: ['electron', '**/engine/**', '**/app/**', '**/serve/**', '**/cli/**', '**/engine', '**/app', '**/serve', '**/cli'], message: 'main/contract depends on zod and on itself, never on a process that uses it.' },
          ],
        },
      ],
    },
  },
  {
    // The preload bridge: the contract's types and the IPC channel names, nothing else of the main process.
    files: ['preload/**/*.ts'],
    ignores: ['preload/vite.config.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./main/(?!app/ipc-channels\\.js$)', allowTypeImports: true, message: 'preload takes types from the contract and values only from main/app/ipc-channels.ts.' }] },
      ],
    },
  },
  // The renderer: a page, with Svelte components.
  ...svelte.configs.recommended,
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    // The UI's state is replaced, never changed in place ($state.raw, given new Maps and Sets): a
    // plain Map or Set there is deliberate, not a missed SvelteMap.
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    // The page takes types from the contract and the wire client (contract/rpc.ts, browser mode);
    // engine and main-process code never reaches it, and neither do the contract's schemas.
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+main/(?!contract/rpc\\.js$)', allowTypeImports: true, message: 'the renderer takes types from main/ and values only from main/contract/rpc.ts.' }] },
      ],
    },
  },
);
