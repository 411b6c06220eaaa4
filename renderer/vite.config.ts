/// <reference types="node" />
/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  // Relative asset URLs: the same build is loaded from iris://app/ (desktop) and from
  // http://127.0.0.1:<port>/ (browser mode).
  base: './',
  // Vite's dependency cache beside the project's, not a second node_modules inside renderer/.
  cacheDir: '../node_modules/.vite/renderer',
  plugins: [
    svelte(),
    // Under vitest only: resolves svelte's browser build (component tests mount into jsdom) and
    // cleans the DOM after each test.
    svelteTesting(),
  ],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // One CSS file, no inlined assets as data: URLs that a strict CSP could refuse.
    assetsInlineLimit: 0,
    // The desktop window runs a recent Chromium; no legacy polyfills.
    target: 'es2022',
    // The CSP is script-src 'self': no modulepreload polyfill injected as a separate inline bit.
    modulePreload: { polyfill: false },
  },
  server: { host: '127.0.0.1' },
  test: {
    root: here,
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
  },
});
