import fs from 'node:fs/promises';
import path from 'node:path';
import { irisVersion } from '../../version.js';
import { UsageError, UserFacingError, errorMessage } from '../errors.js';

/**
 * Online map tiles under the map of photos, only when the person turns them on (the `map-tiles`
 * setting; off by default, and then the map is drawn from the world outline bundled with the app
 * and nothing is fetched). The engine fetches each tile the page shows and keeps it below the
 * library (`map-tiles/<z>/<x>/<y>.png`): the page never talks to the tile server itself (its CSP
 * allows no remote image), and a tile seen once is there offline.
 *
 * OpenStreetMap's tile usage policy (operations.osmfoundation.org/policies/tiles/) is kept: a
 * User-Agent that names the app, at most two connections at a time, tiles kept for at least seven
 * days, only the tiles a person looks at (no bulk download), and the attribution the map shows.
 * The tile server learns which areas are looked at: the setting says so.
 */

const OPENSTREETMAP_TILES = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
/** OSM's tiles go to zoom 19. */
const MAX_TILE_ZOOM = 19;
const KEEP_MS = 7 * 24 * 3600 * 1000;
const MAX_CONNECTIONS = 2;
const FETCH_TIMEOUT_MS = 15_000;
/** A 256-pixel PNG is tens of kilobytes; anything this large is not a tile. */
const MAX_TILE_BYTES = 1 << 20;
const USER_AGENT = `Iris/${irisVersion} (local photo manager; map of the user's own photos)`;

/** The tile server did not answer with a tile (offline, refused, too slow): the map shows the outline there. */
export class TileUnavailableError extends UserFacingError {
  readonly callCode = 'unavailable';

  constructor(message: string) {
    super(message);
    this.name = 'TileUnavailableError';
  }
}

export interface Tile {
  mime: string;
  bytes: Uint8Array;
}

export class MapTiles {
  private connections = 0;
  private readonly queue: (() => void)[] = [];
  /** One fetch per tile however many times the page asks while it runs. */
  private readonly fetching = new Map<string, Promise<Tile>>();

  /**
   * `template` has {z}, {x} and {y} (IRIS_MAP_TILES_URL overrides OpenStreetMap's: a tile server
   * of one's own, and the tests' local one).
   */
  constructor(
    private readonly dir: string,
    private readonly template: string = process.env.IRIS_MAP_TILES_URL ?? OPENSTREETMAP_TILES,
  ) {}

  async tile(z: number, x: number, y: number): Promise<Tile> {
    if (!Number.isInteger(z) || z < 0 || z > MAX_TILE_ZOOM) throw new UsageError(`no tile zoom ${z}: 0 to ${MAX_TILE_ZOOM}`);
    const side = 2 ** z;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= side || y >= side) throw new UsageError(`no tile ${x},${y} at zoom ${z}`);
    const file = path.join(this.dir, String(z), String(x), `${y}.png`);
    const kept = await readKept(file);
    if (kept && Date.now() - kept.mtimeMs < KEEP_MS) return { mime: mimeOf(kept.bytes), bytes: kept.bytes };
    const key = `${z}/${x}/${y}`;
    let pending = this.fetching.get(key);
    if (!pending) {
      pending = this.fetchAndKeep(z, x, y, file).finally(() => this.fetching.delete(key));
      this.fetching.set(key, pending);
    }
    try {
      return await pending;
    } catch (error) {
      // Offline or refused: an old copy is better than none.
      if (kept) return { mime: mimeOf(kept.bytes), bytes: kept.bytes };
      throw error;
    }
  }

  private async fetchAndKeep(z: number, x: number, y: number, file: string): Promise<Tile> {
    const url = this.template.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y));
    const bytes = await this.withConnection(() => fetchTile(url));
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Written whole, then renamed: a tile read while another is written is never half a file.
    const partial = `${file}.${process.pid}.partial`;
    await fs.writeFile(partial, bytes);
    await fs.rename(partial, file);
    return { mime: mimeOf(bytes), bytes };
  }

  private async withConnection<T>(work: () => Promise<T>): Promise<T> {
    while (this.connections >= MAX_CONNECTIONS) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.connections++;
    try {
      return await work();
    } finally {
      this.connections--;
      this.queue.shift()?.();
    }
  }
}

async function fetchTile(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { 'User-Agent': USER_AGENT }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    throw new TileUnavailableError(`the map tile server cannot be reached: ${errorMessage(error)}`);
  }
  if (!response.ok) throw new TileUnavailableError(`the map tile server answered ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_TILE_BYTES) throw new TileUnavailableError(`the map tile server sent ${declared} bytes, not a tile`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > MAX_TILE_BYTES || mimeOf(bytes) === 'application/octet-stream') throw new TileUnavailableError('the map tile server sent something that is not a PNG or JPEG tile');
  return bytes;
}

/** PNG or JPEG by their signatures (what the server says is not trusted: the bytes reach the page). */
function mimeOf(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return 'application/octet-stream';
}

async function readKept(file: string): Promise<{ bytes: Uint8Array; mtimeMs: number } | null> {
  try {
    const [stat, bytes] = await Promise.all([fs.stat(file), fs.readFile(file)]);
    const kept = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return mimeOf(kept) === 'application/octet-stream' ? null : { bytes: kept, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}
