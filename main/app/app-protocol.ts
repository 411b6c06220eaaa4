import fs from 'node:fs/promises';
import path from 'node:path';
import { pageSecurityHeaders } from './csp.js';
import { APP_HOST, APP_SCHEME } from './schemes.js';

/** The types a Vite build emits; anything else is served as bytes the page cannot run. */
const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file under `rendererDir` that an app:// URL names, or null: another host, a path that
 * leaves the folder (also when percent-encoded), a NUL byte. "/" is index.html.
 */
export function appFilePath(rawUrl: string, rendererDir: string): string | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username || url.password) return null;
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (relative.includes('\0') || relative.includes('\\')) return null;
  if (relative === '/' || relative === '') relative = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${relative}`);
  const inside = path.relative(root, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return null;
  return file;
}

/** Answers one app:// request from the renderer bundle, with the CSP on every response. */
export async function appResponse(rawUrl: string, rendererDir: string): Promise<Response> {
  const headers = pageSecurityHeaders();
  const file = appFilePath(rawUrl, rendererDir);
  if (!file) return new Response('bad request', { status: 400, headers });
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return new Response('not found', { status: 404, headers });
  }
  const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  // The bundle changes only with the app; hashed asset names make long caching safe, index.html is not hashed.
  const cache = path.basename(file) === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable';
  return new Response(new Uint8Array(bytes), { status: 200, headers: { ...headers, 'Content-Type': type, 'Cache-Control': cache } });
}
