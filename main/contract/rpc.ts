/**
 * The wire format of the contract, the same on every transport: desktop main <-> engine
 * (utilityProcess MessagePort), and browser <-> `iris serve` (WebSocket, JSON). A call carries an
 * id that its answer repeats; events carry no id.
 */
import { type CallError, type CallName, type EventName, type EventPayload } from './contract.js';

export type RpcMessage =
  | { type: 'call'; id: number; name: string; args: unknown }
  | { type: 'result'; id: number; ok: true; value: unknown }
  /** id null: the answer to a message that was not a well-formed call (no usable id to repeat). */
  | { type: 'result'; id: number | null; ok: false; error: CallError }
  | { type: 'event'; name: EventName; payload: unknown };

/**
 * The largest message a transport must accept: the biggest well-formed call is captions.queue with
 * 100,000 photo ids (each up to 16 digits and a comma: ~1.7 MB). A socket closes a connection that
 * sends more (WebSocket close 1009), so the two limits agree; test/serve checks it.
 */
export const MAX_MESSAGE_BYTES = 4 * 2 ** 20;

/** Raised on the calling side for an answer with ok: false. */
export class IrisCallError extends Error {
  constructor(
    readonly code: CallError['code'],
    message: string,
    /** CallError.model: the model whose download cures this. */
    readonly model?: string,
  ) {
    super(message);
    this.name = 'IrisCallError';
  }
}

/** A failure on a host's side as the contract reports it: an IrisCallError's code, anything else `internal`. */
export function callErrorOf(error: unknown): CallError {
  if (error instanceof IrisCallError) return { code: error.code, message: error.message, ...(error.model ? { model: error.model } : {}) };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export function isRpcMessage(value: unknown): value is RpcMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; id?: unknown; name?: unknown };
  if (message.type === 'event') return typeof message.name === 'string';
  if (message.type === 'call') return typeof message.id === 'number' && typeof message.name === 'string';
  if (message.type === 'result') return typeof message.id === 'number' || message.id === null;
  return false;
}

/**
 * The calling half of a connection: numbers calls, matches answers, delivers events. `send` is the
 * transport's; `receive` is fed every message that arrives. Calls still open when the connection
 * drops are rejected with `unavailable` by `closeAll`.
 */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  constructor(private readonly send: (message: RpcMessage) => void) {}

  call(name: CallName, args: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.send({ type: 'call', id, name, args });
      } catch (error) {
        this.pending.delete(id);
        reject(new IrisCallError('unavailable', `${name}: ${(error as Error).message}`));
      }
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  receive(message: RpcMessage): void {
    if (message.type === 'result') {
      if (message.id === null) return;
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new IrisCallError(message.error.code, message.error.message, message.error.model));
    } else if (message.type === 'event') {
      for (const listener of this.listeners.get(message.name) ?? []) listener(message.payload);
    }
  }

  /** The connection is gone: every open call fails now rather than hanging. */
  closeAll(reason: string): void {
    for (const waiting of this.pending.values()) waiting.reject(new IrisCallError('unavailable', reason));
    this.pending.clear();
  }
}
