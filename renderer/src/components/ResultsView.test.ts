import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { setLanguage } from '../lib/prefs.svelte.js';
import type { CallArgs, CallResult } from '../lib/types.js';
import { fakeBackend, folder, libraryStatus, timeline, type Handlers } from '../test/fake-api.js';

/**
 * The results view over the engine's relevance cut: the matches first, the ranked rest on demand
 * ("show more, less alike"), "nothing stands out" with the closest on demand, and the notice for a
 * query in a language the search model does not read. The whole app on a fake backend.
 */

const library: Handlers = {
  'library.status': () => libraryStatus({ folders: 1, total: 30 }),
  'folders.list': () => [folder(1, '/home/me/Pictures')],
  'photos.timeline': () => timeline(30),
};

function answer(ids: number[], relevant: number, notice: CallResult<'search.text'>['notice'] = null): CallResult<'search.text'> {
  return {
    model: 'clip-vit-b32',
    results: ids.map((id, rank) => ({ id, score: 0.3 - rank / 1000 })),
    relevant,
    cutoff: { threshold: relevant > 0 ? 0.25 : null, centre: 0.18, spread: 0.02, sampled: 30 },
    notice,
    timings: { encode_ms: 3, search_ms: 1 },
  };
}

async function searchFor(query: string, handlers: Handlers) {
  const backend = fakeBackend({ ...library, ...handlers });
  render(App, { props: { transport: backend.transport, searchDelayMs: 5 } });
  await screen.findAllByTestId('grid-cell');
  await fireEvent.input(screen.getByTestId('search-input'), { target: { value: query } });
  return backend;
}

const shownIds = () => screen.queryAllByTestId('result-cell').map((cell) => Number(cell.dataset.photoId));

describe('search results and the relevance cut', () => {
  it('shows only the matches, says how many were cut, and shows the rest ranked on demand', async () => {
    await searchFor('red', { 'search.text': () => answer([5, 9, 2, 7, 1, 3], 2) });
    await waitFor(() => expect(shownIds()).toEqual([5, 9]));
    expect(document.querySelector('.results-view h2')?.textContent).toContain('2 results');
    expect(screen.getByTestId('results-cut').textContent).toBe('4 less alike hidden');
    const more = screen.getByTestId('show-more');
    expect(more.textContent).toContain('Show 4 more, less alike');
    await fireEvent.click(more);
    await waitFor(() => expect(shownIds()).toEqual([5, 9, 2, 7, 1, 3]));
    expect(screen.getByTestId('less-alike')).toBeTruthy();
    expect(document.querySelector('.results-view h2')?.textContent).toContain('2 results');
    expect(screen.queryByTestId('show-more')).toBeNull();
    expect(screen.queryByTestId('results-cut')).toBeNull();
  });

  it('a new answer starts cut again', async () => {
    await searchFor('red', { 'search.text': ({ query }) => (query === 'red' ? answer([5, 9, 2], 1) : answer([4, 6, 8], 2)) });
    await waitFor(() => expect(shownIds()).toEqual([5]));
    await fireEvent.click(screen.getByTestId('show-more'));
    await waitFor(() => expect(shownIds()).toEqual([5, 9, 2]));
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'blue' } });
    await waitFor(() => expect(shownIds()).toEqual([4, 6]));
  });

  it('says when nothing stands out, and shows the closest on request', async () => {
    await searchFor('waterfall', { 'search.text': () => answer([3, 1, 2], 0) });
    const empty = await screen.findByTestId('empty-state');
    expect(empty.dataset.kind).toBe('nothing-stands-out');
    expect(shownIds()).toEqual([]);
    await fireEvent.click(screen.getByTestId('show-closest'));
    await waitFor(() => expect(shownIds()).toEqual([3, 1, 2]));
  });

  it('says a Chinese query is not understood by the English model and leads to the Chinese one in Settings › Models', async () => {
    const notice = { kind: 'language' as const, language: 'zh' as const, model: 'clip-vit-b32', suggestion: { id: 'chinese-clip-vit-b16', title: 'Chinese-CLIP ViT-B/16', installed: false } };
    await searchFor('红色', { 'search.text': () => answer([3, 1, 2], 0, notice) });
    const shown = await screen.findByTestId('language-notice');
    expect(shown.textContent).toContain('The search model (clip-vit-b32) does not read Chinese: this search is ranked without being understood');
    expect(shown.textContent).toContain('Chinese-CLIP ViT-B/16');
    const button = screen.getByTestId('language-model');
    expect(button.textContent).toContain('Get the Chinese model');
    await fireEvent.click(button);
    await waitFor(() => expect(screen.getByTestId('settings-models')).toBeTruthy());
  });

  it('shows the notice in Chinese too', async () => {
    setLanguage('zh-CN');
    try {
      const notice = { kind: 'language' as const, language: 'zh' as const, model: 'clip-vit-b32', suggestion: { id: 'chinese-clip-vit-b16', title: 'Chinese-CLIP', installed: true } };
      await searchFor('红色', { 'search.text': () => answer([3, 1, 2], 1, notice) });
      const shown = await screen.findByTestId('language-notice');
      expect(shown.textContent).toContain('不懂中文');
      expect(screen.getByTestId('language-model').textContent).toContain('使用中文模型');
      expect(screen.getByTestId('show-more').textContent).toContain('再显示 2 张');
    } finally {
      setLanguage('en');
    }
  });
});

