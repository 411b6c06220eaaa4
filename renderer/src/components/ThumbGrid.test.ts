import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { fakeBackend } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import { press } from '../test/organise-fixtures.js';
import ThumbGrid from './ThumbGrid.svelte';

/** The small grids (a person's, a place's, an album's photos) select as the library grid does. */

function mount(ids: number[]) {
  const app = new AppStore(fakeBackend().transport);
  render(Harness, { props: { app, component: ThumbGrid, props: { ids, testid: 'person-photo', alt: (index: number) => `Photo ${index + 1}` } } });
  const cells = screen.getAllByTestId('person-photo');
  return { app, cells, selected: () => cells.filter((cell) => cell.getAttribute('aria-selected') === 'true').map((cell) => Number(cell.dataset.photoId)) };
}

describe('ThumbGrid selection', () => {
  it('is a multi-select list box: Ctrl-click, Shift-click, Space, Ctrl-A and Esc', async () => {
    const { app, cells, selected } = mount([4, 5, 6, 7]);
    expect(screen.getByRole('listbox').getAttribute('aria-multiselectable')).toBe('true');
    expect(cells.every((cell) => cell.getAttribute('role') === 'option')).toBe(true);
    await fireEvent.click(cells[0]!, { ctrlKey: true });
    await fireEvent.click(cells[2]!, { shiftKey: true });
    expect(selected()).toEqual([4, 5, 6]);
    cells[3]!.focus();
    await press(' ');
    expect(selected()).toEqual([4, 5, 6, 7]);
    await press('Escape');
    expect(selected()).toEqual([]);
    await press('a', { metaKey: true });
    expect(app.selection.list()).toEqual([4, 5, 6, 7]);
    // With nothing selected a click opens the viewer with the grid's photos as neighbours.
    await press('Escape');
    await fireEvent.click(cells[1]!);
    expect(app.viewer).toEqual({ ids: [4, 5, 6, 7], index: 1 });
  });
});
