import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../main/engine/index.js';
import { UsageError } from '../../main/engine/errors.js';
import { saveRuntimeReport } from '../../main/engine/runtime/session.js';
import { clearSetting, getSettingValue, listSettings, resolveDevice, resolveDeviceWithSource, writeSetting } from '../../main/engine/settings.js';
import { tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';

function memoryStore() {
  const map = new Map<string, string>();
  return { getSetting: (key: string) => map.get(key), setSetting: (key: string, value: string | null) => void (value === null ? map.delete(key) : map.set(key, value)) };
}

function json<T>(run: { code: number | null; stdout: string; stderr: string }): T {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

describe('settings registry', () => {
  it('device: the CLI value wins, then the library setting, then auto', async () => {
    const store = memoryStore();
    assert.deepEqual(resolveDeviceWithSource(undefined, store), { device: 'auto', source: 'default' });
    assert.equal(writeSetting(store, 'device', ' CoreML '), 'coreml');
    assert.equal(store.getSetting('device'), 'coreml', 'stored in canonical form');
    assert.deepEqual(resolveDeviceWithSource(undefined, store), { device: 'coreml', source: 'setting' });
    assert.deepEqual(resolveDeviceWithSource('cpu', store), { device: 'cpu', source: 'cli' });
    assert.throws(() => resolveDevice('tpu', store), UsageError);
    assert.equal(clearSetting(store, 'device'), true);
    assert.equal(getSettingValue(store, 'device'), 'auto');
  });

  it('a stored value that no longer validates is ignored and reported', async () => {
    const store = memoryStore();
    store.setSetting('device', 'quantum');
    const [state] = listSettings(store);
    assert.deepEqual([state!.key, state!.value, state!.source], ['device', 'auto', 'default']);
    assert.match(state!.problem!, /stored value "quantum" is ignored/);
  });
});

describe('iris settings', () => {
  it('lists, sets, gets and unsets the device', async () => {
    const library = tempDir();
    const lib = ['--library', library];
    const listed = json<{ key: string; value: string; source: string; default: string; description: string }[]>(await runIrisHere(['settings', '--json', ...lib]));
    assert.deepEqual(listed.map((s) => [s.key, s.value, s.source, s.default]), [
      ['device', 'auto', 'default', 'auto'],
      ['clip-model', '', 'default', ''],
      ['caption-model', '', 'default', ''],
      ['read-text', 'off', 'default', 'off'],
      ['map-tiles', 'off', 'default', 'off'],
      ['faces', 'on', 'default', 'on'],
      ['face-model', '', 'default', ''],
      ['caption-detail', 'brief', 'default', 'brief'],
      ['ask-provider', 'local', 'default', 'local'],
      ['ask-model', '', 'default', ''],
      ['endpoint-url', '', 'default', ''],
      ['endpoint-model', '', 'default', ''],
      ['endpoint-image-edge', 1024, 'default', 1024],
      ['output-folder', '', 'default', ''],
    ]);
    assert.match((await runIrisHere(['settings', ...lib])).stdout, /^device\s+auto \(default\)\s+where models run/);

    assert.equal(json<{ value: string }>(await runIrisHere(['settings', 'set', 'device', 'CUDA', '--json', ...lib])).value, 'cuda');
    assert.equal((await runIrisHere(['settings', 'get', 'device', ...lib])).stdout, 'cuda\n');
    assert.deepEqual(json<{ value: string; source: string }>(await runIrisHere(['settings', 'get', 'device', '--json', ...lib])), {
      key: 'device', value: 'cuda', default: 'auto', source: 'setting', description: listed[0]!.description,
    } as unknown);

    const unset = json<{ removed: boolean; value: string }>(await runIrisHere(['settings', 'unset', 'device', '--json', ...lib]));
    assert.deepEqual([unset.removed, unset.value], [true, 'auto']);
    assert.equal(json<{ removed: boolean }>(await runIrisHere(['settings', 'unset', 'device', '--json', ...lib])).removed, false);
    assert.equal((await runIrisHere(['settings', 'get', 'device', ...lib])).stdout, 'auto\n');
  });

  it('refuses a bad value or key with exit 2, a clear message, and no change', async () => {
    const library = tempDir();
    await runIrisHere(['settings', 'set', 'device', 'cpu', '--library', library]);
    const bad = await runIrisHere(['settings', 'set', 'device', 'gpu', '--library', library]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid value "gpu" for setting device: expected one of auto, cpu, cuda, dml, coreml, webgpu/);
    assert.equal(bad.stdout, '');
    assert.equal((await runIrisHere(['settings', 'get', 'device', '--library', library])).stdout, 'cpu\n');

    const unknown = await runIrisHere(['settings', 'get', 'colour', '--library', library]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown setting "colour": the settings are device/);

    const fresh = path.join(tempDir(), 'never-created');
    assert.equal((await runIrisHere(['settings', 'set', 'device', 'gpu', '--library', fresh])).code, 2);
    assert.equal(fs.existsSync(fresh), false, 'a refused value opens no library');
  });
});

describe('iris doctor: providers, probes, device and fallbacks', () => {
  it('shows every listed provider probed, the device setting and what it resolves to, and the last session', async () => {
    const library = tempDir();
    await runIrisHere(['settings', 'set', 'device', 'cuda', '--library', library]);
    type Report = {
      executionProviders: { name: string; listed: boolean; probe: { available: boolean; reason?: string } | null }[];
      device: { setting: string | null; effective: string; source: string; tries: string[]; resolvesTo: string | null; autoResolvesTo: string | null };
      lastRuntime: unknown;
    };
    const report = json<Report>(await runIrisHere(['doctor', '--json', '--library', library]));
    const cpu = report.executionProviders.find((p) => p.name === 'cpu')!;
    assert.deepEqual([cpu.listed, cpu.probe?.available], [true, true]);
    const cuda = report.executionProviders.find((p) => p.name === 'cuda')!;
    assert.ok(cuda.probe, 'the requested device is probed even when this build does not list it');
    assert.deepEqual([report.device.setting, report.device.effective, report.device.source, report.device.tries], ['cuda', 'cuda', 'setting', ['cuda', 'cpu']]);
    assert.equal(report.device.resolvesTo, cuda.probe.available ? 'cuda' : 'cpu');
    if (!cuda.probe.available) assert.ok(cuda.probe.reason, 'an unavailable provider says why');
    assert.ok(report.device.autoResolvesTo, 'auto resolves to something (cpu at least)');
    assert.equal(report.lastRuntime, null);

    // A session that fell back, as the engine would store it after creating one.
    const engine = Engine.open({ libraryDir: library });
    const fellBack = {
      device: 'cuda', provider: 'cpu', label: 'clip vision', at: '2026-01-01T00:00:00.000Z', threads: { intraOp: 2, interOp: 1 },
      attempts: [{ provider: 'cuda', ok: false, reason: 'Failed to load shared library' }, { provider: 'cpu', ok: true }],
    } as const;
    saveRuntimeReport(engine.store, { ...fellBack, attempts: [...fellBack.attempts] });
    await engine.close();
    assert.deepEqual(json<Report>(await runIrisHere(['doctor', '--json', '--library', library])).lastRuntime, fellBack);
    const human = (await runIrisHere(['doctor', '--library', library])).stdout;
    assert.match(human, /in effect\s+cuda \(library setting; tries cuda, cpu\) -> (cuda|cpu)/);
    assert.match(human, /clip vision: cpu \(asked cuda; 2 intra-op threads/);
    assert.match(human, /fell back from cuda: Failed to load shared library/);
  });
});
