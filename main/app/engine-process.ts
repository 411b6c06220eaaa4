import { MessageChannelMain, utilityProcess } from 'electron';
import type { RpcMessage } from '../contract/rpc.js';
import type { SpawnEngine } from './engine-supervisor.js';

/**
 * Starts the engine (main/engine/service/utility-entry.js) in an Electron utility process: a
 * separate OS process, so a native crash in a model runtime kills it and not the window. The
 * conversation runs over a MessagePort handed over in one `{ type: 'connect' }` message; from
 * then on RpcMessages travel as structured clones (a `media.read` answer carries a Uint8Array
 * without a base64 round trip).
 */
export function utilityProcessSpawner(entry: string, args: readonly string[]): SpawnEngine {
  return ({ onMessage, onExit }) => {
    const child = utilityProcess.fork(entry, [...args], { serviceName: 'Iris engine', stdio: 'inherit' });
    const { port1, port2 } = new MessageChannelMain();
    // Messages posted before the process has spawned are queued by Electron, as are the port's.
    child.postMessage({ type: 'connect' }, [port2]);
    port1.on('message', (event) => onMessage(event.data));
    port1.start();
    child.once('exit', (code) => {
      port1.close();
      onExit(code);
    });
    return {
      send: (message: RpcMessage) => port1.postMessage(message),
      disconnect: () => port1.close(),
      kill: () => {
        port1.close();
        child.kill();
      },
    };
  };
}
