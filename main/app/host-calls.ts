import type { CallName, CallResult } from '../contract/contract.js';
import type { HostCalls } from '../contract/gate.js';
import { IrisCallError } from '../contract/rpc.js';
import type { EndpointKeyStore } from './endpoint-key.js';
import { checkExternalUrl } from './external-url.js';

/** How host calls reach the engine (the supervisor in the app, a fake in tests). */
export interface EngineCaller {
  call(name: CallName, args: unknown): Promise<unknown>;
}

/** What only the desktop host can do, as plain functions so the calls can be tested without Electron. */
export interface DesktopAbilities {
  /** The native folder dialog (titled for what the folder is for); null when the user cancels. */
  chooseDirectory(purpose?: 'photos' | 'output' | 'export'): Promise<string | null>;
  /** Shows a file selected in the system's file manager (Electron's shell.showItemInFolder). */
  showItemInFolder(file: string): void;
  /** Hands an already checked https URL to the system browser. */
  openInBrowser(url: string): Promise<void>;
  /** The endpoint API key, encrypted by the OS keychain. */
  endpointKey: EndpointKeyStore;
  /** Whether the keychain can keep it (the UI shows the key field only then). */
  storesSecrets(): boolean;
}

export type { HostCalls } from '../contract/gate.js';

/**
 * The contract calls whose `handledBy` is 'host', answered by the desktop app. Arguments have
 * already passed the contract schema (call-gate.ts).
 */
export function desktopHostCalls(abilities: DesktopAbilities, engine: EngineCaller): HostCalls {
  return {
    'app.capabilities': async () => ({ mode: 'desktop', nativeFolderDialog: true, openExternal: true, storesSecrets: abilities.storesSecrets() }),

    'app.openExternal': async ({ url }) => {
      // The schema already wants https; this re-parses and also refuses credentials and odd characters.
      const checked = checkExternalUrl(url);
      if (!checked.ok) throw new IrisCallError('forbidden', `app.openExternal: ${checked.reason}`);
      try {
        await abilities.openInBrowser(checked.url);
        return { opened: true };
      } catch {
        return { opened: false };
      }
    },

    // The folder comes from the dialog, never from the page: main itself asks the engine to add it.
    'folders.choose': async () => {
      const chosen = await abilities.chooseDirectory();
      if (chosen === null) return null;
      return (await engine.call('folders.add', { path: chosen })) as CallResult<'folders.choose'>;
    },

    // The same for where edits are written: the page can only ask for the dialog.
    'settings.chooseOutputFolder': async () => {
      const chosen = await abilities.chooseDirectory('output');
      if (chosen === null) return null;
      return (await engine.call('settings.set', { key: 'output-folder', value: chosen })) as CallResult<'settings.chooseOutputFolder'>;
    },

    // The page names a photo; main asks the engine where its file is, so no path comes from the page.
    'photos.showInFolder': async ({ id }) => {
      const photo = (await engine.call('photos.get', { id })) as CallResult<'photos.get'>;
      if (!photo.path) return { shown: false };
      abilities.showItemInFolder(photo.path);
      return { shown: true };
    },

    // Export goes where the person chose in the dialog; the engine never writes over a file.
    'photos.export': async ({ photoIds, as, maxEdge, quality }) => {
      const chosen = await abilities.chooseDirectory('export');
      if (chosen === null) return null;
      return (await engine.call('photos.exportTo', { photoIds, folder: chosen, as, maxEdge, quality })) as CallResult<'photos.export'>;
    },

    // Kept encrypted by the host (the engine never writes it anywhere), then handed to the engine in memory.
    'endpoint.setKey': async ({ key }) => {
      try {
        abilities.endpointKey.write(key);
      } catch (error) {
        throw new IrisCallError('usage', `endpoint.setKey: ${(error as Error).message}`);
      }
      await engine.call('ask.useKey', { key });
      return { stored: key !== null };
    },
  };
}
