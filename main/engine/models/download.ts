import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type ModelEntry, type ModelFile, fileUrl, isPinnedFile, modelFilePath } from './catalog.js';
import { UserFacingError, errorMessage } from '../errors.js';

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
  /**
   * Told about things the user should know but that do not stop the install: a file of an
   * unpinned catalog entry being checked against what the server says instead of the catalog.
   */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Attempts per file for network failures and bad bytes (each resumes or restarts as fits). */
  attempts?: number;
  /** Waits between attempts, in ms; the n-th retry waits n times this. */
  retryDelayMs?: number;
}

/**
 * The state of an installed file. 'unpinned': present, but neither the catalog nor pinned.json
 * says what its bytes must be, so it cannot be checked (`iris models install` pins it).
 */
export type FileState = 'ok' | 'missing' | 'wrong-size' | 'wrong-hash' | 'unpinned';

export class ModelDownloadError extends UserFacingError {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'ModelDownloadError';
  }

  /** A download that may work later (network, server) is `unavailable`; a wrong file or URL is `usage`. */
  get callCode(): 'usage' | 'unavailable' {
    return this.permanent ? 'usage' : 'unavailable';
  }
}

/** Where the expected size and hash of a file came from. */
export type PinSource = 'catalog' | 'pinned.json' | 'x-linked-etag' | 'tree-api' | 'etag';

/** What a file's bytes must be. */
export interface ExpectedFile {
  bytes: number;
  /** sha256 of the content (LFS files, and every file once pinned). */
  sha256?: string;
  /** Git's blob id (sha1 of "blob <size>\0" + content): what the server gives for a small non-LFS file. */
  gitBlobSha1?: string;
  source: PinSource;
  /** Set when the sha256 is the catalog's and only the size came from `source` (a half-pinned file). */
  sha256From?: 'catalog';
}

/** `<modelsDir>/<id>/pinned.json`: sizes and sha256 learned from the server for an unpinned catalog entry. */
export const PINNED_FILE = 'pinned.json';

export interface PinRecord {
  bytes: number;
  sha256: string;
  /** How the value was established: the server's X-Linked-Etag, its tree API, or a git blob id checked on download. */
  source: Exclude<PinSource, 'catalog' | 'pinned.json'>;
  pinnedAt: string;
}

interface PinnedJson {
  version: 1;
  model: string;
  repo: string;
  /** The commit the pins belong to. */
  revision: string;
  /** The branch the catalog names, when `revision` is the commit it was resolved to. */
  branch?: string;
  files: Record<string, PinRecord>;
}

const COMMIT = /^[0-9a-f]{40}$/;

function readPinnedJson(modelsDir: string, model: ModelEntry): Partial<PinnedJson> | undefined {
  try {
    return JSON.parse(fs.readFileSync(pinnedJsonPath(modelsDir, model), 'utf8')) as Partial<PinnedJson>;
  } catch {
    return undefined;
  }
}

/**
 * The entry at the commit its files are pinned to: itself when the catalog names a commit, else
 * (a branch, in an unpinned entry) the commit pinned.json recorded when the branch was resolved,
 * else itself (not resolved yet: nothing has been learned from the server).
 */
function atPinnedRevision(modelsDir: string, model: ModelEntry): ModelEntry {
  if (COMMIT.test(model.source.revision)) return model;
  const pinned = readPinnedJson(modelsDir, model);
  if (pinned?.version !== 1 || pinned.repo !== model.source.repo || pinned.branch !== model.source.revision || !COMMIT.test(String(pinned.revision))) return model;
  return { ...model, source: { ...model.source, revision: pinned.revision! } };
}

/**
 * An unpinned entry that names a branch is resolved to the branch's current commit (the Hugging
 * Face API's `/api/models/<repo>/revision/<branch>`) before anything is learned from the server,
 * and that commit is recorded in pinned.json: every file is then fetched, and its size and hash
 * learned, at one commit, so a branch that moves between two files cannot mix two versions.
 * An entry whose every file the catalog pins needs no resolving: its hashes catch any move.
 */
