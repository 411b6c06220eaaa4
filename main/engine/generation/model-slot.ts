/**
 * Who goes first when several want the model: a person waiting at the viewer or the terminal
 * (`interactive`) goes before the next photo of a background batch (`batch`).
 */
export type SlotPriority = 'interactive' | 'batch';

/**
 * Holds at most one loaded model of a kind (one captioner, one local vision-language model) and
 * lets one piece of work use it at a time.
 *
 * - One model: a second would double the memory for no gain. Asking for another id releases the
 *   one held first, but only between uses, never under a generation that is still running.
 * - One use at a time: two generations at once would each run at half speed on the same cores (or
 *   the same GPU) and hold two KV caches; one after the other, the first answer comes sooner.
 * - Interactive before batch: a caption asked for in the viewer waits at most for the batch's
 *   current photo, never for the rest of the batch. Waiters of the same priority go in order.
 * - A failed load is not kept, so the next use tries again (the model may have been installed since).
 */
export class ModelSlot<T> {
  private held: { id: string; model: T } | undefined;
  private busy = false;
  private readonly waiting: { priority: SlotPriority; start: () => void }[] = [];

  /** `releaseModel` frees a model (its sessions) once the slot lets go of it. */
  constructor(private readonly releaseModel: (model: T) => Promise<void>) {}

  /** Runs `work` with model `id` (loaded by `load` unless held already), when it is this use's turn. */
  async use<R>(id: string, load: () => Promise<T>, work: (model: T) => Promise<R>, priority: SlotPriority = 'interactive'): Promise<R> {
    await this.turn(priority);
    try {
      return await work(await this.modelFor(id, load));
    } finally {
      this.next();
    }
  }

  /** How many uses are waiting for their turn (not counting the one running). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Lets the model go once the use running now (if any) is done; the next use loads again. */
  async release(): Promise<void> {
    await this.turn('interactive');
    try {
      await this.releaseHeld();
    } finally {
      this.next();
    }
  }

  private turn(priority: SlotPriority): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((start) => {
      const waiter = { priority, start };
      const firstBatch = priority === 'interactive' ? this.waiting.findIndex((other) => other.priority === 'batch') : -1;
      if (firstBatch < 0) this.waiting.push(waiter);
      else this.waiting.splice(firstBatch, 0, waiter);
    });
  }

  private next(): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter.start();
    else this.busy = false;
  }

  /** Only called during a turn, so nothing else is using the model it may release. */
  private async modelFor(id: string, load: () => Promise<T>): Promise<T> {
    if (this.held?.id === id) return this.held.model;
    await this.releaseHeld();
    const model = await load();
    this.held = { id, model };
    return model;
  }

  private async releaseHeld(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (held) await this.releaseModel(held.model).catch(() => undefined);
  }
}
