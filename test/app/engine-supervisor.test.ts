import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventName } from '../../main/contract/contract.js';
import { IrisCallError, type RpcMessage } from '../../main/contract/rpc.js';
import { type EngineChild, type EngineChildHandlers, EngineSupervisor } from '../../main/app/engine-supervisor.js';
import { RestartPolicy } from '../../main/app/restart-policy.js';

/** A pretend engine process: answers calls with `answer`, or stays silent while `silent`. */
class FakeEngine implements EngineChild {
  sent: RpcMessage[] = [];
  disconnected = false;
  killed = false;
  silent = false;
  exitOnDisconnect = true;

  constructor(
    private readonly handlers: EngineChildHandlers,
    private readonly answer: (name: string, args: unknown) => unknown,
  ) {}

  send(message: RpcMessage): void {
    this.sent.push(message);
    if (message.type !== 'call' || this.silent) return;
    const { id, name, args } = message;
    queueMicrotask(() => this.handlers.onMessage({ type: 'result', id, ok: true, value: this.answer(name, args) }));
  }

  disconnect(): void {
    this.disconnected = true;
    if (this.exitOnDisconnect) queueMicrotask(() => this.handlers.onExit(0));
  }

  kill(): void {
    this.killed = true;
  }

  /** Answers a call that was held while silent. */
  answerHeld(id: number, value: unknown): void {
    this.handlers.onMessage({ type: 'result', id, ok: true, value });
  }

  emit(name: string, payload: unknown): void {
    this.handlers.onMessage({ type: 'event', name, payload });
  }

  crash(code = 134): void {
    this.handlers.onExit(code);
  }
}

