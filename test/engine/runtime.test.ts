import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { Tensor, listSupportedBackends } from 'onnxruntime-node';
import { UsageError } from '../../main/engine/errors.js';
import { DEVICES, candidateProviders, parseDevice } from '../../main/engine/runtime/devices.js';
import { PROBE_SHAPE, probeModelBytes, probeProvider, providersToProbe } from '../../main/engine/runtime/probe.js';
import { type RuntimeReport, SessionError, createSession, loadRuntimeReport, physicalCores, saveRuntimeReport } from '../../main/engine/runtime/session.js';
import { CLIP_FIXTURE_ID, FIXTURE_MODELS_DIR, generateFixtureModels } from '../fixtures/generate-models.js';

/**
 * The runtime module on real onnxruntime-node sessions: the hand-encoded probe model and the CLIP
 * fixture. This machine has no GPU, so the tests that ask for one check the fallback and its
 * reason; on a machine where CUDA works they check that it was really used instead.
 */

const { onnx } = onnxProto;

function memoryStore(): { getSetting(key: string): string | undefined; setSetting(key: string, value: string | null): void; map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getSetting: (key) => map.get(key), setSetting: (key, value) => (value === null ? map.delete(key) : map.set(key, value)) };
}

function threadCount(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]);
}

describe('devices', () => {
  it('parses the documented devices, forgiving case and spaces', () => {
    for (const device of DEVICES) assert.equal(parseDevice(device), device);
    assert.equal(parseDevice(' CUDA '), 'cuda');
  });

  it('refuses an unknown device with a UsageError that lists the valid ones', () => {
    assert.throws(
      () => parseDevice('gpu'),
      (error: unknown) => error instanceof UsageError && /unknown device "gpu": expected one of auto, cpu, cuda, dml, coreml, webgpu/.test(error.message),
    );
  });

  it('auto tries the platform accelerators this build lists, then cpu', () => {
    const linux = [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }, { name: 'cuda', bundled: false }];
    assert.deepEqual(candidateProviders('auto', 'linux', linux), ['cuda', 'cpu']);
    assert.deepEqual(candidateProviders('auto', 'linux', linux.slice(0, 2)), ['cpu'], 'no cuda in the build: not tried');
    assert.deepEqual(candidateProviders('auto', 'win32', [{ name: 'cpu', bundled: true }, { name: 'dml', bundled: true }]), ['dml', 'cpu']);
    assert.deepEqual(candidateProviders('auto', 'darwin', [{ name: 'cpu', bundled: true }, { name: 'coreml', bundled: true }]), ['coreml', 'cpu']);
    assert.ok(!candidateProviders('auto', 'linux', linux).includes('webgpu'), 'webgpu only when asked for by name');
  });

  it('an explicit device is tried first and falls back to cpu unless strict', () => {
    assert.deepEqual(candidateProviders('webgpu', 'linux', []), ['webgpu', 'cpu']);
    assert.deepEqual(candidateProviders('cuda', 'linux', [], true), ['cuda']);
    assert.deepEqual(candidateProviders('cpu', 'linux', []), ['cpu']);
  });
});

describe('the probe model (protobuf encoded by hand)', () => {
  it('decodes with onnx-proto as y = Add(x, x), float32 [1, 4], IR 8, opset 17', () => {
    const model = onnx.ModelProto.decode(probeModelBytes());
    assert.equal(Number(model.irVersion), 8);
    assert.deepEqual(model.opsetImport.map((o) => [o.domain ?? '', Number(o.version)]), [['', 17]]);
    const graph = model.graph!;
    assert.deepEqual(graph.node!.map((n) => [n.opType, n.input, n.output]), [['Add', ['x', 'x'], ['y']]]);
    for (const [value, name] of [[graph.input![0]!, 'x'], [graph.output![0]!, 'y']] as const) {
      assert.equal(value.name, name);
      assert.equal(value.type?.tensorType?.elemType, onnx.TensorProto.DataType.FLOAT);
      assert.deepEqual(value.type?.tensorType?.shape?.dim?.map((d) => Number(d.dimValue)), [...PROBE_SHAPE]);
    }
  });

  it('runs on cpu, with names, dtypes and shapes read from the session', async () => {
    const session = await createSession(probeModelBytes(), { device: 'cpu', label: 'probe' });
    try {
      assert.equal(session.provider, 'cpu');
      assert.deepEqual(session.attempts, [{ provider: 'cpu', ok: true }]);
      assert.equal(session.warning, undefined);
      assert.deepEqual(session.inputs, [{ name: 'x', dtype: 'float32', shape: [1, 4] }]);
      assert.deepEqual(session.outputs, [{ name: 'y', dtype: 'float32', shape: [1, 4] }]);
      const out = await session.run({ x: new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });
      assert.deepEqual(Array.from(out.y!.data as Float32Array), [2, 4, 6, 8]);
    } finally {
      await session.release();
      await session.release(); // twice is harmless
    }
  });

  it('probes cpu as available and says why an unusable provider is not', async () => {
    const cpu = await probeProvider('cpu');
    assert.equal(cpu.available, true, cpu.reason);
    const dml = await probeProvider(process.platform === 'win32' ? 'coreml' : 'dml');
    assert.equal(dml.available, false);
    assert.match(dml.reason!, /no (dml|coreml) execution provider on/);
    const backends = listSupportedBackends();
    assert.ok(providersToProbe('auto', backends).includes('cpu'));
    assert.ok(providersToProbe('dml', backends).includes('dml'), 'the requested device is probed even when unlisted');
  });
});

