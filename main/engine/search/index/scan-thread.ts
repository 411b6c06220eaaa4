import os from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { WasmMemory } from './kernels.js';
import { ARGS, CONTROL, FLOAT_ARGS, type ScanArgs, type ScanThreadMessage } from './scan-protocol.js';

/**
 * A second thread for the first pass of search: the scan of every code is memory-bound and
 * embarrassingly parallel, and at a million photos it is two thirds of a query (≈10 of 15 ms on
 * the 2-core bench machine). The worker (scan-worker.ts) has its own instance of the kernels on
 * the index's shared memory and scans half of the blocks into its own output region while the
 * calling thread scans the other half.
 *
 * Why a blocking hand-over (Atomics.wait) and not a promise: VectorStore.search is synchronous (its
 * callers, the CLI and the engine's request handlers, take its result in the same turn), and a
 * round trip through the event loop would cost more than the half scan saves at 100k photos. The
 * engine runs in a utility process (Node), where the main thread may block on Atomics.
 *
 * Why one thread and not one per core: two threads already take most of the memory bandwidth of
 * a desktop, and the engine shares the machine with embedding and thumbnailing work.
 *
 * Whatever goes wrong (the worker cannot start, dies, or takes far too long) turns the helper off
 * for the process and the caller scans everything itself: correctness never depends on it.
 */

/** How long the calling thread waits for the worker to start, and for a half scan. */
const READY_TIMEOUT_MS = 5_000;
const SCAN_TIMEOUT_MS = 10_000;

export class ScanThread {
  /** undefined: not tried yet; null: not available in this process. */
  private static shared: ScanThread | null | undefined;
  private static enabled = os.availableParallelism() > 1 && process.env.IRIS_SEARCH_THREADS !== '1';

  private readonly ints: Int32Array;
  private readonly floats: Float32Array;
  private readonly memoryIds = new WeakMap<WasmMemory, number>();
  private nextMemoryId = 1;
  private request = 0;
  private pending = false;
  /** Half scans the worker has finished (for tests and diagnostics). */
  served = 0;
  private broken = false;
  private readonly forget: FinalizationRegistry<number>;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessageChannel['port1'],
    control: SharedArrayBuffer,
  ) {
    this.ints = new Int32Array(control);
    this.floats = new Float32Array(control);
    this.forget = new FinalizationRegistry((id: number) => this.post({ type: 'forget', id }));
    worker.on('error', () => this.stop());
    worker.on('exit', () => this.stop());
  }

  /** The process's scan thread, started on first use; null where there is none (one core, disabled, or it failed). */
  static get(): ScanThread | null {
    if (ScanThread.shared === undefined) ScanThread.shared = ScanThread.enabled ? ScanThread.start() : null;
    if (ScanThread.shared?.broken) ScanThread.shared = null;
    return ScanThread.shared;
  }

  /** Turns the scan thread on or off for this process (tests, benchmarks, IRIS_SEARCH_THREADS=1). */
  static setEnabled(enabled: boolean): void {
    ScanThread.enabled = enabled;
    if (!enabled) {
      ScanThread.shared?.stop();
      ScanThread.shared = undefined;
    } else if (ScanThread.shared === null) ScanThread.shared = undefined;
  }

  private static start(): ScanThread | null {
    const control = new SharedArrayBuffer(CONTROL.size * 4);
    const { port1, port2 } = new MessageChannel();
    let worker: Worker;
    try {
      worker = new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: { control, port: port2 }, transferList: [port2] });
    } catch {
      return null;
    }
    // Neither keeps the process alive: a CLI search exits when its work is done.
    worker.unref();
    port1.unref();
    const thread = new ScanThread(worker, port1, control);
    if (Atomics.wait(thread.ints, CONTROL.ready, 0, READY_TIMEOUT_MS) === 'timed-out' && Atomics.load(thread.ints, CONTROL.ready) !== 1) {
      thread.stop();
      return null;
    }
    return thread;
  }

  private post(message: ScanThreadMessage): void {
    if (!this.broken) this.port.postMessage(message);
  }

  /** Starts a scan of `args` on `memory` in the worker; false when it cannot (then scan it yourself). */
  begin(memory: WasmMemory, args: ScanArgs): boolean {
    if (this.broken || this.pending) return false;
    let id = this.memoryIds.get(memory);
    if (id === undefined) {
      id = this.nextMemoryId++;
      this.memoryIds.set(memory, id);
      this.post({ type: 'memory', id, memory });
      this.forget.register(memory, id);
    }
    this.ints[CONTROL.memory] = id;
    for (const [name, word] of Object.entries(ARGS) as [keyof ScanArgs, number][]) {
      if (FLOAT_ARGS.has(name)) this.floats[CONTROL.args + word] = args[name];
      else this.ints[CONTROL.args + word] = args[name];
    }
    this.request = (this.request + 1) | 0;
    this.pending = true;
    Atomics.store(this.ints, CONTROL.request, this.request);
    Atomics.notify(this.ints, CONTROL.request);
    return true;
  }

  /** Waits for the scan begun last; its count of passing slots, or null if it failed (scan it yourself). */
  finish(): number | null {
    if (!this.pending) return null;
    this.pending = false;
    for (;;) {
      const done = Atomics.load(this.ints, CONTROL.done);
      if (done === this.request) break;
      if (Atomics.wait(this.ints, CONTROL.done, done, SCAN_TIMEOUT_MS) === 'timed-out') {
        this.stop();
        return null;
      }
    }
    const count = this.ints[CONTROL.count]!;
    if (count < 0) return null;
    this.served++;
    return count;
  }

  private stop(): void {
    if (this.broken) return;
    this.broken = true;
    this.port.close();
    void this.worker.terminate();
  }
}
