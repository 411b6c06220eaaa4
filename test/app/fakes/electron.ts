/**
 * A stand-in for the `electron` module, just big enough to run dist/main/app/main.js in plain Node
 * and record what it asks of Electron (desktop-wiring.test.ts). Where the real binary exists, the
 * Electron launch test runs the real thing; this checks the wiring where it does not.
 */
import { EventEmitter } from 'node:events';

export const recorded = {
  privilegedSchemes: [] as { scheme: string }[],
  sandboxEnabled: false,
  paths: new Map<string, string>(),
  protocolHandlers: new Map<string, (request: { url: string; method: string }) => Promise<Response>>(),
  ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  permissionHandlers: {} as Record<string, unknown>,
  menuTemplate: null as unknown,
  windows: [] as FakeBrowserWindow[],
  forks: [] as FakeUtilityProcess[],
  channels: [] as MessageChannelMain[],
  quitCalls: 0,
  openedExternally: [] as string[],
  dialogAnswer: { canceled: true, filePaths: [] as string[] },
};

let markReady!: () => void;
const readyPromise = new Promise<void>((resolve) => (markReady = resolve));

class FakeApp extends EventEmitter {
  isPackaged = false;
  private ready = false;
  getPath(name: string): string {
    return recorded.paths.get(name) ?? `/fake/${name}`;
  }
  setPath(name: string, value: string): void {
    recorded.paths.set(name, value);
  }
  enableSandbox(): void {
    recorded.sandboxEnabled = true;
  }
  requestSingleInstanceLock(): boolean {
    return true;
  }
  whenReady(): Promise<void> {
    return readyPromise;
  }
  isReady(): boolean {
    return this.ready;
  }
  quit(): void {
    recorded.quitCalls++;
  }
  /** Test control: Electron says ready. */
  becomeReady(): void {
    this.ready = true;
    markReady();
  }
}

export const app = new FakeApp();

export const protocol = {
  registerSchemesAsPrivileged: (schemes: { scheme: string }[]) => recorded.privilegedSchemes.push(...schemes),
  handle: (scheme: string, handler: (request: { url: string; method: string }) => Promise<Response>) => recorded.protocolHandlers.set(scheme, handler),
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler: unknown) => (recorded.permissionHandlers.request = handler),
    setPermissionCheckHandler: (handler: unknown) => (recorded.permissionHandlers.check = handler),
    setDevicePermissionHandler: (handler: unknown) => (recorded.permissionHandlers.device = handler),
  },
};

export const ipcMain = {
  handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => recorded.ipcHandlers.set(channel, handler),
};

export const Menu = {
  buildFromTemplate: (template: unknown) => ({ template }),
  setApplicationMenu: (menu: { template: unknown }) => (recorded.menuTemplate = menu.template),
};

export const dialog = {
  showOpenDialog: async () => recorded.dialogAnswer,
};

/** Like Linux without a keyring: Electron's plain-text fallback, which Iris refuses for keys. */
export const safeStorage = {
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: (text: string) => Buffer.from(text),
  decryptString: (sealed: Buffer) => sealed.toString(),
};

export const shell = {
  openExternal: async (url: string) => {
    recorded.openedExternally.push(url);
  },
};

export class FakeWebContents extends EventEmitter {
  url = '';
  sent: unknown[][] = [];
  windowOpenHandler: unknown = null;
  mainFrame = { processId: 1, routingId: 1, url: '' };
  getURL(): string {
    return this.url;
  }
  send(...args: unknown[]): void {
    this.sent.push(args);
  }
  setWindowOpenHandler(handler: unknown): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  constructor(readonly options: { webPreferences?: Record<string, unknown> }) {
    super();
    recorded.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.url = url;
    this.webContents.mainFrame.url = url;
  }
  isDestroyed(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return false;
  }
  show(): void {}
  restore(): void {}
  focus(): void {}
}
export { FakeBrowserWindow as BrowserWindow };

export class FakePort extends EventEmitter {
  posted: unknown[] = [];
  closed = false;
  started = false;
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  start(): void {
    this.started = true;
  }
  close(): void {
    this.closed = true;
  }
  /** Test control: a message from the engine's side. */
  deliver(data: unknown): void {
    this.emit('message', { data });
  }
}

export class MessageChannelMain {
  /** Main's end. */
  port1 = new FakePort();
  /** The end handed to the engine. */
  port2 = new FakePort();
  constructor() {
    recorded.channels.push(this);
  }
}

export class FakeUtilityProcess extends EventEmitter {
  posted: { message: unknown; transfer: unknown[] }[] = [];
  killed = false;
  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: Record<string, unknown>,
  ) {
    super();
  }
  postMessage(message: unknown, transfer: unknown[] = []): void {
    this.posted.push({ message, transfer });
  }
  kill(): boolean {
    this.killed = true;
    return true;
  }
}

export const utilityProcess = {
  fork: (modulePath: string, args: string[], options: Record<string, unknown>) => {
    const child = new FakeUtilityProcess(modulePath, args, options);
    recorded.forks.push(child);
    return child;
  },
};
