/**
 * The engine process of the desktop app: main starts this file with Electron's
 * `utilityProcess.fork(file, ['--library', dir, '--models', dir])` and hands it one MessagePort
 * (message `{ type: 'connect' }`); the contract travels over that port as RpcMessages. A native
 * crash in a model runtime ends this process, not the window: main starts it again and the
 * persistent job queue resumes.
 *
 * `process.parentPort` is how Electron's utility processes talk to their parent. It is typed here
 * by hand so that main/engine imports nothing from electron.
 */
import { parseArgs } from 'node:util';
import { EngineService } from './engine-service.js';
import { serveRpc } from './rpc-server.js';

interface PortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
}

interface ParentPort {
  once(event: 'message', listener: (event: { data: unknown; ports: PortLike[] }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  console.error('utility-entry: not started as an Electron utility process (no process.parentPort)');
  process.exit(2);
}

const { values } = parseArgs({ options: { library: { type: 'string' }, models: { type: 'string' }, device: { type: 'string' } }, strict: false });
const service = EngineService.open({ libraryDir: values.library as string | undefined, modelsDir: values.models as string | undefined, device: values.device as string | undefined });

parentPort.once('message', ({ data, ports }) => {
  const port = ports[0];
  if ((data as { type?: string } | null)?.type !== 'connect' || !port) {
    console.error('utility-entry: expected { type: "connect" } with one MessagePort');
    process.exit(2);
  }
  const connection = serveRpc(service, { send: (message) => port.postMessage(message) });
  port.on('message', (event) => connection.receive(event.data));
  port.on('close', () => {
    connection.detach();
    void service.close().finally(() => process.exit(0));
  });
  port.start();
  port.postMessage({ type: 'event', name: 'engine.state', payload: { state: 'ready', message: null } });
  service.start();
});
