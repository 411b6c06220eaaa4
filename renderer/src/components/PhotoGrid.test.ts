import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { defaultGridOptions, layoutGrid, visibleRange } from '../lib/grid-layout.js';
import { groupByMonth } from '../lib/months.js';
import { fakeBackend, timeline } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import { viewport } from '../test/setup.js';
import PhotoGrid from './PhotoGrid.svelte';

const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

function mountGrid(count: number, undated = 0) {
  const app = new AppStore(fakeBackend().transport);
  const grouped = groupByMonth(timeline(count, undated));
  const onOpen = vi.fn();
  render(Harness, { props: { app, component: PhotoGrid, props: { timeline: grouped, onOpen } } });
  return { grouped, onOpen, scroller: screen.getByTestId('grid') };
}

/** The positions the grid should render at `scrollTop`, from the pure layout (same numbers as the component). */
function expectedPositions(grouped: ReturnType<typeof groupByMonth>, scrollTop: number) {
  const layout = layoutGrid(grouped.groups, viewport.width - 32, defaultGridOptions);
  const range = visibleRange(layout, scrollTop, viewport.height, Math.max(400, viewport.height));
  const positions: number[] = [];
  for (let r = range.first; r < range.end; r++) {
    const row = layout.rows[r]!;
    if (row.kind === 'cells') for (let i = 0; i < row.count; i++) positions.push(row.start + i);
  }
  return positions;
}

function renderedPositions() {
  return screen.getAllByTestId('grid-cell').map((cell) => Number(cell.dataset.position));
}

