import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { RpcMessage } from '../../main/contract/rpc.js';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { type IrisServer, startServer } from '../../main/serve/server.js';
import { colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';

/**
 * `iris serve`'s guards, tested over real sockets: the token, the Host and Origin checks, the
 * static file root, the CSP, and which calls a browser may make. (The UI itself is driven in
 * Chromium by test/e2e.)
 */

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

/** Opens a socket; resolves with a caller, or rejects with the HTTP status the upgrade got. */
function connect(url: string, headers: Record<string, string> = {}): Promise<{ call(name: string, args: unknown): Promise<RpcMessage>; close(): void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let nextId = 1;
    const waiting = new Map<number, (message: RpcMessage) => void>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as RpcMessage;
      if (message.type === 'result') waiting.get(message.id)?.(message);
    });
    ws.on('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        call: (name, args) =>
          new Promise((done) => {
            const id = nextId++;
            waiting.set(id, done);
            ws.send(JSON.stringify({ type: 'call', id, name, args }));
          }),
        close: () => ws.close(),
      }),
    );
  });
}

describe('iris serve', () => {
  const rendererDir = tempDir('iris-renderer-');
  const photos = tempDir('iris-serve-photos-');
  let service: EngineService;
  let server: IrisServer;
  let base: string;

  before(async () => {
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Iris</title>');
    fs.mkdirSync(path.join(rendererDir, 'assets'));
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(path.dirname(rendererDir), 'secret.txt'), 'not for the browser');
    await colourPhotos(photos, 1);
    service = EngineService.open({ libraryDir: tempDir(), modelsDir: fixtureModels }, { watch: false });
    service.engine.addFolders([photos]);
    service.start();
    server = await startServer({ service, rendererDir });
    base = `http://127.0.0.1:${server.port}`;
    await waitFor(async () => (!service.indexing && service.engine.store.counts().ok === 8 ? true : undefined), 60_000, 'indexing');
  });

  after(async () => {
    await server.close();
    await service.close();
  });

  it('binds to 127.0.0.1 and prints a URL that carries a long random token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{40,}$/);
  });

  it('serves the app with a strict CSP, and nothing outside its folder', async () => {
    const page = await get(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'(;|$)/);
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal((await get(`${base}/assets/app.js`)).status, 200);
    assert.equal((await get(`${base}/..%2Fsecret.txt`)).status, 403);
    assert.equal((await get(`${base}/nothing-here.js`)).status, 404);
  });

  it('refuses a request for another host name (DNS rebinding)', async () => {
    assert.equal((await get(`${base}/`, { host: `evil.example:${server.port}` })).status, 421);
  });

  it('serves photos by id only, and only with the token', async () => {
    const id = service.engine.listPhotos()[0]!.id;
    assert.equal((await get(`${base}/media/thumb/${id}`)).status, 403);
    assert.equal((await get(`${base}/media/thumb/${id}?token=wrong`)).status, 403);
    const thumb = await get(`${base}/media/thumb/${id}?token=${server.token}`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers['content-type'], 'image/webp');
    assert.equal((await get(`${base}/media/thumb/999999?token=${server.token}`)).status, 404);
    assert.equal((await get(`${base}/media/photo/..%2F..%2Fetc%2Fpasswd?token=${server.token}`)).status, 400);
  });

  it('opens the contract socket only with the token, the right Origin and the right path', async () => {
    const rpc = `ws://127.0.0.1:${server.port}/rpc`;
    await assert.rejects(connect(rpc), /403/);
    await assert.rejects(connect(`${rpc}?token=nope`), /403/);
    await assert.rejects(connect(`${rpc}?token=${server.token}`, { origin: 'https://evil.example' }), /403/);
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/other?token=${server.token}`), /403/);
    const client = await connect(`${rpc}?token=${server.token}`, { origin: base });
    client.close();
  });

  it('answers the contract over the socket, as the browser host', async () => {
    const client = await connect(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
    try {
      const capabilities = await client.call('app.capabilities', {});
      assert.deepEqual(capabilities, { type: 'result', id: 1, ok: true, value: { mode: 'browser', nativeFolderDialog: false, openExternal: false, storesSecrets: false } });
      const search = await client.call('search.text', { query: 'green', limit: 1 });
      assert.ok(search.type === 'result' && search.ok);
      const [hit] = (search.value as { results: { id: number }[] }).results;
      assert.match(service.engine.store.getPhoto(hit!.id)!.path, /green-1\.jpg$/);
      for (const [name, code] of [
        ['media.read', 'forbidden'],
        ['folders.choose', 'forbidden'],
        ['app.openExternal', 'forbidden'],
        // Browser mode keeps no keys (the key comes from IRIS_ENDPOINT_API_KEY), and no page hands the engine one.
        ['endpoint.setKey', 'forbidden'],
        ['ask.useKey', 'forbidden'],
        ['shell.exec', 'unknown-call'],
      ] as const) {
        const args = name === 'media.read' ? { kind: 'photo', id: hit!.id } : name === 'endpoint.setKey' || name === 'ask.useKey' ? { key: 'sk-from-a-page' } : {};
        const answer = await client.call(name, args);
        assert.ok(answer.type === 'result' && !answer.ok && answer.error.code === code, `${name}: ${JSON.stringify(answer)}`);
      }
      const invalid = await client.call('search.text', { query: '' });
      assert.ok(invalid.type === 'result' && !invalid.ok && invalid.error.code === 'invalid-args');
    } finally {
      client.close();
    }
  });
});
