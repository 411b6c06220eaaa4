import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import land from 'world-atlas/land-110m.json';

/**
 * The map of photos' geometry: the world's land from Natural Earth's 1:110m outline (world-atlas,
 * bundled with the renderer: the map needs no tile server), the photos gathered into clusters of
 * one grid cell each, and, when online tiles are on, which tiles cover the view.
 *
 * Everything is drawn in the Web Mercator projection (the one map tiles use, so tiles and outline
 * line up) on a 360 × 360 plane: x = longitude + 180, y = 180 − (180/π)·ln(tan(π/4 + φ/2)), with
 * latitude clamped to ±85.0511° (the square's edges). A tile at zoom z, column c and row r covers
 * [c, c+1) × [r, r+1) times 360/2^z.
 */

/** Web Mercator's latitude limit: where the projected world is square. */
const MAX_LATITUDE = 85.0511287798;

export function project(lat: number, lon: number): { x: number; y: number } {
  const phi = (Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * Math.PI) / 180;
  return { x: lon + 180, y: 180 - (180 / Math.PI) * Math.log(Math.tan(Math.PI / 4 + phi / 2)) };
}

/** The view at zoom 1: every longitude, from 80° N to 60° S (the Arctic ice and Antarctica take the rest of the square). */
export const HOME_VIEW = (() => {
  const top = project(80, 0).y;
  const bottom = project(-60, 0).y;
  return { x: 180, y: (top + bottom) / 2, width: 360, height: bottom - top };
})();

/** SVG path data of the land, in the 360 × 360 plane (made once). */
export const LAND_PATH: string = (() => {
  const topology = land as unknown as Topology<{ land: GeometryCollection }>;
  const shapes = feature(topology, topology.objects.land);
  const rings: number[][][] = [];
  for (const shape of shapes.features) {
    const geometry = shape.geometry;
    if (geometry.type === 'Polygon') rings.push(...(geometry.coordinates as number[][][]));
    else if (geometry.type === 'MultiPolygon') for (const polygon of geometry.coordinates as number[][][][]) rings.push(...polygon);
  }
  const draw = (points: { x: number; y: number }[], shift: number) => `M${points.map(({ x, y }) => `${(x + shift).toFixed(2)},${y.toFixed(2)}`).join('L')}Z`;
  return rings
    .flatMap((ring) => {
      // A ring that crosses the antimeridian (Chukotka, Fiji, Antarctica) jumps from +180 to -180:
      // drawn as it is, that is a line across the whole world. Its longitudes are unwrapped into
      // one continuous ring instead, drawn again one world over so both halves show.
      let offset = 0;
      const points = ring.map(([lon, lat], i) => {
        const previous = i > 0 ? ring[i - 1]![0]! : lon!;
        if (lon! - previous > 180) offset -= 360;
        else if (previous - lon! > 180) offset += 360;
        return project(lat!, lon! + offset);
      });
      const crosses = points.some(({ x }) => x < 0 || x > 360);
      if (!crosses) return [draw(points, 0)];
      const shift = points.some(({ x }) => x > 360) ? -360 : 360;
      return [draw(points, 0), draw(points, shift)];
    })
    .join('');
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
    const { x, y } = project(photo.lat, photo.lon);
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

export interface TilePlacement {
  z: number;
  x: number;
  y: number;
  /** Where it goes in the plane. */
  left: number;
  top: number;
  size: number;
}

/** The deepest zoom the tile server has. */
const MAX_TILE_ZOOM = 19;
/** At most this many tiles at once: a huge window does not ask for hundreds. */
const MAX_TILES = 64;

/**
 * The tiles that cover `view` (a rectangle of the plane) on a map `pixelWidth` pixels wide: the
 * zoom whose 256-pixel tiles are about their own size on screen, every tile inside the world's
 * square that meets the view.
 */
export function visibleTiles(view: { x: number; y: number; width: number; height: number }, pixelWidth: number): TilePlacement[] {
  const worldPixels = (360 / view.width) * Math.max(256, pixelWidth);
  const z = Math.max(0, Math.min(MAX_TILE_ZOOM, Math.ceil(Math.log2(worldPixels / 256) - 1e-9)));
  const side = 2 ** z;
  const size = 360 / side;
  const range = (from: number, span: number) => {
    const first = Math.max(0, Math.floor((from - span / 2) / size));
    const last = Math.min(side - 1, Math.floor((from + span / 2) / size));
    return { first, last };
  };
  const columns = range(view.x, view.width);
  const rows = range(view.y, view.height);
  const tiles: TilePlacement[] = [];
  for (let y = rows.first; y <= rows.last; y++) {
    for (let x = columns.first; x <= columns.last; x++) {
      if (tiles.length === MAX_TILES) return tiles;
      tiles.push({ z, x, y, left: x * size, top: y * size, size });
    }
  }
  return tiles;
}
