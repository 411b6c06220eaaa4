import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { fakeBackend, photoDetail, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import { album, organiseLibrary, press } from '../test/organise-fixtures.js';
import Viewer from './Viewer.svelte';

/** The viewer's marks: keys 0–5, F and X on the photo shown, and the Info tab's heart, stars, albums and keywords. */

function mountViewer(handlers: Handlers = {}) {
  const backend = fakeBackend({
    ...organiseLibrary,
    ...handlers,
    'photos.get': ({ id }) => ({
      ...photoDetail(id),
      marks: { favourite: false, rating: 2, rejected: false, label: 'blue', hidden: false },
      keywords: [{ keyword: 'beach', hierarchy: 'Places|Beach' }],
      albums: [{ id: 3, name: 'Holidays' }],
    }),
  });
  const app = new AppStore(backend.transport);
  render(Harness, { props: { app, component: Viewer, props: { ids: [7, 8], index: 0 } } });
  return { backend };
}

describe('marks in the viewer', () => {
  it('0–5 set the stars of the photo shown, F toggles its heart, X rejects it; the panel shows each change', async () => {
    const { backend } = mountViewer();
    const stars = await screen.findByTestId('viewer-stars');
    expect(stars.dataset.rating).toBe('2');
    expect(screen.getByTestId('viewer-label-blue').getAttribute('aria-checked')).toBe('true');
    await press('5');
    await waitFor(() => expect(backend.callsOf('photos.mark')).toEqual([{ photoIds: [7], rating: 5 }]));
    await waitFor(() => expect(stars.dataset.rating).toBe('5'));
    await press('f');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [7], favourite: true }));
    await waitFor(() => expect(screen.getByTestId('viewer-favourite').getAttribute('aria-pressed')).toBe('true'));
    await press('f');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [7], favourite: false }));
    await press('x');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [7], rejected: true }));
    await press('0');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [7], rating: 0 }));
    // The panel's own controls call the same.
    await fireEvent.click(screen.getByTestId('viewer-stars-4'));
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [7], rating: 4 }));
    await fireEvent.click(screen.getByTestId('viewer-label-red'));
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [7], label: 'red' }));
  });

  it('a key typed into a field is text, not a mark', async () => {
    const { backend } = mountViewer();
    const input = await screen.findByTestId('viewer-keyword-input');
    input.focus();
    await press('5');
    expect(backend.callsOf('photos.mark')).toEqual([]);
  });

  it('shows the keywords, adds with Enter and removes with ✕ (photos.keywords)', async () => {
    const { backend } = mountViewer();
    const list = await screen.findByTestId('viewer-keywords');
    expect(within(list).getAllByTestId('viewer-keyword').map((item) => item.textContent?.trim())).toEqual(['beach']);
    const input = screen.getByTestId('viewer-keyword-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'sunset, Paris' } });
    await fireEvent.submit(input.form!);
    await waitFor(() => expect(backend.callsOf('photos.keywords')).toEqual([{ photoIds: [7], add: ['sunset', 'Paris'] }]));
    await waitFor(() => expect(within(list).getAllByTestId('viewer-keyword').map((item) => item.textContent?.trim())).toEqual(['beach', 'sunset', 'Paris']));
    expect(input.value).toBe('');
    await fireEvent.click(within(list).getAllByTestId('viewer-keyword-remove')[0]!);
    await waitFor(() => expect(backend.callsOf('photos.keywords').at(-1)).toEqual({ photoIds: [7], remove: ['beach'] }));
    await waitFor(() => expect(within(list).getAllByTestId('viewer-keyword')).toHaveLength(2));
  });

  it('lists the albums the photo is in, and adds it to another from the menu', async () => {
    const { backend } = mountViewer({ 'albums.list': () => [album(3, 'Holidays', 4), album(5, 'Family', 1)] });
    const albums = await screen.findByTestId('viewer-albums');
    expect(albums.textContent).toContain('Holidays');
    await fireEvent.click(screen.getByTestId('viewer-add-to-album'));
    const menu = await screen.findByTestId('viewer-album-menu');
    expect(within(menu).getByTestId('menu-album-3').getAttribute('aria-checked')).toBe('true');
    await fireEvent.click(within(menu).getByTestId('menu-album-5'));
    await waitFor(() => expect(backend.callsOf('albums.add')).toEqual([{ id: 5, photoIds: [7] }]));
    await waitFor(() => expect(albums.textContent).toContain('Family'));
  });
});