function harness(options: { policy?: RestartPolicy; waitMs?: number; silentFrom?: number; stopGraceMs?: number } = {}) {
  const engines: FakeEngine[] = [];
  const events: { name: EventName; payload: unknown }[] = [];
  const supervisor = new EngineSupervisor({
    spawn: (handlers) => {
      const engine: FakeEngine = new FakeEngine(handlers, (name) => ({ answeredBy: engines.indexOf(engine), name }));
      if (options.silentFrom !== undefined && engines.length >= options.silentFrom) engine.silent = true;
      engines.push(engine);
      return engine;
    },
    onEvent: (name, payload) => events.push({ name, payload }),
    policy: options.policy ?? new RestartPolicy({ maxCrashes: 5, windowMs: 60_000, baseDelayMs: 5, maxDelayMs: 20 }),
    waitMs: options.waitMs ?? 2_000,
    stopGraceMs: options.stopGraceMs ?? 50,
  });
  const states = () => events.filter((event) => event.name === 'engine.state').map((event) => (event.payload as { state: string }).state);
  return { supervisor, engines, events, states };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await tick(5);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('engine supervisor', () => {
  it('starts the engine, calls it ready once it answers, and then forwards calls', async () => {
    const { supervisor, engines, states } = harness();
    supervisor.start();
    assert.equal(engines.length, 1);
    await until(() => supervisor.currentState === 'ready', 'ready');
    assert.deepEqual(states(), ['ready']);
    assert.deepEqual(await supervisor.call('folders.list', {}), { answeredBy: 0, name: 'folders.list' });
    await supervisor.stop();
  });

  it('holds calls made while starting and sends them once the engine is up', async () => {
    const { supervisor, engines } = harness({ silentFrom: 0 });
    supervisor.start();
    const held = supervisor.call('jobs.status', {});
    await tick(10);
    // Only the readiness probe has gone out; the page's call waits.
    assert.deepEqual(engines[0]!.sent.map((message) => (message as { name: string }).name), ['library.status']);
    engines[0]!.emit('engine.state', { state: 'ready', message: null });
    await until(() => engines[0]!.sent.length === 2, 'the held call to be sent');
    const call = engines[0]!.sent[1] as { id: number; name: string };
    assert.equal(call.name, 'jobs.status');
    engines[0]!.answerHeld(call.id, { paused: false });
    assert.deepEqual(await held, { paused: false });
    await supervisor.stop();
  });

  it('forwards the engine\'s events, but not its own engine.state (the supervisor owns that)', async () => {
    const { supervisor, engines, events } = harness();
    supervisor.start();
    await until(() => supervisor.currentState === 'ready', 'ready');
    engines[0]!.emit('progress', { phase: 'scan', found: 3, current: null });
    engines[0]!.emit('engine.state', { state: 'ready', message: null });
    engines[0]!.emit('not-an-event', {});
    assert.deepEqual(
      events.map((event) => event.name),
      ['engine.state', 'progress'],
    );
    await supervisor.stop();
  });

  it('after a crash: fails calls in flight as unavailable, says restarting, restarts, says ready, and serves again', async () => {
    const { supervisor, engines, states } = harness();
    supervisor.start();
    await until(() => supervisor.currentState === 'ready', 'ready');
    engines[0]!.silent = true;
    const inFlight = supervisor.call('map.layout', {});
    await tick();
    engines[0]!.crash();
    await assert.rejects(inFlight, (error: unknown) => error instanceof IrisCallError && error.code === 'unavailable');
    assert.equal(supervisor.currentState, 'restarting');
    // A call made during the restart waits for the new engine.
    const during = supervisor.call('folders.list', {});
    await until(() => supervisor.currentState === 'ready', 'ready again');
    assert.equal(engines.length, 2);
    assert.deepEqual(await during, { answeredBy: 1, name: 'folders.list' });
    assert.deepEqual(states(), ['ready', 'restarting', 'ready']);
    // The call that was in flight is not replayed on the new engine.
    assert.ok(!engines[1]!.sent.some((message) => (message as { name?: string }).name === 'map.layout'));
    await supervisor.stop();
  });

  it('fails a waiting call with unavailable when the wait is too long', async () => {
    const { supervisor } = harness({ silentFrom: 0, waitMs: 30 });
    supervisor.start();
    await assert.rejects(supervisor.call('folders.list', {}), (error: unknown) => error instanceof IrisCallError && error.code === 'unavailable' && /starting/.test(error.message));
    await supervisor.stop();
  });

  it('gives up after five crashes in a minute, says failed, and fails calls at once', async () => {
    const { supervisor, engines, states, events } = harness();
    supervisor.start();
    for (let crash = 0; crash < 5; crash++) {
      await until(() => engines.length === crash + 1, `engine ${crash + 1}`);
      engines[crash]!.crash(1);
    }
    assert.equal(supervisor.currentState, 'failed');
    assert.equal(states().at(-1), 'failed');
    assert.equal(states().filter((state) => state === 'restarting').length, 4);
    assert.match((events.at(-1)!.payload as { message: string }).message, /exit/);
    await tick(50);
    assert.equal(engines.length, 5, 'no sixth start');
    await assert.rejects(supervisor.call('library.status', {}), (error: unknown) => error instanceof IrisCallError && error.code === 'unavailable');
  });

  it('treats a spawn that throws as a crash', async () => {
    let tries = 0;
    const events: string[] = [];
    const supervisor = new EngineSupervisor({
      spawn: () => {
        tries++;
        throw new Error('no such file');
      },
      onEvent: (_name, payload) => events.push((payload as { state: string }).state),
      policy: new RestartPolicy({ maxCrashes: 3, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 1 }),
    });
    supervisor.start();
    await until(() => supervisor.currentState === 'failed', 'failed');
    assert.equal(tries, 3);
    assert.deepEqual(events, ['restarting', 'restarting', 'failed']);
  });

  it('quits by closing the port, and kills an engine that does not exit in time', async () => {
    const polite = harness();
    polite.supervisor.start();
    await until(() => polite.supervisor.currentState === 'ready', 'ready');
    await polite.supervisor.stop();
    assert.equal(polite.engines[0]!.disconnected, true);
    assert.equal(polite.engines[0]!.killed, false);
    assert.equal(polite.engines.length, 1, 'its exit is not a crash');

    const stubborn = harness({ stopGraceMs: 20 });
    stubborn.supervisor.start();
    await until(() => stubborn.supervisor.currentState === 'ready', 'ready');
    stubborn.engines[0]!.exitOnDisconnect = false;
    await stubborn.supervisor.stop();
    assert.equal(stubborn.engines[0]!.killed, true);
    await assert.rejects(stubborn.supervisor.call('library.status', {}), (error: unknown) => error instanceof IrisCallError && error.code === 'unavailable');
  });
});
