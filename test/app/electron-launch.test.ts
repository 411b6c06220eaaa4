import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ElectronApplication, Page } from 'playwright-core';
import type { IrisApi } from '../../main/contract/contract.js';

/**
 * The real desktop app, started with Playwright: the window opens, `window.iris` is the contract
 * and nothing else, the page has no Node, and a call goes all the way to the engine in its utility
 * process and back. Needs the Electron binary (npm's electron package downloads it on install),
 * a display on Linux, and the built preload, renderer and engine entry; skips, saying which is
 * missing, where they are not there.
 */

/**
 * The Electron executable, found without `require('electron')`: that require tries to download
 * the binary when it is missing, which is slow and fails offline.
 */
function findElectron(): { executable: string } | { missing: string } {
  if (process.env.IRIS_ELECTRON_PATH) {
    return fs.existsSync(process.env.IRIS_ELECTRON_PATH) ? { executable: process.env.IRIS_ELECTRON_PATH } : { missing: `IRIS_ELECTRON_PATH ${process.env.IRIS_ELECTRON_PATH} does not exist` };
  }
  const packageDir = path.resolve('node_modules', 'electron');
  const pathFile = path.join(packageDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return { missing: 'the Electron binary is not installed (node_modules/electron/path.txt is missing: installed with ELECTRON_SKIP_BINARY_DOWNLOAD, or offline)' };
  const executable = path.join(packageDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(executable) ? { executable } : { missing: `the Electron binary ${executable} is missing` };
}

function whyNotRunnable(): string | { executable: string } {
  const electron = findElectron();
  if ('missing' in electron) return electron.missing;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (DISPLAY is not set): run under xvfb-run';
  const built = ['dist/main/app/main.js', 'dist/preload/preload.cjs', 'dist/renderer/index.html', 'dist/main/engine/service/utility-entry.js'];
  const notBuilt = built.filter((file) => !fs.existsSync(path.resolve(file)));
  if (notBuilt.length > 0) return `not built: ${notBuilt.join(', ')} (npm run build, and the preload and renderer Vite builds)`;
  return electron;
}

/** `window.iris` inside page.evaluate (which runs in the page, not here). */
type PageGlobals = { iris: IrisApi; require?: unknown; process?: unknown; module?: unknown; location: { href: string } };

describe('the desktop app, launched', () => {
  const runnable = whyNotRunnable();
  let app: ElectronApplication | undefined;
  let page: Page;
  let tempDir: string;

  before(async () => {
    if (typeof runnable === 'string') return;
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-electron-'));
    const { _electron } = await import('playwright-core');
    // '.': Electron reads package.json (main: dist/main/app/main.js, productName), as in `npx electron .`.
    const args = ['.', '--library', path.join(tempDir, 'library'), '--user-data-dir', path.join(tempDir, 'user-data')];
    // Chromium refuses to sandbox as root (CI containers); the renderer still has no Node then.
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    app = await _electron.launch({ executablePath: runnable.executable, args, timeout: 60_000 });
    page = await app.firstWindow();
    await page.waitForFunction(() => typeof (globalThis as unknown as PageGlobals).iris === 'object', undefined, { timeout: 30_000 });
  });

  after(async () => {
    await app?.close();
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  });

  it('opens a window on app://iris with window.iris and no Node', async (t) => {
    if (typeof runnable === 'string') {
      console.log(`# skipped the Electron launch test: ${runnable}`);
      t.skip(runnable);
      return;
    }
    assert.equal(page.url(), 'app://iris/index.html');
    const seen = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return { keys: Object.keys(g.iris).sort(), calls: [...g.iris.calls] as string[], require: typeof g.require, process: typeof g.process, module: typeof g.module };
    });
    assert.deepEqual(seen.keys, ['call', 'calls', 'on']);
    assert.ok(seen.calls.includes('library.status'));
    assert.ok(!seen.calls.includes('media.read'));
    assert.equal(seen.require, 'undefined');
    assert.equal(seen.process, 'undefined');
    assert.equal(seen.module, 'undefined');
  });

  it('answers library.status from the engine for the chosen library', async (t) => {
    if (typeof runnable === 'string') return t.skip(runnable);
    const status = (await page.evaluate(() => (globalThis as unknown as PageGlobals).iris.call('library.status', {}))) as { libraryDir: string; folders: number };
    assert.equal(status.libraryDir, path.join(tempDir, 'library'));
    assert.equal(status.folders, 0);
  });

  it('refuses a path from the page with code forbidden, which survives the bridge', async (t) => {
    if (typeof runnable === 'string') return t.skip(runnable);
    const refusal = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).iris.call('folders.add', { path: '/' }).then(
        () => 'resolved',
        (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }),
      ),
    );
    assert.equal((refusal as { code: string }).code, 'forbidden');
  });

  it('serves its pages with the CSP header', async (t) => {
    if (typeof runnable === 'string') return t.skip(runnable);
    const csp = await page.evaluate(() => fetch('/index.html').then((response) => response.headers.get('content-security-policy')));
    assert.match(csp ?? '', /script-src 'self'/);
  });

  it('opens no windows and does not navigate away', async (t) => {
    if (typeof runnable === 'string') return t.skip(runnable);
    const opened = await page.evaluate(() => (globalThis as unknown as { open(url: string): unknown }).open('https://example.com/') === null);
    assert.equal(opened, true);
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).location.href = 'https://example.com/';
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(page.url(), 'app://iris/index.html');
    assert.equal(app!.windows().length, 1);
  });
});
