import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CallName, HostCallName } from '../contract/contract.js';
import { callHost, gateCall, type HostCalls } from '../contract/gate.js';
import { callErrorOf, IrisCallError, MAX_MESSAGE_BYTES } from '../contract/rpc.js';
import { errorMessage } from '../engine/errors.js';
import type { CallOutcome, EngineService } from '../engine/service/engine-service.js';
import { serveRpc } from '../engine/service/rpc-server.js';
import { isWithin } from '../engine/paths.js';
import { irisRoot } from '../version.js';

/**
 * Browser mode (`iris serve`): the built renderer over HTTP and the contract over a WebSocket, on
 * loopback only. Everything that is not the public app bundle needs the random token printed with
 * the URL: the WebSocket (`/rpc?token=`) and photos (`/media/<kind>/<id>?token=`), so another
 * local user's process, or a web page the user visits (DNS rebinding, cross-site WebSocket), gets
 * nothing. Host and Origin are checked too, for the same reason.
 */

export interface ServeOptions {
  service: EngineService;
  /** 0 = any free port. */
  port?: number;
  /** The built renderer (vite build output). Default: dist/renderer of the install. */
  rendererDir?: string;
  /** Fixed token (tests); default 32 random bytes. */
  token?: string;
}

export interface IrisServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The same policy as the desktop window, with the socket this page talks to. */
function browserCsp(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Host must name this loopback server: a rebinding attacker's page sends its own host name. */
function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `${HOST}:${port}` || host === `localhost:${port}`;
}

/** The host calls in browser mode: what this host answers itself, and what it cannot do. */
const browserHost: HostCalls = {
  'app.capabilities': async () => ({ mode: 'browser', nativeFolderDialog: false, openExternal: false, storesSecrets: false }),
  'app.openExternal': async () => {
    throw new IrisCallError('forbidden', 'browser mode opens links itself');
  },
  'folders.choose': async () => {
    throw new IrisCallError('forbidden', 'there is no native folder dialog in browser mode: type the folder path');
  },
  'settings.chooseOutputFolder': async () => {
    throw new IrisCallError('forbidden', 'there is no native folder dialog in browser mode: set output-folder to a typed path');
  },
  'endpoint.setKey': async () => {
    throw new IrisCallError('forbidden', 'browser mode keeps no keys: set IRIS_ENDPOINT_API_KEY in the environment of `iris serve`');
  },
  'photos.showInFolder': async () => {
    throw new IrisCallError('forbidden', 'browser mode cannot open the file manager: the photo\'s path is in its Info');
  },
  'photos.export': async () => {
    throw new IrisCallError('forbidden', 'there is no native folder dialog in browser mode: export to a typed folder (photos.exportTo)');
  },
};

/** The contract's gate in browser mode (contract/gate.ts); host calls answered here, the rest left to the engine. */
function intercept(name: CallName | string, args: unknown): Promise<CallOutcome> | CallOutcome | undefined {
  const decision = gateCall('browser', name, args);
  if (decision.action === 'refuse') return { ok: false, error: decision.error };
  if (decision.action === 'engine') return undefined;
  return answerHost(decision.name, decision.args);
}

async function answerHost(name: HostCallName, args: unknown): Promise<CallOutcome> {
  try {
    return { ok: true, value: await callHost(browserHost, name, args) };
  } catch (error) {
    return { ok: false, error: callErrorOf(error) };
  }
}

export async function startServer(options: ServeOptions): Promise<IrisServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir ?? path.join(irisRoot, 'dist', 'renderer'));
  await fs.access(path.join(rendererDir, 'index.html')).catch(() => {
    throw new Error(`no built renderer at ${rendererDir}: run \`npm run build\` first`);
  });
  let port = 0;

  const server = http.createServer((request, response) => {
    void handleHttp(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(errorMessage(error)));
    });
  });

  async function handleHttp(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (!hostAllowed(request.headers.host, port)) {
      response.writeHead(421, { 'content-type': 'text/plain' }).end('wrong host');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`);
    const media = /^\/media\/(thumb|preview|photo)\/(\d{1,15})$/.exec(url.pathname);
    const tile = /^\/media\/tile\/(\d{1,2})\/(\d{1,6})\/(\d{1,6})$/.exec(url.pathname);
    if (media || tile) {
      if (!sameToken(url.searchParams.get('token'), token)) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end('token required');
        return;
      }
      // The contract checks the numbers (a tile inside its zoom's grid); the engine fetches tiles only with the setting on.
      const outcome = media
        ? await options.service.handle('media.read', { kind: media[1], id: Number(media[2]) })
        : await options.service.handle('map.tile', { z: Number(tile![1]), x: Number(tile![2]), y: Number(tile![3]) });
      if (!outcome.ok) {
        const status = outcome.error.code === 'not-found' ? 404 : outcome.error.code === 'invalid-args' ? 400 : outcome.error.code === 'usage' ? 422 : outcome.error.code === 'unavailable' ? 503 : 500;
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(outcome.error.message);
        return;
      }
      const { mime, bytes } = outcome.value as { mime: string; bytes: Uint8Array };
      // Thumbnails are named by content hash on disk, but the URL is by id: a changed file keeps
      // its id, so only a short cache.
      response.writeHead(200, { 'content-type': mime, 'content-length': bytes.byteLength, 'cache-control': tile ? 'private, max-age=86400' : 'private, max-age=60', 'x-content-type-options': 'nosniff' });
      response.end(request.method === 'HEAD' ? undefined : bytes);
      return;
    }
    if (url.pathname.startsWith('/media/')) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('media URLs are /media/<thumb|preview|photo>/<id> and /media/tile/<z>/<x>/<y>');
      return;
    }
    await serveStatic(url.pathname, request, response);
  }

  async function serveStatic(pathname: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('malformed path');
      return;
    }
    const relative = pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    const file = path.resolve(rendererDir, relative);
    if (!isWithin(rendererDir, file)) {
      response.writeHead(403).end();
      return;
    }
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    const headers: http.OutgoingHttpHeaders = { 'content-type': type, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    if (type.startsWith('text/html')) {
      headers['content-security-policy'] = browserCsp(port);
      headers['cache-control'] = 'no-store';
    } else {
      // Vite names bundles by content hash.
      headers['cache-control'] = relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    }
    response.writeHead(200, headers).end(request.method === 'HEAD' ? undefined : bytes);
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (request, socket, head) => {
    // Until ws owns it, the socket is ours: a client that resets it mid-handshake must cost only
    // this socket (an 'error' without a listener would end the process).
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`);
    const origin = request.headers.origin;
    const originAllowed = origin === undefined || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/rpc' || !hostAllowed(request.headers.host, port) || !originAllowed || !sameToken(url.searchParams.get('token'), token)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => connect(ws));
  });

  function connect(ws: WebSocket): void {
    const connection = serveRpc(
      options.service,
      {
        send: (message) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
        },
      },
      { intercept },
    );
    const refuse = (message: string) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id: null, ok: false, error: { code: 'invalid-args', message } }));
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        refuse('the contract travels as JSON text frames');
        return;
      }
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        refuse('a message must be JSON');
        return;
      }
      connection.receive(message);
    });
    // A malformed frame (too big, bad UTF-8, reserved bits, unknown opcode): ws closes this
    // connection with the matching code (1009, 1007, 1002); the error is reported here so that it
    // is not thrown, and only this socket ends.
    ws.on('error', (error) => process.stderr.write(`iris serve: closed a connection: ${error.message}\n`));
    ws.on('close', () => connection.detach());
    ws.send(JSON.stringify({ type: 'event', name: 'engine.state', payload: { state: 'ready', message: null } }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
