import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Catalog, CATALOG_FILE, GenerativeCatalogPreprocessingSchema, type ModelEntry, ModelEntrySchema, catalogDirFor, loadCatalog, sessionFile } from '../../main/engine/models/catalog.js';
import { chooseDiffusionModels } from '../../main/engine/edits/diffusion-models.js';
import { PINNED_FILE } from '../../main/engine/models/download.js';
import { CONTROLNET_RESIDUALS, ControlNetCatalogPreprocessingSchema, DiffusionCatalogPreprocessingSchema } from '../../main/engine/models/diffusion-catalog.js';
import { CLIP_FIXTURE_ID, FIXTURE_MODELS_DIR, generateFixtureModels } from '../fixtures/generate-models.js';
import { ClipPreprocessingSchema } from '../helpers/clip.js';
import { type CliResult, cliPath, repoRoot, tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';

/**
 * `iris models` through the real CLI, against a real local HTTP server that serves the fixture
 * model files the way Hugging Face does (resolve URLs, Range, HEAD with X-Linked-Etag, the tree
 * API), and misbehaves on request: cut connections, wrong bytes, 404. Never the internet.
 */

const REVISION = '0123456789abcdef0123456789abcdef01234567';
const REPO = 'iris-fixtures/clip-fixture';

/** A Node script as a child process that does not block this process's event loop (the server lives here). */
function runNode(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.IRIS_MODELS; // every call names its folder with --models
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const iris = (args: readonly string[]) => runNode([cliPath, ...args]);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const gitBlob = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

/** How the server treats the next GET of a file (queued per path). */
interface Misbehaviour {
  cutAfter?: number;
  corrupt?: boolean;
}

interface ServerOptions {
  /** Files answered 404. */
  missing: Set<string>;
  /** HEAD answers with X-Linked-Etag/X-Linked-Size (as for LFS files); else an ETag that is the git blob id. */
  lfs: Set<string>;
  /** A wrong X-Linked-Etag for these files (a lying or mismatched server). */
  lyingEtag: Set<string>;
  /** Answer the tree API with 404 and HEAD with no hash at all. */
  noMetadata: boolean;
}

describe('iris models (CLI, against a real local HTTP server)', () => {
  let server: http.Server;
  let baseUrl: string;
  let fixtureEntry: ModelEntry;
  const fixtureFiles = new Map<string, Buffer>();
  const requests: { method: string; url: string; range?: string }[] = [];
  const misbehaviour = new Map<string, Misbehaviour[]>();
  const serverOptions: ServerOptions = { missing: new Set(), lfs: new Set(), lyingEtag: new Set(), noMetadata: false };

  const fileFromUrl = (url: string): string | undefined => {
    const prefix = `/${REPO}/resolve/${REVISION}/`;
    if (url.startsWith(prefix)) return decodeURIComponent(url.slice(prefix.length));
    if (url.startsWith('/cdn/')) return decodeURIComponent(url.slice('/cdn/'.length));
    return undefined;
  };

  before(async () => {
    generateFixtureModels(); // idempotent: a no-op when `npm run fixtures` already made them
    const entry = loadCatalog(FIXTURE_MODELS_DIR).models.find((model) => model.id === CLIP_FIXTURE_ID);
    assert.ok(entry, 'the fixture catalog has the CLIP fixture');
    fixtureEntry = entry;
    for (const file of entry.files) fixtureFiles.set(file.path, fs.readFileSync(path.join(FIXTURE_MODELS_DIR, CLIP_FIXTURE_ID, ...file.path.split('/'))));

    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      requests.push({ method: req.method ?? 'GET', url, range: req.headers.range });
      if (url.startsWith(`/api/models/${REPO}/tree/${REVISION}`)) {
        if (serverOptions.noMetadata) return void res.writeHead(404).end('no tree');
        const folder = decodeURIComponent(url.slice(`/api/models/${REPO}/tree/${REVISION}`.length).replace(/^\//, '').replace(/\?.*$/, ''));
        const entries = [...fixtureFiles]
          .filter(([file]) => url.includes('recursive=true') || (file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '') === folder)
          .map(([file, bytes]) =>
            serverOptions.lfs.has(file)
              ? { type: 'file', path: file, size: bytes.length, oid: gitBlob(Buffer.from('pointer')), lfs: { oid: sha256(bytes), size: bytes.length } }
              : { type: 'file', path: file, size: bytes.length, oid: gitBlob(bytes) },
          );
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entries));
        return;
      }
      const file = fileFromUrl(url);
      const bytes = file === undefined ? undefined : fixtureFiles.get(file);
      if (file === undefined || !bytes || serverOptions.missing.has(file)) return void res.writeHead(404).end('Entry not found');
      if (req.method === 'HEAD') {
        if (serverOptions.noMetadata) return void res.writeHead(200).end();
        if (serverOptions.lfs.has(file)) {
          // Hugging Face answers an LFS file with a redirect to its CDN; the hash and size ride along.
          const etag = serverOptions.lyingEtag.has(file) ? sha256(Buffer.from('something else')) : sha256(bytes);
          res.writeHead(302, { location: `/cdn/${encodeURIComponent(file)}`, 'x-linked-etag': `"${etag}"`, 'x-linked-size': String(bytes.length), etag: `"${etag}"` }).end();
        } else {
          res.writeHead(200, { etag: `"${gitBlob(bytes)}"`, 'content-length': bytes.length }).end();
        }
        return;
      }
      if (serverOptions.lfs.has(file) && url.startsWith(`/${REPO}/resolve/`)) return void res.writeHead(302, { location: `/cdn/${encodeURIComponent(file)}` }).end();
      const behaviour = misbehaviour.get(file)?.shift() ?? {};
      const body = behaviour.corrupt ? Buffer.from(bytes).fill(7, 100, 200) : bytes;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const slice = body.subarray(start);
      res.writeHead(start > 0 ? 206 : 200, {
        'content-length': slice.length,
        ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      if (behaviour.cutAfter !== undefined) res.write(slice.subarray(0, behaviour.cutAfter), () => res.destroy());
      else res.end(slice);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    requests.length = 0;
    misbehaviour.clear();
    serverOptions.missing.clear();
    serverOptions.lfs.clear();
    serverOptions.lyingEtag.clear();
    serverOptions.noMetadata = false;
  });

  /** A models folder whose catalog is the fixture's, served by the local server; `change` edits the entry. */
  function modelsDir(change: (entry: ModelEntry) => ModelEntry = (entry) => entry): string {
    const dir = tempDir('iris-models-cli-');
    const entry = change({ ...structuredClone(fixtureEntry), source: { repo: REPO, revision: REVISION, baseUrl } });
    const catalog: Catalog = { version: 1, models: [entry] };
    fs.writeFileSync(path.join(dir, CATALOG_FILE), `${JSON.stringify(catalog, null, 2)}\n`);
    return dir;
  }

  const installedFile = (dir: string, file: string) => path.join(dir, CLIP_FIXTURE_ID, ...file.split('/'));
  const requestsFor = (file: string) => requests.filter((r) => r.method === 'GET' && fileFromUrl(r.url) === file);

  function assertInstalledExactly(dir: string): void {
    for (const [file, bytes] of fixtureFiles) {
      assert.ok(fs.readFileSync(installedFile(dir, file)).equals(bytes), `${file} has the served bytes`);
      assert.ok(!fs.existsSync(`${installedFile(dir, file)}.part`), `${file}.part is gone`);
    }
  }

  it('installs a model: downloads every file from the pinned revision, verifies it, and reports it', async () => {
    const dir = modelsDir();
    const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const [result] = JSON.parse(run.stdout) as { id: string; ok: boolean; downloaded: string[]; present: string[]; path: string; bytes: number; warnings: string[] }[];
    assert.equal(result!.id, CLIP_FIXTURE_ID);
    assert.equal(result!.ok, true);
    assert.deepEqual(result!.downloaded, [...fixtureFiles.keys()]);
    assert.deepEqual(result!.present, []);
    assert.deepEqual(result!.warnings, []);
    assert.equal(result!.bytes, [...fixtureFiles.values()].reduce((sum, bytes) => sum + bytes.length, 0));
    assert.equal(result!.path, path.join(dir, CLIP_FIXTURE_ID));
    assertInstalledExactly(dir);
    assert.ok(requests.every((r) => r.url.startsWith(`/${REPO}/resolve/${REVISION}/`)), 'only resolve URLs at the pinned revision, no HEAD, no API');

    const verify = await iris(['models', 'verify', '--models', dir, '--json']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.deepEqual(JSON.parse(verify.stdout), [
      { id: CLIP_FIXTURE_ID, ok: true, path: path.join(dir, CLIP_FIXTURE_ID), files: [...fixtureFiles.keys()].map((file) => ({ path: file, state: 'ok' })) },
    ]);

    requests.length = 0;
    const again = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^installed clip-fixture \(.*nothing to download, 4 already present, all verified\) in /);
    assert.equal(requests.length, 0, 'installed, verified files are not fetched again');
  });

  it('resumes an interrupted transfer with a Range request', async () => {
    const dir = modelsDir();
    misbehaviour.set('onnx/text_model.onnx', [{ cutAfter: 400_000 }]);
    const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir]);
    assert.equal(run.code, 0, run.stderr);
    assertInstalledExactly(dir);
    const text = requestsFor('onnx/text_model.onnx');
    assert.equal(text.length, 2);
    assert.equal(text[0]!.range, undefined);
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(text[1]!.range ?? '')?.[1]);
    assert.ok(resumedFrom > 0 && resumedFrom <= 400_000, `the second request resumes where the first stopped (from ${resumedFrom})`);
  });

  it('detects wrong bytes by sha256 and fetches the file again', async () => {
    const dir = modelsDir();
    misbehaviour.set('onnx/vision_model.onnx', [{ corrupt: true }]);
    const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir]);
    assert.equal(run.code, 0, run.stderr);
    assertInstalledExactly(dir);
    const vision = requestsFor('onnx/vision_model.onnx');
    assert.equal(vision.length, 2);
    assert.equal(vision[1]!.range, undefined, 'bad bytes are thrown away, not resumed');
  });

  it('reports bytes that stay wrong, exits 1, and leaves nothing under the final name', async () => {
    const dir = modelsDir();
    misbehaviour.set('onnx/vision_model.onnx', [{ corrupt: true }, { corrupt: true }]);
    const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir, '--attempts', '2']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /could not install clip-fixture: could not download clip-fixture\/onnx\/vision_model\.onnx: .*vision_model\.onnx: sha256 [0-9a-f]{64} does not match the catalog's [0-9a-f]{64}/);
    assert.equal(requestsFor('onnx/vision_model.onnx').length, 2);
    assert.ok(!fs.existsSync(installedFile(dir, 'onnx/vision_model.onnx')));
    assert.ok(!fs.existsSync(`${installedFile(dir, 'onnx/vision_model.onnx')}.part`));
  });

  it('gives a clear error and exit 1 on 404, without retrying', async () => {
    const dir = modelsDir();
    serverOptions.missing.add('onnx/text_model.onnx');
    const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir, '--json']);
    assert.equal(run.code, 1);
    const url = `${baseUrl}/${REPO}/resolve/${REVISION}/onnx/text_model.onnx`;
    assert.ok(run.stderr.includes(`iris: could not install clip-fixture: could not download clip-fixture/onnx/text_model.onnx: ${url}: HTTP 404 Not Found`), run.stderr);
    assert.equal(requestsFor('onnx/text_model.onnx').length, 1, 'a 404 is not retried');
    const [result] = JSON.parse(run.stdout) as { ok: boolean; error: string }[];
    assert.equal(result!.ok, false);
    assert.match(result!.error, /HTTP 404/);
    const list = JSON.parse((await iris(['models', 'list', '--models', dir, '--json'])).stdout) as { state: string }[];
    assert.equal(list[0]!.state, 'partial', 'the vision model arrived before the 404; the model is partial');
  });

  it('verify detects a corrupted installed file (exit 1, naming it), and install replaces it', async () => {
    const dir = modelsDir();
    assert.equal((await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir])).code, 0);
    const target = installedFile(dir, 'onnx/text_model.onnx');
    const bad = fs.readFileSync(target);
    bad[1000] = bad[1000]! ^ 0xff;
    fs.writeFileSync(target, bad);

    const human = await runIrisHere(['models', 'verify', '--models', dir]);
    assert.equal(human.code, 1, human.stderr);
    assert.match(human.stdout, /BAD {2}clip-fixture\n\s+onnx\/text_model\.onnx: wrong sha256/, human.stderr);
    assert.match(human.stderr, /1 model failed verification: clip-fixture \(onnx\/text_model\.onnx: wrong-hash\)/);

    const json = await runIrisHere(['models', 'verify', CLIP_FIXTURE_ID, '--models', dir, '--json']);
    assert.equal(json.code, 1);
    const [report] = JSON.parse(json.stdout) as { ok: boolean; files: { path: string; state: string; problem?: string }[] }[];
    assert.equal(report!.ok, false);
    assert.deepEqual(
      report!.files.filter((file) => file.state !== 'ok').map((file) => [file.path, file.state]),
      [['onnx/text_model.onnx', 'wrong-hash']],
    );

    fs.truncateSync(target, 1000);
    const truncated = await runIrisHere(['models', 'verify', '--models', dir]);
    assert.equal(truncated.code, 1);
    assert.match(truncated.stdout, /onnx\/text_model\.onnx: wrong size: 1000 bytes, expected \d+/);
    const listed = JSON.parse((await runIrisHere(['models', 'list', '--models', dir, '--json'])).stdout) as { state: string }[];
    assert.equal(listed[0]!.state, 'corrupt');

    const repair = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir, '--json']);
    assert.equal(repair.code, 0, repair.stderr);
    assert.deepEqual((JSON.parse(repair.stdout) as { downloaded: string[] }[])[0]!.downloaded, ['onnx/text_model.onnx']);
    assert.equal((await runIrisHere(['models', 'verify', '--models', dir])).code, 0);
  });

  it('list --json gives every model with its state, size, default and pinned markers', async () => {
    const dir = modelsDir();
    const before = await runIrisHere(['models', 'list', '--models', dir, '--json']);
    assert.equal(before.code, 0, before.stderr);
    const rows = JSON.parse(before.stdout) as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['bytes', 'default', 'dtype', 'family', 'id', 'licence', 'path', 'pinned', 'state', 'task', 'title'].sort());
    assert.deepEqual(
      { id: rows[0]!.id, task: rows[0]!.task, dtype: rows[0]!.dtype, default: rows[0]!.default, pinned: rows[0]!.pinned, state: rows[0]!.state },
      { id: CLIP_FIXTURE_ID, task: 'clip', dtype: 'fp32', default: true, pinned: true, state: 'missing' },
    );
    assert.equal(rows[0]!.bytes, [...fixtureFiles.values()].reduce((sum, bytes) => sum + bytes.length, 0));

    assert.equal((await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir])).code, 0);
    const installed = JSON.parse((await runIrisHere(['models', 'list', '--models', dir, '--json'])).stdout) as { state: string }[];
    assert.equal(installed[0]!.state, 'installed');

    const human = await runIrisHere(['models', '--models', dir]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^\s+ID\s+TASK\s+DTYPE\s+SIZE\s+STATE\s+PINNED\n\*\s+clip-fixture\s+clip\s+fp32\s+3\.\d+ MB\s+installed\s+yes\n/);
    assert.ok(human.stdout.includes(`models folder: ${dir}`));
  });

  it('exits 2 for an unknown id, listing the known ones, and touches nothing', async () => {
    const dir = modelsDir();
    for (const command of ['install', 'verify']) {
      const run = await runIrisHere(['models', command, 'clip-nope', '--models', dir]);
      assert.equal(run.code, 2, command);
      assert.match(run.stderr, /unknown model clip-nope; the catalog has: clip-fixture/);
    }
    assert.equal(requests.length, 0);
    assert.ok(!fs.existsSync(path.join(dir, 'clip-nope')));
  });

  it('verify with nothing installed says so and succeeds', async () => {
    const dir = modelsDir();
    const run = await runIrisHere(['models', 'verify', '--models', dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /no models installed in /);
    assert.deepEqual(JSON.parse((await runIrisHere(['models', 'verify', '--models', dir, '--json'])).stdout), []);
  });

  it('a broken catalog is reported by model and field', async () => {
    const dir = modelsDir((entry) => ({ ...entry, files: entry.files.map((file, i) => (i === 1 ? { ...file, sha256: null } : file)) }));
    const run = await runIrisHere(['models', 'list', '--models', dir]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /invalid model catalog .*catalog\.json: models\.0 \(clip-fixture\)\.files\.1\.sha256: is null, which only an entry marked "pinned": false may have/);
  });

  describe('an unpinned catalog entry', () => {
    const unpinned = (entry: ModelEntry): ModelEntry => ({
      ...entry,
      pinned: false,
      // The ONNX files as LFS files (sha256 from X-Linked-Etag), tokenizer_config.json as a plain git file (git blob id).
      files: entry.files.map((file) => (file.path.endsWith('.onnx') || file.path === 'tokenizer_config.json' ? { ...file, bytes: null, sha256: null } : file)),
    });

    it('installs with the server’s sizes and hashes at the revision, warns, records pinned.json, and verify uses it', async () => {
      serverOptions.lfs.add('onnx/vision_model.onnx').add('onnx/text_model.onnx');
      const dir = modelsDir(unpinned);
      const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir]);
      assert.equal(run.code, 0, run.stderr);
      assertInstalledExactly(dir);
      assert.match(run.stderr, /iris: warning: clip-fixture is unpinned in the catalog: onnx\/vision_model\.onnx is checked against the sha256 and size the server gives at revision 0123456789abcdef0123456789abcdef01234567 \(x-linked-etag\)/);
      assert.match(run.stderr, /tokenizer_config\.json is checked against the git blob id and size the server gives .* \(tree-api\)/);
      assert.ok(requests.some((r) => r.method === 'HEAD' && r.url.endsWith('/onnx/vision_model.onnx')));
      assert.ok(requests.some((r) => r.url.startsWith('/cdn/')), 'the LFS redirect was followed');

      const pinned = JSON.parse(fs.readFileSync(path.join(dir, CLIP_FIXTURE_ID, PINNED_FILE), 'utf8')) as { repo: string; revision: string; files: Record<string, { bytes: number; sha256: string; source: string }> };
      assert.equal(pinned.repo, REPO);
      assert.equal(pinned.revision, REVISION);
      assert.deepEqual(Object.keys(pinned.files).sort(), ['onnx/text_model.onnx', 'onnx/vision_model.onnx', 'tokenizer_config.json']);
      for (const [file, pin] of Object.entries(pinned.files)) {
        assert.equal(pin.sha256, sha256(fixtureFiles.get(file)!), file);
        assert.equal(pin.bytes, fixtureFiles.get(file)!.length, file);
      }
      assert.equal(pinned.files['tokenizer_config.json']!.source, 'tree-api');
      assert.equal(pinned.files['onnx/text_model.onnx']!.source, 'x-linked-etag');

      requests.length = 0;
      const verify = await iris(['models', 'verify', '--models', dir]);
      assert.equal(verify.code, 0, verify.stderr);
      assert.equal(requests.length, 0, 'verify works offline from pinned.json');
      const list = JSON.parse((await iris(['models', 'list', '--models', dir, '--json'])).stdout) as { pinned: boolean; state: string; bytes: number }[];
      assert.deepEqual([list[0]!.pinned, list[0]!.state], [false, 'installed']);

      fs.appendFileSync(installedFile(dir, 'onnx/vision_model.onnx'), 'x');
      const bad = await iris(['models', 'verify', '--models', dir]);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /onnx\/vision_model\.onnx: wrong size/);
      const again = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir, '--json']);
      assert.equal(again.code, 0, again.stderr);
      const [repaired] = JSON.parse(again.stdout) as { downloaded: string[]; warnings: string[] }[];
      assert.deepEqual(repaired!.downloaded, ['onnx/vision_model.onnx'], 'only the damaged file is fetched again');
      assert.deepEqual(repaired!.warnings, [], 'checked against pinned.json: the server is not asked again');
    });

    it('refuses bytes that do not match what the server says', async () => {
      serverOptions.lfs.add('onnx/vision_model.onnx').add('onnx/text_model.onnx');
      serverOptions.lyingEtag.add('onnx/vision_model.onnx');
      const dir = modelsDir(unpinned);
      const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir, '--attempts', '1']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /vision_model\.onnx: sha256 [0-9a-f]{64} does not match the server's \(x-linked-etag at 0123456789abcdef0123456789abcdef01234567\)/);
      assert.ok(!fs.existsSync(installedFile(dir, 'onnx/vision_model.onnx')));
      assert.ok(!fs.existsSync(path.join(dir, CLIP_FIXTURE_ID, PINNED_FILE)), 'nothing unverified is pinned');
    });

    it("takes only the size from the server where the catalog has a file's sha256, and refuses a server that disagrees", async () => {
      const halfPinned = (entry: ModelEntry): ModelEntry => ({ ...entry, pinned: false, files: entry.files.map((file) => (file.path.endsWith('.onnx') ? { ...file, bytes: null } : file)) });
      serverOptions.lfs.add('onnx/vision_model.onnx').add('onnx/text_model.onnx');
      const dir = modelsDir(halfPinned);
      const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir]);
      assert.equal(run.code, 0, run.stderr);
      assertInstalledExactly(dir);
      assert.match(run.stderr, /onnx\/vision_model\.onnx is checked against the size the server gives at revision [0-9a-f]{40} \(x-linked-etag\) and the catalog's sha256/);

      serverOptions.lyingEtag.add('onnx/vision_model.onnx');
      requests.length = 0;
      const lying = modelsDir(halfPinned);
      const refused = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', lying, '--attempts', '1']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /vision_model\.onnx: the server's sha256 at [0-9a-f]{40} is [0-9a-f]{64}, the catalog's [0-9a-f]{64}: not the file the catalog describes/);
      assert.ok(!requestsFor('onnx/vision_model.onnx').length, 'nothing was downloaded');

      // A server that gives no sha256 (a git blob id only): the download is checked against the catalog's.
      serverOptions.lfs.clear();
      const wrongHash = modelsDir((entry) => {
        const half = halfPinned(entry);
        return { ...half, files: half.files.map((file) => (file.path === 'onnx/vision_model.onnx' ? { ...file, sha256: sha256(Buffer.from('other bytes')) } : file)) };
      });
      const mismatch = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', wrongHash, '--attempts', '1']);
      assert.equal(mismatch.code, 1);
      assert.match(mismatch.stderr, /vision_model\.onnx: sha256 [0-9a-f]{64} does not match the catalog's [0-9a-f]{64}/);
      assert.ok(!fs.existsSync(installedFile(wrongHash, 'onnx/vision_model.onnx')));
    });

    it('may name a branch: with every sha256 a moved branch fails the hash check; without, the installer pins the branch to one commit first', async () => {
      const entry = (sha256Known: boolean) => ({
        ...structuredClone(fixtureEntry),
        pinned: false,
        source: { repo: REPO, revision: 'main' },
        files: fixtureEntry.files.map((file, i) => ({ ...file, bytes: null, sha256: sha256Known || i > 0 ? file.sha256 : null })),
      });
      assert.ok(ModelEntrySchema.safeParse(entry(true)).success);
      // Immich publishes its exports on main only: such an entry is resolved to the branch's commit
      // before any file is fetched (test/engine/model-download.test.ts shows the requests).
      assert.ok(ModelEntrySchema.safeParse(entry(false)).success);
    });

    it('refuses to install when the server gives no size and hash', async () => {
      serverOptions.noMetadata = true;
      const dir = modelsDir(unpinned);
      const run = await iris(['models', 'install', CLIP_FIXTURE_ID, '--models', dir]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /could not download clip-fixture\/onnx\/vision_model\.onnx: .*the catalog entry is unpinned and the server gave no size and hash .*refusing to install unverified bytes/);
      assert.ok(!requests.some((r) => r.method === 'GET' && fileFromUrl(r.url) !== undefined), 'no file was downloaded');
    });

    it('npm run models:pin fills the sizes and hashes in from the server and marks the entry pinned', async () => {
      serverOptions.lfs.add('onnx/vision_model.onnx').add('onnx/text_model.onnx');
      const dir = modelsDir(unpinned);
      const catalogFile = path.join(dir, CATALOG_FILE);
      const pin = (...args: string[]) => runNode([path.join(repoRoot, 'dist', 'test', 'tools', 'pin-catalog.js'), catalogFile, ...args]);

      const check = await pin('--check');
      assert.equal(check.code, 1, 'something to fill in');
      assert.match(check.stdout, /filled {3}clip-fixture: onnx\/vision_model\.onnx sha256: null -> "[0-9a-f]{64}"/);
      assert.equal(loadCatalog(dir).models[0]!.pinned, false, '--check writes nothing');

      const run = await pin();
      assert.equal(run.code, 0, run.stderr);
      const [entry] = loadCatalog(dir).models;
      assert.equal(entry!.pinned, undefined, '"pinned": false is gone');
      for (const file of entry!.files) {
        assert.equal(file.sha256, sha256(fixtureFiles.get(file.path)!), file.path);
        assert.equal(file.bytes, fixtureFiles.get(file.path)!.length, file.path);
      }
      assert.equal((await pin('--check')).code, 0, 'nothing left to do');

      // A pinned value that differs from the server's is reported, not replaced.
      const text = fs.readFileSync(catalogFile, 'utf8');
      const wrong = text.replace(sha256(fixtureFiles.get('tokenizer.json')!), '0'.repeat(64));
      fs.writeFileSync(catalogFile, wrong);
      const conflict = await pin();
      assert.equal(conflict.code, 1);
      assert.match(conflict.stdout, /DIFFERS {2}clip-fixture: tokenizer\.json sha256: "0{64}" -> "[0-9a-f]{64}"/);
      assert.equal(fs.readFileSync(catalogFile, 'utf8'), wrong, 'left alone');
      assert.equal((await pin('--update')).code, 0);
      assert.equal(fs.readFileSync(catalogFile, 'utf8'), text);
    });

    it('verify says an installed but never pinned file cannot be checked', async () => {
      const dir = modelsDir(unpinned);
      for (const [file, bytes] of fixtureFiles) {
        fs.mkdirSync(path.dirname(installedFile(dir, file)), { recursive: true });
        fs.writeFileSync(installedFile(dir, file), bytes);
      }
      const run = await runIrisHere(['models', 'verify', '--models', dir]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /onnx\/vision_model\.onnx: cannot be checked: the catalog entry is unpinned and pinned\.json has no record of it/);
      assert.equal(JSON.parse((await runIrisHere(['models', 'list', '--models', dir, '--json'])).stdout)[0].state, 'unpinned');
    });
  });
});

