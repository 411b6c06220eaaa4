import type { CallArgs, CallResult, IrisApi } from './types.js';

/** The calls whose text arrives piece by piece as `stream.token` events before they return. */
export type StreamedCallName = 'captions.generate' | 'captions.readText' | 'ask.send';

export interface StreamedCall<N extends StreamedCallName> {
  readonly streamId: string;
  /** The call's answer; its `text` is the whole text (trust it over the pieces). */
  readonly result: Promise<CallResult<N>>;
  /** Asks the engine to stop; `result` then resolves with finish "cancelled" and the text so far. */
  cancel(): Promise<void>;
}

/** A stream id the contract accepts, unique enough that two windows never pick the same one. */
export function newStreamId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/**
 * Starts a caption or an answer and hands `onText` the text so far each time a piece arrives. The
 * listener is attached before the call goes out, so no piece is missed, and removed when it returns.
 */
export function startStreamed<N extends StreamedCallName>(api: IrisApi, name: N, args: Omit<CallArgs<N>, 'streamId'>, onText: (textSoFar: string) => void): StreamedCall<N> {
  const streamId = newStreamId();
  let text = '';
  const unsubscribe = api.on('stream.token', (token) => {
    if (token.streamId !== streamId) return;
    text += token.text;
    onText(text);
  });
  const result = api.call(name, { ...args, streamId } as CallArgs<N>).finally(unsubscribe);
  return {
    streamId,
    result,
    cancel: async () => {
      await api.call('streams.cancel', { streamId }).catch(() => {});
    },
  };
}
