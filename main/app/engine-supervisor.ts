import { type CallName, type EventName, type EventPayload, isEventName } from '../contract/contract.js';
import { IrisCallError, RpcClient, type RpcMessage, isRpcMessage } from '../contract/rpc.js';
import { RestartPolicy } from './restart-policy.js';

/** One running engine process as the supervisor sees it (engine-process.ts makes the real one). */
export interface EngineChild {
  /** Posts one message to the engine over its port. */
  send(message: RpcMessage): void;
  /** Closes the port: the engine then closes its library and exits by itself. */
  disconnect(): void;
  /** Ends the process now. */
  kill(): void;
}

export interface EngineChildHandlers {
  onMessage(message: unknown): void;
  onExit(code: number): void;
}

export type SpawnEngine = (handlers: EngineChildHandlers) => EngineChild;

export type EngineState = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

export interface SupervisorOptions {
  spawn: SpawnEngine;
  /** Every event: the engine's own, and `engine.state` from the supervisor. */
  onEvent: <E extends EventName>(name: E, payload: EventPayload<E>) => void;
  policy?: RestartPolicy;
  /** How long a call made while the engine starts or restarts waits before failing `unavailable`. */
  waitMs?: number;
  /**
   * Sent to each new engine; any answer shows it is up and serving. (The engine also says
   * `engine.state: ready` when connected; either is enough, whichever comes first.)
   */
  probe?: { name: CallName; args: unknown };
  /** How long `stop()` lets the engine close its library before killing it. */
  stopGraceMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

interface WaitingCall {
  name: CallName;
  args: unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Keeps one engine process running behind a stable `call()`:
 * - starts it, and calls it "ready" once it has answered a first call (a process that started but
 *   cannot open its library has not);
 * - when it dies, fails the calls that were in flight with `unavailable` (they are not replayed:
 *   `folders.add` twice is not the same as once), tells the UI `restarting`, and starts it again
 *   after the policy's backoff; after too many crashes it gives up and says `failed`;
 * - calls made while it is not ready wait, at most `waitMs`, then fail with `unavailable`.
 * Electron-free, so the restart behaviour is tested with fake processes.
 */
export class EngineSupervisor {
  private state: EngineState = 'stopped';
  private child: EngineChild | null = null;
  private childExited: Promise<void> = Promise.resolve();
  private rpc: RpcClient | null = null;
  private waiting: WaitingCall[] = [];
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private failure: string | null = null;
  private readonly policy: RestartPolicy;
  private readonly waitMs: number;
  private readonly probe: { name: CallName; args: unknown };
  private readonly stopGraceMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = options.policy ?? new RestartPolicy();
    this.waitMs = options.waitMs ?? 20_000;
    this.probe = options.probe ?? { name: 'library.status', args: {} };
    this.stopGraceMs = options.stopGraceMs ?? 2_000;
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  get currentState(): EngineState {
    return this.state;
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.state = 'starting';
    this.launch();
  }

