import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { CallResult } from '../lib/types.js';
import { deferred, type Handlers } from '../test/fake-api.js';
import { mountPanel } from '../test/mount-panel.js';
import ViewerEdit from './ViewerEdit.svelte';

type Options = CallResult<'edits.options'>;
type Mode = Options['modes'][number]['mode'];
type Params = NonNullable<Options['modes'][number]['defaults']>;
type Edit = CallResult<'edits.list'>[number];
type RunResult = CallResult<'edits.run'>;

function params(mode: Mode, overrides: Partial<Params> = {}): Params {
  return {
    mode,
    model: mode === 'instruct' ? 'sd15-ip2p' : mode === 'canny' ? 'sd15-controlnet' : 'sd15',
    controlnet: mode === 'canny' ? 'controlnet-canny' : null,
    scheduler: 'dpmpp-2m-karras',
    seed: 0,
    steps: 20,
    guidance: mode === 'instruct' ? 7 : 7.5,
    strength: 0.75,
    image_guidance: 1.5,
    conditioning_scale: 1,
    canny_low: 100,
    canny_high: 200,
    prompt: '',
    negative: '',
    width: 512,
    height: 384,
    ...overrides,
  };
}

function options(notReady: Partial<Record<Mode, string>> = {}, size: { width: number; height: number } = { width: 512, height: 384 }): Options {
  const modes: Mode[] = ['txt2img', 'img2img', 'canny', 'instruct'];
  return {
    schedulers: ['dpmpp-2m-karras', 'euler-a', 'ddim', 'lcm'],
    modes: modes.map((mode) =>
      notReady[mode] ? { mode, ready: false, reason: notReady[mode]!, missingModel: null, defaults: null } : { mode, ready: true, reason: null, missingModel: null, defaults: params(mode, mode === 'txt2img' ? { width: 512, height: 512 } : size) },
    ),
  };
}

function edit(id: number, photoId: number, overrides: Partial<Params> = {}, outputPhotoId: number | null = 100 + id): Edit {
  return { id, sourcePhotoId: photoId, outputPhotoId, params: params('img2img', { prompt: 'blue sky', seed: 1234, steps: 6, ...overrides }), createdAt: 1_720_000_000_000, durationMs: 4200 };
}

function mountEdit(handlers: Handlers = {}, id = 7) {
  return mountPanel(ViewerEdit, { 'edits.options': () => options(), 'edits.list': () => [], 'edits.edges': ({ low, high }) => ({ image: `data:image/png;base64,EDGES${low}-${high}` }), ...handlers }, id);
}

const field = <T extends HTMLElement = HTMLInputElement>(testId: string) => screen.getByTestId(testId) as unknown as T;
const modeInput = (mode: Mode) => screen.getByTestId('edit-mode').querySelector<HTMLInputElement>(`[data-mode="${mode}"] input`)!;
const generateButton = () => field<HTMLButtonElement>('edit-generate');

async function ready() {
  await screen.findByTestId('edit-prompt');
}

async function type(testId: string, value: string) {
  await fireEvent.input(field(testId), { target: { value } });
}

