import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { Caption, CallResult } from '../lib/types.js';
import { fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import Viewer from './Viewer.svelte';

/** The viewer as a whole: what its panels do to the stage and to its keys. */

type Params = NonNullable<CallResult<'edits.options'>['modes'][number]['defaults']>;
type Edit = CallResult<'edits.list'>[number];

const params: Params = {
  mode: 'img2img',
  model: 'sd15',
  controlnet: null,
  scheduler: 'dpmpp-2m-karras',
  seed: 1,
  steps: 6,
  guidance: 7.5,
  strength: 0.75,
  image_guidance: 1.5,
  conditioning_scale: 1,
  canny_low: 100,
  canny_high: 200,
  prompt: '',
  negative: '',
  width: 512,
  height: 384,
};

const blue: Edit = { id: 4, sourcePhotoId: 7, outputPhotoId: 104, params: { ...params, prompt: 'blue' }, createdAt: 1_720_000_000_000, durationMs: 4200 };

const editHandlers: Handlers = {
  'edits.options': () => ({ schedulers: ['dpmpp-2m-karras'], modes: [{ mode: 'img2img', ready: true, reason: null, missingModel: null, defaults: params }] }),
  'edits.list': () => [],
  'edits.run': () => ({ cancelled: false, edit: blue }),
};

function mountViewer(handlers: Handlers = {}) {
  const backend = fakeBackend({ ...editHandlers, ...handlers });
  const app = new AppStore(backend.transport);
  app.openViewer([7, 8], 0);
  render(Harness, { props: { app, component: Viewer, props: { ids: [7, 8], index: 0 } } });
  return { app, backend };
}

afterEach(() => {
  // jsdom has no scrollIntoView; the tests that need it put one on Element.prototype.
  delete (Element.prototype as { scrollIntoView?: unknown }).scrollIntoView;
});

describe('Viewer', () => {
  it('shows an edit’s result large on the stage over its original, with a slider and a toggle to compare, and the panel’s result scrolled into view', async () => {
    const scrolled = vi.fn();
    Element.prototype.scrollIntoView = scrolled;
    mountViewer();
    await fireEvent.click(screen.getByTestId('viewer-tab-edit'));
    await fireEvent.input(await screen.findByTestId('edit-prompt'), { target: { value: 'blue' } });
    await fireEvent.click(screen.getByTestId('edit-generate'));

    const stage = await screen.findByTestId('edit-stage');
    expect(stage.dataset.editId).toBe('4');
    const result = within(stage).getByTestId('edit-stage-result');
    expect(result.getAttribute('src')).toBe('/media/photo/104?token=t');
    expect(within(stage).getByTestId('edit-stage-original').getAttribute('src')).toBe('/media/preview/7?token=t');
    // The stage no longer shows the photo itself while the result is on it.
    expect(screen.getByTestId('viewer').querySelector('.image > img')).toBeNull();
    // The side panel's small pair was brought into view.
    await waitFor(() => expect(scrolled.mock.contexts).toContain(screen.getByTestId('edit-result')));

    // Compare: the result covers the right of the divide; the slider (a range input: arrow keys) moves it.
    expect(result.style.clipPath).toBe('inset(0 0 0 50%)');
    const slider = within(stage).getByTestId('edit-compare-slider') as HTMLInputElement;
    expect(slider.getAttribute('aria-label')).toBe('Original ↔ result');
    await fireEvent.input(slider, { target: { value: '20' } });
    expect(result.style.clipPath).toBe('inset(0 0 0 20%)');
    const toggle = within(stage).getByTestId('edit-compare-toggle');
    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(result.style.clipPath).toBe('inset(0 0 0 100%)');
    await fireEvent.click(toggle);
    expect(result.style.clipPath).toBe('inset(0 0 0 20%)');

    // Another tab shows the photo again; back on Edit, the result again; "back to the photo" puts it away.
    await fireEvent.click(screen.getByTestId('viewer-tab-info'));
    expect(screen.queryByTestId('edit-stage')).toBeNull();
    await fireEvent.click(screen.getByTestId('viewer-tab-edit'));
    await fireEvent.click(await screen.findByTestId('edit-stage-close'));
    expect(screen.queryByTestId('edit-stage')).toBeNull();
    expect(screen.getByTestId('viewer').querySelector('.image > img')).not.toBeNull();
  });

  it('Esc in the "replace your own caption?" question leaves the viewer open; the next Esc closes it', async () => {
    const mine: Caption = { text: 'Grandma’s garden', model: 'person', detail: 'brief', edited: true, updatedAt: Date.UTC(2026, 0, 2) };
    const { app, backend } = mountViewer({ 'captions.get': () => mine });
    await screen.findByTestId('caption-meta');
    await fireEvent.click(screen.getByTestId('caption-generate'));
    const keep = await screen.findByTestId('caption-keep-mine');
    await fireEvent.keyDown(keep, { key: 'Escape' });
    expect(screen.queryByTestId('caption-replace-confirm')).toBeNull();
    expect(app.viewer).not.toBeNull();
    expect(backend.callsOf('captions.generate')).toEqual([]);
    await fireEvent.keyDown(screen.getByTestId('caption-generate'), { key: 'Escape' });
    expect(app.viewer).toBeNull();
  });
});
