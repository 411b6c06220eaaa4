import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import land from 'world-atlas/land-110m.json';

/**
 * The map of photos' geometry, offline: the world's land from Natural Earth's 1:110m outline
 * (world-atlas, bundled with the renderer: no tile server), drawn in an equirectangular projection
 * on a 360 × 180 plane (x = longitude + 180, y = 90 − latitude), and the photos gathered into
 * clusters of one grid cell each.
 */

/** SVG path data of the land, in the 360 × 180 plane (made once). */
export const LAND_PATH: string = (() => {
  const topology = land as unknown as Topology<{ land: GeometryCollection }>;
  const shapes = feature(topology, topology.objects.land);
  const rings: number[][][] = [];
  for (const shape of shapes.features) {
    const geometry = shape.geometry;
    if (geometry.type === 'Polygon') rings.push(...(geometry.coordinates as number[][][]));
    else if (geometry.type === 'MultiPolygon') for (const polygon of geometry.coordinates as number[][][][]) rings.push(...polygon);
  }
  return rings.map((ring) => `M${ring.map(([lon, lat]) => `${(lon! + 180).toFixed(2)},${(90 - lat!).toFixed(2)}`).join('L')}Z`).join('');
})();

export interface PlacedPhoto {
  id: number;
  lat: number;
  lon: number;
  place: string | null;
}

export interface Cluster {
  /** Centre in the plane: the mean of its photos. */
  x: number;
  y: number;
  /** Photo ids, in the order given (newest first). */
  ids: number[];
  /** The most common place name among them (for the tooltip). */
  place: string | null;
}

/** Photos gathered by cells of `cellDegrees` (smaller when zoomed in), each cluster at its photos' mean position. */
export function clusterPhotos(photos: readonly PlacedPhoto[], cellDegrees: number): Cluster[] {
  const cells = new Map<string, { x: number; y: number; ids: number[]; places: Map<string, number> }>();
  for (const photo of photos) {
    const x = photo.lon + 180;
    const y = 90 - photo.lat;
    const key = `${Math.floor(x / cellDegrees)},${Math.floor(y / cellDegrees)}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { x: 0, y: 0, ids: [], places: new Map() }));
    cell.x += x;
    cell.y += y;
    cell.ids.push(photo.id);
    if (photo.place) cell.places.set(photo.place, (cell.places.get(photo.place) ?? 0) + 1);
  }
  return [...cells.values()].map((cell) => ({
    x: cell.x / cell.ids.length,
    y: cell.y / cell.ids.length,
    ids: cell.ids,
    place: [...cell.places].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null,
  }));
}
