import { UsageError } from '../errors.js';

/**
 * The captions and answers being generated for a UI right now, by the stream id the UI chose:
 * each piece of text goes out as a `stream.token` event, and `streams.cancel` aborts it. The id
 * comes from the UI, so two windows could pick the same one; the second is refused rather than
 * mixing two streams.
 */
export class TextStreams {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly emitToken: (streamId: string, text: string) => void) {}

  /** Runs `work` as stream `streamId`: it gets the abort signal and the function that sends a piece. */
  async run<T>(streamId: string, work: (signal: AbortSignal, onToken: (text: string) => void) => Promise<T>): Promise<T> {
    if (this.running.has(streamId)) throw new UsageError(`stream ${streamId} is already running`);
    const controller = new AbortController();
    this.running.set(streamId, controller);
    try {
      return await work(controller.signal, (text) => this.emitToken(streamId, text));
    } finally {
      this.running.delete(streamId);
    }
  }

  /** Stops a stream; false when it is not running (finished already, or never started). */
  cancel(streamId: string): boolean {
    const controller = this.running.get(streamId);
    controller?.abort();
    return controller !== undefined;
  }

  /** Stops them all (the engine is closing). */
  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }
}
