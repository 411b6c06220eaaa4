import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The decision logic of main/app is tested here with plain Node, which works only while those
 * modules do not import electron at runtime. This pins which files may: the two that wire Electron.
 */
const ELECTRON_WIRING = new Set(['main.js', 'engine-process.js']);

describe('main/app module boundaries', () => {
  const compiled = path.resolve('dist', 'main', 'app');
  const files = fs.readdirSync(compiled).filter((file) => file.endsWith('.js'));

  it('only main.js and engine-process.js import electron at runtime', () => {
    assert.ok(files.length >= 15, `compiled files: ${files.join(', ')}`);
    const importers = files.filter((file) => /from ['"]electron['"]|require\(['"]electron['"]\)/.test(fs.readFileSync(path.join(compiled, file), 'utf8')));
    assert.deepEqual(importers.sort(), [...ELECTRON_WIRING].sort());
  });

  it('the engine, which also runs in plain Node, never imports electron', () => {
    const engineDir = path.resolve('dist', 'main', 'engine');
    const offenders = (fs.readdirSync(engineDir, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.js'))
      .filter((file) => /from ['"]electron['"]|import\(['"]electron['"]\)|require\(['"]electron['"]\)/.test(fs.readFileSync(path.join(engineDir, file), 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
