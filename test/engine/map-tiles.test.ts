import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MapTiles, TileUnavailableError } from '../../main/engine/library/map-tiles.js';
import { tempDir } from '../helpers/fixtures.js';

/**
 * Online map tiles (issue 19, item 3's optional setting): fetched from the tile server named by a
 * template, kept below the library and served from there afterwards (offline too), at most two
 * requests at a time, with a User-Agent naming Iris, and nothing that is not a PNG or JPEG tile
 * reaches the page. Against a real local HTTP server.
 */
describe('map tiles, fetched once and kept', () => {
  let server: http.Server;
  let template: string;
  const requests: { path: string; agent: string | undefined }[] = [];
  let open = 0;
  let mostOpen = 0;
  let png: Buffer;

  before(async () => {
    png = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 170, g: 211, b: 223 } } }).png().toBuffer();
    server = http.createServer((request, response) => {
      requests.push({ path: request.url ?? '', agent: request.headers['user-agent'] });
      open++;
      mostOpen = Math.max(mostOpen, open);
      setTimeout(() => {
        open--;
        if (request.url?.startsWith('/html/')) response.writeHead(200, { 'content-type': 'image/png' }).end('<script>alert(1)</script>');
        else if (request.url?.startsWith('/missing/')) response.writeHead(404).end();
        else response.writeHead(200, { 'content-type': 'image/png' }).end(png);
      }, 30);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    template = `http://127.0.0.1:${(server.address() as { port: number }).port}/{z}/{x}/{y}.png`;
  });

  after(() => server.close());

  it('fetches a tile with a User-Agent naming Iris, keeps it, and answers later asks from disk', async () => {
    const dir = tempDir('iris-tiles-');
    const tiles = new MapTiles(dir, template);
    const tile = await tiles.tile(3, 4, 2);
    assert.equal(tile.mime, 'image/png');
    assert.deepEqual(Buffer.from(tile.bytes), png);
    assert.equal(requests.at(-1)!.path, '/3/4/2.png');
    assert.match(requests.at(-1)!.agent ?? '', /^Iris\/\d/);
    assert.ok(fs.existsSync(path.join(dir, '3', '4', '2.png')));
    const before = requests.length;
    await tiles.tile(3, 4, 2);
    assert.equal(requests.length, before, 'kept: not fetched again');
    // Offline (a server that is gone): the kept tile still answers; one never seen cannot.
    const offline = new MapTiles(dir, 'http://127.0.0.1:9/{z}/{x}/{y}.png');
    assert.deepEqual(Buffer.from((await offline.tile(3, 4, 2)).bytes), png);
    await assert.rejects(offline.tile(3, 4, 3), TileUnavailableError);
  });

  it('asks at most two at a time, and once per tile however often the page asks', async () => {
    const tiles = new MapTiles(tempDir('iris-tiles-'), template);
    const before = requests.length;
    mostOpen = 0;
    await Promise.all([...Array.from({ length: 8 }, (_, i) => tiles.tile(4, i, 0)), tiles.tile(4, 0, 0), tiles.tile(4, 0, 0)]);
    assert.equal(requests.length - before, 8);
    assert.equal(mostOpen, 2);
  });

  it('refuses what is not a tile: a page for a PNG, an error status, a tile outside the grid', async () => {
    const dir = tempDir('iris-tiles-');
    await assert.rejects(new MapTiles(dir, template.replace('/{z}', '/html/{z}')).tile(1, 0, 0), /not a PNG or JPEG tile/);
    await assert.rejects(new MapTiles(dir, template.replace('/{z}', '/missing/{z}')).tile(1, 0, 0), /answered 404/);
    assert.equal(fs.readdirSync(dir).length, 0, 'nothing kept');
    await assert.rejects(new MapTiles(dir, template).tile(1, 2, 0), /no tile 2,0 at zoom 1/);
    await assert.rejects(new MapTiles(dir, template).tile(20, 0, 0), /no tile zoom 20/);
  });
});
