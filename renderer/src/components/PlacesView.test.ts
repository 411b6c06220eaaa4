import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import { clusterPhotos, HOME_VIEW, LAND_PATH, project, visibleTiles } from '../lib/places-map.js';
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
    // Web Mercator, as tiles are drawn: the equator halfway down the square, Sydney below it.
    expect(project(0, 0)).toEqual({ x: 180, y: 180 });
    expect(clusters[1]!.y).toBeCloseTo(180 + (180 / Math.PI) * Math.log(Math.tan(Math.PI / 4 + (33.8571 * Math.PI) / 360)), 3);
    expect(project(89.9, 0).y).toBeCloseTo(0, 3);
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

  it('picks the tiles that cover the view at about their own size on screen', () => {
    // The whole world on a 1024-pixel map: zoom 2, 4 × 4 tiles of 90 units, the rows the home view meets.
    const world = visibleTiles(HOME_VIEW, 1024);
    expect(new Set(world.map((tile) => tile.z))).toEqual(new Set([2]));
    expect(world.map((tile) => `${tile.x},${tile.y}`)).toEqual(['0,0', '1,0', '2,0', '3,0', '0,1', '1,1', '2,1', '3,1', '0,2', '1,2', '2,2', '3,2']);
    expect(world[5]).toMatchObject({ left: 90, top: 90, size: 90 });
    // Zoomed in on Paris: a deeper zoom, a few tiles around it, all inside the grid.
    const paris = project(48.8566, 2.3522);
    const close = visibleTiles({ ...paris, width: 0.36, height: 0.2 }, 1024);
    expect(close[0]!.z).toBe(12);
    // Tiles of 0.088 units over a view 0.36 × 0.2: 5 columns of 3 rows at most.
    expect(close.length).toBeGreaterThanOrEqual(4);
    expect(close.length).toBeLessThanOrEqual(15);
    for (const tile of close) expect(tile.left <= paris.x + 0.18 && tile.left + tile.size >= paris.x - 0.18).toBe(true);
  });

  it('draws OpenStreetMap tiles under the markers only with the map-tiles setting on, with the attribution', async () => {
    let value = 'off';
    const backend = fakeBackend({
      'places.list': () => [...PARIS, SYDNEY],
      'settings.list': () => [{ key: 'map-tiles', value, default: 'off', source: 'setting', description: '' }],
      'settings.set': (args) => {
        value = String(args.value);
        return { key: 'map-tiles', value, default: 'off', source: 'setting', description: '' };
      },
    });
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: PlacesView, props: {} } });
    await screen.findAllByTestId('places-cluster');
    expect(screen.queryAllByTestId('places-tile')).toHaveLength(0);
    expect(screen.queryByTestId('places-attribution')).toBeNull();
    await fireEvent.change(screen.getByTestId('places-base-map'), { target: { value: 'openstreetmap' } });
    await waitFor(() => expect(screen.getAllByTestId('places-tile').length).toBeGreaterThan(0));
    expect(backend.callsOf('settings.set').at(-1)).toEqual({ key: 'map-tiles', value: 'openstreetmap' });
    expect(screen.getAllByTestId('places-tile')[0]!.getAttribute('href')).toMatch(/^\/media\/tile\/\d+\/\d+\/\d+\?token=t$/);
    expect(screen.getByTestId('places-attribution').textContent).toContain('OpenStreetMap contributors');
    // The tiles are drawn before the markers, so the markers stay on top.
    const map = screen.getByTestId('places-map');
    const order = [...map.children].map((child) => child.getAttribute('data-testid') ?? child.tagName);
    expect(order.lastIndexOf('places-tile')).toBeLessThan(order.indexOf('places-cluster'));
  });

  it('says what it shows when no photo has a location', async () => {
    const backend = fakeBackend({});
    const app = new AppStore(backend.transport);
    await app.reload();
    render(Harness, { props: { app, component: PlacesView, props: {} } });
    expect((await screen.findByTestId('empty-state')).textContent).toContain('No photos with a location yet');
  });
});