async function resolveRevision(modelsDir: string, model: ModelEntry, signal?: AbortSignal): Promise<ModelEntry> {
  const local = atPinnedRevision(modelsDir, model);
  if (COMMIT.test(local.source.revision) || model.files.every(isPinnedFile)) return local;
  const base = (model.source.baseUrl ?? 'https://huggingface.co').replace(/\/$/, '');
  const url = `${base}/api/models/${model.source.repo}/revision/${encodeURIComponent(model.source.revision)}`;
  const response = await request(url, { signal });
  if (!response.ok) throw httpError(url, response);
  const sha = ((await response.json().catch(() => undefined)) as { sha?: unknown } | undefined)?.sha;
  if (typeof sha !== 'string' || !COMMIT.test(sha)) throw new ModelDownloadError(`${url}: the server named no commit for ${model.source.revision}; refusing to install from a branch that cannot be pinned`, true);
  const resolved = { ...model, source: { ...model.source, revision: sha } };
  await writePinnedJson(modelsDir, resolved, { version: 1, model: model.id, repo: model.source.repo, revision: sha, branch: model.source.revision, files: {} });
  return resolved;
}

async function writePinnedJson(modelsDir: string, model: ModelEntry, content: PinnedJson): Promise<void> {
  const target = pinnedJsonPath(modelsDir, model);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  await fs.promises.writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`);
  await fs.promises.rename(temporary, target);
}

export function pinnedJsonPath(modelsDir: string, model: ModelEntry): string {
  return path.join(modelsDir, model.id, PINNED_FILE);
}

/** The pins recorded for this model's repo and revision (none when the catalog moved to another revision). */
function readPins(modelsDir: string, model: ModelEntry): Record<string, PinRecord> {
  const parsed = readPinnedJson(modelsDir, model);
  if (!parsed || parsed.version !== 1 || parsed.repo !== model.source.repo || parsed.revision !== model.source.revision || typeof parsed.files !== 'object' || !parsed.files) return {};
  const pins: Record<string, PinRecord> = {};
  for (const [file, pin] of Object.entries(parsed.files)) {
    if (Number.isInteger(pin?.bytes) && pin.bytes >= 0 && /^[0-9a-f]{64}$/.test(String(pin?.sha256))) pins[file] = pin;
  }
  return pins;
}

/** Records a learned pin; `model` is at its pinned revision (a resolved branch keeps its name). */
async function recordPin(modelsDir: string, model: ModelEntry, file: string, pin: PinRecord): Promise<void> {
  const branch = readPinnedJson(modelsDir, model)?.branch;
  const content: PinnedJson = { version: 1, model: model.id, repo: model.source.repo, revision: model.source.revision, ...(branch ? { branch } : {}), files: { ...readPins(modelsDir, model), [file]: pin } };
  await writePinnedJson(modelsDir, model, content);
}

/** What a file must be, from the catalog or (unpinned entries) pinned.json; undefined when neither knows. */
export function expectedFromLocal(modelsDir: string, model: ModelEntry, file: ModelFile): ExpectedFile | undefined {
  if (isPinnedFile(file)) return { bytes: file.bytes, sha256: file.sha256, source: 'catalog' };
  const pin = readPins(modelsDir, atPinnedRevision(modelsDir, model))[file.path];
  // A pin that disagrees with what the catalog has learned since is stale.
  const current = pin && (file.sha256 === null || pin.sha256 === file.sha256) && (file.bytes === null || pin.bytes === file.bytes);
  return current ? { bytes: pin.bytes, sha256: pin.sha256, source: 'pinned.json' } : undefined;
}

export async function sha256OfFile(file: string): Promise<string> {
  return (await hashFile(file, false)).sha256;
}

/** sha256 of a file and, when asked, its git blob id, in one read. */
async function hashFile(file: string, withGitBlob: boolean): Promise<{ sha256: string; gitBlobSha1?: string }> {
  const sha256 = createHash('sha256');
  const sha1 = withGitBlob ? createHash('sha1').update(`blob ${(await fs.promises.stat(file)).size}\0`) : undefined;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    sha256.update(chunk as Buffer);
    sha1?.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), ...(sha1 ? { gitBlobSha1: sha1.digest('hex') } : {}) };
}

/** Size first (cheap), then the hash. */
async function compareFile(target: string, expected: ExpectedFile): Promise<FileState> {
  const stat = await fs.promises.stat(target).catch(() => undefined);
  if (!stat) return 'missing';
  if (stat.size !== expected.bytes) return 'wrong-size';
  const actual = await hashFile(target, !expected.sha256);
  if (expected.sha256) return actual.sha256 === expected.sha256 ? 'ok' : 'wrong-hash';
  return actual.gitBlobSha1 === expected.gitBlobSha1 ? 'ok' : 'wrong-hash';
}

/** Checks one installed file against the catalog (or, for an unpinned entry, its pinned.json). */
export async function checkFile(modelsDir: string, model: ModelEntry, file: ModelFile): Promise<FileState> {
  const target = modelFilePath(modelsDir, model, file);
  if (!fs.existsSync(target)) return 'missing';
  const expected = expectedFromLocal(modelsDir, model, file);
  return expected ? compareFile(target, expected) : 'unpinned';
}

function whose(expected: ExpectedFile, model: ModelEntry): string {
  if (expected.sha256From === 'catalog') return "the catalog's";
  switch (expected.source) {
    case 'catalog':
      return "the catalog's";
    case 'pinned.json':
      return `the ${PINNED_FILE}'s`;
    default:
      return `the server's (${expected.source} at ${model.source.revision})`;
  }
}

