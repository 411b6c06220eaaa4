import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { DeviceStatus } from '../lib/types.js';
import { fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import SettingsDevice from './SettingsDevice.svelte';

/** SettingsCard (load, "Loading…", the reason when loading fails, reload after a save) and saveSetting, through the device card. */
async function mount(handlers: Handlers) {
  const backend = fakeBackend(handlers);
  const app = new AppStore(backend.transport);
  await app.reload();
  render(Harness, { props: { app, component: SettingsDevice, props: {} } });
  return { backend, app };
}

const status = (setting: string): DeviceStatus => ({ setting, resolvesTo: 'cpu', providers: [{ name: 'cpu', available: true, reason: null }], lastRuntime: null });

describe('SettingsDevice (a SettingsCard)', () => {
  it('shows why the card could not load, in place of its content', async () => {
    await mount({
      'device.status': () => {
        throw Object.assign(new Error('the engine is restarting'), { code: 'unavailable' });
      },
    });
    expect((await screen.findByRole('alert')).textContent).toBe('Iris cannot do this right now: the engine is restarting');
    expect(screen.queryByTestId('setting-device')).toBeNull();
  });

  it('saves the choice, says so, shows the engine’s problem with it, and loads the card again', async () => {
    let setting = 'auto';
    const { backend, app } = await mount({
      'device.status': () => status(setting),
      'settings.set': ({ value }) => {
        setting = value ?? 'auto';
        return { key: 'device', value: setting, default: 'auto', source: 'setting', description: 'where models run', problem: setting === 'cuda' ? 'no CUDA on this machine' : undefined };
      },
    });
    const select = (await screen.findByTestId('setting-device')) as HTMLSelectElement;
    expect(select.value).toBe('auto');
    await fireEvent.change(select, { target: { value: 'cuda' } });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('no CUDA on this machine'));
    await waitFor(() => expect((screen.getByTestId('setting-device') as HTMLSelectElement).value).toBe('cuda'));
    expect(backend.callsOf('settings.set')).toEqual([{ key: 'device', value: 'cuda' }]);
    expect(backend.callsOf('device.status').length).toBeGreaterThanOrEqual(2);
    expect(app.notices.map((notice) => notice.message)).toContain('Saved.');
  });
});
