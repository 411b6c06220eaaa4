/**
 * Debounced requests where only the newest answer counts: search as you type. Each request gets a
 * ticket; an answer (or error) whose ticket is not the newest is dropped, so a slow answer for
 * "do" can never overwrite the answer for "dog".
 */
export interface LatestOnlyOptions<Req, Res> {
  run: (request: Req) => Promise<Res>;
  onAnswer: (request: Req, answer: Res) => void;
  onError: (request: Req, error: unknown) => void;
  /** True while the newest request is waiting (debounce or call in flight). */
  onPending?: (pending: boolean) => void;
  delayMs: number;
}

export class LatestOnly<Req, Res> {
  private ticket = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: LatestOnlyOptions<Req, Res>) {}

  /** Runs `request` after the debounce delay unless a newer request comes first. */
  schedule(request: Req): void {
    const ticket = this.bump();
    this.options.onPending?.(true);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fire(ticket, request);
    }, this.options.delayMs);
  }

  /** Runs `request` now (a filter change, "similar", pressing Enter). */
  now(request: Req): void {
    const ticket = this.bump();
    this.options.onPending?.(true);
    void this.fire(ticket, request);
  }

  /** Forgets whatever is scheduled or in flight (the query was cleared). */
  cancel(): void {
    this.bump();
    this.options.onPending?.(false);
  }

  private bump(): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return ++this.ticket;
  }

  private async fire(ticket: number, request: Req): Promise<void> {
    try {
      const answer = await this.options.run(request);
      if (ticket !== this.ticket) return;
      this.options.onPending?.(false);
      this.options.onAnswer(request, answer);
    } catch (error) {
      if (ticket !== this.ticket) return;
      this.options.onPending?.(false);
      this.options.onError(request, error);
    }
  }
}
