import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/**
 * electron-builder.yml, checked line by line (no YAML parser is installed, and electron-builder
 * itself is not a dependency). The checks read top-level keys and their indented children, and
 * ignore comments, so a key that is only mentioned in a comment does not count.
 */
const text = fs.readFileSync(path.resolve('electron-builder.yml'), 'utf8');
const lines = text.split('\n').filter((line) => !/^\s*#/.test(line) && line.trim() !== '');

/** The indented lines under a top-level key, comments stripped. */
function section(key: string): string[] {
  const start = lines.findIndex((line) => line.startsWith(`${key}:`));
  assert.ok(start >= 0, `electron-builder.yml has no top-level ${key}`);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!/^\s/.test(line)) break;
    body.push(line.replace(/\s+#.*$/, '').trim());
  }
  return body;
}

function topLevel(key: string): string | undefined {
  return lines.find((line) => line.startsWith(`${key}:`))?.slice(key.length + 1).trim();
}

describe('electron-builder.yml', () => {
  it('packs into an asar and ships the built app, preload, renderer and catalog', () => {
    assert.equal(topLevel('asar'), 'true');
    const files = section('files');
    for (const entry of ['- dist/main/**', '- dist/preload/preload.cjs', '- dist/renderer/**', '- models/*.json', '- package.json']) assert.ok(files.includes(entry), entry);
  });

  it('unpacks every native module from the asar, sqlite-vec\'s platform package included', () => {
    const unpack = section('asarUnpack');
    for (const name of ['onnxruntime-node', 'better-sqlite3', 'sharp', '@img', 'sqlite-vec', 'sqlite-vec-*']) {
      assert.ok(unpack.includes(`- "**/node_modules/${name}/**"`), name);
    }
  });

  it('rebuilds native dependencies for Electron', () => {
    assert.equal(topLevel('npmRebuild'), 'true');
  });

  it('flips the fuses of the issue', () => {
    const fuses = section('electronFuses');
    for (const fuse of [
      'runAsNode: false',
      'enableCookieEncryption: true',
      'enableEmbeddedAsarIntegrityValidation: true',
      'onlyLoadAppFromAsar: true',
      'enableNodeOptionsEnvironmentVariable: false',
      'enableNodeCliInspectArguments: false',
      'grantFileProtocolExtraPrivileges: false',
    ]) {
      assert.ok(fuses.includes(fuse), fuse);
    }
  });

  it('targets AppImage and deb, nsis and dmg', () => {
    assert.ok(section('linux').includes('target: [AppImage, deb]'));
    assert.ok(section('win').includes('target: [nsis]'));
    assert.ok(section('mac').includes('target: [dmg]'));
    assert.ok(section('linux').some((line) => line.startsWith('maintainer:')), 'a .deb needs a maintainer');
  });

  it('ships what package.json starts: main is in dist/main, which is packed', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve('package.json'), 'utf8')) as { main: string; productName: string };
    assert.equal(pkg.main, 'dist/main/app/main.js');
    assert.equal(topLevel('productName'), pkg.productName);
  });
});