describe('the bundled model catalog (models/catalog.json)', () => {
  const bundled = path.join(repoRoot, 'models');
  const catalog = loadCatalog(bundled);
  const byId = (id: string) => {
    const model = catalog.models.find((m) => m.id === id);
    assert.ok(model, `the catalog has ${id}`);
    return model;
  };
  const io = (model: ModelEntry, prefix: string) => {
    const file = Object.keys(model.io).find((name) => name.startsWith(prefix));
    assert.ok(file, `${model.id} has io for ${prefix}*`);
    assert.ok(model.files.some((f) => f.path === file), `${file} is one of ${model.id}'s files`);
    return model.io[file]!;
  };

  it('parses, with one default per task (clip-vit-b32, florence-2-base-ft, smolvlm-256m-instruct, sd15-onnx, yunet-sface) and CLIP\'s fp16 and q8 variants in one family', async () => {
    assert.deepEqual(catalog.models.filter((m) => m.default).map((m) => [m.task, m.id]), [
      ['clip', 'clip-vit-b32'],
      ['caption', 'florence-2-base-ft'],
      ['vqa', 'smolvlm-256m-instruct'],
      ['diffusion', 'sd15-onnx'],
      // The permissive face pair is the default: InsightFace's packs may not be used commercially.
      ['faces', 'yunet-sface'],
    ]);
    const family = catalog.models.filter((m) => m.family === 'clip-vit-b32');
    assert.deepEqual(family.map((m) => [m.id, m.dtype]), [['clip-vit-b32', 'fp32'], ['clip-vit-b32-fp16', 'fp16'], ['clip-vit-b32-q8', 'q8']]);
    assert.equal(catalogDirFor(tempDir('iris-empty-models-'), bundled), bundled, 'a models folder without a catalog uses the bundled one');
  });

  it('gives the CLIP entries the inputs and outputs of the Xenova/clip-vit-base-patch32 export', async () => {
    for (const id of ['clip-vit-b32', 'clip-vit-b32-fp16', 'clip-vit-b32-q8']) {
      const model = byId(id);
      assert.equal(model.task, 'clip');
      assert.equal(model.source.repo, 'Xenova/clip-vit-base-patch32');
      assert.match(model.source.revision, /^[0-9a-f]{40}$/);
      const vision = io(model, 'onnx/vision_model');
      assert.deepEqual(vision.inputs.map((t) => [t.name, t.dtype, t.shape.slice(1)]), [['pixel_values', 'float32', [3, 224, 224]]]);
      assert.deepEqual(vision.outputs.map((t) => [t.name, t.shape.slice(1)]), [['image_embeds', [512]]]);
      const text = io(model, 'onnx/text_model');
      assert.deepEqual(text.inputs.map((t) => [t.name, t.dtype, t.shape.slice(1)]), [['input_ids', 'int64', [77]]]);
      assert.deepEqual(text.outputs.map((t) => [t.name, t.shape.slice(1)]), [['text_embeds', [512]]]);
      assert.ok(model.files.some((f) => f.path === 'tokenizer.json'));
      // The keys the runtime reads, with the real ViT-B/32 constants.
      const prep = ClipPreprocessingSchema.parse(model.preprocessing);
      assert.deepEqual([prep.resize_shortest_edge, prep.crop_size, prep.context_length, prep.bos_token_id, prep.eos_token_id, prep.pad_token_id, prep.logit_scale], [224, 224, 77, 49406, 49407, 49407, 100]);
      assert.equal(model.preprocessing.embedding_dim, 512);
      assert.equal(model.pinned ?? true, true);
      for (const file of model.files) assert.ok(file.bytes !== null && file.sha256 !== null, `${id}/${file.path} is pinned`);
    }
    assert.deepEqual(
      byId('clip-vit-b32-fp16').files.filter((f) => f.path.endsWith('.onnx')).map((f) => f.path),
      ['onnx/vision_model_fp16.onnx', 'onnx/text_model_fp16.onnx'],
    );
    assert.deepEqual(
      byId('clip-vit-b32-q8').files.filter((f) => f.path.endsWith('.onnx')).map((f) => f.path),
      ['onnx/vision_model_quantized.onnx', 'onnx/text_model_quantized.onnx'],
    );
  });

  it('gives the captioning and question-answering entries the files their loader reads for their precision', async () => {
    for (const model of catalog.models.filter((m) => m.task === 'caption' || m.task === 'vqa')) {
      const prep = GenerativeCatalogPreprocessingSchema.parse(model.preprocessing);
      const onnx = model.files.filter((f) => f.path.endsWith('.onnx')).map((f) => f.path);
      assert.deepEqual(onnx.sort(), Object.entries(prep.sessions).map(([session, dtype]) => sessionFile(session, dtype)).sort(), model.id);
      // transformers.js reads the generation and processor configs; Iris's own BLIP loop takes its preprocessing from the catalog.
      const needed = prep.architecture === 'blip' ? ['config.json', 'tokenizer.json', 'tokenizer_config.json'] : ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
      for (const file of needed) assert.ok(model.files.some((f) => f.path === file), `${model.id} lists ${file}`);
      // A branch only where no commit could be established offline: the installer pins it to one on first contact.
      if (model.pinned !== false) assert.match(model.source.revision, /^[0-9a-f]{40}$/, `${model.id} is pinned to a commit`);
    }
  });

  it('has ViT-GPT2 as a non-default 8-bit vision-encoder-decoder captioner without task prompts, with the merged GPT-2 decoder\'s inputs', async () => {
    const model = byId('vit-gpt2-image-captioning');
    assert.deepEqual([model.task, model.dtype, model.default, model.source.repo], ['caption', 'q8', false, 'Xenova/vit-gpt2-image-captioning']);
    const prep = GenerativeCatalogPreprocessingSchema.parse(model.preprocessing);
    assert.equal(prep.architecture, 'vision-encoder-decoder');
    assert.equal(prep.caption_tasks, undefined, 'no task prompts: both details give its one caption, and no OCR');
    assert.deepEqual(io(model, 'onnx/encoder_model').inputs.map((t) => [t.name, t.shape.slice(1)]), [['pixel_values', [3, 224, 224]]]);
    const decoder = io(model, 'onnx/decoder_model_merged');
    const past = Array.from({ length: 12 }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
    assert.deepEqual(decoder.inputs.map((t) => t.name), ['input_ids', 'encoder_hidden_states', ...past, 'use_cache_branch']);
    assert.deepEqual(decoder.outputs.map((t) => t.name), ['logits', ...past.map((name) => name.replace('past_key_values', 'present'))]);
  });

  it('has Qwen2-VL 2B as a non-default q4f16 question model for GPUs, unpinned at a commit, with the files transformers.js loads and no external data', async () => {
    const model = byId('qwen2-vl-2b-instruct');
    assert.deepEqual(
      [model.task, model.dtype, model.default, model.pinned, model.source.repo, model.source.revision],
      ['vqa', 'q4f16', false, false, 'onnx-community/Qwen2-VL-2B-Instruct', '187b05efd51ca56b19489f085aa2d7c7fa5078fc'],
    );
    assert.match(model.title, /for GPUs/);
    const prep = GenerativeCatalogPreprocessingSchema.parse(model.preprocessing);
    assert.equal(prep.architecture, 'qwen2-vl');
    assert.deepEqual(prep.sessions, { vision_encoder: 'q4f16', embed_tokens: 'q4f16', decoder_model_merged: 'q4f16' });
    assert.deepEqual(prep.stop_tokens, ['<|im_end|>', '<|endoftext|>']);
    assert.ok(!model.files.some((f) => f.path.includes('.onnx_data')), 'the q4f16 graphs hold their weights inline');
    assert.ok(model.files.some((f) => f.path === 'chat_template.json'), 'the chat template Iris reads');
    assert.deepEqual(io(model, 'onnx/vision_encoder').inputs.map((t) => t.name), ['pixel_values', 'grid_thw']);
    assert.deepEqual(io(model, 'onnx/vision_encoder').outputs.map((t) => t.name), ['image_features']);
    // Only what was established offline is filled in: tokenizer.json's sha256, no size anywhere.
    assert.deepEqual(model.files.filter((f) => f.sha256 !== null).map((f) => [f.path, f.sha256]), [['tokenizer.json', '091aa7594dc2fcfbfa06b9e3c22a5f0562ac14f30375c13af7309407a0e67b8a']]);
    assert.ok(model.files.every((f) => f.bytes === null));
  });

  it("has a GPU mix of Florence-2 in the florence family, at the 8-bit entry's revision and with its config and tokenizer pins", async () => {
    const gpu = byId('florence-2-base-ft-gpu');
    const q8 = byId('florence-2-base-ft');
    assert.deepEqual([gpu.task, gpu.dtype, gpu.default, gpu.pinned, gpu.family, gpu.source], ['caption', 'mixed', false, false, q8.family, q8.source]);
    const prep = GenerativeCatalogPreprocessingSchema.parse(gpu.preprocessing);
    assert.deepEqual(prep.sessions, { vision_encoder: 'fp16', embed_tokens: 'q4f16', encoder_model: 'fp16', decoder_model_merged: 'q4f16' });
    assert.deepEqual(prep.caption_tasks, GenerativeCatalogPreprocessingSchema.parse(q8.preprocessing).caption_tasks);
    const plain = (model: ModelEntry) => model.files.filter((f) => !f.path.startsWith('onnx/'));
    assert.deepEqual(plain(gpu), plain(q8));
    const graph = (file: string) => gpu.files.find((f) => f.path === file);
    assert.deepEqual(graph('onnx/decoder_model_merged_q4f16.onnx'), { path: 'onnx/decoder_model_merged_q4f16.onnx', bytes: 56543716, sha256: 'db32b0b1fd501e1929e28b96eaacee0dfccdd9573ef0237b1efb4b7a40a016b1' });
    for (const file of ['onnx/vision_encoder_fp16.onnx', 'onnx/encoder_model_fp16.onnx']) assert.deepEqual([graph(file)?.bytes, graph(file)?.sha256], [null, null], file);
  });

  it('has real Stable Diffusion 1.5 entries whose preprocessing parses and names only listed files, pinned only where a source gave the value', async () => {
    const diffusion = catalog.models.filter((m) => m.task === 'diffusion');
    const controlnets = catalog.models.filter((m) => m.task === 'controlnet');
    assert.deepEqual(diffusion.map((m) => m.id), ['sd15-onnx', 'sd15-onnx-fp16', 'sd15-controlnet-unet-fp16', 'instruct-pix2pix-onnx']);
    assert.deepEqual(controlnets.map((m) => m.id), ['controlnet-canny-fp16']);
    for (const model of [...diffusion, ...controlnets]) {
      const paths = new Set(model.files.map((f) => f.path));
      if (model.files.some((f) => f.sha256 === null)) assert.match(model.source.revision, /^[0-9a-f]{40}$/, `${model.id} is at a commit`);
      if (model.task === 'diffusion') {
        const prep = DiffusionCatalogPreprocessingSchema.parse(model.preprocessing);
        for (const file of [...Object.values(prep.sessions), prep.tokenizer.vocab, prep.tokenizer.merges]) assert.ok(paths.has(file), `${model.id} lists ${file}`);
        assert.deepEqual([prep.tokenizer.max_length, prep.tokenizer.bos_token_id, prep.tokenizer.eos_token_id, prep.tokenizer.pad_token_id], [77, 49406, 49407, 49407]);
        assert.deepEqual([prep.latent_channels, prep.vae_scale_factor, prep.scaling_factor, prep.default_size], [4, 8, 0.18215, 512]);
        assert.deepEqual(prep.schedule, { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon', steps_offset: 1 });
      } else {
        const prep = ControlNetCatalogPreprocessingSchema.parse(model.preprocessing);
        assert.ok(paths.has(prep.session), `${model.id} lists ${prep.session}`);
        for (const id of prep.pairs_with) assert.equal(DiffusionCatalogPreprocessingSchema.parse(byId(id).preprocessing).unet_kind, 'controlnet', `${model.id} pairs with ${id}, a ControlNet UNet`);
      }
      if (model.pinned === false) assert.ok(model.files.some((f) => f.bytes === null || f.sha256 === null), `${model.id} is unpinned because something is unknown`);
    }
    const pins = (model: ModelEntry) => model.files.filter((f) => f.bytes !== null || f.sha256 !== null).map((f) => [f.path, f.bytes, f.sha256]);

    // GPU: nmkd's Olive fp16 export. The UNet's external data is listed (downloaded and checked with it); the tokenizer is unpinned.
    const fp16 = byId('sd15-onnx-fp16');
    assert.deepEqual([fp16.dtype, fp16.default, fp16.pinned, fp16.source.repo, fp16.source.revision], ['fp16', false, false, 'nmkd/stable-diffusion-1.5-onnx-fp16', '38dacf2c14c89e3538b5e32da888eb9c46e0e1bf']);
    assert.deepEqual(pins(fp16), [
      ['text_encoder/model.onnx', 246476214, 'da837d5d2df136df347d0e8d7114d295d634d32b37b77be60418a7117d1f669b'],
      ['unet/model.onnx', 1217704, '879e4274bfc862c7733ed2b673600be8f9b78b45184b5702100f89508e69ca34'],
      ['unet/weights.pb', 1718976000, '491609db06ac0bd6893969cda4caa3475a9a14a7deb5ee4f11a4371c6187155a'],
      ['vae_encoder/model.onnx', 68430493, 'f089c1a57c6f68370fc4def7d3eeabb860a4e625e0d352c04acd8707c46683e2'],
      ['vae_decoder/model.onnx', 99094195, 'ff78d16a387ece4e102e2548a8dbd93f048269bc23ac65fac3acff0ba88b6161'],
    ]);
    assert.deepEqual(io(fp16, 'text_encoder/').inputs.map((t) => [t.name, t.dtype]), [['input_ids', 'int32']]);
    assert.deepEqual(io(fp16, 'unet/').inputs.map((t) => [t.name, t.dtype]), [['sample', 'float16'], ['timestep', 'float16'], ['encoder_hidden_states', 'float16']]);

    // CPU (the default): onnx-community's fp32 export; only the UNet weights' size is known.
    const fp32 = byId('sd15-onnx');
    assert.deepEqual([fp32.dtype, fp32.default, fp32.pinned, fp32.source.repo, fp32.source.revision], ['fp32', true, false, 'onnx-community/stable-diffusion-v1-5-ONNX', '90ff1f14e325544b14919d1ee5abc99f19d4e647']);
    assert.deepEqual(pins(fp32), [['unet/weights.pb', 3438083840, null]]);
    assert.deepEqual(fp32.io, {}, 'its inputs and outputs were not established');

    // Canny: axodox's ControlNet UNet and canny ControlNet, matched by residual name.
    const unet = byId('sd15-controlnet-unet-fp16');
    assert.deepEqual([unet.dtype, unet.default, unet.pinned, unet.source.repo, unet.source.revision], ['fp16', false, false, 'axodoxian/stable_diffusion_onnx', '43900e62c37d1277acf60d251df8190b2ec5204c']);
    assert.deepEqual(pins(unet), [['controlnet/model.onnx', 1747871012, '46430dc2a13183f2bc569b5f81554e9da3d9ab15d389e4722c1b3396907a967d']]);
    assert.deepEqual(io(unet, 'controlnet/').inputs.map((t) => t.name), ['sample', 'timestep', 'encoder_hidden_states', ...CONTROLNET_RESIDUALS]);
    const canny = byId('controlnet-canny-fp16');
    assert.deepEqual([canny.dtype, canny.default, canny.pinned ?? true, canny.source.repo, canny.source.revision], ['fp16', false, true, 'axodoxian/controlnet_onnx', '8a560aca497fc8bb2eb0e108c76550c5456f504b']);
    assert.deepEqual(pins(canny), [['controlnet/canny.onnx', 736182048, '166c70dc3d5650857d1b91750edcd533f5c72f4c4f813e5c8e31b813d1973351']]);
    const cannyIo = io(canny, 'controlnet/canny');
    assert.deepEqual(cannyIo.inputs.map((t) => [t.name, t.dtype]), [['sample', 'float16'], ['timestep', 'float16'], ['encoder_hidden_states', 'float16'], ['controlnet_cond', 'float16'], ['conditioning_scale', 'float64']]);
    assert.deepEqual(cannyIo.outputs.map((t) => t.name), [...CONTROLNET_RESIDUALS]);
    assert.match(canny.licence, /NonCommercial/);

    // Instruct: ForserX's export of timbrooks/instruct-pix2pix, at the branch its hashes were taken from (the full commit was not found).
    const ip2p = byId('instruct-pix2pix-onnx');
    assert.deepEqual([ip2p.dtype, ip2p.default, ip2p.pinned, ip2p.source.repo, ip2p.source.revision], ['mixed', false, false, 'ForserX/instruct-pix2pix-onnx', 'main']);
    assert.equal(DiffusionCatalogPreprocessingSchema.parse(ip2p.preprocessing).unet_kind, 'instruct-pix2pix');
    assert.ok(ip2p.files.every((f) => f.sha256 !== null), 'every sha256 is pinned: only sizes come from the server');
    assert.deepEqual(pins(ip2p).filter(([, bytes]) => bytes !== null), [
      ['tokenizer/vocab.json', 1059962, 'e089ad92ba36837a0d31433e555c8f45fe601ab5c221d4f607ded32d9f7a4349'],
      ['tokenizer/merges.txt', 524619, '9fd691f7c8039210e0fced15865466c65820d09b63988b0174bfe25de299051a'],
    ]);
    assert.match(ip2p.licence, /MIT/);
  });

  it('suggests sd15-onnx for txt2img and img2img, the axodox ControlNet UNet for canny and ForserX\'s InstructPix2Pix for instruct, when no diffusion model is installed', async () => {
    const empty = tempDir('iris-no-diffusion-');
    assert.equal(catalogDirFor(empty), bundled);
    for (const mode of ['txt2img', 'img2img'] as const) assert.throws(() => chooseDiffusionModels(empty, mode), /iris models install sd15-onnx`/);
    assert.throws(() => chooseDiffusionModels(empty, 'canny'), /iris models install sd15-controlnet-unet-fp16`/);
    assert.throws(() => chooseDiffusionModels(empty, 'instruct'), /iris models install instruct-pix2pix-onnx`/);
  });

  it('has a Chinese-capable CLIP with its own tokenizer, inputs and image resize', async () => {
    const chinese = catalog.models.filter((m) => m.family === 'chinese-clip-vit-b16');
    assert.ok(chinese.length >= 1);
    for (const model of chinese) {
      assert.equal(model.source.repo, 'Xenova/chinese-clip-vit-base-patch16');
      const [graph] = Object.values(model.io);
      assert.deepEqual(graph!.inputs.map((t) => t.name).sort(), ['attention_mask', 'input_ids', 'pixel_values']);
      assert.ok(graph!.outputs.some((t) => t.name === 'text_embeds') && graph!.outputs.some((t) => t.name === 'image_embeds'));
      assert.deepEqual(model.preprocessing.text_inputs, ['input_ids', 'attention_mask']);
      assert.equal(model.preprocessing.image_resize, 'exact');
      assert.equal(model.preprocessing.context_length, 52);
      assert.deepEqual([model.preprocessing.bos_token_id, model.preprocessing.eos_token_id, model.preprocessing.pad_token_id], [101, 102, 0]);
    }
    assert.ok(chinese.some((m) => (m.pinned ?? true) && m.dtype === 'q8'), 'a fully pinned Chinese model exists');
    for (const model of catalog.models.filter((m) => m.pinned === false)) {
      assert.ok(model.files.some((f) => f.sha256 === null || f.bytes === null), `${model.id} is marked unpinned because a hash or a size is unknown`);
    }
  });
});
