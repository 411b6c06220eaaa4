import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import type { CallResult } from '../lib/types.js';
import { fakeBackend } from '../test/fake-api.js';
import { organiseLibrary } from '../test/organise-fixtures.js';

/** The filters for what a person marked (favourites, stars, colour label, keyword, rejected, hidden), their chips and why a keyword matched. */

function answer(ids: number[], extra: Partial<CallResult<'search.text'>> = {}): CallResult<'search.text'> {
  return { model: 'clip-vit-b32', results: ids.map((id, rank) => ({ id, score: 0.3 - rank / 1000 })), relevant: ids.length, cutoff: null, notice: null, timings: { encode_ms: 1, search_ms: 1 }, ...extra };
}

async function mountApp(handlers: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend({
    ...organiseLibrary,
    'library.facets': () => ({ cameras: [], places: [], people: [], keywords: [{ name: 'beach', count: 4 }, { name: 'family', count: 2 }] }),
    ...handlers,
  });
  render(App, { props: { transport: backend.transport, searchDelayMs: 5 } });
  await screen.findAllByTestId('grid-cell');
  return backend;
}

describe('filters for marks and keywords', () => {
  it('narrow the grid while browsing: favourites, stars, colour label, keyword, rejected, hidden', async () => {
    const backend = await mountApp();
    await fireEvent.click(screen.getByTestId('filters-toggle'));
    await fireEvent.click(screen.getByTestId('filter-favourite'));
    await waitFor(() => expect(backend.callsOf('photos.timeline').at(-1)).toEqual({ filters: { favourite: true } }));
    const stars = screen.getByTestId('filter-stars') as HTMLSelectElement;
    expect([...stars.options].map((option) => option.textContent)).toEqual(['Any', '1 star or more', '2 stars or more', '3 stars or more', '4 stars or more', '5 stars or more']);
    await fireEvent.change(stars, { target: { value: '4' } });
    await waitFor(() => expect(backend.callsOf('photos.timeline').at(-1)).toEqual({ filters: { favourite: true, minRating: 4 } }));
    await fireEvent.change(screen.getByTestId('filter-label'), { target: { value: 'red' } });
    const keyword = screen.getByTestId('filter-keyword') as HTMLSelectElement;
    await waitFor(() => expect([...keyword.options].map((option) => option.textContent)).toEqual(['Any keyword', 'beach (4)', 'family (2)']));
    await fireEvent.change(keyword, { target: { value: 'beach' } });
    await fireEvent.change(screen.getByTestId('filter-rejected'), { target: { value: 'hide' } });
    await waitFor(() => expect(backend.callsOf('photos.timeline').at(-1)).toEqual({ filters: { favourite: true, minRating: 4, label: 'red', keyword: 'beach', rejected: false } }));
    await fireEvent.change(screen.getByTestId('filter-rejected'), { target: { value: 'only' } });
    await waitFor(() => expect(backend.callsOf('photos.timeline').at(-1)).toMatchObject({ filters: { rejected: true } }));
    await fireEvent.click(screen.getByTestId('filter-hidden'));
    await waitFor(() => expect(backend.callsOf('photos.timeline').at(-1)).toMatchObject({ filters: { hidden: true } }));
    expect(screen.getByTestId('library-filtered')).toBeTruthy();
  });

  it('go with the query to search.text', async () => {
    const backend = await mountApp({ 'search.text': () => answer([3, 4]) });
    await fireEvent.click(screen.getByTestId('filters-toggle'));
    await fireEvent.click(screen.getByTestId('filter-favourite'));
    await fireEvent.change(screen.getByTestId('filter-stars'), { target: { value: '3' } });
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'beach' } });
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toMatchObject({ query: 'beach', favourite: true, minRating: 3 }));
  });

  it('shows the favourite and star chips of a query: ✕ searches the words as words, a click moves the chip into the filters', async () => {
    type Chip = NonNullable<CallResult<'search.text'>['chips']>[number];
    const favourites: Chip = { kind: 'favourite', label: 'favourites', words: 'favourites' };
    const five: Chip = { kind: 'rating', label: '5 stars', words: '5 stars', min: 5 };
    const backend = await mountApp({
      'search.text': (args) => answer([3, 4], { chips: [favourites, five].filter((chip) => args.query.includes(chip.words) && !args.literal?.includes(chip.label)) }),
    });
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'favourites beach 5 stars' } });
    await waitFor(() => expect(screen.getAllByTestId('query-chip-edit').map((chip) => chip.textContent?.trim())).toEqual(['Favourites', 'At least 5 stars']));
    expect(screen.getAllByTestId('query-chip').map((chip) => chip.dataset.kind)).toEqual(['favourite', 'rating']);
    await fireEvent.click(screen.getAllByTestId('query-chip-remove')[0]!);
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toMatchObject({ query: 'favourites beach 5 stars', literal: ['favourites'] }));
    await waitFor(() => expect(screen.getAllByTestId('query-chip')).toHaveLength(1));
    await fireEvent.click(screen.getByTestId('query-chip-edit'));
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toMatchObject({ query: 'favourites beach', minRating: 5 }));
    await fireEvent.click(screen.getByTestId('filters-toggle'));
    expect((screen.getByTestId('filter-stars') as HTMLSelectElement).value).toBe('5');
  });

  it('says a result matched by its keyword', async () => {
    await mountApp({ 'search.text': () => answer([3], { results: [{ id: 3, score: 0.3, why: [{ signal: 'keyword', text: 'beach' }] }] }) });
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'beach' } });
    const result = await screen.findByTestId('result-cell');
    expect(within(result).getByTestId('result-why').textContent).toBe('keyword: beach');
  });
});
