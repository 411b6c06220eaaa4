import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import ExportDialog from './ExportDialog.svelte';

async function mount(handlers: Handlers, mode: 'desktop' | 'browser') {
  const backend = fakeBackend({ 'app.capabilities': () => ({ mode, nativeFolderDialog: mode === 'desktop', openExternal: mode === 'desktop', storesSecrets: false }), ...handlers }, mode);
  const app = new AppStore(backend.transport);
  await app.reload();
  const onclose = vi.fn();
  render(Harness, { props: { app, component: ExportDialog, props: { photoIds: [3, 5, 8], onclose } } });
  return { backend, app, onclose };
}

describe('the export dialog', () => {
  it('desktop: JPEG at a long edge and quality goes to photos.export (the main process asks for the folder); says what was written and what failed', async () => {
    const { backend } = await mount(
      { 'photos.export': () => ({ folder: '/home/me/Out', written: ['/home/me/Out/a.jpg', '/home/me/Out/b.jpg'], failed: [{ photoId: 8, error: 'no file of this photo is on disk now' }] }) },
      'desktop',
    );
    const dialog = screen.getByTestId('export-dialog');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.textContent).toContain('copied, never moved');
    expect(screen.queryByTestId('export-folder')).toBeNull();
    await fireEvent.click(screen.getByTestId('export-as-jpeg'));
    await fireEvent.change(screen.getByTestId('export-edge'), { target: { value: '1024' } });
    await fireEvent.input(screen.getByTestId('export-quality'), { target: { value: '80' } });
    await fireEvent.click(screen.getByTestId('export-go'));
    await waitFor(() => expect(backend.callsOf('photos.export')).toEqual([{ photoIds: [3, 5, 8], as: 'jpeg', quality: 80, maxEdge: 1024 }]));
    expect(backend.callsOf('photos.exportTo')).toEqual([]);
    const result = await screen.findByTestId('export-result');
    expect(result.dataset.written).toBe('2');
    expect(result.textContent).toContain('Exported 2 photos to /home/me/Out');
    expect(screen.getByTestId('export-failures').textContent).toContain('Photo 8');
  });

  it('desktop: a cancelled folder dialog (null) says nothing was exported', async () => {
    const { backend } = await mount({ 'photos.export': () => null }, 'desktop');
    await fireEvent.click(screen.getByTestId('export-go'));
    expect(await screen.findByTestId('export-cancelled')).toBeTruthy();
    expect(backend.callsOf('photos.export')).toEqual([{ photoIds: [3, 5, 8], as: 'original' }]);
    expect(screen.queryByTestId('export-result')).toBeNull();
  });

  it('browser: originals go to the typed folder with photos.exportTo; full size JPEG has no maxEdge', async () => {
    const { backend } = await mount({ 'photos.exportTo': ({ folder, photoIds }) => ({ folder, written: photoIds.map((id) => `${folder}/${id}.jpg`), failed: [] }) }, 'browser');
    // Nothing typed yet: asks for a folder, calls nothing.
    await fireEvent.click(screen.getByTestId('export-go'));
    expect(await screen.findByTestId('export-error')).toBeTruthy();
    expect(backend.callsOf('photos.exportTo')).toEqual([]);
    await fireEvent.input(screen.getByTestId('export-folder'), { target: { value: ' /srv/out ' } });
    await fireEvent.click(screen.getByTestId('export-go'));
    await waitFor(() => expect(backend.callsOf('photos.exportTo')).toEqual([{ photoIds: [3, 5, 8], folder: '/srv/out', as: 'original' }]));
    expect((await screen.findByTestId('export-result')).dataset.written).toBe('3');
    await fireEvent.click(screen.getByTestId('export-as-jpeg'));
    await fireEvent.change(screen.getByTestId('export-edge'), { target: { value: 'full' } });
    await fireEvent.click(screen.getByTestId('export-go'));
    await waitFor(() => expect(backend.callsOf('photos.exportTo').at(-1)).toEqual({ photoIds: [3, 5, 8], folder: '/srv/out', as: 'jpeg', quality: 90 }));
    expect(backend.callsOf('photos.export')).toEqual([]);
  });

  it('Esc closes it; Tab stays inside', async () => {
    const { onclose } = await mount({}, 'browser');
    const dialog = screen.getByTestId('export-dialog');
    // Focus starts on the chosen format.
    expect(document.activeElement).toBe(screen.getByTestId('export-as-original'));
    screen.getByTestId('export-go').focus();
    await fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByTestId('export-x'));
    await fireEvent.keyDown(dialog, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(screen.getByTestId('export-go'));
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(onclose).toHaveBeenCalledOnce();
  });
});
