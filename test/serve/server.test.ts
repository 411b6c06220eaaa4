import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES, type RpcMessage } from '../../main/contract/rpc.js';
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
      if (message.type === 'result' && message.id !== null) waiting.get(message.id)?.(message);
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
  let tileServer: http.Server;

  before(async () => {
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Iris</title>');
    fs.mkdirSync(path.join(rendererDir, 'assets'));
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(path.dirname(rendererDir), 'secret.txt'), 'not for the browser');
    await colourPhotos(photos, 1);
    // A tile server of our own for the map-tiles route (the engine reads the template when it starts).
    tileServer = http.createServer((request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Buffer.from(request.url ?? '')])));
    await new Promise<void>((resolve) => tileServer.listen(0, '127.0.0.1', resolve));
    process.env.IRIS_MAP_TILES_URL = `http://127.0.0.1:${(tileServer.address() as { port: number }).port}/{z}/{x}/{y}.png`;
    service = EngineService.open({ libraryDir: tempDir(), modelsDir: fixtureModels }, { watch: false });
    service.engine.library.addFolders([photos]);
    service.start();
    server = await startServer({ service, rendererDir });
    base = `http://127.0.0.1:${server.port}`;
    await waitFor(async () => (!service.indexing && service.engine.store.counts().ok === 8 ? true : undefined), 60_000, 'indexing');
  });

  after(async () => {
    await server.close();
    await service.close();
    tileServer.close();
    delete process.env.IRIS_MAP_TILES_URL;
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

  it('serves map tiles only with the token and only with online tiles turned on', async () => {
    assert.equal((await get(`${base}/media/tile/0/0/0`)).status, 403);
    const off = await get(`${base}/media/tile/0/0/0?token=${server.token}`);
    assert.equal(off.status, 422, 'the map-tiles setting is off by default: nothing is fetched');
    assert.match(String(off.body), /online map tiles are off/);
    assert.equal((await get(`${base}/media/tile/1/2/0?token=${server.token}`)).status, 400, 'outside the zoom\'s grid');
    assert.equal((await get(`${base}/media/tile/1/0?token=${server.token}`)).status, 400);
    assert.equal((await service.handle('settings.set', { key: 'map-tiles', value: 'openstreetmap' })).ok, true);
    const on = await get(`${base}/media/tile/2/3/1?token=${server.token}`);
    assert.equal(on.status, 200);
    assert.equal(on.headers['content-type'], 'image/png');
    assert.equal(String(on.body.subarray(8)), '/2/3/1.png', 'the tile the page asked for, from the tile server');
    await service.handle('settings.set', { key: 'map-tiles', value: null });
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
      assert.ok(search.type === 'result' && search.ok, JSON.stringify(search));
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
        const args =
          name === 'media.read' ? { kind: 'photo', id: hit!.id } : name === 'endpoint.setKey' || name === 'ask.useKey' ? { key: 'sk-from-a-page' } : name === 'app.openExternal' ? { url: 'https://example.com' } : {};
        const answer = await client.call(name, args);
        assert.ok(answer.type === 'result' && !answer.ok && answer.error.code === code, `${name}: ${JSON.stringify(answer)}`);
      }
      const invalid = await client.call('search.text', { query: '' });
      assert.ok(invalid.type === 'result' && !invalid.ok && invalid.error.code === 'invalid-args');
    } finally {
      client.close();
    }
  });

  /** A TCP connection upgraded to a WebSocket by hand, so that the test can send what no client library would. */
  function rawSocket(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.once('error', reject);
      socket.write(
        [`GET /rpc?token=${server.token} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', '', ''].join('\r\n'),
      );
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head.split('\r\n')[0]));
        else resolve(socket);
      };
      socket.on('data', onData);
    });
  }

  /** A client frame (clients must mask): first byte as given (FIN, RSV bits, opcode). */
  function frame(firstByte: number, payload: Buffer, claimedLength = payload.length): Buffer {
    const mask = Buffer.from([1, 2, 3, 4]);
    const header = claimedLength < 126
      ? Buffer.from([firstByte, 0x80 | claimedLength])
      : Buffer.concat([Buffer.from([firstByte, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(claimedLength)); return b; })()]);
    return Buffer.concat([header, mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))]);
  }

  /** Sends bytes on an upgraded socket and resolves with the code of the close frame the server sends back. */
  function closeCodeAfter(socket: net.Socket, bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        // Server frames are unmasked; skip to the close frame (opcode 8).
        for (let at = 0; at + 2 <= received.length; ) {
          const opcode = received[at]! & 0x0f;
          let length = received[at + 1]! & 0x7f;
          let start = at + 2;
          if (length === 126) {
            length = received.readUInt16BE(at + 2);
            start += 2;
          } else if (length === 127) {
            length = Number(received.readBigUInt64BE(at + 2));
            start += 8;
          }
          if (start + length > received.length) break;
          if (opcode === 8) {
            resolve(received.readUInt16BE(start));
            return;
          }
          at = start + length;
        }
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('closed without a close frame')));
      socket.write(bytes);
    });
  }

  it('survives clients that reset the socket while their upgrade is refused', async () => {
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(server.port, '127.0.0.1', () => {
          socket.write(`GET /rpc?token=wrong HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
          // An RST instead of a FIN, at once or a moment later: the server's 403 meets a reset socket.
          if (i % 2 === 0) socket.resetAndDestroy();
          else setImmediate(() => socket.resetAndDestroy());
          resolve();
        });
        socket.on('error', () => resolve());
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await get(`${base}/`)).status, 200, 'the server still answers');
  });

  it('closes only the connection that sends a malformed frame, with the matching code, and keeps answering the others', async () => {
    const bystander = await connect(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
    try {
      const cases: [string, Buffer, number][] = [
        ['a frame over the size limit', frame(0x81, Buffer.alloc(0), MAX_MESSAGE_BYTES + 1), 1009],
        ['invalid UTF-8 in a text frame', frame(0x81, Buffer.from([0xc3, 0x28, 0xa0, 0xa1])), 1007],
        ['reserved bits set', frame(0x81 | 0x40 | 0x20, Buffer.from('{}')), 1002],
        ['an unknown opcode', frame(0x83, Buffer.from('{}')), 1002],
      ];
      for (const [what, bytes, code] of cases) {
        const socket = await rawSocket();
        try {
          assert.equal(await closeCodeAfter(socket, bytes), code, what);
        } finally {
          socket.destroy();
        }
      }
      // Many connections opened and dropped at once.
      const many = await Promise.all(Array.from({ length: 30 }, () => rawSocket()));
      for (const socket of many) socket.resetAndDestroy();
      const answer = await bystander.call('app.capabilities', {});
      assert.ok(answer.type === 'result' && answer.ok, 'the other connection is still served');
    } finally {
      bystander.close();
    }
  });

  it('answers a message that is not a well-formed call instead of dropping it, and takes the largest legal call', async () => {
    const socket = await rawSocket();
    const replies: unknown[] = [];
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        let length = buffered[1]! & 0x7f;
        let start = 2;
        if (length === 126) {
          length = buffered.readUInt16BE(2);
          start = 4;
        }
        if (buffered.length < start + length) break;
        replies.push(JSON.parse(buffered.subarray(start, start + length).toString('utf8')));
        buffered = buffered.subarray(start + length);
      }
    });
    try {
      for (const text of ['not json', '[1,2]', '{"type":"call","id":"7","name":"app.capabilities","args":{}}', '{"type":"call","id":8,"args":{}}']) socket.write(frame(0x81, Buffer.from(text)));
      // (The engine.state event sent on connecting may have come with the handshake's bytes.)
      const results = () => replies.filter((reply): reply is { type: string; id: number | null; ok: boolean; error: { code: string } } => (reply as { type?: string }).type === 'result');
      await waitFor(() => (results().length >= 4 ? true : undefined), 5_000, 'answers to malformed calls');
      const errors = results();
      assert.deepEqual(errors.map((reply) => [reply.id, reply.ok, reply.error.code]), [[null, false, 'invalid-args'], [null, false, 'invalid-args'], [null, false, 'invalid-args'], [8, false, 'invalid-args']]);
    } finally {
      socket.destroy();
    }
    // captions.queue takes up to 100,000 ids: the biggest of them still fits a frame.
    const client = await connect(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
    try {
      const answer = await client.call('captions.queue', { photoIds: Array.from({ length: 100_000 }, () => Number.MAX_SAFE_INTEGER) });
      assert.equal(answer.type, 'result', 'answered, not closed for size');
    } finally {
      client.close();
    }
  });

  it('checks the arguments of the calls it answers itself, and answers 400 to a malformed path', async () => {
    const client = await connect(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
    try {
      const answer = await client.call('app.capabilities', { surprise: true });
      assert.ok(answer.type === 'result' && !answer.ok && answer.error.code === 'invalid-args', JSON.stringify(answer));
    } finally {
      client.close();
    }
    assert.equal((await get(`${base}/%E0%A4%A`)).status, 400);
  });
});