describe('createSession on the CLIP fixture', () => {
  generateFixtureModels(); // idempotent: a no-op when `npm run fixtures` already made them
  const catalog = JSON.parse(fs.readFileSync(path.join(FIXTURE_MODELS_DIR, 'catalog.json'), 'utf8')) as {
    models: { id: string; io: Record<string, { inputs: unknown[]; outputs: unknown[] }> }[];
  };
  const io = catalog.models.find((m) => m.id === CLIP_FIXTURE_ID)!.io['onnx/vision_model.onnx']!;
  const visionFile = path.join(FIXTURE_MODELS_DIR, CLIP_FIXTURE_ID, 'onnx', 'vision_model.onnx');

  it('reads the same inputs and outputs the catalog declares, and runs', async () => {
    const session = await createSession(visionFile, { device: 'cpu', label: 'clip vision' });
    try {
      assert.deepEqual(session.inputs, io.inputs);
      assert.deepEqual(session.outputs, io.outputs);
      assert.ok((await session.warmUp()) >= 0);
      const input = session.inputs[0]!;
      const pixels = new Tensor('float32', new Float32Array(2 * 3 * 224 * 224).fill(0.5), [2, 3, 224, 224]);
      const out = await session.run({ [input.name]: pixels });
      assert.deepEqual(out[session.outputs[0]!.name]!.dims, [2, 512]);
    } finally {
      await session.release();
    }
  });

  it('asking for cuda without a working CUDA falls back to cpu, saying why, and strict refuses', async (t) => {
    const session = await createSession(visionFile, { device: 'cuda', label: 'clip vision' });
    await session.release();
    if (session.provider === 'cuda') return t.skip('CUDA works on this machine: nothing to fall back from');
    assert.equal(session.provider, 'cpu');
    assert.equal(session.attempts.length, 2);
    assert.deepEqual([session.attempts[0]!.provider, session.attempts[0]!.ok], ['cuda', false]);
    assert.ok(session.attempts[0]!.reason && session.attempts[0]!.reason.length > 10, 'a reason is recorded');
    assert.doesNotMatch(session.attempts[0]!.reason!, /onnxruntime_src|\.cc:\d+/, 'no C++ source location in the reason');
    assert.match(session.warning!, /device cuda could not be used for clip vision .* running on cpu instead/);
    await assert.rejects(createSession(visionFile, { device: 'cuda', strict: true }), (error: unknown) => error instanceof SessionError && error.attempts.length === 1);
  });

  it('auto ends on a working provider and records every attempt before it', async () => {
    const session = await createSession(visionFile, { label: 'clip vision' });
    await session.release();
    assert.equal(session.device, 'auto');
    assert.equal(session.attempts.at(-1)!.provider, session.provider);
    assert.ok(session.attempts.slice(0, -1).every((a) => !a.ok && a.reason));
    assert.equal(session.warning, undefined, 'auto falling back is expected, not a warning');
  });

  it('a broken model fails on every provider with one error listing them', async () => {
    await assert.rejects(createSession(Uint8Array.from([1, 2, 3]), { device: 'cpu', label: 'junk' }), /could not create an onnxruntime session for junk: cpu: .*protobuf/);
  });
});

describe('threads', () => {
  it('defaults to physical cores for intra-op and 1 for inter-op; refuses nonsense', async () => {
    const session = await createSession(probeModelBytes(), { device: 'cpu' });
    await session.release();
    assert.deepEqual(session.threads, { intraOp: physicalCores(), interOp: 1 });
    assert.ok(physicalCores() >= 1);
    await assert.rejects(createSession(probeModelBytes(), { intraOpThreads: 0 }), RangeError);
  });

  it('the intra-op count really reaches onnxruntime (its pool adds count - 1 threads)', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const measure = async (intraOpThreads: number) => {
      const before = threadCount();
      const session = await createSession(probeModelBytes(), { device: 'cpu', intraOpThreads });
      const added = threadCount() - before;
      await session.release();
      return added;
    };
    await measure(1); // the first session starts onnxruntime's own global threads
    assert.equal(await measure(1), 0);
    assert.equal(await measure(4), 3);
  });
});

describe('runtime report', () => {
  it('round-trips through the settings store, and a corrupt one reads as none', async () => {
    const store = memoryStore();
    assert.equal(loadRuntimeReport(store), null);
    const session = await createSession(probeModelBytes(), { device: 'cpu', label: 'probe' });
    await session.release();
    const report: RuntimeReport = session.report();
    saveRuntimeReport(store, report);
    assert.ok(store.map.has('runtime.last'));
    assert.deepEqual(loadRuntimeReport(store), report);
    store.setSetting('runtime.last', '{"provider":');
    assert.equal(loadRuntimeReport(store), null);
  });
});
