import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ModelEntry, ModelEntrySchema, modelFilePath } from '../../main/engine/models/catalog.js';
import { type DownloadProgress, expectedFromLocal, installModel, learnSizes, ModelDownloadError, pinnedJsonPath, verifyModel } from '../../main/engine/models/download.js';
import { modelBytes, modelState } from '../../main/engine/models/state.js';
import { tempDir } from '../helpers/fixtures.js';

const BYTES = randomBytes(300_000);
const SHA = createHash('sha256').update(BYTES).digest('hex');

/** How the local test server misbehaves for the next request(s). */
interface Behaviour {
  cutAfter?: number;
  corrupt?: boolean;
  ignoreRange?: boolean;
}

describe('model download (against a real local HTTP server)', () => {
  let server: http.Server;
  let baseUrl: string;
  const requests: { url: string; range: string | undefined }[] = [];
  let behaviours: Behaviour[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push({ url: req.url ?? '', range: req.headers.range });
      if (!req.url?.endsWith('/onnx/model.onnx')) {
        res.writeHead(404).end('not here');
        return;
      }
      const behaviour = behaviours.shift() ?? {};
      const body = behaviour.corrupt ? Buffer.from(BYTES).fill(7, 1000, 2000) : BYTES;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range && !behaviour.ignoreRange ? Number(range[1]) : 0;
      const slice = body.subarray(start);
      res.writeHead(start > 0 ? 206 : 200, {
        'content-length': slice.length,
        ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      if (behaviour.cutAfter !== undefined) {
        res.write(slice.subarray(0, behaviour.cutAfter), () => res.destroy());
      } else {
        res.end(slice);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const model = (file = 'onnx/model.onnx'): ModelEntry =>
    ModelEntrySchema.parse({
      id: 'test-model',
      task: 'clip',
      title: 'test',
      licence: 'MIT',
      source: { repo: 'iris/test-model', revision: 'abc123', baseUrl },
      files: [{ path: file, bytes: BYTES.length, sha256: SHA }],
    });

  const fresh = () => {
    requests.length = 0;
    behaviours = [];
    return tempDir('iris-models-');
  };
  const target = (dir: string, m = model()) => modelFilePath(dir, m, m.files[0]!);

  it('downloads from the pinned revision, verifies, and moves the file into place', async () => {
    const dir = fresh();
    const progress: DownloadProgress[] = [];
    const result = await installModel(dir, model(), { onProgress: (p) => progress.push(p) });
    assert.deepEqual(result, { downloaded: ['onnx/model.onnx'], present: [] });
    assert.ok(fs.readFileSync(target(dir)).equals(BYTES));
    assert.ok(!fs.existsSync(`${target(dir)}.part`));
    assert.equal(requests[0]!.url, '/iris/test-model/resolve/abc123/onnx/model.onnx');
    assert.deepEqual(progress.at(-1)!.received, BYTES.length);
    assert.deepEqual(await verifyModel(dir, model()), [{ path: 'onnx/model.onnx', state: 'ok' }]);
    const again = await installModel(dir, model());
    assert.deepEqual(again, { downloaded: [], present: ['onnx/model.onnx'] });
    assert.equal(requests.length, 1, 'an installed, verified file is not fetched again');
  });

  it('resumes an interrupted transfer with a Range request', async () => {
    const dir = fresh();
    behaviours = [{ cutAfter: 120_000 }];
    await installModel(dir, model(), { retryDelayMs: 10 });
    assert.ok(fs.readFileSync(target(dir)).equals(BYTES));
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.range, undefined);
    const resumedFrom = Number(/bytes=(\d+)-/.exec(requests[1]!.range ?? '')?.[1]);
    // Whatever reached the disk before the cut is kept: the second request asks only for the rest.
    assert.ok(resumedFrom > 0 && resumedFrom <= 120_000, `resumed from ${resumedFrom}`);
  });

  it('starts over when the server ignores Range', async () => {
    const dir = fresh();
    behaviours = [{ cutAfter: 50_000 }, { ignoreRange: true }];
    await installModel(dir, model(), { retryDelayMs: 10 });
    assert.ok(fs.readFileSync(target(dir)).equals(BYTES));
    assert.ok(requests[1]!.range, 'it asked to resume');
  });

  it('rejects wrong bytes by sha256, keeps nothing under the final name, and fetches again', async () => {
    const dir = fresh();
    behaviours = [{ corrupt: true }, { corrupt: true }];
    await assert.rejects(installModel(dir, model(), { attempts: 2, retryDelayMs: 10 }), /sha256 [0-9a-f]{64} does not match the catalog's/);
    assert.ok(!fs.existsSync(target(dir)));
    assert.ok(!fs.existsSync(`${target(dir)}.part`));
    behaviours = [{ corrupt: true }];
    await installModel(dir, model(), { attempts: 2, retryDelayMs: 10 });
    assert.ok(fs.readFileSync(target(dir)).equals(BYTES), 'the second attempt got good bytes');
  });

  it('throws away a partial file whose bytes are wrong', async () => {
    const dir = fresh();
    fs.mkdirSync(path.dirname(target(dir)), { recursive: true });
    fs.writeFileSync(`${target(dir)}.part`, Buffer.alloc(100_000, 1));
    await installModel(dir, model(), { retryDelayMs: 10 });
    assert.ok(fs.readFileSync(target(dir)).equals(BYTES));
    assert.equal(requests[0]!.range, 'bytes=100000-');
    assert.equal(requests[1]!.range, undefined, 'the second try starts from zero');
  });

  it('detects a corrupted installed file and replaces it', async () => {
    const dir = fresh();
    await installModel(dir, model());
    const bad = fs.readFileSync(target(dir));
    bad[10] = bad[10]! ^ 0xff;
    fs.writeFileSync(target(dir), bad);
    assert.deepEqual(await verifyModel(dir, model()), [{ path: 'onnx/model.onnx', state: 'wrong-hash' }]);
    fs.truncateSync(target(dir), 10);
    assert.deepEqual(await verifyModel(dir, model()), [{ path: 'onnx/model.onnx', state: 'wrong-size' }]);
    const result = await installModel(dir, model());
    assert.deepEqual(result.downloaded, ['onnx/model.onnx']);
    assert.deepEqual(await verifyModel(dir, model()), [{ path: 'onnx/model.onnx', state: 'ok' }]);
  });

  it('offline: says there is no connection, in words, as a failure that may pass (a window offers to try again)', async () => {
    // A port nothing listens on: the connection is refused, as when the network is down.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = ModelEntrySchema.parse({ ...model(), source: { repo: 'iris/test-model', revision: 'abc123', baseUrl: `http://127.0.0.1:${port}` } });
    await assert.rejects(installModel(fresh(), offline, { retryDelayMs: 1, attempts: 2 }), (error: unknown) => {
      assert.ok(error instanceof ModelDownloadError);
      assert.match(error.message, /no connection to 127\.0\.0\.1:\d+ \(ECONNREFUSED\): check the network and try again/);
      assert.doesNotMatch(error.message, /fetch failed/);
      assert.equal(error.callCode, 'unavailable');
      return true;
    });
  });

  it('gives up at once on 404, naming the URL', async () => {
    const dir = fresh();
    await assert.rejects(installModel(dir, model('onnx/missing.onnx'), { retryDelayMs: 10 }), /missing\.onnx: HTTP 404/);
    assert.equal(requests.length, 1);
    assert.deepEqual(await verifyModel(dir, model('onnx/missing.onnx')), [{ path: 'onnx/missing.onnx', state: 'missing' }]);
  });
});

describe('what an installed file of an unpinned entry is checked against', () => {
  const entry = (file: { bytes: number | null; sha256: string | null }): ModelEntry =>
    ModelEntrySchema.parse({ id: 'half', task: 'clip', title: 'half', licence: 'MIT', pinned: false, source: { repo: 'iris/half', revision: '0123456789abcdef0123456789abcdef01234567' }, files: [{ path: 'model.onnx', ...file }] });
  const withPin = (model: ModelEntry, pin: { bytes: number; sha256: string }): string => {
    const dir = tempDir('iris-pins-');
    fs.mkdirSync(path.join(dir, model.id));
    const files = { 'model.onnx': { ...pin, source: 'x-linked-etag', pinnedAt: '2026-12-06T00:00:00.000Z' } };
    fs.writeFileSync(pinnedJsonPath(dir, model), JSON.stringify({ version: 1, model: model.id, repo: model.source.repo, revision: model.source.revision, files }));
    return dir;
  };

  it('uses pinned.json, unless it disagrees with what the catalog knows of the file (then it is stale)', () => {
    const other = createHash('sha256').update('other').digest('hex');
    const unknown = entry({ bytes: null, sha256: null });
    assert.equal(expectedFromLocal(withPin(unknown, { bytes: 10, sha256: SHA }), unknown, unknown.files[0]!)?.source, 'pinned.json');
    const knowsHash = entry({ bytes: null, sha256: SHA });
    assert.deepEqual(expectedFromLocal(withPin(knowsHash, { bytes: 10, sha256: SHA }), knowsHash, knowsHash.files[0]!), { bytes: 10, sha256: SHA, source: 'pinned.json' });
    assert.equal(expectedFromLocal(withPin(knowsHash, { bytes: 10, sha256: other }), knowsHash, knowsHash.files[0]!), undefined, 'another hash than the catalog\'s');
    const knowsSize = entry({ bytes: 10, sha256: null });
    assert.equal(expectedFromLocal(withPin(knowsSize, { bytes: 11, sha256: SHA }), knowsSize, knowsSize.files[0]!), undefined, 'another size than the catalog\'s');
  });
});

describe('sizes learned before any download (learnSizes)', () => {
  it('records the size and sha256 the server states for an unpinned file, without fetching its bytes; a file without a stated sha256 stays unknown', async () => {
    const heads: string[] = [];
    const server = http.createServer((req, res) => {
      if (req.method !== 'HEAD') {
        res.writeHead(500).end('learnSizes must not download');
        return;
      }
      heads.push(req.url ?? '');
      if (req.url?.endsWith('/known.onnx')) res.writeHead(302, { location: '/cdn/known', 'x-linked-etag': `"${SHA}"`, 'x-linked-size': String(BYTES.length) }).end();
      else res.writeHead(200, { etag: '"not-a-sha256"', 'content-length': '5' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const model = ModelEntrySchema.parse({
        id: 'unpinned',
        task: 'clip',
        title: 'unpinned',
        licence: 'MIT',
        pinned: false,
        source: { repo: 'iris/unpinned', revision: '0123456789abcdef0123456789abcdef01234567', baseUrl },
        files: [{ path: 'known.onnx', bytes: null, sha256: null }],
      });
      const dir = tempDir('iris-learn-');
      assert.equal(modelBytes(dir, model), null, 'unknown before');
      assert.equal(await learnSizes(dir, model), 1);
      assert.equal(modelBytes(dir, model), BYTES.length, 'known after, from pinned.json');
      assert.equal(modelState(dir, model), 'missing', 'nothing was downloaded');
      assert.equal(await learnSizes(dir, model), 0, 'asked once: known now');
      assert.equal(heads.length, 1);
      const vague = ModelEntrySchema.parse({ ...model, id: 'vague', files: [{ path: 'vague.onnx', bytes: null, sha256: null }] });
      await learnSizes(dir, vague).catch(() => 0);
      assert.equal(modelBytes(dir, vague), null, 'no sha256 from the server: nothing recorded');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('an unpinned entry that names a branch (Immich publishes its models on main only)', () => {
  it('resolves the branch to one commit first, fetches every file at that commit, and keeps both in pinned.json', async () => {
    const COMMIT = 'a'.repeat(40);
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/api/models/immich-app/some-clip/revision/main') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'immich-app/some-clip', sha: COMMIT }));
      } else if (req.url === `/immich-app/some-clip/resolve/${COMMIT}/visual/model.onnx`) {
        res.writeHead(200, { 'x-linked-etag': `"${SHA}"`, 'x-linked-size': String(BYTES.length), 'content-length': String(BYTES.length) });
        res.end(req.method === 'HEAD' ? undefined : BYTES);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const model = ModelEntrySchema.parse({
        id: 'some-clip',
        task: 'clip',
        title: 'some CLIP',
        licence: 'MIT',
        pinned: false,
        source: { repo: 'immich-app/some-clip', revision: 'main', baseUrl },
        files: [{ path: 'visual/model.onnx', bytes: null, sha256: null }],
      });
      const dir = tempDir('iris-branch-');
      await installModel(dir, model);
      assert.deepEqual(fs.readFileSync(modelFilePath(dir, model, model.files[0]!)), BYTES);
      assert.equal(seen[0], 'GET /api/models/immich-app/some-clip/revision/main', 'the branch is resolved before anything else');
      assert.ok(!seen.some((line) => line.includes('/resolve/main/')), 'no file is fetched at the branch');
      const pinned = JSON.parse(fs.readFileSync(pinnedJsonPath(dir, model), 'utf8')) as { revision: string; branch: string; files: Record<string, { sha256: string }> };
      assert.equal(pinned.revision, COMMIT);
      assert.equal(pinned.branch, 'main');
      assert.equal(pinned.files['visual/model.onnx']?.sha256, SHA);
      assert.deepEqual(await verifyModel(dir, model), [{ path: 'visual/model.onnx', state: 'ok' }], 'checked against the pin of the resolved commit');
      const before = seen.length;
      await installModel(dir, model);
      assert.equal(seen.length, before, 'installed again: nothing asked, the commit and hashes are known');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
