import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { cell, mountLibrary, press, selectedIds, sorted } from '../test/organise-fixtures.js';

/**
 * Selecting photos in the library grid and acting on them from the selection bar: every action
 * calls the engine with exactly the selected photos, then the grid is read again.
 */

const bar = () => screen.getByTestId('selection-bar');

describe('selecting in the library grid', () => {
  it('Ctrl-click picks photos, Shift-click adds the range from the last one clicked; selected cells say so and show a check', async () => {
    await mountLibrary();
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    await fireEvent.click(cell(30), { ctrlKey: true });
    await fireEvent.click(cell(28), { metaKey: true });
    await fireEvent.click(cell(25), { shiftKey: true });
    expect(selectedIds()).toEqual([25, 26, 27, 28, 30]);
    expect(within(bar()).getByTestId('selection-count').textContent).toBe('5 selected');
    expect(within(cell(26)).getByTestId('cell-check')).toBeTruthy();
    expect(within(cell(29)).queryByTestId('cell-check')).toBeNull();
    expect(cell(29).getAttribute('aria-selected')).toBe('false');
    // With photos selected a plain click toggles rather than opening the viewer.
    await fireEvent.click(cell(26));
    expect(selectedIds()).toEqual([25, 27, 28, 30]);
    expect(screen.queryByTestId('viewer')).toBeNull();
    await fireEvent.click(screen.getByTestId('selection-done'));
    expect(selectedIds()).toEqual([]);
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    // Nothing selected: a click opens the viewer, as before.
    await fireEvent.click(cell(29));
    await screen.findByTestId('viewer');
  });

  it('from the keyboard: Space toggles, Shift+arrows extend, Ctrl-A selects all, Esc clears, Enter still opens', async () => {
    await mountLibrary();
    cell(30).focus();
    await press(' ');
    expect(selectedIds()).toEqual([30]);
    await press('ArrowRight', { shiftKey: true });
    await waitFor(() => expect(document.activeElement?.getAttribute('data-photo-id')).toBe('29'));
    await press('ArrowRight', { shiftKey: true });
    await waitFor(() => expect(selectedIds()).toEqual([28, 29, 30]));
    await press('a', { ctrlKey: true });
    expect(within(bar()).getByTestId('selection-count').textContent).toBe('30 selected');
    await press('Escape');
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    await press('Enter');
    await screen.findByTestId('viewer');
  });

  it('0–5, F and X mark the selection, or the focused photo when nothing is selected', async () => {
    const backend = await mountLibrary();
    await fireEvent.click(cell(30), { ctrlKey: true });
    await fireEvent.click(cell(29), { ctrlKey: true });
    await press('3');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [30, 29], rating: 3 }));
    await press('Escape');
    cell(27).focus();
    await press('f');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [27], favourite: true }));
    await waitFor(() => expect(within(cell(27)).getByTestId('cell-badges').dataset.favourite).toBe('true'));
    // F again takes the heart away; X rejects and dims the photo.
    await press('F');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [27], favourite: false }));
    await press('x');
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [27], rejected: true }));
    await waitFor(() => expect(within(cell(27)).getByTestId('cell-rejected')).toBeTruthy());
  });
});

