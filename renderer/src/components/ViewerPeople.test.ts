import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { SearchStore } from '../lib/search.svelte.js';
import { fakeBackend } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import ViewerPeople from './ViewerPeople.svelte';

describe("the viewer's people", () => {
  it('moves a face to another person, a new person or nobody, marks one "not a face", and goes to a named person\'s photos', async () => {
    let faces = [
      { id: 5, box: { x: 0.1, y: 0.2, w: 0.2, h: 0.3 }, score: 0.9, personId: 1, personName: 'Anna', manual: false },
      { id: 6, box: { x: 0.6, y: 0.2, w: 0.2, h: 0.3 }, score: 0.8, personId: null, personName: null, manual: false },
    ];
    const backend = fakeBackend({
      'faces.ofPhoto': () => faces,
      'people.list': () => [
        { id: 1, name: 'Anna', hidden: false, faces: 3, photoIds: [42, 43, 44], cover: null },
        { id: 2, name: null, hidden: false, faces: 2, photoIds: [45, 46], cover: null },
      ],
      'people.update': ({ id }) => ({ id }),
      'faces.assign': (args) => {
        if (args.notFace) faces = faces.filter((face) => face.id !== args.faceId);
        return { personId: args.personId ?? null };
      },
    });
    const app = new AppStore(backend.transport);
    const search = new SearchStore(app, 5);
    app.openViewer([42], 0);
    render(Harness, { props: { app, search, component: ViewerPeople, props: { id: 42 } } });
    const selects = (await screen.findAllByTestId('viewer-person-select')) as HTMLSelectElement[];
    expect(selects.map((select) => select.value)).toEqual(['1', 'nobody']);
    expect([...selects[1]!.options].map((option) => option.textContent)).toEqual(['Nobody yet', 'Anna (3 photos)', 'Unnamed person (2 photos)', 'A new person', 'Not a face']);
    await fireEvent.change(selects[1]!, { target: { value: '2' } });
    await waitFor(() => expect(backend.callsOf('faces.assign').at(-1)).toEqual({ faceId: 6, personId: 2 }));
    await fireEvent.change(selects[1]!, { target: { value: 'new' } });
    await waitFor(() => expect(backend.callsOf('faces.assign').at(-1)).toEqual({ faceId: 6, newPerson: true }));
    await fireEvent.change(selects[1]!, { target: { value: 'not-face' } });
    await waitFor(() => expect(screen.getAllByTestId('viewer-person')).toHaveLength(1));
    expect(backend.callsOf('faces.assign').at(-1)).toEqual({ faceId: 6, notFace: true });
    await fireEvent.click(screen.getByTestId('viewer-person-cover'));
    await waitFor(() => expect(backend.callsOf('people.update').at(-1)).toEqual({ id: 1, coverFaceId: 5 }));
    await fireEvent.click(screen.getByTestId('viewer-person-search'));
    expect(search.filters.person).toBe('Anna');
    expect(app.viewer).toBeNull();
  });
});
