import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { clusterPhotos, LAND_PATH } from '../lib/places-map.js';
import { fakeBackend } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import PlacesView from './PlacesView.svelte';

const PARIS = [
  { id: 1, lat: 48.8584, lon: 2.2945, place: 'Neuilly-sur-Seine, Paris, France 法国' },
  { id: 2, lat: 48.853, lon: 2.3499, place: 'Paris, France 法国' },
];
const SYDNEY = { id: 3, lat: -33.8571, lon: 151.215, place: 'The Rocks, Sydney, Australia 澳大利亚' };

describe('the map of photos', () => {
  it('draws the bundled world outline (no tiles) and gathers nearby photos into one marker', () => {
    expect(LAND_PATH.length).toBeGreaterThan(10_000);
    expect(LAND_PATH.startsWith('M')).toBe(true);
    const clusters = clusterPhotos([...PARIS, SYDNEY], 6);
    expect(clusters.map((cluster) => cluster.ids)).toEqual([[1, 2], [3]]);
    expect(clusters[1]!.x).toBeCloseTo(151.215 + 180, 3);
    expect(clusters[1]!.y).toBeCloseTo(90 + 33.8571, 3);
    // Zoomed in far enough, the two Paris photos (4 km apart) part.
    expect(clusterPhotos(PARIS, 6 / 64).length).toBe(2);
  });

  it('shows a marker per place with its count, lists its photos on a click, and opens one in the viewer', async () => {
    const backend = fakeBackend({ 'places.list': () => [...PARIS, SYDNEY] });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: PlacesView, props: {} } });
    await waitFor(() => expect(screen.getAllByTestId('places-cluster').map((cluster) => cluster.dataset.count)).toEqual(['2', '1']));
    await fireEvent.click(screen.getAllByTestId('places-cluster')[0]!);
    const listed = await screen.findByTestId('places-photos');
    expect(listed.querySelector('h2')?.textContent).toBe('Neuilly-sur-Seine, Paris, France 法国');
    expect(screen.getAllByTestId('places-photo').map((photo) => Number(photo.dataset.photoId))).toEqual([1, 2]);
    expect(app.viewer).toBeNull();
    await fireEvent.click(screen.getAllByTestId('places-photo')[1]!);
    expect(app.viewer?.ids).toEqual([1, 2]);
    expect(app.viewer?.index).toBe(1);
    app.viewer = null;
    await fireEvent.click(screen.getByTestId('places-photos-close'));
    expect(screen.queryByTestId('places-photos')).toBeNull();
    // Zoomed in, dragging moves the view; at the whole world there is nothing to move to.
    const map = screen.getByTestId('places-map');
    const whole = map.getAttribute('viewBox');
    await fireEvent.click(screen.getByTestId('places-zoom-in'));
    const zoomed = map.getAttribute('viewBox');
    expect(zoomed).not.toBe(whole);
    await fireEvent.pointerDown(map, { clientX: 100, clientY: 100 });
    await fireEvent.pointerMove(map, { clientX: 60, clientY: 100 });
    await fireEvent.pointerUp(map);
    expect(Number(map.getAttribute('viewBox')!.split(' ')[0])).toBeGreaterThan(Number(zoomed!.split(' ')[0]));
    // The wheel zooms too: in narrows the view, out to the whole world again.
    const width = (box: string | null) => Number(box!.split(' ')[2]);
    const before = map.getAttribute('viewBox');
    await fireEvent.wheel(map, { deltaY: -100 });
    expect(width(map.getAttribute('viewBox'))).toBeCloseTo(width(before) / 1.5, 3);
    for (let i = 0; i < 5; i++) await fireEvent.wheel(map, { deltaY: 100 });
    expect(map.getAttribute('viewBox')).toBe(whole);
  });

  it('says what it shows when no photo has a location', async () => {
    const backend = fakeBackend({});
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: PlacesView, props: {} } });
    expect((await screen.findByTestId('empty-state')).textContent).toContain('No photos with a location yet');
  });
});