describe('filters while browsing', () => {
  it('ticking PNG with an empty search box narrows the grid (photos.timeline with the filters), reset widens it', async () => {
    const backend = fakeBackend({ ...library, 'photos.timeline': (args) => timeline(args.filters ? 4 : 30) });
    render(App, { props: { transport: backend.transport, searchDelayMs: 5 } });
    await waitFor(() => expect(screen.getAllByTestId('grid-cell').length).toBe(30));
    await fireEvent.click(screen.getByTestId('filters-toggle'));
    await fireEvent.click(screen.getByTestId('filter-format-png'));
    await waitFor(() => expect(backend.callsOf('photos.timeline').at(-1)).toEqual({ filters: { formats: ['png'] } }));
    await waitFor(() => expect(screen.getAllByTestId('grid-cell').length).toBe(4));
    expect(backend.callsOf('search.text')).toEqual([]);
    const filtered = screen.getByTestId('library-filtered');
    expect(filtered.textContent).toContain('Filtered');
    await fireEvent.click(within(filtered).getByRole('button', { name: 'Reset filters' }));
    await waitFor(() => expect(screen.getAllByTestId('grid-cell').length).toBe(30));
    expect(backend.callsOf('photos.timeline').at(-1)).toEqual({});
  });
});

describe('why a result matched', () => {
  it('says what besides its looks made a photo a match (file name, folder, camera, caption), and nothing for looks alone', async () => {
    const results = [
      { id: 4, score: 0.03, why: [{ signal: 'file name' as const, text: 'IMG_0042-paris.jpg' }] },
      { id: 7, score: 0.02, why: [{ signal: 'clip' as const }, { signal: 'folder' as const, text: 'Holidays 2019' }] },
      { id: 9, score: 0.01, why: [{ signal: 'clip' as const }] },
    ];
    await searchFor('paris', { 'search.text': () => ({ ...answer([4, 7, 9], 3), results }) });
    await waitFor(() => expect(shownIds()).toEqual([4, 7, 9]));
    const cells = screen.getAllByTestId('result-cell');
    expect(within(cells[0]!).getByTestId('result-why').textContent).toBe('file name: IMG_0042-paris.jpg');
    expect(within(cells[1]!).getByTestId('result-why').textContent).toBe('folder: Holidays 2019');
    expect(cells[1]!.getAttribute('title')).toBe('folder: Holidays 2019');
    expect(within(cells[2]!).queryByTestId('result-why')).toBeNull();
  });
});