/** A header value without the quotes and weak marker of an ETag. */
function unquote(value: string | null): string | undefined {
  return value?.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase() || undefined;
}

function integer(value: string | null | undefined): number | undefined {
  return value !== null && value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function httpError(url: string, response: Response): ModelDownloadError {
  const permanent = response.status === 404 || response.status === 401 || response.status === 403;
  return new ModelDownloadError(`${url}: HTTP ${response.status} ${response.statusText || ''}`.trim(), permanent);
}

/** Errors of a machine that cannot reach the server at all (offline, no DNS, a firewall). */
const NO_CONNECTION = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    // Node's fetch says "fetch failed"; what happened is in its cause.
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    if (cause?.code && NO_CONNECTION.has(cause.code)) {
      throw new ModelDownloadError(`no connection to ${new URL(url).host} (${cause.code}): check the network and try again; what was downloaded is kept`, false);
    }
    throw new ModelDownloadError(`${url}: ${errorMessage(error)}${cause?.message ? ` (${cause.message})` : ''}`, false);
  }
}

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  oid?: string;
  lfs?: { oid?: string; size?: number };
}

/** The Hugging Face tree API's entry for a file at the entry's revision (it lists size, git blob id and, for LFS files, the sha256). */
async function treeEntry(model: ModelEntry, file: ModelFile, signal?: AbortSignal): Promise<TreeEntry | undefined> {
  const base = (model.source.baseUrl ?? 'https://huggingface.co').replace(/\/$/, '');
  const folder = file.path.includes('/') ? file.path.slice(0, file.path.lastIndexOf('/')) : '';
  const url = `${base}/api/models/${model.source.repo}/tree/${encodeURIComponent(model.source.revision)}${folder ? `/${folder.split('/').map(encodeURIComponent).join('/')}` : ''}`;
  const response = await request(url, { signal });
  if (!response.ok) return undefined;
  const entries = (await response.json().catch(() => undefined)) as TreeEntry[] | undefined;
  return Array.isArray(entries) ? entries.find((entry) => entry.path === file.path && entry.type !== 'directory') : undefined;
}

/**
 * What the server says a file of an unpinned entry is, at the entry's revision: for an LFS file
 * the HEAD answer's X-Linked-Etag (its sha256) and X-Linked-Size; otherwise the tree API's LFS
 * oid, or its git blob id and size; last, a HEAD ETag that is a git blob id with the
 * Content-Length. Refuses when none of these is there: nothing is installed unchecked.
 */
async function fetchExpected(model: ModelEntry, file: ModelFile, signal?: AbortSignal): Promise<ExpectedFile> {
  const url = fileUrl(model, file);
  const head = await request(url, { method: 'HEAD', redirect: 'manual', signal });
  if (head.status >= 400) throw httpError(url, head);
  const linked = unquote(head.headers.get('x-linked-etag'));
  const linkedSize = integer(head.headers.get('x-linked-size'));
  if (linked && /^[0-9a-f]{64}$/.test(linked) && linkedSize !== undefined) return { bytes: linkedSize, sha256: linked, source: 'x-linked-etag' };
  const entry = await treeEntry(model, file, signal);
  const lfsOid = entry?.lfs?.oid;
  const entrySize = entry?.lfs?.size ?? entry?.size;
  if (lfsOid && /^[0-9a-f]{64}$/.test(lfsOid) && Number.isInteger(entrySize)) return { bytes: entrySize!, sha256: lfsOid, source: 'tree-api' };
  if (entry?.oid && /^[0-9a-f]{40}$/.test(entry.oid) && Number.isInteger(entry.size)) return { bytes: entry.size!, gitBlobSha1: entry.oid, source: 'tree-api' };
  const etag = unquote(head.headers.get('etag'));
  const length = head.status < 300 ? integer(head.headers.get('content-length')) : undefined;
  if (etag && /^[0-9a-f]{40}$/.test(etag) && length !== undefined) return { bytes: length, gitBlobSha1: etag, source: 'etag' };
  throw new ModelDownloadError(
    `${url}: the catalog entry is unpinned and the server gave no size and hash to check the file against (no X-Linked-Etag/X-Linked-Size, no tree API entry); refusing to install unverified bytes`,
    true,
  );
}