describe('ViewerEdit', () => {
  it('fills the form from edits.options: the first ready mode, its defaults, only its controls', async () => {
    const { backend } = mountEdit();
    await ready();
    expect(backend.callsOf('edits.options')).toEqual([{ photoId: 7 }]);
    expect(backend.callsOf('edits.list')).toEqual([{ photoId: 7 }]);
    expect(modeInput('instruct').checked).toBe(true);
    expect(field('edit-steps').value).toBe('20');
    expect(field('edit-guidance').value).toBe('7');
    expect(field('edit-image-guidance').value).toBe('1.5');
    expect(field<HTMLSelectElement>('edit-scheduler').value).toBe('dpmpp-2m-karras');
    expect([field('edit-width').value, field('edit-height').value]).toEqual(['512', '384']);
    const seed = Number(field('edit-seed').value);
    expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffff_ffff).toBe(true);
    expect(screen.queryByTestId('edit-strength')).toBeNull();
    expect(screen.queryByTestId('edit-low')).toBeNull();

    // Another mode: its defaults and controls; the prompt stays.
    await type('edit-prompt', 'make it blue');
    await fireEvent.click(modeInput('img2img'));
    await waitFor(() => expect(screen.queryByTestId('edit-strength')).not.toBeNull());
    expect(field('edit-strength').value).toBe('0.75');
    expect(field('edit-guidance').value).toBe('7.5');
    expect(screen.queryByTestId('edit-image-guidance')).toBeNull();
    expect(field<HTMLTextAreaElement>('edit-prompt').value).toBe('make it blue');
    expect(Number(field('edit-seed').value)).toBe(seed);
    expect(screen.getAllByTestId('edit-history')).toHaveLength(1);
  });

  it('disables a mode that cannot run, says why, and links to Settings › Models', async () => {
    const reason = 'no instruction-edit model is installed: run `iris models install sd15-ip2p`';
    const { app } = mountEdit({ 'edits.options': () => options({ instruct: reason }) });
    await ready();
    expect(modeInput('instruct').disabled).toBe(true);
    expect(modeInput('img2img').checked).toBe(true);
    const notReady = screen.getByTestId('edit-not-ready');
    expect(notReady.dataset.mode).toBe('instruct');
    expect(notReady.textContent).toContain(reason);
    await fireEvent.click(within(notReady).getByRole('button'));
    expect(app.view).toBe('settings');
    expect(app.settingsSection).toBe('models');
  });

  it('generates: sends the form, shows progress and previews for its own edit id, and Cancel stops it', async () => {
    const pending = deferred<RunResult>();
    const { backend } = mountEdit({
      'edits.run': () => pending.promise,
      'streams.cancel': () => {
        pending.resolve({ cancelled: true, stepsRun: 2 });
        return { cancelled: true };
      },
    });
    await ready();
    expect(generateButton().disabled).toBe(true);
    await fireEvent.click(modeInput('img2img'));
    await type('edit-prompt', '  blue  ');
    await type('edit-steps', '6');
    await fireEvent.input(field('edit-strength'), { target: { value: '0.5' } });
    await type('edit-seed', '42');
    await fireEvent.click(generateButton());

    expect(backend.callsOf('edits.run')).toHaveLength(1);
    const args = backend.callsOf('edits.run')[0]!;
    expect(args.editId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(args).toMatchObject({ mode: 'img2img', photoId: 7, prompt: 'blue', seed: 42, steps: 6, strength: 0.5, guidance: 7.5, scheduler: 'dpmpp-2m-karras', width: 512, height: 384 });
    expect(args).not.toHaveProperty('imageGuidance');
    expect(args).not.toHaveProperty('low');

    await waitFor(() => expect(generateButton().dataset.state).toBe('running'));
    expect(generateButton().disabled).toBe(true);
    const progress = field('edit-progress');
    expect(progress.dataset.steps).toBe('0');

    backend.emit('edit.preview', { editId: args.editId, step: 1, steps: 3, image: null });
    backend.emit('edit.preview', { editId: 'someone-elses-edit', step: 2, steps: 9, image: 'data:image/png;base64,OTHER' });
    await waitFor(() => expect(field('edit-progress').dataset.step).toBe('1'));
    expect(field('edit-progress').dataset.steps).toBe('3');
    expect(screen.queryByTestId('edit-preview')).toBeNull();
    backend.emit('edit.preview', { editId: args.editId, step: 2, steps: 3, image: 'data:image/png;base64,MINE' });
    await waitFor(() => expect(field<HTMLImageElement>('edit-preview').getAttribute('src')).toBe('data:image/png;base64,MINE'));
    expect(screen.getByText('Step 2 of 3')).toBeTruthy();

    await fireEvent.click(field('edit-cancel'));
    expect(backend.callsOf('streams.cancel')).toEqual([{ streamId: args.editId }]);
    const stopped = await screen.findByTestId('edit-stopped');
    expect(stopped.textContent).toContain('Stopped — nothing was saved');
    expect(screen.queryByTestId('edit-progress')).toBeNull();
    expect(screen.queryByTestId('edit-result')).toBeNull();
    expect(generateButton().dataset.state).toBe('generate');
    expect(field<HTMLTextAreaElement>('edit-prompt').value).toBe('  blue  ');
  });

  it('an unkept seed is rolled anew for each image; the dice rolls one at any time', async () => {
    const { backend } = mountEdit({ 'edits.run': ({ photoId, seed }) => ({ cancelled: false, edit: edit(1, photoId!, { seed }) }) });
    await ready();
    const seedInput = field('edit-seed');
    const lock = field('edit-seed-lock');
    expect(lock.checked).toBe(false);
    const first = seedInput.value;
    const random = vi.spyOn(crypto, 'getRandomValues');
    await fireEvent.click(field('edit-seed-dice'));
    expect(random).toHaveBeenCalled();
    random.mockRestore();
    await waitFor(() => expect(seedInput.value).not.toBe(first));

    await type('edit-prompt', 'winter');
    const shown = seedInput.value;
    await fireEvent.click(generateButton());
    const sent = backend.callsOf('edits.run')[0]!.seed!;
    expect(String(sent)).toBe(seedInput.value);
    expect(String(sent)).not.toBe(shown);
    await screen.findByTestId('edit-result');

    // Kept: the same seed goes out again.
    await fireEvent.click(lock);
    await fireEvent.click(generateButton());
    await waitFor(() => expect(backend.callsOf('edits.run')).toHaveLength(2));
    expect(backend.callsOf('edits.run')[1]!.seed).toBe(sent);
  });

  it('a finished edit shows the result beside the original, refreshes the history, and "use again" refills the form', async () => {
    let stored: Edit[] = [edit(3, 7, { prompt: 'older one', seed: 777, mode: 'canny', steps: 12, canny_low: 50, canny_high: 150 })];
    const done = edit(4, 7, { prompt: 'blue', seed: 99, steps: 6, strength: 0.5 });
    const { backend, app } = mountEdit({
      'edits.list': () => stored,
      'edits.run': () => {
        stored = [done, ...stored];
        return { cancelled: false, edit: done };
      },
    });
    await ready();
    await waitFor(() => expect(screen.getAllByTestId('edit-history-item')).toHaveLength(1));
    await type('edit-prompt', 'blue');
    await fireEvent.click(generateButton());

    const result = await screen.findByTestId('edit-result');
    expect(result.dataset.editId).toBe('4');
    expect(result.dataset.outputPhotoId).toBe('104');
    expect(within(result).getByTestId('edit-original').getAttribute('src')).toBe('/media/preview/7?token=t');
    expect(within(result).getByTestId('edit-result-image').getAttribute('src')).toBe('/media/photo/104?token=t');
    expect(result.textContent).toContain('seed 99');
    await waitFor(() => expect(screen.getAllByTestId('edit-history-item').map((item) => item.dataset.editId)).toEqual(['4', '3']));
    expect(backend.callsOf('edits.list')).toHaveLength(2);
    expect(screen.getAllByTestId('edit-history-item')[1]!.textContent).toContain('older one');

    // Use again from the history: every parameter back, the seed kept.
    await fireEvent.click(within(screen.getAllByTestId('edit-history-item')[1]!).getByTestId('edit-history-use-again'));
    await waitFor(() => expect(modeInput('canny').checked).toBe(true));
    expect(field<HTMLTextAreaElement>('edit-prompt').value).toBe('older one');
    expect(field('edit-seed').value).toBe('777');
    expect(field('edit-seed-lock').checked).toBe(true);
    expect([field('edit-steps').value, field('edit-low').value, field('edit-high').value]).toEqual(['12', '50', '150']);

    // …and from the result.
    await fireEvent.click(screen.getByTestId('edit-use-again'));
    await waitFor(() => expect(modeInput('img2img').checked).toBe(true));
    expect(field('edit-seed').value).toBe('99');
    expect(field('edit-strength').value).toBe('0.5');

    // Open: the result in the viewer, its original one step away.
    await fireEvent.click(screen.getByTestId('edit-open'));
    expect(Array.from(app.viewer!.ids)).toEqual([104, 7]);
  });

  it('says when the result was saved but not read into the library yet', async () => {
    mountEdit({ 'edits.run': ({ photoId }) => ({ cancelled: false, edit: edit(5, photoId!, {}, null) }) });
    await ready();
    await type('edit-prompt', 'x');
    await fireEvent.click(generateButton());
    const result = await screen.findByTestId('edit-result');
    expect(result.dataset.outputPhotoId).toBe('');
    expect(within(result).getByTestId('edit-not-read')).toBeTruthy();
    expect(screen.queryByTestId('edit-open')).toBeNull();
  });

  it('canny shows the edge map for the thresholds, asked again (debounced) when they change', async () => {
    const { backend } = mountEdit();
    await ready();
    await fireEvent.click(modeInput('canny'));
    const edges = await screen.findByTestId('edit-edges');
    expect(edges.getAttribute('src')).toBe('data:image/png;base64,EDGES100-200');
    expect(backend.callsOf('edits.edges')).toEqual([{ photoId: 7, width: 512, height: 384, low: 100, high: 200 }]);

    await type('edit-low', '6');
    await type('edit-low', '60');
    await type('edit-high', '120');
    await waitFor(() => expect(field('edit-edges').getAttribute('src')).toBe('data:image/png;base64,EDGES60-120'));
    expect(backend.callsOf('edits.edges')).toHaveLength(2);

    await type('edit-prompt', 'pencil sketch');
    await fireEvent.click(generateButton());
    expect(backend.callsOf('edits.run')[0]).toMatchObject({ mode: 'canny', low: 60, high: 120, conditioningScale: 1 });
  });

  it('a new image from the prompt sends no photo', async () => {
    const { backend } = mountEdit({ 'edits.run': () => new Promise(() => {}) });
    await ready();
    await fireEvent.click(modeInput('txt2img'));
    await waitFor(() => expect(field('edit-width').value).toBe('512'));
    expect(field('edit-height').value).toBe('512');
    await type('edit-prompt', 'a red kite');
    await fireEvent.click(generateButton());
    expect(backend.callsOf('edits.run')[0]).not.toHaveProperty('photoId');
  });

  it('an error is shown as an alert and keeps everything typed', async () => {
    let fail = true;
    const { backend } = mountEdit({
      'edits.run': ({ photoId }) =>
        fail ? Promise.reject(Object.assign(new Error('edits.run: width: must be a multiple of 8'), { code: 'usage' })) : { cancelled: false, edit: edit(6, photoId!) },
    });
    await ready();
    await type('edit-prompt', 'turn it into a watercolour');
    await type('edit-negative', 'blurry');
    await fireEvent.click(generateButton());
    const alert = await screen.findByTestId('edit-error');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('must be a multiple of 8');
    expect(field<HTMLTextAreaElement>('edit-prompt').value).toBe('turn it into a watercolour');
    expect(field<HTMLTextAreaElement>('edit-negative').value).toBe('blurry');
    expect(generateButton().dataset.state).toBe('generate');

    fail = false;
    await fireEvent.click(generateButton());
    await screen.findByTestId('edit-result');
    expect(backend.callsOf('edits.run')[1]).toMatchObject({ prompt: 'turn it into a watercolour', negative: 'blurry' });
    expect(screen.queryByTestId('edit-error')).toBeNull();
  });

  it('another photo: the running edit goes on, its result shows only on its own photo; options and history reload', async () => {
    const pending = deferred<RunResult>();
    const { backend, showPhoto } = mountEdit({
      'edits.options': ({ photoId }) => options({}, photoId === 8 ? { width: 384, height: 512 } : { width: 512, height: 384 }),
      'edits.list': ({ photoId }) => (photoId === 8 ? [edit(20, 8, { prompt: 'photo eight' })] : []),
      'edits.run': () => pending.promise,
    });
    await ready();
    await type('edit-prompt', 'snow');
    await fireEvent.click(generateButton());
    const { editId } = backend.callsOf('edits.run')[0]!;
    backend.emit('edit.preview', { editId, step: 1, steps: 4, image: 'data:image/png;base64,SEVEN' });
    await screen.findByTestId('edit-preview');

    await showPhoto(8);
    expect(backend.callsOf('streams.cancel')).toEqual([]);
    await waitFor(() => expect(backend.callsOf('edits.options').at(-1)).toEqual({ photoId: 8 }));
    await waitFor(() => expect(screen.getAllByTestId('edit-history-item').map((item) => item.dataset.editId)).toEqual(['20']));
    // The new photo's shape, what was typed kept.
    await waitFor(() => expect([field('edit-width').value, field('edit-height').value]).toEqual(['384', '512']));
    expect(field<HTMLTextAreaElement>('edit-prompt').value).toBe('snow');
    // Still running (for photo 7): progress, no preview of another photo's image, no second run.
    expect(field('edit-progress')).toBeTruthy();
    expect(screen.queryByTestId('edit-preview')).toBeNull();
    expect(generateButton().dataset.state).toBe('running');

    pending.resolve({ cancelled: false, edit: edit(9, 7, { prompt: 'snow' }) });
    await waitFor(() => expect(generateButton().dataset.state).toBe('generate'));
    expect(screen.queryByTestId('edit-result')).toBeNull();

    await showPhoto(7);
    const result = await screen.findByTestId('edit-result');
    expect(result.dataset.editId).toBe('9');
  });

  it('shows prompts as text, never as HTML', async () => {
    mountEdit({ 'edits.list': () => [edit(1, 7, { prompt: '<img src=x onerror=alert(1)>' })] });
    const item = await screen.findByTestId('edit-history-item');
    expect(item.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(item.querySelector('img[src="x"]')).toBeNull();
  });
});
