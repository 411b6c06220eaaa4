import os from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Kernels, WasmMemory } from './kernels.js';
import { ARGS, claimChunk, CONTROL, FLOAT_ARGS, type ScanArgs, scanChunks, type ScanThreadMessage } from './scan-protocol.js';

/**
 * A second thread for the first pass of search: the scan of every code is memory-bound and
 * embarrassingly parallel, and at a million photos it is two thirds of a query (≈10 of 15 ms on
 * the 2-core bench machine). The worker (scan-worker.ts) has its own instance of the kernels on
 * the index's shared memory; the two threads claim the blocks a chunk at a time, each into its own
 * output region (scan-protocol.ts), so a worker that is slow to wake, or a core that is busy with
 * other work, costs only the chunks it did take.
 *
 * Why a blocking hand-over (Atomics.wait) and not a promise: VectorStore.search is synchronous (its
 * callers, the CLI and the engine's request handlers, take its result in the same turn), and a
 * round trip through the event loop would cost more than sharing the scan saves at 100k photos. The
 * engine runs in a utility process (Node), where the main thread may block on Atomics.
 *
 * Why one thread and not one per core: two threads already take most of the memory bandwidth of
 * a desktop, and the engine shares the machine with embedding and thumbnailing work.
 *
 * Whatever goes wrong (the worker cannot start, dies, or takes far too long) turns the helper off
 * for the process and the caller scans everything itself: correctness never depends on it.
 */

/** How long the calling thread waits for the worker to start, and for the chunks it took. */
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
  /** Scans in which the worker took part (for tests and diagnostics). */
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

  /**
   * Scans blocks [args.first, args.end) (step 1) with the worker, chunk by chunk (scan-protocol.ts):
   * this thread's slots go to args' output region, the worker's to `second`'s. Returns how many
   * passed in each region; null if the worker failed mid-scan (then scan it all yourself).
   */
  scan(kernels: Kernels, args: ScanArgs, second: { outSlots: number; outBounds: number }, chunkBlocks: number): { mine: number; theirs: number } | null {
    if (this.broken) return null;
    const { memory } = kernels;
    let id = this.memoryIds.get(memory);
    if (id === undefined) {
      id = this.nextMemoryId++;
      this.memoryIds.set(memory, id);
      this.post({ type: 'memory', id, memory });
      this.forget.register(memory, id);
    }
    const chunks = Math.ceil((args.end - args.first) / chunkBlocks);
    const generation = (this.request % 0xffff) + 1;
    this.request = generation;
    this.ints[CONTROL.memory] = id;
    this.ints[CONTROL.chunk] = chunkBlocks;
    const theirArgs = { ...args, ...second };
    for (const [name, word] of Object.entries(ARGS) as [keyof ScanArgs, number][]) {
      if (FLOAT_ARGS.has(name)) this.floats[CONTROL.args + word] = theirArgs[name];
      else this.ints[CONTROL.args + word] = theirArgs[name];
    }
    Atomics.store(this.ints, CONTROL.count, 0);
    Atomics.store(this.ints, CONTROL.done, 0);
    Atomics.store(this.ints, CONTROL.next, generation << 16);
    Atomics.store(this.ints, CONTROL.request, generation);
    Atomics.notify(this.ints, CONTROL.request);
    const mine = scanChunks(kernels, args, chunkBlocks, () => claimChunk(this.ints, generation, chunks));
    // Every chunk is claimed now; wait only for those the worker took.
    const theirs = chunks - mine.chunks;
    for (;;) {
      const done = Atomics.load(this.ints, CONTROL.done);
      if (done >= theirs) break;
      if (Atomics.wait(this.ints, CONTROL.done, done, SCAN_TIMEOUT_MS) === 'timed-out') {
        this.stop();
        return null;
      }
    }
    if (theirs > 0) this.served++;
    return { mine: mine.passed, theirs: theirs > 0 ? Atomics.load(this.ints, CONTROL.count) : 0 };
  }

  private stop(): void {
    if (this.broken) return;
    this.broken = true;
    this.port.close();
    void this.worker.terminate();
  }
}
