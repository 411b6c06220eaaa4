import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { AskStatus, CallResult, SettingState } from '../lib/types.js';
import { fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import JobsCaptions from './JobsCaptions.svelte';
import SettingsAsk from './SettingsAsk.svelte';

function setting(key: string, value: unknown): SettingState {
  return { key, value, default: '', source: value === '' ? 'default' : 'setting', description: key };
}

/** A fake library's caption/ask settings, kept in a map so settings.set answers like the engine. */
function settingsBackend(initial: Record<string, string>, askStatus: (values: Record<string, string>) => AskStatus): Handlers {
  const values = { ...initial };
  return {
    'settings.list': () => Object.entries(values).map(([key, value]) => setting(key, value)),
    'settings.set': ({ key, value }) => {
      if (key === 'endpoint-url' && value && !/^https?:\/\//.test(value)) throw Object.assign(new Error('endpoint-url: expected an http(s) URL such as http://localhost:11434/v1'), { code: 'usage' });
      values[key] = value ?? '';
      return setting(key, values[key]);
    },
    'ask.status': () => askStatus(values),
    'models.list': () => [
      { id: 'florence-2-base-ft', task: 'caption', description: null, license: null, bytes: 1, installed: true, active: false, installing: false, about: null, use: null },
      { id: 'smolvlm-256m-instruct', task: 'vqa', description: null, license: null, bytes: 1, installed: false, active: false, installing: false, about: null, use: null },
    ],
  };
}

const endpointStatus = (values: Record<string, string>, endpointKey: AskStatus['endpointKey'] = 'none'): AskStatus =>
  values['ask-provider'] === 'endpoint'
    ? { provider: 'endpoint', model: values['endpoint-model'] || null, ready: Boolean(values['endpoint-url'] && values['endpoint-model']), reason: values['endpoint-url'] ? null : 'no endpoint URL', missingModel: null, endpointKey }
    : { provider: 'local', model: 'smolvlm-256m-instruct', ready: false, reason: 'smolvlm-256m-instruct is not installed', missingModel: null, endpointKey };

function mount(component: typeof SettingsAsk | typeof JobsCaptions, handlers: Handlers, mode: 'desktop' | 'browser' = 'browser') {
  const backend = fakeBackend(handlers, mode);
  const app = new AppStore(backend.transport);
  render(Harness, { props: { app, component, props: {} } });
  return { backend, app };
}

describe('SettingsAsk', () => {
  it('turns reading the text in photos on (off by default)', async () => {
    const { backend } = mount(SettingsAsk, settingsBackend({ 'ask-provider': 'local', 'read-text': 'off' }, (values) => endpointStatus(values)));
    const select = (await screen.findByTestId('setting-read-text')) as HTMLSelectElement;
    expect(select.value).toBe('off');
    await fireEvent.change(select, { target: { value: 'on' } });
    expect(backend.callsOf('settings.set')).toEqual([{ key: 'read-text', value: 'on' }]);
  });

  it('switches questions to an endpoint and refuses a bad URL without losing it', async () => {
    const { backend } = mount(SettingsAsk, settingsBackend({ 'ask-provider': 'local', 'endpoint-url': '', 'endpoint-model': '' }, (values) => endpointStatus(values)));
    expect((await screen.findByTestId('ask-readiness')).textContent).toContain('smolvlm-256m-instruct is not installed');
    await fireEvent.click(screen.getByLabelText('An OpenAI-compatible endpoint'));
    expect(backend.callsOf('settings.set')).toEqual([{ key: 'ask-provider', value: 'endpoint' }]);
    const url = (await screen.findByTestId('setting-endpoint-url')) as HTMLInputElement;
    await fireEvent.change(url, { target: { value: 'localhost:11434' } });
    expect((await screen.findByTestId('setting-problem')).textContent).toContain('expected an http(s) URL');
    expect(url.value).toBe('localhost:11434');
    await fireEvent.change(url, { target: { value: 'http://localhost:11434/v1' } });
    await fireEvent.change(screen.getByTestId('setting-endpoint-model'), { target: { value: 'qwen2.5vl' } });
    await waitFor(() => expect(screen.getByTestId('ask-readiness').textContent).toContain('answered by qwen2.5vl'));
    expect(screen.queryByTestId('setting-problem')).toBeNull();
    // Browser mode keeps no keys: there is no key field, only where the key comes from.
    expect(screen.queryByTestId('setting-endpoint-key')).toBeNull();
    expect(screen.getByTestId('setting-endpoint-key-source').textContent).toContain('No key');
  });

  it('keeps the key with the desktop keychain, and can forget it', async () => {
    let keySource: AskStatus['endpointKey'] = 'none';
    const handlers = settingsBackend({ 'ask-provider': 'endpoint', 'endpoint-url': 'https://api.example.com/v1', 'endpoint-model': 'gpt-4o-mini' }, (values) => endpointStatus(values, keySource));
    handlers['app.capabilities'] = () => ({ mode: 'desktop', nativeFolderDialog: true, openExternal: true, storesSecrets: true });
    handlers['endpoint.setKey'] = ({ key }) => {
      keySource = key === null ? 'none' : 'app';
      return { stored: key !== null };
    };
    const { backend, app } = mount(SettingsAsk, handlers, 'desktop');
    await app.start();
    const input = (await screen.findByTestId('setting-endpoint-key')) as HTMLInputElement;
    expect(input.type).toBe('password');
    await fireEvent.input(input, { target: { value: 'sk-test-123' } });
    await fireEvent.click(screen.getByTestId('setting-endpoint-key-save'));
    expect(backend.callsOf('endpoint.setKey')).toEqual([{ key: 'sk-test-123' }]);
    await waitFor(() => expect(screen.getByTestId('setting-endpoint-key-source').textContent).toContain('keychain'));
    expect(input.value).toBe(''); // the key does not stay on screen
    await fireEvent.click(screen.getByTestId('setting-endpoint-key-forget'));
    expect(backend.callsOf('endpoint.setKey').at(-1)).toEqual({ key: null });
    await waitFor(() => expect(screen.getByTestId('setting-endpoint-key-source').textContent).toContain('No key'));
  });
});

describe('JobsCaptions', () => {
  const status = (captioned: number): CallResult<'captions.status'> => ({ model: 'florence-2-base-ft', installed: true, reason: null, missingModel: null, detail: 'detailed', readsText: true, captioned, edited: 2, photos: 120 });

  it('queues the library for captions with the chosen detail and says how many', async () => {
    const { backend, app } = mount(JobsCaptions, {
      'captions.status': () => status(20),
      'captions.queue': () => ({ model: 'florence-2-base-ft', detail: 'detailed', queued: 98, keptEdited: 2 }),
    });
    expect((await screen.findByTestId('captions-summary')).textContent).toContain('20 of 120 photos have a caption');
    expect((screen.getByTestId('captions-detail') as HTMLSelectElement).value).toBe('detailed');
    await fireEvent.click(screen.getByTestId('captions-redo'));
    await fireEvent.click(screen.getByTestId('captions-run'));
    expect(backend.callsOf('captions.queue')).toEqual([{ detail: 'detailed', redo: true }]);
    await waitFor(() => expect(app.notices.at(-1)?.message).toBe('98 photos queued for captions'));
  });

  it('offers the model install instead when no captioner is installed', async () => {
    mount(JobsCaptions, { 'captions.status': () => ({ ...status(0), installed: false, reason: 'florence-2-base-ft is not installed' }) });
    expect((await screen.findByTestId('captions-unavailable')).textContent).toContain('florence-2-base-ft is not installed');
    expect(screen.queryByTestId('captions-run')).toBeNull();
  });
});
