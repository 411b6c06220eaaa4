import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { SettingState } from '../lib/types.js';
import { fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import SettingsOutput from './SettingsOutput.svelte';

const state = (value: string): SettingState => ({ key: 'output-folder', value, default: '', source: value ? 'setting' : 'default', description: 'where edits go' });

async function mount(mode: 'desktop' | 'browser', handlers: Handlers) {
  const backend = fakeBackend(
    {
      'app.capabilities': () => ({ mode, nativeFolderDialog: mode === 'desktop', openExternal: mode === 'desktop', storesSecrets: false }),
      ...handlers,
    },
    mode,
  );
  const app = new AppStore(backend.transport);
  await app.reload();
  render(Harness, { props: { app, component: SettingsOutput, props: {} } });
  return backend;
}

describe('SettingsOutput', () => {
  it('desktop: the folder comes from the native dialog; the page never sends a path', async () => {
    let folder = '';
    const backend = await mount('desktop', {
      'settings.list': () => [state(folder)],
      'settings.chooseOutputFolder': () => {
        folder = '/home/me/Edits';
        return state(folder);
      },
      'settings.set': ({ value }) => {
        folder = value ?? '';
        return state(folder);
      },
    });
    expect((await screen.findByTestId('output-folder')).textContent).toContain('Pictures/Iris');
    expect(screen.queryByTestId('output-path')).toBeNull();
    await fireEvent.click(screen.getByTestId('output-choose'));
    await waitFor(() => expect(screen.getByTestId('output-folder').textContent).toBe('/home/me/Edits'));
    await fireEvent.click(screen.getByTestId('output-reset'));
    await waitFor(() => expect(screen.getByTestId('output-folder').textContent).toContain('Pictures/Iris'));
    expect(backend.callsOf('settings.chooseOutputFolder')).toHaveLength(1);
    expect(backend.callsOf('settings.set')).toEqual([{ key: 'output-folder', value: null }]);
  });

  it('browser mode: a typed path, and the engine’s refusal shown', async () => {
    const backend = await mount('browser', {
      'settings.list': () => [state('')],
      'settings.set': () => {
        throw Object.assign(new Error('output-folder: expected an absolute folder path'), { code: 'usage' });
      },
    });
    const input = (await screen.findByTestId('output-path')) as HTMLInputElement;
    expect(screen.queryByTestId('output-choose')).toBeNull();
    await fireEvent.input(input, { target: { value: 'Edits' } });
    await fireEvent.click(screen.getByTestId('output-save'));
    expect((await screen.findByRole('alert')).textContent).toContain('absolute folder path');
    expect(backend.callsOf('settings.set')).toEqual([{ key: 'output-folder', value: 'Edits' }]);
  });
});