describe('PhotoGrid', () => {
  it('renders only the visible rows (plus overscan) of 100,000 photos', () => {
    const { grouped } = mountGrid(100_000);
    const cells = screen.getAllByTestId('grid-cell');
    expect(cells.length).toBeGreaterThan(0);
    expect(cells.length).toBeLessThan(150);
    expect(renderedPositions()).toEqual(expectedPositions(grouped, 0));
    // The newest photo comes first, under its month header.
    expect(cells[0]!.dataset.photoId).toBe('100000');
    expect(screen.getAllByTestId('month-header')[0]!.textContent).toContain('July 2024');
  });

  it('after a scroll, shows the cells at the new position (and no others) within one frame', async () => {
    const { grouped, scroller } = mountGrid(100_000);
    const scrollTop = 1_500_000;
    Object.defineProperty(scroller, 'scrollTop', { configurable: true, value: scrollTop, writable: true });
    await fireEvent.scroll(scroller);
    await frame();
    await frame();
    const positions = renderedPositions();
    expect(positions).toEqual(expectedPositions(grouped, scrollTop));
    expect(positions[0]).toBeGreaterThan(30_000);
    expect(screen.getAllByTestId('grid-cell').length).toBeLessThan(150);
    // Each cell shows the photo at its position.
    for (const cell of screen.getAllByTestId('grid-cell')) expect(Number(cell.dataset.photoId)).toBe(grouped.ids[Number(cell.dataset.position)]);
  });

  it('puts undated photos in a last "No date" group', () => {
    const { grouped } = mountGrid(20, 5);
    expect(grouped.groups[grouped.groups.length - 1]).toMatchObject({ year: null, count: 5 });
    const headers = screen.getAllByTestId('month-header').map((header) => header.textContent ?? '');
    expect(headers[headers.length - 1]).toContain('No date');
  });

  it('cells are focusable buttons with alt text; one tab stop; Enter/click opens; arrows move focus', async () => {
    const { onOpen } = mountGrid(50);
    const cells = screen.getAllByTestId('grid-cell');
    expect(cells.every((cell) => cell.tagName === 'BUTTON')).toBe(true);
    expect(cells.filter((cell) => cell.tabIndex === 0)).toHaveLength(1);
    expect(cells[0]!.querySelector('img')!.getAttribute('alt')).toMatch(/^Photo taken /);
    expect(cells[0]!.querySelector('img')!.getAttribute('loading')).toBe('lazy');
    cells[0]!.focus();
    await fireEvent.keyDown(cells[0]!, { key: 'ArrowRight' });
    await frame();
    expect(document.activeElement?.getAttribute('data-position')).toBe('1');
    await fireEvent.click(document.activeElement!);
    expect(onOpen).toHaveBeenCalledWith(1);
  });

  it('asks for no thumbnail of a photo still being read, and asks once the timeline says it is ready', async () => {
    const reading = timeline(3);
    let pending = [3];
    const backend = fakeBackend({ 'photos.timeline': () => ({ ...reading, pending }) });
    const app = new AppStore(backend.transport);
    await app.loadTimeline();
    render(Harness, { props: { app, component: PhotoGrid, props: { timeline: app.timeline!, onOpen: vi.fn() } } });
    await frame();
    const image = (id: string) => screen.getAllByTestId('grid-cell').find((cell) => cell.dataset.photoId === id)!.querySelector('img');
    expect(image('3')).toBeNull();
    expect(image('2')).not.toBeNull();
    pending = [];
    await app.loadTimeline();
    await frame();
    expect(image('3')?.getAttribute('src')).toContain('/media/thumb/3');
  });

  it('learns that a photo being read has its thumbnail while later jobs (embeddings, text) still run', async () => {
    const reading = timeline(3);
    let pending = [3];
    const backend = fakeBackend({ 'photos.timeline': () => ({ ...reading, pending }) });
    const app = new AppStore(backend.transport);
    await app.start();
    render(Harness, { props: { app, component: PhotoGrid, props: { timeline: app.timeline!, onOpen: vi.fn() } } });
    await frame();
    const image = () => screen.getAllByTestId('grid-cell').find((cell) => cell.dataset.photoId === '3')!.querySelector('img');
    expect(image()).toBeNull();
    pending = [];
    backend.emit('progress', { phase: 'jobs', kind: 'thumbnail', done: 3, failed: 0, total: 3, rate: 10, etaSeconds: 0, current: '/photos/3.jpg' });
    await waitFor(() => expect(image()?.getAttribute('src')).toContain('/media/thumb/3'), { timeout: 3000 });
    app.stop();
  });

  it('asks for the file names after the timeline, and only for the photos it does not know', async () => {
    let photos = timeline(3);
    const backend = fakeBackend({ 'photos.timeline': () => photos });
    const app = new AppStore(backend.transport);
    await app.loadTimeline();
    await waitFor(() => expect(app.photoNames.get(3)).toBe('IMG_3.jpg'));
    photos = timeline(5);
    await app.loadTimeline();
    await waitFor(() => expect(app.photoNames.size).toBe(5));
    const asked = backend.calls.filter((call) => call.name === 'photos.names').map((call) => [...(call.args as { ids: number[] }).ids].sort());
    expect(asked).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('calls each cell by its file name and day, and groups each month’s photos under the month’s name', async () => {
    const photos = timeline(40);
    // The file names, as photos.names answered them once the grid was painted.
    const app = new AppStore(fakeBackend().transport);
    app.photoNames = new Map(Array.from(photos.ids, (id) => [id, `IMG_${id}.jpg`]));
    render(Harness, { props: { app, component: PhotoGrid, props: { timeline: groupByMonth(photos), onOpen: vi.fn() } } });
    const first = screen.getAllByTestId('grid-cell')[0]!;
    expect(first.getAttribute('aria-label')).toBe('IMG_40.jpg, taken Jul 1, 2024');
    // timeline(40) goes back an hour a photo from 1 July 2024: one photo in July, 39 in June.
    const july = first.closest('[data-testid="month-group"]')!;
    expect(july.getAttribute('role')).toBe('group');
    expect(july.getAttribute('aria-label')).toBe('July 2024, 1 photo');
    expect(july.querySelector('[data-testid="month-header"]')?.textContent).toContain('July 2024');
    const june = screen.getAllByTestId('month-group')[1]!;
    expect(june.getAttribute('aria-label')).toBe('June 2024, 39 photos');
    expect(june.querySelectorAll('[data-testid="grid-cell"]').length).toBe(39);
  });
});