  call(name: CallName, args: unknown): Promise<unknown> {
    if (this.state === 'ready' && this.rpc) return this.rpc.call(name, args);
    if (this.state === 'failed') return Promise.reject(new IrisCallError('unavailable', `${name}: the engine has stopped: ${this.failure ?? 'it kept crashing'}`));
    if (this.state === 'stopped') return Promise.reject(new IrisCallError('unavailable', `${name}: the engine is not running`));
    return new Promise((resolve, reject) => {
      const waiter: WaitingCall = {
        name,
        args,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting = this.waiting.filter((other) => other !== waiter);
          reject(new IrisCallError('unavailable', `${name}: the engine is ${this.state === 'starting' ? 'starting' : 'restarting'}; try again`));
        }, this.waitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /**
   * Quits: no restart, waiting calls fail, and the engine is asked to close (its port is closed,
   * so it closes its database and exits) and killed if it has not within the grace period. Nothing
   * is lost either way: the job queue is in the database.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.failWaiting('the app is quitting');
    this.rpc?.closeAll('the app is quitting');
    const child = this.child;
    this.child = null;
    this.rpc = null;
    if (!child) return;
    child.disconnect();
    let grace: ReturnType<typeof setTimeout> | undefined;
    const exitedInTime = await Promise.race([
      this.childExited.then(() => true),
      new Promise<boolean>((resolve) => (grace = setTimeout(() => resolve(false), this.stopGraceMs))),
    ]);
    clearTimeout(grace);
    if (!exitedInTime) {
      this.log(`engine: did not exit within ${this.stopGraceMs} ms of closing its port; killing it`);
      child.kill();
    }
  }

  private launch(): void {
    this.restartTimer = null;
    let child: EngineChild | null = null;
    let exited!: () => void;
    this.childExited = new Promise<void>((resolve) => (exited = resolve));
    const isCurrent = () => child !== null && child === this.child;
    const rpc = new RpcClient((message) => {
      if (!child) throw new Error('the engine is not connected');
      child.send(message);
    });
    try {
      child = this.options.spawn({
        onMessage: (message) => {
          if (isCurrent()) this.receive(rpc, message);
        },
        onExit: (code) => {
          exited();
          if (isCurrent()) this.onExit(code);
        },
      });
    } catch (error) {
      this.log(`engine: could not start: ${(error as Error).message}`);
      this.onCrash(`could not start: ${(error as Error).message}`);
      return;
    }
    this.child = child;
    this.rpc = rpc;
    // Any answer, even an error, shows the engine is up and serving; only its death (which
    // rejects with `unavailable` via closeAll) does not, and onExit deals with that.
    const up = () => {
      if (isCurrent() && this.state !== 'ready') this.becomeReady(rpc);
    };
    rpc.call(this.probe.name, this.probe.args).then(up, (error: unknown) => {
      if (!(error instanceof IrisCallError && error.code === 'unavailable')) up();
    });
  }

  private receive(rpc: RpcClient, message: unknown): void {
    if (!isRpcMessage(message)) {
      this.log('engine: ignored a message that is not an RpcMessage');
      return;
    }
    if (message.type === 'event') {
      // The engine's own `engine.state` is its hello; the UI hears engine.state from here only,
      // because only the supervisor knows about restarts and giving up.
      if (message.name === 'engine.state') {
        if ((message.payload as { state?: unknown } | null)?.state === 'ready' && this.state !== 'ready') this.becomeReady(rpc);
        return;
      }
      if (isEventName(message.name)) this.options.onEvent(message.name, message.payload as never);
      return;
    }
    rpc.receive(message);
  }

  private becomeReady(rpc: RpcClient): void {
    this.state = 'ready';
    this.options.onEvent('engine.state', { state: 'ready', message: null });
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) {
      clearTimeout(waiter.timer);
      rpc.call(waiter.name, waiter.args).then(waiter.resolve, waiter.reject);
    }
  }

  private onExit(code: number): void {
    this.rpc?.closeAll(`the engine stopped (exit code ${code}) while answering; it is being restarted`);
    this.child = null;
    this.rpc = null;
    this.log(`engine: exited with code ${code}`);
    this.onCrash(`it exited with code ${code}`);
  }

  private onCrash(reason: string): void {
    const decision = this.policy.onCrash(this.now());
    if (decision.action === 'give-up') {
      this.state = 'failed';
      this.failure = `${reason}, ${decision.crashesInWindow} times in a row`;
      this.failWaiting(`the engine has stopped: ${this.failure}`);
      this.options.onEvent('engine.state', { state: 'failed', message: `The engine stopped: ${this.failure}. Restart Iris to try again.` });
      return;
    }
    this.state = 'restarting';
    this.options.onEvent('engine.state', { state: 'restarting', message: `The engine stopped (${reason}); restarting.` });
    this.restartTimer = setTimeout(() => this.launch(), decision.delayMs);
  }

  private failWaiting(reason: string): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) {
      clearTimeout(waiter.timer);
      waiter.reject(new IrisCallError('unavailable', `${waiter.name}: ${reason}`));
    }
  }
}
