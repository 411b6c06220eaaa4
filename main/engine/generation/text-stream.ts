/**
 * Turns generated token ids into text pieces as they come, for streaming answers.
 *
 * Written here instead of using transformers.js' TextStreamer because that one waits for a whole
 * word (a space) before it prints anything, while an answer should appear token by token; and it
 * has no notion of stop strings. The catch with token-by-token text is UTF-8: byte-level BPE
 * splits a Chinese character (3 bytes) or an emoji (4) across tokens, and decoding a prefix then
 * ends in U+FFFD. So each step decodes everything generated so far and emits only the new text up
 * to the last whole character; a half character waits for the token that completes it.
 */
export interface TokenTextStreamOptions {
  /** Decodes generated token ids to text (special tokens skipped). */
  decode: (ids: readonly number[]) => string;
  /** Called with each new piece of text, in order. */
  onText?: (piece: string) => void;
  /** Strings that end the answer; the text is cut before the first one. */
  stop?: readonly string[];
  /** Called once when a stop string appears (the caller interrupts generation). */
  onStop?: () => void;
}

const REPLACEMENT = '\uFFFD';

export class TokenTextStream {
  private readonly ids: number[] = [];
  private promptSeen = false;
  /** Text handed to onText so far (the answer without leading whitespace). */
  private emitted = '';
  private stopped = false;
  private firstPieceAt: number | null = null;
  private readonly startedAt = performance.now();

  constructor(private readonly options: TokenTextStreamOptions) {}

  /** transformers.js' streamer interface: first the prompt ids (skipped), then each new token, as [[id]] per batch row. */
  put(value: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    if (this.stopped) return;
    const row = value[0];
    if (!row) return;
    for (const id of row) this.ids.push(Number(id));
    this.flush(false);
  }

  end(): void {
    this.flush(true);
  }

  /** Tokens generated (the prompt not counted). */
  get tokenCount(): number {
    return this.ids.length;
  }

  get text(): string {
    return this.emitted;
  }

  get stoppedByString(): boolean {
    return this.stopped;
  }

  /** Milliseconds from construction to the first emitted piece, or null. */
  get firstPieceMs(): number | null {
    return this.firstPieceAt === null ? null : this.firstPieceAt - this.startedAt;
  }

  private flush(final: boolean): void {
    if (this.stopped) return;
    let text = this.options.decode(this.ids).trimStart();
    // A half character at the end decodes to U+FFFD: wait for the rest (at the end, drop it).
    if (text.endsWith(REPLACEMENT)) text = text.replace(/\uFFFD+$/, '');
    const cut = this.firstStop(text);
    if (cut !== undefined) {
      text = text.slice(0, cut);
      this.stopped = true;
    }
    // Until the answer is over, hold back what may still change: trailing whitespace (dropped if
    // the answer ends there) and an ending that could be the start of a stop string.
    const visible = final || this.stopped ? text.trimEnd() : this.withoutPendingEnd(text);
    if (visible.startsWith(this.emitted) && visible.length > this.emitted.length) {
      const piece = visible.slice(this.emitted.length);
      this.emitted = visible;
      this.firstPieceAt ??= performance.now();
      this.options.onText?.(piece);
    }
    if (this.stopped) this.options.onStop?.();
  }

  private withoutPendingEnd(text: string): string {
    let end = text.trimEnd().length;
    for (const stop of this.options.stop ?? []) {
      // The longest proper prefix of the stop string that the text ends with.
      for (let length = Math.min(stop.length - 1, text.length); length > 0; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          end = Math.min(end, text.length - length);
          break;
        }
      }
    }
    return text.slice(0, end);
  }

  private firstStop(text: string): number | undefined {
    let first: number | undefined;
    for (const stop of this.options.stop ?? []) {
      const at = text.indexOf(stop);
      if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
  }
}