/**
 * Fetches the bytes of a file into `partial`, continuing from what is already there with an HTTP
 * Range request. A server that ignores Range answers 200 and the file starts over.
 */
async function transfer(url: string, partial: string, total: number, report: (received: number, rate: number) => void, signal?: AbortSignal): Promise<void> {
  let start = (await fs.promises.stat(partial).catch(() => undefined))?.size ?? 0;
  if (start > total) {
    await fs.promises.rm(partial, { force: true });
    start = 0;
  }
  if (start === total) return; // complete already; the hash check decides if it is right
  const response = await request(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, signal, redirect: 'follow' });
  if (response.status === 416) {
    // Our partial file is not a prefix the server recognises: start over.
    await fs.promises.rm(partial, { force: true });
    throw new ModelDownloadError(`${url}: server refused to resume (HTTP 416); restarting`, false);
  }
  if (response.status !== 200 && response.status !== 206) throw httpError(url, response);
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
      if (received > total) throw new ModelDownloadError(`${url}: more bytes than the expected ${total}`, false);
      report(received, (received - fromByte) / Math.max(0.001, (Date.now() - began) / 1000));
    }
  } catch (error) {
    if (error instanceof ModelDownloadError || signal?.aborted) throw error;
    throw new ModelDownloadError(`${url}: transfer broke off at ${received} of ${total} bytes: ${errorMessage(error)}`, false);
  } finally {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  if (received !== total) throw new ModelDownloadError(`${url}: transfer ended at ${received} of ${total} bytes`, false);
}

/** Runs `attempt` up to `options.attempts` times while it fails with a non-permanent error. */
async function withRetries<T>(options: InstallOptions, attempt: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  let lastError: Error | undefined;
  for (let n = 1; n <= attempts; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      lastError = error as Error;
      if (error instanceof ModelDownloadError && error.permanent) break;
      if (n < attempts) await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1000) * n));
    }
  }
  throw lastError ?? new Error('unknown error');
}

/**
 * Downloads one file whose expected bytes are known: resumable (`<file>.part` keeps what
 * arrived), verified before it is moved into place with a rename, so a model file under its final
 * name is always whole and right. A partial file with wrong bytes is thrown away and fetched
 * again. Returns the file's sha256.
 */
async function fetchVerified(modelsDir: string, model: ModelEntry, file: ModelFile, expected: ExpectedFile, options: InstallOptions): Promise<string> {
  const target = modelFilePath(modelsDir, model, file);
  const partial = `${target}.part`;
  const url = fileUrl(model, file);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  return withRetries(options, async () => {
    await transfer(url, partial, expected.bytes, (received, rate) => options.onProgress?.({ model: model.id, file: file.path, received, total: expected.bytes, rate }), options.signal);
    const actual = await hashFile(partial, !expected.sha256);
    if (expected.sha256 && actual.sha256 !== expected.sha256) {
      await fs.promises.rm(partial, { force: true });
      throw new ModelDownloadError(`${url}: sha256 ${actual.sha256} does not match ${whose(expected, model)} ${expected.sha256}`, false);
    }
    if (!expected.sha256 && actual.gitBlobSha1 !== expected.gitBlobSha1) {
      await fs.promises.rm(partial, { force: true });
      throw new ModelDownloadError(`${url}: git blob id ${actual.gitBlobSha1} does not match ${whose(expected, model)} ${expected.gitBlobSha1}`, false);
    }
    await fs.promises.rename(partial, target);
    return actual.sha256;
  });
}

/** A file's failure, named; a failure that may pass (the network) stays one, so a window says "try again". */
function failure(model: ModelEntry, file: ModelFile, error: unknown): ModelDownloadError {
  return new ModelDownloadError(`could not download ${model.id}/${file.path}: ${errorMessage(error)}`, error instanceof ModelDownloadError ? error.permanent : true);
}

