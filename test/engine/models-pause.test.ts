import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DownloadPausedError, ModelsService } from '../../main/engine/service/models-service.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';

const BYTES = randomBytes(400_000);
const SHA = createHash('sha256').update(BYTES).digest('hex');

/** models.pause against a real local server that sends slowly: the partial file is kept, and installing again resumes it with a Range request. */
describe('pausing a model download', () => {
  let server: http.Server;
  const ranges: (string | undefined)[] = [];
  const modelsDir = tempDir('iris-pause-models-');

  before(async () => {
    server = http.createServer((req, res) => {
      ranges.push(req.headers.range);
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const body = BYTES.subarray(start);
      res.writeHead(start > 0 ? 206 : 200, { 'content-length': body.length, ...(start > 0 ? { 'content-range': `bytes ${start}-${BYTES.length - 1}/${BYTES.length}` } : {}) });
      // 20 chunks, 40 ms apart: slow enough to pause in the middle.
      let sent = 0;
      const step = Math.ceil(body.length / 20);
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(body.subarray(sent, sent + step));
        sent += step;
        if (sent >= body.length) {
          clearInterval(timer);
          res.end();
        }
      }, 40);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const catalog = { version: 1, models: [{ id: 'slow-model', task: 'clip', title: 'slow', licence: 'MIT', source: { repo: 'iris/slow', revision: 'abc', baseUrl }, files: [{ path: 'onnx/model.onnx', bytes: BYTES.length, sha256: SHA }] }] };
    fs.writeFileSync(path.join(modelsDir, 'catalog.json'), JSON.stringify(catalog));
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('stops where it is, keeps what came, and resumes from there', async () => {
    let received = 0;
    const service = new ModelsService(modelsDir, () => null, (progress) => (received = Math.max(received, progress.received)), () => {});
    assert.deepEqual(service.pause('slow-model'), { paused: false }, 'nothing to pause yet');
    const first = service.install('slow-model');
    await waitFor(async () => (received > 50_000 ? true : undefined), 10_000, 'some bytes to arrive');
    assert.deepEqual(service.pause('slow-model'), { paused: true });
    await assert.rejects(first, (error: unknown) => error instanceof DownloadPausedError && /paused; what was downloaded is kept/.test(error.message));
    const partial = fs.readdirSync(path.join(modelsDir, 'slow-model', 'onnx')).find((name) => name !== 'model.onnx');
    assert.ok(partial, 'a partial file is kept');
    const kept = fs.statSync(path.join(modelsDir, 'slow-model', 'onnx', partial!)).size;
    assert.ok(kept > 0 && kept < BYTES.length, `kept ${kept} bytes`);
    await service.install('slow-model');
    assert.match(ranges.at(-1) ?? '', new RegExp(`^bytes=${kept}-$`), 'resumed with a Range request from what was kept');
    assert.equal(createHash('sha256').update(fs.readFileSync(path.join(modelsDir, 'slow-model', 'onnx', 'model.onnx'))).digest('hex'), SHA);
  });
});