describe('filter chips taken from the query', () => {
  type Args = CallArgs<'search.text'>;
  type Chip = NonNullable<CallResult<'search.text'>['chips']>[number];
  const year: Chip = { kind: 'date', label: '2019', after: '2019-01-01', before: '2020-01-01' };
  const paris: Chip = { kind: 'place', label: 'Paris', value: 'Paris', words: 'in Paris' };
  /** The engine's chips for a query: the words not kept literal and not already a filter. */
  const chipsFor = (args: Args): Chip[] =>
    [year, paris].filter((chip) => args.query.includes(chip.label) && !args.literal?.includes(chip.label));

  it('shows each chip; its ✕ searches its words as words, and the others stay', async () => {
    const backend = await searchFor('beach in Paris 2019', { 'search.text': (args) => ({ ...answer([3, 4], 2), chips: chipsFor(args) }) });
    await waitFor(() => expect(screen.getAllByTestId('query-chip')).toHaveLength(2));
    expect(screen.getAllByTestId('query-chip-edit').map((chip) => chip.textContent?.trim())).toEqual(['Taken: 2019', 'Place: Paris']);
    await fireEvent.click(screen.getAllByTestId('query-chip-remove')[0]!);
    await waitFor(() => expect(screen.getAllByTestId('query-chip')).toHaveLength(1));
    expect(backend.callsOf('search.text').at(-1)).toMatchObject({ query: 'beach in Paris 2019', literal: ['2019'] });
    expect(screen.getByTestId('query-chip').dataset.kind).toBe('place');
    // A new query reads its chips again.
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'dunes in Paris 2019' } });
    await waitFor(() => expect(screen.getAllByTestId('query-chip')).toHaveLength(2));
    expect(backend.callsOf('search.text').at(-1)).not.toHaveProperty('literal');
  });

  it('a chip clicked moves into the filters, where it can be edited: its words leave the query', async () => {
    const backend = await searchFor('beach in Paris 2019', {
      'search.text': (args) => ({ ...answer([3, 4], 2), chips: chipsFor(args) }),
      'library.facets': () => ({ cameras: [{ name: 'Apple iPhone 12 Pro', count: 3 }], places: [{ name: 'France', count: 5, kind: 'country' }, { name: 'Paris', count: 2, kind: 'area' }], people: [], keywords: [] }),
    });
    await waitFor(() => expect(screen.getAllByTestId('query-chip')).toHaveLength(2));
    await fireEvent.click(screen.getAllByTestId('query-chip-edit')[1]!);
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toMatchObject({ query: 'beach 2019', place: 'Paris' }));
    expect((screen.getByTestId('search-input') as HTMLInputElement).value).toBe('beach 2019');
    await fireEvent.click(screen.getAllByTestId('query-chip-edit')[0]!);
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toMatchObject({ query: 'beach', place: 'Paris', after: '2019-01-01', before: '2020-01-01' }));
    expect(screen.queryAllByTestId('query-chip')).toHaveLength(0);
    // The filter bar shows them, and a place can be changed there.
    await fireEvent.click(screen.getByTestId('filters-toggle'));
    const place = screen.getByTestId('filter-place') as HTMLSelectElement;
    await waitFor(() => expect([...place.options].map((option) => option.textContent)).toEqual(['Anywhere', 'France (5)', 'Paris (2)']));
    expect(place.value).toBe('Paris');
    expect((screen.getByTestId('filter-after') as HTMLInputElement).value).toBe('2019-01-01');
    await fireEvent.change(place, { target: { value: 'France' } });
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toMatchObject({ query: 'beach', place: 'France' }));
    const camera = screen.getByTestId('filter-camera') as HTMLSelectElement;
    await fireEvent.change(camera, { target: { value: 'Apple iPhone 12 Pro' } });
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toMatchObject({ camera: 'Apple iPhone 12 Pro', place: 'France' }));
  });
});

describe('search results from the keyboard and for a screen reader', () => {
  /** Lays the result cells out as a 3-column grid would draw them (jsdom draws nothing). */
  function drawThreeAcross() {
    screen.getAllByTestId('result-cell').forEach((cell, i) => {
      cell.getBoundingClientRect = () => ({ top: Math.floor(i / 3) * 170, left: (i % 3) * 170, width: 160, height: 160 }) as DOMRect;
    });
  }

  it('moves between results with the arrow keys, Home and End, holding one tab stop', async () => {
    await searchFor('red', { 'search.text': () => answer([5, 9, 2, 7, 1, 3], 6) });
    await waitFor(() => expect(shownIds()).toEqual([5, 9, 2, 7, 1, 3]));
    drawThreeAcross();
    const cells = screen.getAllByTestId('result-cell');
    const focused = () => cells.indexOf(document.activeElement as HTMLElement);
    expect(cells.map((cell) => cell.tabIndex)).toEqual([0, -1, -1, -1, -1, -1]);
    cells[0]!.focus();
    await fireEvent.keyDown(cells[0]!, { key: 'ArrowRight' });
    expect(focused()).toBe(1);
    expect(cells.map((cell) => cell.tabIndex)).toEqual([-1, 0, -1, -1, -1, -1]);
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    expect(focused()).toBe(4);
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    expect(focused()).toBe(4); // no row below
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(focused()).toBe(1);
    await fireEvent.keyDown(document.activeElement!, { key: 'End' });
    expect(focused()).toBe(5);
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' });
    expect(focused()).toBe(4);
    await fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    expect(focused()).toBe(0);
  });

  it('calls each result by its caption, else its file name, not "Search result N"', async () => {
    const labelled = answer([5, 9, 2], 3);
    labelled.results = [
      { ...labelled.results[0]!, name: 'IMG_0005.jpg', caption: 'A red kite over the dunes' },
      { ...labelled.results[1]!, name: 'IMG_0009.jpg' },
      labelled.results[2]!, // an engine that sends neither
    ] as CallResult<'search.text'>['results'];
    await searchFor('red', { 'search.text': () => labelled });
    await waitFor(() => expect(shownIds()).toEqual([5, 9, 2]));
    // On the button itself: a thumbnail not loaded yet has no <img> to carry an alt.
    const names = screen.getAllByTestId('result-cell').map((cell) => cell.getAttribute('aria-label'));
    expect(names).toEqual(['A red kite over the dunes', 'IMG_0009.jpg', 'Search result 3']);
  });
});