describe('the selection bar', () => {
  async function selectThree() {
    const backend = await mountLibrary();
    await fireEvent.click(cell(30), { ctrlKey: true });
    await fireEvent.click(cell(29), { ctrlKey: true });
    await fireEvent.click(cell(28), { ctrlKey: true });
    return backend;
  }

  it('stars, heart, reject and colour label go to photos.mark with the selected photos, and the grid is read again', async () => {
    const backend = await selectThree();
    const timelines = backend.callsOf('photos.timeline').length;
    await fireEvent.click(within(bar()).getByTestId('selection-stars-5'));
    await waitFor(() => expect(backend.callsOf('photos.mark')).toEqual([{ photoIds: [30, 29, 28], rating: 5 }]));
    await waitFor(() => expect(backend.callsOf('photos.timeline').length).toBe(timelines + 1));
    await waitFor(() => expect(within(cell(28)).getByTestId('cell-badges').dataset.rating).toBe('5'));
    expect(within(bar()).getByTestId('selection-stars-5').getAttribute('aria-pressed')).toBe('true');
    await fireEvent.click(within(bar()).getByTestId('selection-favourite'));
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [30, 29, 28], favourite: true }));
    await waitFor(() => expect(within(bar()).getByTestId('selection-favourite').getAttribute('aria-pressed')).toBe('true'));
    await fireEvent.click(within(bar()).getByTestId('selection-reject'));
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [30, 29, 28], rejected: true }));
    await fireEvent.click(within(bar()).getByTestId('selection-label'));
    await fireEvent.click(await screen.findByTestId('menu-label-green'));
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [30, 29, 28], label: 'green' }));
    await fireEvent.click(within(bar()).getByTestId('selection-stars-0'));
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [30, 29, 28], rating: 0 }));
  });

  it('adds the photos to an album from the menu, or to a new album by name', async () => {
    const backend = await selectThree();
    await fireEvent.click(within(bar()).getByTestId('selection-album'));
    await fireEvent.click(await screen.findByTestId('menu-album-3'));
    await waitFor(() => expect(backend.callsOf('albums.add')).toEqual([{ id: 3, photoIds: [30, 29, 28] }]));
    await screen.findByText('Added 3 photos to “Holidays”.');
    await fireEvent.click(within(bar()).getByTestId('selection-album'));
    await fireEvent.click(await screen.findByTestId('menu-album-new'));
    await fireEvent.input(screen.getByTestId('new-album-dialog-input'), { target: { value: 'Best of 2024' } });
    await fireEvent.click(screen.getByTestId('new-album-dialog-ok'));
    await waitFor(() => expect(backend.callsOf('albums.create')).toEqual([{ name: 'Best of 2024', photoIds: [30, 29, 28] }]));
  });

  it('adds keywords (split at commas), writes sidecars and says what came of it', async () => {
    const backend = await selectThree();
    await fireEvent.click(within(bar()).getByTestId('selection-keywords'));
    await fireEvent.input(screen.getByTestId('keywords-dialog-input'), { target: { value: 'beach, Paris,  ' } });
    await fireEvent.click(screen.getByTestId('keywords-dialog-ok'));
    await waitFor(() => expect(backend.callsOf('photos.keywords')).toEqual([{ photoIds: [30, 29, 28], add: ['beach', 'Paris'] }]));
    await fireEvent.click(within(bar()).getByTestId('selection-sidecars'));
    await waitFor(() => expect(backend.callsOf('photos.writeSidecars')).toEqual([{ photoIds: [30, 29, 28] }]));
    await screen.findByText('XMP sidecars: 1 created, 2 updated, 0 already up to date.');
  });

  it('says that hiding never touches the files, asks first, then hides the selected photos', async () => {
    const backend = await selectThree();
    expect(within(bar()).getByTestId('selection-hide').getAttribute('title')).toContain('Files are never touched');
    await fireEvent.click(within(bar()).getByTestId('selection-hide'));
    const dialog = await screen.findByTestId('confirm-dialog');
    expect(dialog.textContent).toContain('Hide 3 photos?');
    expect(dialog.textContent).toContain('untouched');
    expect(backend.callsOf('photos.hide')).toEqual([]);
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(backend.callsOf('photos.hide')).toEqual([{ photoIds: [30, 29, 28], hidden: true }]));
    expect(screen.queryByTestId('selection-bar')).toBeNull();
  });

  it('opens the export dialog for the selected photos', async () => {
    await selectThree();
    await fireEvent.click(within(bar()).getByTestId('selection-export'));
    const dialog = await screen.findByTestId('export-dialog');
    expect(dialog.textContent).toContain('Export 3 photos');
  });

  it('offers Show in folder for one photo on the desktop only', async () => {
    const backend = await mountLibrary({ 'app.capabilities': () => ({ mode: 'desktop', nativeFolderDialog: true, openExternal: true, storesSecrets: true }) }, 'desktop');
    await fireEvent.click(cell(30), { ctrlKey: true });
    await fireEvent.click(within(bar()).getByTestId('selection-show-in-folder'));
    await waitFor(() => expect(backend.callsOf('photos.showInFolder')).toEqual([{ id: 30 }]));
    await fireEvent.click(cell(29), { ctrlKey: true });
    expect(within(bar()).queryByTestId('selection-show-in-folder')).toBeNull();
  });

  it('offers no Show in folder in browser mode', async () => {
    await mountLibrary();
    await fireEvent.click(cell(30), { ctrlKey: true });
    expect(sorted(selectedIds())).toEqual([30]);
    expect(within(bar()).queryByTestId('selection-show-in-folder')).toBeNull();
  });
});

describe('selecting elsewhere: search results and the small grids (people, places, albums)', () => {
  it('search results select the same way, and the search runs again after a change so it stays true', async () => {
    const results = [5, 9, 2, 7];
    const backend = await mountLibrary({
      'search.text': () => ({ model: 'clip-vit-b32', results: results.map((id, rank) => ({ id, score: 0.3 - rank / 100 })), relevant: 4, cutoff: null, notice: null, timings: { encode_ms: 1, search_ms: 1 } }),
    });
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'red' } });
    await waitFor(() => expect(screen.getAllByTestId('result-cell')).toHaveLength(4));
    const result = (id: number) => screen.getAllByTestId('result-cell').find((element) => element.dataset.photoId === String(id))!;
    await fireEvent.click(result(5), { ctrlKey: true });
    await fireEvent.click(result(2), { shiftKey: true });
    const selected = () => screen.getAllByTestId('result-cell').filter((element) => element.getAttribute('aria-selected') === 'true').map((element) => Number(element.dataset.photoId));
    expect(selected()).toEqual([5, 9, 2]);
    const searches = backend.callsOf('search.text').length;
    await fireEvent.click(within(bar()).getByTestId('selection-stars-4'));
    await waitFor(() => expect(backend.callsOf('photos.mark')).toEqual([{ photoIds: [5, 9, 2], rating: 4 }]));
    await waitFor(() => expect(backend.callsOf('search.text').length).toBe(searches + 1));
    result(7).focus();
    await press('a', { ctrlKey: true });
    expect(selected()).toEqual([5, 9, 2, 7]);
    // A new search is another view: nothing it shows was selected there.
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: '' } });
    await waitFor(() => expect(screen.queryByTestId('selection-bar')).toBeNull());
  });
});
