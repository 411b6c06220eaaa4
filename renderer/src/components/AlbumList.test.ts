import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore, type Album } from '../lib/app.svelte.js';
import { fakeBackend } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import Sidebar from './Sidebar.svelte';

const album = (id: number, name: string, count: number): Album => ({ id, name, sort: 'date', coverPhotoId: null, count, createdAt: 1, updatedAt: 1 });

describe('the sidebar albums', () => {
  it('lists the albums with their counts; one opens its view; New album creates one by name and opens it', async () => {
    let albums = [album(1, 'Birthdays', 12), album(2, 'Trip', 1)];
    const backend = fakeBackend({
      // By name, as the engine lists them.
      'albums.list': () => [...albums].sort((a, b) => a.name.localeCompare(b.name)),
      'albums.create': ({ name }) => {
        const made = album(3, name, 0);
        albums = [...albums, made];
        return made;
      },
    });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: Sidebar, props: {} } });
    const section = screen.getByTestId('albums');
    expect(within(section).getByRole('heading').textContent).toBe('Albums');
    const items = within(section).getAllByTestId('album-item');
    expect(items.map((item) => item.querySelector('.name')?.textContent)).toEqual(['Birthdays', 'Trip']);
    expect(items.map((item) => item.querySelector('.count')?.textContent)).toEqual(['12', '1']);
    // Screen readers hear the count in words.
    expect(items.map((item) => item.querySelector('.visually-hidden')?.textContent)).toEqual([', 12 photos', ', 1 photo']);

    await fireEvent.click(items[1]!);
    expect(app.view).toBe('album');
    expect(app.albumId).toBe(2);
    await waitFor(() => expect(within(section).getAllByTestId('album-item')[1]!.getAttribute('aria-current')).toBe('page'));

    // New album: a name typed in place; an empty name cannot be created.
    await fireEvent.click(within(section).getByTestId('album-new'));
    const input = within(section).getByTestId('album-new-name') as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(input));
    expect((within(section).getByTestId('album-new-create') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(input, { target: { value: ' Holidays ' } });
    await fireEvent.click(within(section).getByTestId('album-new-create'));
    await waitFor(() => expect(backend.callsOf('albums.create')).toEqual([{ name: 'Holidays' }]));
    await waitFor(() => expect(app.albumId).toBe(3));
    expect(app.view).toBe('album');
    expect(within(section).getAllByTestId('album-item').map((item) => item.dataset.albumId)).toEqual(['1', '3', '2']);
    expect(within(section).queryByTestId('album-new-name')).toBeNull();
  });

  it('says there are no albums yet; Esc leaves the name field; Duplicates is in the navigation', async () => {
    const backend = fakeBackend({ 'albums.list': () => [] });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: Sidebar, props: {} } });
    expect(screen.getByTestId('albums').textContent).toContain('No albums yet.');
    await fireEvent.click(screen.getByTestId('album-new'));
    await fireEvent.keyDown(screen.getByTestId('album-new-name'), { key: 'Escape' });
    expect(screen.queryByTestId('album-new-name')).toBeNull();
    expect(backend.callsOf('albums.create')).toEqual([]);
    await fireEvent.click(screen.getByTestId('nav-duplicates'));
    expect(app.view).toBe('duplicates');
  });
});
