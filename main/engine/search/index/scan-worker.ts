import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type Kernels, kernelsOn, type WasmMemory } from './kernels.js';
import { ARGS, claimChunk, CONTROL, type ScanArgs, type ScanThreadMessage, scanChunks } from './scan-protocol.js';

/**
 * The second scan thread (scan-thread.ts starts it): it waits on the control block, claims chunks
 * of the request with the calling thread (scan-protocol.ts), scans them with its own instance of
 * the kernels on the index's shared memory into its own output region, and counts what it did. It
 * never touches the event loop while it works: messages (memories to scan, memories forgotten)
 * are read synchronously when a request wakes it, so a blocked calling thread never waits on a
 * callback.
 */
const { control, port } = workerData as { control: SharedArrayBuffer; port: MessagePort };
const ints = new Int32Array(control);
const floats = new Float32Array(control);
const instances = new Map<number, Kernels>();

function drainMessages(): void {
  for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
    const message = received.message as ScanThreadMessage;
    if (message.type === 'memory') instances.set(message.id, kernelsOn(message.memory as WasmMemory));
    else instances.delete(message.id);
  }
}

function readArgs(): ScanArgs {
  const a = CONTROL.args;
  const int = (name: keyof ScanArgs) => ints[a + ARGS[name]]!;
  const float = (name: keyof ScanArgs) => floats[a + ARGS[name]]!;
  return {
    codes: int('codes'), first: int('first'), step: int('step'), end: int('end'), bytes: int('bytes'), lut: int('lut'),
    cluster: int('cluster'), cst: int('cst'), gain: int('gain'), width: int('width'), delta: float('delta'), offset: float('offset'),
    omega: float('omega'), threshold: float('threshold'), outSlots: int('outSlots'), outBounds: int('outBounds'), cap: int('cap'), filter: int('filter'),
  };
}

function serve(): void {
  Atomics.store(ints, CONTROL.ready, 1);
  Atomics.notify(ints, CONTROL.ready);
  let seen = Atomics.load(ints, CONTROL.request);
  for (;;) {
    Atomics.wait(ints, CONTROL.request, seen);
    const generation = Atomics.load(ints, CONTROL.request);
    if (generation === seen) continue;
    seen = generation;
    drainMessages();
    const kernels = instances.get(ints[CONTROL.memory]!);
    // An unknown memory (a request overtaken by the next): claim nothing; the calling thread scans it all.
    if (!kernels) continue;
    const args = readArgs();
    const chunkBlocks = ints[CONTROL.chunk]!;
    const chunks = Math.ceil((args.end - args.first) / chunkBlocks);
    scanChunks(
      kernels,
      args,
      chunkBlocks,
      () => claimChunk(ints, generation, chunks),
      (passed) => {
        // The count first, then the chunk: whoever sees the chunk done sees its slots counted.
        Atomics.store(ints, CONTROL.count, passed);
        Atomics.add(ints, CONTROL.done, 1);
        Atomics.notify(ints, CONTROL.done);
      },
    );
  }
}

serve();
