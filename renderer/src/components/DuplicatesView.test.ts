import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { CallResult } from '../lib/types.js';
import { fakeBackend, libraryStatus, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import DuplicatesView from './DuplicatesView.svelte';

type Answer = CallResult<'duplicates.groups'>;
type Copy = Answer['groups'][number]['photos'][number];

const copy = (id: number, overrides: Partial<Copy> = {}): Copy => ({
  id,
  path: `/photos/IMG_${id}.jpg`,
  size: 1_000_000 + id,
  width: 4000,
  height: 3000,
  format: 'jpeg',
  takenAt: '2024-07-03T18:02:11',
  sharpness: 100 + id,
  metadata: id,
  hidden: false,
  similarity: 0.98,
  ...overrides,
});

/** Two groups: in the first the largest is 1, the sharpest 2, the best described 3. */
function engine(): { groups: Answer['groups'] } {
  return {
    groups: [
      { photos: [copy(1), copy(2), copy(3)], keep: { largest: 1, sharpest: 2, metadata: 3 } },
      { photos: [copy(7), copy(8)], keep: { largest: 8, sharpest: 8, metadata: 7 } },
    ],
  };
}

async function mount(handlers: Handlers, mode: 'desktop' | 'browser' = 'browser') {
  const state = engine();
  const backend = fakeBackend(
    {
      'app.capabilities': () => ({ mode, nativeFolderDialog: mode === 'desktop', openExternal: false, storesSecrets: false }),
      'duplicates.groups': ({ threshold }) => ({ threshold: threshold ?? 0.95, groups: state.groups }),
      'photos.hide': ({ photoIds, hidden }) => {
        state.groups = state.groups.map((group) => ({ ...group, photos: group.photos.map((c) => (photoIds.includes(c.id) ? { ...c, hidden } : c)) }));
        return { changed: photoIds.length };
      },
      'photos.showInFolder': () => ({ shown: true }),
      ...handlers,
    },
    mode,
  );
  const app = new AppStore(backend.transport);
  await app.reload();
  render(Harness, { props: { app, component: DuplicatesView, props: {} } });
  return { backend, app };
}

const groupsShown = () => screen.getAllByTestId('dup-group');
const keptIn = (group: HTMLElement) => within(group).getAllByTestId('dup-copy').filter((el) => el.dataset.kept === 'true').map((el) => Number(el.dataset.photoId));

describe('the duplicates review', () => {
  it('lists the groups side by side with what tells the copies apart, and says nothing is ever deleted', async () => {
    const { backend } = await mount({});
    await waitFor(() => expect(groupsShown()).toHaveLength(2));
    expect(backend.callsOf('duplicates.groups')).toEqual([{ threshold: 0.95, includeHidden: true }]);
    const first = within(groupsShown()[0]!).getAllByTestId('dup-copy')[0]!;
    expect(first.textContent).toContain('4,000 × 3,000');
    expect(first.textContent).toContain('1 MB');
    expect(first.textContent).toContain('101');
    expect(within(first).getByTestId('dup-path').textContent).toBe('/photos/IMG_1.jpg');
    expect(screen.getByTestId('dup-never').textContent).toContain('never deletes');
    // Browser mode: no Show in folder (the paths are shown instead).
    expect(screen.queryByTestId('dup-show')).toBeNull();
    // Another threshold asks again.
    await fireEvent.input(screen.getByTestId('dup-threshold'), { target: { value: '0.92' } });
    await fireEvent.change(screen.getByTestId('dup-threshold'));
    await waitFor(() => expect(backend.callsOf('duplicates.groups').at(-1)).toEqual({ threshold: 0.92, includeHidden: true }));
  });

  it('the rule changes which copy is proposed; Hide the others hides exactly the copies not kept; hidden copies stay, dimmed, with Unhide', async () => {
    const { backend } = await mount({});
    await waitFor(() => expect(groupsShown()).toHaveLength(2));
    expect(keptIn(groupsShown()[0]!)).toEqual([1]);
    await fireEvent.change(screen.getByTestId('dup-rule'), { target: { value: 'sharpest' } });
    expect(keptIn(groupsShown()[0]!)).toEqual([2]);
    await fireEvent.change(screen.getByTestId('dup-rule'), { target: { value: 'metadata' } });
    expect(keptIn(groupsShown()[0]!)).toEqual([3]);
    expect(keptIn(groupsShown()[1]!)).toEqual([7]);
    await fireEvent.change(screen.getByTestId('dup-rule'), { target: { value: 'sharpest' } });

    await fireEvent.click(within(groupsShown()[0]!).getByTestId('dup-hide-others'));
    await waitFor(() => expect(backend.callsOf('photos.hide')).toEqual([{ photoIds: [1, 3], hidden: true }]));
    await waitFor(() => expect(within(groupsShown()[0]!).getAllByTestId('dup-copy').map((el) => el.dataset.hidden)).toEqual(['true', 'false', 'true']));
    // Still listed, with Unhide.
    const hiddenCopy = within(groupsShown()[0]!).getAllByTestId('dup-copy')[0]!;
    await fireEvent.click(within(hiddenCopy).getByTestId('dup-unhide'));
    await waitFor(() => expect(backend.callsOf('photos.hide').at(-1)).toEqual({ photoIds: [1], hidden: false }));
    await waitFor(() => expect(within(groupsShown()[0]!).getAllByTestId('dup-copy')[0]!.dataset.hidden).toBe('false'));
  });

  it('a copy kept by hand overrides the rule; Apply to all groups hides every copy not kept in one call', async () => {
    const { backend, app } = await mount({});
    await waitFor(() => expect(groupsShown()).toHaveLength(2));
    // Keep 8's twin 7 by hand in the second group (the rule, Largest, proposes 8).
    const seven = within(groupsShown()[1]!).getAllByTestId('dup-copy')[0]!;
    await fireEvent.click(within(seven).getByTestId('dup-keep'));
    expect(keptIn(groupsShown()[1]!)).toEqual([7]);
    await fireEvent.click(screen.getByTestId('dup-apply-all'));
    await waitFor(() => expect(backend.callsOf('photos.hide')).toEqual([{ photoIds: [2, 3, 8], hidden: true }]));
    expect(app.notices.at(-1)?.message).toBe('Hid 3 photos from the library and search; their files are not touched.');
    await waitFor(() => expect((screen.getByTestId('dup-apply-all') as HTMLButtonElement).disabled).toBe(true));
  });

  it('desktop: Show in folder asks the host for the photo by id', async () => {
    const { backend } = await mount({}, 'desktop');
    await waitFor(() => expect(groupsShown()).toHaveLength(2));
    await fireEvent.click(within(groupsShown()[1]!).getAllByTestId('dup-show')[1]!);
    await waitFor(() => expect(backend.callsOf('photos.showInFolder')).toEqual([{ id: 8 }]));
  });

  it('says when there are no duplicates, and when the CLIP model is missing (without asking the engine)', async () => {
    await mount({ 'duplicates.groups': () => ({ threshold: 0.95, groups: [] }) });
    expect((await screen.findByTestId('empty-state')).dataset.kind).toBe('no-duplicates');
  });

  it('without the CLIP model, offers the model instead of a review', async () => {
    const { backend, app } = await mount({ 'library.status': () => libraryStatus({ clipInstalled: false }) });
    expect((await screen.findByTestId('empty-state')).dataset.kind).toBe('duplicates-no-model');
    expect(backend.callsOf('duplicates.groups')).toEqual([]);
    await fireEvent.click(within(screen.getByTestId('empty-state')).getByRole('button'));
    expect(app.view).toBe('settings');
  });
});
