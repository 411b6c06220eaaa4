import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { SearchStore } from '../lib/search.svelte.js';
import type { CallResult } from '../lib/types.js';
import { fakeBackend } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import PeopleView from './PeopleView.svelte';

type Person = CallResult<'people.list'>[number];
const person = (id: number, name: string | null, photoIds: number[]): Person => ({
  id,
  name,
  hidden: false,
  faces: photoIds.length,
  photoIds,
  cover: { faceId: id * 10, photoId: photoIds[0]!, box: { x: 0.4, y: 0.3, w: 0.2, h: 0.25 }, aspect: 1.5 },
});

describe('the People place', () => {
  it('lists named people, then the unnamed with their photo counts; names one in place; merges the selected into the named one', async () => {
    let people = [person(1, 'Anna', [11, 12]), person(2, null, [21, 22, 23]), person(3, null, [31])];
    const backend = fakeBackend({
      'people.list': () => people,
      'people.update': ({ id, name }) => {
        people = people.map((p) => (p.id === id ? { ...p, name: name ?? null } : p));
        return { id };
      },
      'people.merge': ({ into }) => ({ id: into }),
    });
    const app = new AppStore(backend.transport);
    render(Harness, { props: { app, component: PeopleView, props: {} } });
    const named = await screen.findByTestId('people-named');
    expect(within(named).getAllByTestId('person').map((el) => el.dataset.personId)).toEqual(['1']);
    const unnamed = screen.getByTestId('people-unnamed');
    expect(within(unnamed).getAllByTestId('person').map((el) => within(el).getByText(/photo/).textContent)).toEqual(['3 photos', '1 photo']);
    // The cover is a crop of the preview around the face.
    expect(within(named).getByRole('img').getAttribute('src')).toBe('/media/preview/11?token=t');
    // Name the first unnamed person in place.
    const input = within(unnamed).getAllByTestId('person-name')[0] as HTMLInputElement;
    await fireEvent.change(input, { target: { value: '  Ben ' } });
    await waitFor(() => expect(backend.callsOf('people.update').at(-1)).toEqual({ id: 2, name: 'Ben' }));
    await waitFor(() => expect(within(screen.getByTestId('people-named')).getAllByTestId('person')).toHaveLength(2));
    // Select two and merge: the named one stays.
    const checkbox = (id: string) => within(screen.getAllByTestId('person').find((el) => el.dataset.personId === id)!).getByTestId('person-select');
    expect((screen.getByTestId('people-merge') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(checkbox('3'));
    await fireEvent.click(checkbox('1'));
    await fireEvent.click(screen.getByTestId('people-merge'));
    await waitFor(() => expect(backend.callsOf('people.merge').at(-1)).toEqual({ into: 1, others: [3] }));
  });

  it("opens a person's photos beside the list; one opens in the viewer; a named person's photos go to the search as a person filter", async () => {
    const backend = fakeBackend({ 'people.list': () => [person(1, 'Anna', [11, 12])] });
    const app = new AppStore(backend.transport);
    const search = new SearchStore(app, 5);
    render(Harness, { props: { app, search, component: PeopleView, props: {} } });
    await fireEvent.click(await screen.findByTestId('person-open'));
    const panel = screen.getByTestId('person-photos');
    expect(within(panel).getAllByTestId('person-photo').map((el) => el.dataset.photoId)).toEqual(['11', '12']);
    await fireEvent.click(within(panel).getAllByTestId('person-photo')[1]!);
    expect(app.viewer).toEqual({ ids: [11, 12], index: 1 });
    app.viewer = null;
    await fireEvent.click(within(panel).getByTestId('person-search'));
    expect(search.filters.person).toBe('Anna');
    expect(app.view).toBe('library');
  });

  it('says why there is nobody: face recognition off, or no face model', async () => {
    const backend = fakeBackend({ 'faces.status': () => ({ enabled: false, model: 'yunet-sface', installed: true, reason: null, use: 'permissive', faces: 0, people: 0 }) });
    const app = new AppStore(backend.transport);
    render(Harness, { props: { app, component: PeopleView, props: {} } });
    expect((await screen.findByTestId('empty-state')).textContent).toContain('Face recognition is off');
  });
});
