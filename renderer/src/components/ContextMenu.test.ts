import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { cell, mountLibrary, press } from '../test/organise-fixtures.js';

/** A photo's context menu (right-click, the ContextMenu key, Shift+F10): a WAI-ARIA menu with the selection bar's actions. */

const focusedItem = () => (document.activeElement as HTMLElement | null)?.dataset.testid;

describe("a photo's context menu", () => {
  it('opens from the keyboard on the focused cell, moves with the arrows, sets stars from its submenu, and gives focus back', async () => {
    const backend = await mountLibrary();
    cell(30).focus();
    await press('ContextMenu');
    const menu = await screen.findByTestId('photo-menu');
    expect(menu.getAttribute('role')).toBe('menu');
    expect(menu.getAttribute('aria-label')).toBe('Actions for 1 photo');
    await waitFor(() => expect(focusedItem()).toBe('menu-open'));
    await press('ArrowDown');
    expect(focusedItem()).toBe('menu-select');
    await press('ArrowUp');
    await press('ArrowUp');
    expect(focusedItem()).toBe('menu-hide');
    await press('Home');
    await press('ArrowDown');
    await press('ArrowDown');
    await press('ArrowDown');
    expect(focusedItem()).toBe('menu-rating');
    expect(document.activeElement!.getAttribute('aria-haspopup')).toBe('menu');
    await press('ArrowRight');
    const stars = await screen.findByTestId('photo-menu-rating');
    await waitFor(() => expect(focusedItem()).toBe('menu-rating-0'));
    expect(within(stars).getAllByRole('menuitemradio')).toHaveLength(6);
    // ← goes back to the entry that opened the submenu.
    await press('ArrowLeft');
    await waitFor(() => expect(focusedItem()).toBe('menu-rating'));
    expect(screen.queryByTestId('photo-menu-rating')).toBeNull();
    await press('ArrowRight');
    await waitFor(() => expect(focusedItem()).toBe('menu-rating-0'));
    await press('End');
    expect(focusedItem()).toBe('menu-rating-5');
    await press('Enter');
    await waitFor(() => expect(backend.callsOf('photos.mark')).toEqual([{ photoIds: [30], rating: 5 }]));
    expect(screen.queryByTestId('photo-menu')).toBeNull();
    expect(document.activeElement).toBe(cell(30));
  });

  it('Shift+F10 opens it too; Esc closes it and focus goes back to the photo', async () => {
    await mountLibrary();
    cell(29).focus();
    await press('F10', { shiftKey: true });
    await screen.findByTestId('photo-menu');
    await press('Escape');
    await waitFor(() => expect(screen.queryByTestId('photo-menu')).toBeNull());
    expect(document.activeElement).toBe(cell(29));
  });

  it('right-click on a selected photo acts on the whole selection; on another photo, on that photo alone', async () => {
    const backend = await mountLibrary();
    await fireEvent.click(cell(30), { ctrlKey: true });
    await fireEvent.click(cell(28), { ctrlKey: true });
    await fireEvent.contextMenu(cell(28), { clientX: 200, clientY: 200 });
    const menu = await screen.findByTestId('photo-menu');
    expect(menu.getAttribute('aria-label')).toBe('Actions for 2 photos');
    // No Open for several photos.
    expect(within(menu).queryByTestId('menu-open')).toBeNull();
    await fireEvent.click(within(menu).getByTestId('menu-favourite'));
    await waitFor(() => expect(backend.callsOf('photos.mark')).toEqual([{ photoIds: [30, 28], favourite: true }]));
    await fireEvent.contextMenu(cell(25), { clientX: 200, clientY: 200 });
    const other = await screen.findByTestId('photo-menu');
    expect(other.getAttribute('aria-label')).toBe('Actions for 1 photo');
    expect(within(other).getByTestId('menu-favourite').getAttribute('aria-checked')).toBe('false');
    await fireEvent.click(within(other).getByTestId('menu-reject'));
    await waitFor(() => expect(backend.callsOf('photos.mark').at(-1)).toEqual({ photoIds: [25], rejected: true }));
  });

  it('its Open opens the viewer, and Select puts the photo in the selection', async () => {
    await mountLibrary();
    await fireEvent.contextMenu(cell(27), { clientX: 10, clientY: 10 });
    await fireEvent.click(await screen.findByTestId('menu-select'));
    expect(cell(27).getAttribute('aria-selected')).toBe('true');
    await press('Escape');
    await fireEvent.contextMenu(cell(26), { clientX: 10, clientY: 10 });
    await fireEvent.click(await screen.findByTestId('menu-open'));
    expect((await screen.findByTestId('viewer')).dataset.photoId).toBe('26');
  });
});
