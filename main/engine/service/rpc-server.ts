import type { CallName } from '../../contract/contract.js';
import { type RpcMessage, isRpcMessage } from '../../contract/rpc.js';
import type { CallOutcome, EngineService } from './engine-service.js';
import { errorMessage } from '../errors.js';

/**
 * Why a message that is not a well-formed call is refused, and the id to answer with (null when it
 * has no usable one); null for a message that is not a call at all (a stray result or event,
 * which a server ignores).
 */
function malformed(message: unknown): { id: number | null; message: string } | null {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return { id: null, message: 'a message must be a JSON object' };
  const { type, id, name } = message as { type?: unknown; id?: unknown; name?: unknown };
  if (type === 'result' || type === 'event') return null;
  const usableId = typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
  if (type !== 'call') return { id: usableId, message: `unknown message type ${JSON.stringify(type) ?? 'undefined'}: a call is {type: "call", id, name, args}` };
  if (usableId === null) return { id: null, message: 'a call needs a whole-number id, which its answer repeats' };
  if (typeof name !== 'string') return { id: usableId, message: 'a call needs a name' };
  return null;
}

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
      if (!isRpcMessage(message) || message.type !== 'call') {
        const refusal = malformed(message);
        if (refusal) transport.send({ type: 'result', id: refusal.id, ok: false, error: { code: 'invalid-args', message: refusal.message } });
        return;
      }
      const { id, name, args } = message;
      void (async () => {
        let outcome: CallOutcome;
        try {
          outcome = (await options.intercept?.(name, args)) ?? (await service.handle(name, args));
        } catch (error) {
          outcome = { ok: false, error: { code: 'internal', message: `${name}: ${errorMessage(error)}` } };
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
