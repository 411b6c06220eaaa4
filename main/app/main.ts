/**
 * The desktop app's main process: thin by design (see DESIGN.md, "Processes"). It owns the window,
 * the menu, the app:// and iris:// protocols and IPC routing; all the work happens in the engine,
 * a utility process it supervises. Every decision worth testing lives in a small pure module beside
 * this file; this one only wires them to Electron.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, app, dialog, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { type EventName, isEventName } from '../contract/contract.js';
import { irisRoot } from '../version.js';
import { appResponse } from './app-protocol.js';
import { libraryDirFor, modelsDirFor, userDataDirFor } from './app-paths.js';
import { utilityProcessSpawner } from './engine-process.js';
import { EngineSupervisor } from './engine-supervisor.js';
import { EndpointKeyStore, type SecretBox } from './endpoint-key.js';
import { desktopHostCalls } from './host-calls.js';
import { CALL_CHANNEL, EVENT_CHANNEL, type IpcAnswer } from './ipc-channels.js';
import { type ReadMedia, mediaResponse } from './media-protocol.js';
import { menuTemplate } from './menu.js';
import { rendererCallHandler } from './renderer-calls.js';
import { APP_ENTRY_URL, APP_SCHEME, MEDIA_SCHEME, isAppUrl, privilegedSchemes } from './schemes.js';
import { checkSender } from './sender-check.js';
import { denyAllPermissions, hardenWebContents } from './web-hardening.js';
import { windowOptions } from './window-options.js';

/** dist/, whether run from the repository or from app.asar. */
const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const builtFiles = {
  preload: path.join(distDir, 'preload', 'preload.cjs'),
  renderer: path.join(distDir, 'renderer'),
  engineEntry: path.join(distDir, 'main', 'engine', 'service', 'utility-entry.js'),
};

// Both must happen before 'ready'.
protocol.registerSchemesAsPrivileged([...privilegedSchemes]);
// Every renderer sandboxed, whatever a window's options say.
app.enableSandbox();

const log = (line: string) => console.warn(`iris: ${line}`);

/** Electron's safeStorage (the OS keychain), refusing Linux's plain-text fallback: that would be a key in clear. */
const keychain: SecretBox = {
  unavailableReason: () => {
    if (!safeStorage.isEncryptionAvailable()) return 'this system offers no keychain to keep the key in';
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return 'no keyring (GNOME Keyring or KWallet) is running, so the key could only be kept in clear';
    return null;
  },
  encrypt: (text) => safeStorage.encryptString(text),
  decrypt: (sealed) => safeStorage.decryptString(sealed),
};

// Before anything reads it (the single-instance lock lives there too). `--user-data-dir DIR` gives
// a separate Iris, e.g. for a test that must not touch the real one.
app.setPath('userData', userDataDirFor({ argv: process.argv, appData: app.getPath('appData') }));

if (!app.requestSingleInstanceLock()) {
  // One Iris per user: two engines on one library would fight over its database and watcher.
  app.quit();
} else {
  runApp();
}

function runApp(): void {
  const devTools = !app.isPackaged;
  const userData = app.getPath('userData');
  const pathInputs = { argv: process.argv, env: process.env, userData, isPackaged: app.isPackaged, installRoot: irisRoot };
  const libraryDir = libraryDirFor(pathInputs);
  const modelsDir = modelsDirFor(pathInputs);
  let window: BrowserWindow | null = null;

  const endpointKey = new EndpointKeyStore(path.join(userData, 'endpoint-key.bin'), keychain);

  const forwardEvent = (name: EventName, payload: unknown) => {
    // Each engine process (the first, or one restarted after a crash) gets the stored key in memory.
    if (name === 'engine.state' && (payload as { state?: string }).state === 'ready') {
      const key = endpointKey.read();
      if (key !== null) void engine.call('ask.useKey', { key }).catch((error: unknown) => log(`could not hand the endpoint key to the engine: ${String(error)}`));
    }
    if (!window || window.isDestroyed() || !isEventName(name)) return;
    // Only to our own page: navigation away is refused, this holds even if that ever fails.
    if (!isAppUrl(window.webContents.getURL())) return;
    window.webContents.send(EVENT_CHANNEL, name, payload);
  };

  const engine = new EngineSupervisor({
    spawn: utilityProcessSpawner(builtFiles.engineEntry, ['--library', libraryDir, '--models', modelsDir]),
    onEvent: forwardEvent,
    log,
  });

  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, (what, url) => log(`refused ${what} to ${url.slice(0, 200)}`)));

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Quitting waits (briefly) for the engine to close its library; see EngineSupervisor.stop.
  let engineStopped = false;
  app.on('will-quit', (event) => {
    if (engineStopped) return;
    event.preventDefault();
    void engine.stop().finally(() => {
      engineStopped = true;
      app.quit();
    });
  });

  const handleRendererCall = rendererCallHandler(
    desktopHostCalls(
      {
        chooseDirectory: async (purpose) => {
          const title = purpose === 'export' ? 'Export the photos to…' : purpose === 'output' ? 'Save edits in…' : 'Add a photo folder';
          const options = { title, properties: ['openDirectory' as const, 'createDirectory' as const] };
          const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
          return result.canceled ? null : (result.filePaths[0] ?? null);
        },
        openInBrowser: (url) => shell.openExternal(url),
        showItemInFolder: (file) => shell.showItemInFolder(file),
        endpointKey,
        storesSecrets: () => keychain.unavailableReason() === null,
      },
      engine,
    ),
    engine,
  );

  const createWindow = () => {
    const created = new BrowserWindow(windowOptions(builtFiles.preload, { devTools }));
    window = created;
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      if (window === created) window = null;
    });
    void created.loadURL(APP_ENTRY_URL);
  };

  app.on('activate', () => {
    if (app.isReady() && !window) createWindow();
  });

  void app.whenReady().then(() => {
    for (const [what, file] of Object.entries(builtFiles)) {
      if (!fs.existsSync(file)) log(`missing ${what} at ${file}: build it first (npm run build)`);
    }
    denyAllPermissions(session.defaultSession);
    protocol.handle(APP_SCHEME, (request) => appResponse(request.url, builtFiles.renderer));
    const readMedia: ReadMedia = (request) =>
      (request.kind === 'tile' ? engine.call('map.tile', { z: request.z, x: request.x, y: request.y }) : engine.call('media.read', request)) as ReturnType<ReadMedia>;
    protocol.handle(MEDIA_SCHEME, (request) => mediaResponse(request.method, request.url, readMedia));
    Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({ platform: process.platform, devTools })));

    ipcMain.handle(CALL_CHANNEL, (event, name: unknown, args: unknown): Promise<IpcAnswer> | IpcAnswer => {
      const sender = checkSender({
        fromOurWindow: window !== null && !window.isDestroyed() && event.sender === window.webContents,
        senderFrame: event.senderFrame,
        mainFrame: event.sender.mainFrame,
      });
      if (!sender.ok) {
        log(`refused a call: ${sender.reason}`);
        return { ok: false, error: { code: 'forbidden', message: `refused: ${sender.reason}` } };
      }
      return handleRendererCall(name, args);
    });

    log(`library ${libraryDir}, models ${modelsDir}`);
    engine.start();
    createWindow();
  });
}
