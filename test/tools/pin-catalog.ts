import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Catalog, CatalogSchema, type ModelEntry, fileUrl } from '../../main/engine/models/catalog.js';

/**
 * Maintainer tool: fills in (and checks) the source revision, sizes and sha256 of the model
 * catalog from the Hugging Face API. Needs internet; nothing at runtime uses it.
 *
 *   npm run models:pin [-- [catalog.json] [--check] [--update] [--base-url URL]]
 *
 * - A revision that is not a 40-hex-digit commit ("main") is resolved to the commit it names now.
 * - Sizes and sha256 come from the tree API at that commit: an LFS file's `lfs.oid` is its
 *   sha256; a plain git file is downloaded and hashed, and its git blob id is checked against the
 *   tree's `oid`.
 * - Missing values (null) are filled in; an entry whose files are then all known loses
 *   `"pinned": false`. A value that differs from the server's is reported and, unless --update is
 *   given, left alone (exit 1): a pinned hash changes only on purpose.
 * - --check writes nothing and exits 1 when anything would change.
 */

interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number };
}

interface Options {
  catalogFile: string;
  check: boolean;
  update: boolean;
  baseUrl: string;
}

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('pin-catalog: no package.json above this script');
    dir = parent;
  }
  return dir;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { catalogFile: path.join(repoRoot(), 'models', 'catalog.json'), check: false, update: false, baseUrl: 'https://huggingface.co' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--check') options.check = true;
    else if (arg === '--update') options.update = true;
    else if (arg === '--base-url') options.baseUrl = argv[++i] ?? '';
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else options.catalogFile = path.resolve(arg);
  }
  if (!/^https?:\/\//.test(options.baseUrl)) throw new Error(`--base-url needs an http(s) URL, not "${options.baseUrl}"`);
  return options;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Every file of a repo at a commit (the tree API pages with a Link header). */
async function listTree(base: string, repo: string, commit: string): Promise<Map<string, TreeEntry>> {
  const files = new Map<string, TreeEntry>();
  let url: string | undefined = `${base}/api/models/${repo}/tree/${commit}?recursive=true`;
  while (url) {
    const response: Response = await fetch(url, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    for (const entry of (await response.json()) as TreeEntry[]) if (entry.type === 'file') files.set(entry.path, entry);
    url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
  }
  return files;
}

/** sha256 of a plain (non-LFS) git file, checked against its git blob id. */
async function hashSmallFile(url: string, entry: TreeEntry): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const blob = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  if (bytes.length !== entry.size || blob !== entry.oid) throw new Error(`${url}: ${bytes.length} bytes with git blob id ${blob}, but the tree says ${entry.size} bytes, ${entry.oid}`);
  return createHash('sha256').update(bytes).digest('hex');
}

interface Change {
  model: string;
  what: string;
  from: unknown;
  to: unknown;
  conflict: boolean;
}

async function pinModel(model: ModelEntry, options: Options, changes: Change[]): Promise<void> {
  const base = (model.source.baseUrl ?? options.baseUrl).replace(/\/$/, '');
  const note = (what: string, from: unknown, to: unknown) => {
    if (from === to) return false;
    const conflict = from !== null && from !== undefined;
    changes.push({ model: model.id, what, from, to, conflict });
    return !conflict || options.update;
  };
  let commit = model.source.revision;
  if (!/^[0-9a-f]{40}$/.test(commit)) {
    // A branch or tag is not a pin: it is replaced by the commit it names now.
    commit = (await getJson<{ sha: string }>(`${base}/api/models/${model.source.repo}/revision/${encodeURIComponent(commit)}`)).sha;
    changes.push({ model: model.id, what: 'source.revision', from: model.source.revision, to: commit, conflict: false });
    model.source.revision = commit;
  }
  const tree = await listTree(base, model.source.repo, commit);
  for (const file of model.files) {
    const entry = tree.get(file.path);
    if (!entry) throw new Error(`${model.id}: ${file.path} is not in ${model.source.repo} at ${commit}`);
    const bytes = entry.lfs?.size ?? entry.size;
    const sha256 = entry.lfs?.oid ?? (await hashSmallFile(fileUrl({ ...model, source: { ...model.source, baseUrl: base, revision: commit } }, file), entry));
    if (note(`${file.path} bytes`, file.bytes, bytes)) file.bytes = bytes;
    if (note(`${file.path} sha256`, file.sha256, sha256)) file.sha256 = sha256;
  }
  if (model.pinned === false && model.files.every((file) => file.bytes !== null && file.sha256 !== null)) {
    delete model.pinned;
    changes.push({ model: model.id, what: 'pinned', from: false, to: '(every file pinned)', conflict: false });
  }
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const text = fs.readFileSync(options.catalogFile, 'utf8');
  // Work on the raw JSON (defaults not filled in) so that the file keeps its shape.
  const raw = JSON.parse(text) as { models: ModelEntry[] };
  CatalogSchema.parse(raw);
  const changes: Change[] = [];
  for (const model of raw.models) await pinModel(model, options, changes);
  for (const change of changes) {
    const verb = change.conflict ? (options.update ? 'CHANGED ' : 'DIFFERS ') : 'filled  ';
    console.log(`${verb} ${change.model}: ${change.what}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}`);
  }
  const conflicts = changes.filter((change) => change.conflict);
  if (changes.length === 0) console.log(`${options.catalogFile}: every model is pinned and matches the server`);
  if (options.check) return changes.length > 0 ? 1 : 0;
  const output = `${JSON.stringify(raw as Catalog, null, 2)}\n`;
  CatalogSchema.parse(JSON.parse(output));
  if (output !== text) {
    const temporary = `${options.catalogFile}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, output);
    fs.renameSync(temporary, options.catalogFile);
    console.log(`wrote ${options.catalogFile}`);
  }
  if (conflicts.length > 0 && !options.update) {
    console.error(`${conflicts.length} value(s) differ from the server and were left alone; check them, then run again with --update to take the server's`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`pin-catalog: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