/** The expected bytes of a file: the catalog, pinned.json, else the server (with a warning). */
async function resolveExpected(modelsDir: string, model: ModelEntry, file: ModelFile, options: InstallOptions): Promise<ExpectedFile> {
  const local = expectedFromLocal(modelsDir, model, file);
  if (local) return local;
  const expected = withCatalogValues(model, file, await withRetries(options, () => fetchExpected(model, file, options.signal)));
  const hash = expected.sha256 ? 'sha256' : 'git blob id';
  const [fromServer, fromCatalog] =
    expected.sha256From === 'catalog' ? ['size', " and the catalog's sha256"] : file.bytes !== null ? [hash, " and the catalog's size"] : [`${hash} and size`, ''];
  options.onWarning?.(
    `${model.id} is unpinned in the catalog: ${file.path} is checked against the ${fromServer} the server gives ` +
      `at revision ${model.source.revision} (${expected.source})${fromCatalog}, and then recorded in ${pinnedJsonPath(modelsDir, model)}`,
  );
  return expected;
}

/**
 * A half-pinned file (the catalog knows its size or its sha256, not both): what the catalog knows
 * wins, and the server must agree with it. With the catalog's sha256 only the size is taken from
 * the server, so a moved branch cannot slip other bytes in.
 */
function withCatalogValues(model: ModelEntry, file: ModelFile, served: ExpectedFile): ExpectedFile {
  const url = fileUrl(model, file);
  if (file.bytes !== null && file.bytes !== served.bytes) {
    throw new ModelDownloadError(`${url}: the server says ${served.bytes} bytes at ${model.source.revision}, the catalog ${file.bytes}: not the file the catalog describes`, true);
  }
  if (file.sha256 === null) return served;
  if (served.sha256 && served.sha256 !== file.sha256) {
    throw new ModelDownloadError(`${url}: the server's sha256 at ${model.source.revision} is ${served.sha256}, the catalog's ${file.sha256}: not the file the catalog describes`, true);
  }
  return { bytes: served.bytes, sha256: file.sha256, source: served.source, sha256From: 'catalog' };
}

async function pinIfLearned(modelsDir: string, model: ModelEntry, file: ModelFile, expected: ExpectedFile, sha256: string): Promise<void> {
  if (expected.source === 'catalog' || expected.source === 'pinned.json') return;
  await recordPin(modelsDir, model, file.path, { bytes: expected.bytes, sha256, source: expected.source, pinnedAt: new Date().toISOString() });
}

/**
 * Learns what the catalog does not pin about a model's files from the server, without
 * downloading them, so that its size can be shown before anyone chooses to fetch it: the size and
 * sha256 the server states for each file at the catalog's revision (HEAD's x-linked-etag and
 * x-linked-size, else the tree API's LFS entry) are recorded in pinned.json, as an install would
 * record them (and the install then checks the bytes against them). A file the server describes
 * without a sha256 stays unknown. Returns how many files were learned; a network failure throws.
 */
export async function learnSizes(modelsDir: string, catalogEntry: ModelEntry, signal?: AbortSignal): Promise<number> {
  const model = await resolveRevision(modelsDir, catalogEntry, signal);
  let learned = 0;
  for (const file of model.files) {
    if (expectedFromLocal(modelsDir, model, file)) continue;
    const expected = withCatalogValues(model, file, await fetchExpected(model, file, signal));
    if (!expected.sha256 || expected.source === 'catalog' || expected.source === 'pinned.json') continue;
    await recordPin(modelsDir, model, file.path, { bytes: expected.bytes, sha256: expected.sha256, source: expected.source, pinnedAt: new Date().toISOString() });
    learned++;
  }
  return learned;
}

/** Installs every file of a model that is not already present and correct. */
export async function installModel(modelsDir: string, catalogEntry: ModelEntry, options: InstallOptions = {}): Promise<{ downloaded: string[]; present: string[] }> {
  let model: ModelEntry;
  try {
    model = await withRetries(options, () => resolveRevision(modelsDir, catalogEntry, options.signal));
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ModelDownloadError(`could not download ${catalogEntry.id}: ${errorMessage(error)}`, error instanceof ModelDownloadError ? error.permanent : true);
  }
  const downloaded: string[] = [];
  const present: string[] = [];
  for (const file of model.files) {
    const target = modelFilePath(modelsDir, model, file);
    try {
      const expected = await resolveExpected(modelsDir, model, file, options);
      if ((await compareFile(target, expected)) === 'ok') {
        // Already there (for a file just pinned from the server, its sha256 is recorded too).
        if (expected.source !== 'catalog' && expected.source !== 'pinned.json') await pinIfLearned(modelsDir, model, file, expected, await sha256OfFile(target));
        present.push(file.path);
        continue;
      }
      // A file under its final name with wrong bytes (corrupted on disk) is replaced.
      await fs.promises.rm(target, { force: true });
      await pinIfLearned(modelsDir, model, file, expected, await fetchVerified(modelsDir, model, file, expected, options));
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw failure(model, file, error);
    }
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
