import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type Kernels, kernelsOn, type WasmMemory } from './kernels.js';
import { ARGS, CONTROL, type ScanThreadMessage } from './scan-protocol.js';

/**
 * The second scan thread (scan-thread.ts starts it): it waits on the control block, scans the
 * blocks it is handed with its own instance of the kernels on the index's shared memory, and says
 * how many slots passed. It never touches the event loop while it works: messages (memories to
 * scan, memories forgotten) are read synchronously when a request wakes it, so a blocked main
 * thread is never waiting on a callback.
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

function serve(): void {
  Atomics.store(ints, CONTROL.ready, 1);
  Atomics.notify(ints, CONTROL.ready);
  let seen = Atomics.load(ints, CONTROL.request);
  for (;;) {
    Atomics.wait(ints, CONTROL.request, seen);
    const request = Atomics.load(ints, CONTROL.request);
    if (request === seen) continue;
    seen = request;
    drainMessages();
    const kernels = instances.get(ints[CONTROL.memory]!);
    const a = CONTROL.args;
    const count = kernels
      ? kernels.scan(
          ints[a + ARGS.codes]!, ints[a + ARGS.first]!, ints[a + ARGS.step]!, ints[a + ARGS.end]!, ints[a + ARGS.bytes]!,
          ints[a + ARGS.lut]!, ints[a + ARGS.cluster]!, ints[a + ARGS.cst]!, ints[a + ARGS.gain]!, ints[a + ARGS.width]!,
          floats[a + ARGS.delta]!, floats[a + ARGS.offset]!, floats[a + ARGS.omega]!, floats[a + ARGS.threshold]!,
          ints[a + ARGS.outSlots]!, ints[a + ARGS.outBounds]!, ints[a + ARGS.cap]!,
        )
      : -1;
    ints[CONTROL.count] = count;
    Atomics.store(ints, CONTROL.done, request);
    Atomics.notify(ints, CONTROL.done);
  }
}

serve();
