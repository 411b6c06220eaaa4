import type { CallName } from '../../contract/contract.js';
import { type RpcMessage, isRpcMessage } from '../../contract/rpc.js';
import type { CallOutcome, EngineService } from './engine-service.js';

/** A connection the contract travels over: a MessagePort, a WebSocket. */
export interface MessageTransport {
  send(message: RpcMessage): void;
}

export interface RpcServerOptions {
  /**
   * Answers the calls the host owns (and refuses what this transport must not do) before the
   * engine sees them; undefined lets the call through to the engine.
   */
  intercept?: (name: CallName | string, args: unknown) => Promise<CallOutcome> | CallOutcome | undefined;
}

/**
 * Serves the engine over one connection: every call message gets exactly one result message,
 * every engine event is forwarded. Returns `receive` for the transport to feed and `detach` for
 * when the connection closes.
 */
export function serveRpc(service: EngineService, transport: MessageTransport, options: RpcServerOptions = {}): { receive(message: unknown): void; detach(): void } {
  const detach = service.onEvent((name, payload) => transport.send({ type: 'event', name, payload }));
  const answer = (id: number, outcome: CallOutcome) => {
    transport.send(outcome.ok ? { type: 'result', id, ok: true, value: outcome.value } : { type: 'result', id, ok: false, error: outcome.error });
  };
  return {
    receive(message) {
      if (!isRpcMessage(message) || message.type !== 'call') return;
      const { id, name, args } = message;
      void (async () => {
        let outcome: CallOutcome;
        try {
          outcome = (await options.intercept?.(name, args)) ?? (await service.handle(name, args));
        } catch (error) {
          outcome = { ok: false, error: { code: 'internal', message: `${name}: ${(error as Error).message}` } };
        }
        try {
          answer(id, outcome);
        } catch {
          // The connection closed while the call ran: nobody is waiting for the answer.
        }
      })();
    },
    detach,
  };
}
