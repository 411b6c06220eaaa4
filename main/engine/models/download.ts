import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type ModelEntry, type ModelFile, fileUrl, modelFilePath } from './catalog.js';

export interface DownloadProgress {
  model: string;
  file: string;
  /** Bytes of this file on disk so far (a resumed download starts above zero). */
  received: number;
  total: number;
  /** Bytes per second over this transfer. */
  rate: number;
}

export interface InstallOptions {
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Attempts per file for network failures and bad bytes (each resumes or restarts as fits). */
  attempts?: number;
  /** Waits between attempts, in ms; the n-th retry waits n times this. */
  retryDelayMs?: number;
}

export type FileState = 'ok' | 'missing' | 'wrong-size' | 'wrong-hash';

export class ModelDownloadError extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'ModelDownloadError';
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checks one installed file against the catalog: size first (cheap), then sha256. */
export async function checkFile(modelsDir: string, model: ModelEntry, file: ModelFile): Promise<FileState> {
  const target = modelFilePath(modelsDir, model, file);
  const stat = await fs.promises.stat(target).catch(() => undefined);
  if (!stat) return 'missing';
  if (stat.size !== file.bytes) return 'wrong-size';
  return (await sha256OfFile(target)) === file.sha256 ? 'ok' : 'wrong-hash';
}

/**
 * Fetches the bytes of `file` into `partial`, continuing from what is already there with an HTTP
 * Range request. A server that ignores Range answers 200 and the file starts over.
 */
async function transfer(url: string, partial: string, file: ModelFile, report: (received: number, rate: number) => void, signal?: AbortSignal): Promise<void> {
  let start = (await fs.promises.stat(partial).catch(() => undefined))?.size ?? 0;
  if (start > file.bytes) {
    await fs.promises.rm(partial, { force: true });
    start = 0;
  }
  if (start === file.bytes) return; // complete already; the hash check decides if it is right
  const response = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, signal, redirect: 'follow' });
  if (response.status === 404 || response.status === 401 || response.status === 403) {
    throw new ModelDownloadError(`${url}: HTTP ${response.status} ${response.statusText || ''}`.trim(), true);
  }
  if (response.status === 416) {
    // Our partial file is not a prefix the server recognises: start over.
    await fs.promises.rm(partial, { force: true });
    throw new ModelDownloadError(`${url}: server refused to resume (HTTP 416); restarting`, false);
  }
  if (response.status !== 200 && response.status !== 206) throw new ModelDownloadError(`${url}: HTTP ${response.status}`, false);
  if (!response.body) throw new ModelDownloadError(`${url}: empty response`, false);
  const resumed = response.status === 206;
  let received = resumed ? start : 0;
  const out = fs.createWriteStream(partial, { flags: resumed ? 'a' : 'w' });
  const began = Date.now();
  const fromByte = received;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      received += chunk.byteLength;
      if (received > file.bytes) throw new ModelDownloadError(`${url}: more bytes than the catalog's ${file.bytes}`, false);
      report(received, (received - fromByte) / Math.max(0.001, (Date.now() - began) / 1000));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  if (received !== file.bytes) throw new ModelDownloadError(`${url}: transfer ended at ${received} of ${file.bytes} bytes`, false);
}

/**
 * Downloads one file: resumable (`<file>.part` keeps what arrived), verified by sha256 before it
 * is moved into place with a rename, so a model file under its final name is always whole and
 * right. A partial file with wrong bytes is thrown away and fetched again.
 */
export async function downloadFile(modelsDir: string, model: ModelEntry, file: ModelFile, options: InstallOptions = {}): Promise<void> {
  const target = modelFilePath(modelsDir, model, file);
  const partial = `${target}.part`;
  const url = fileUrl(model, file);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const attempts = options.attempts ?? 4;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await transfer(url, partial, file, (received, rate) => options.onProgress?.({ model: model.id, file: file.path, received, total: file.bytes, rate }), options.signal);
      const actual = await sha256OfFile(partial);
      if (actual !== file.sha256) {
        await fs.promises.rm(partial, { force: true });
        throw new ModelDownloadError(`${url}: sha256 ${actual} does not match the catalog's ${file.sha256}`, false);
      }
      await fs.promises.rename(partial, target);
      return;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      lastError = error as Error;
      if (error instanceof ModelDownloadError && error.permanent) break;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1000) * attempt));
    }
  }
  throw new ModelDownloadError(`could not download ${model.id}/${file.path}: ${lastError?.message ?? 'unknown error'}`, true);
}

/** Installs every file of a model that is not already present and correct. */
export async function installModel(modelsDir: string, model: ModelEntry, options: InstallOptions = {}): Promise<{ downloaded: string[]; present: string[] }> {
  const downloaded: string[] = [];
  const present: string[] = [];
  for (const file of model.files) {
    if ((await checkFile(modelsDir, model, file)) === 'ok') {
      present.push(file.path);
      continue;
    }
    // A file under its final name with wrong bytes (corrupted on disk) is replaced.
    await fs.promises.rm(modelFilePath(modelsDir, model, file), { force: true });
    await downloadFile(modelsDir, model, file, options);
    downloaded.push(file.path);
  }
  return { downloaded, present };
}

/** The state of every file of a model, for `iris models verify`. */
export async function verifyModel(modelsDir: string, model: ModelEntry): Promise<{ path: string; state: FileState }[]> {
  const states = [];
  for (const file of model.files) states.push({ path: file.path, state: await checkFile(modelsDir, model, file) });
  return states;
}
