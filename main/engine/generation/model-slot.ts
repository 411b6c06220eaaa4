/**
 * Holds at most one loaded model of a kind (one captioner, one local vision-language model): a
 * second would double the memory for no gain. Asking for another id releases the one held first;
 * asking for the same id shares the load in flight. A failed load is not kept, so the next call
 * tries again (the model may have been installed since).
 */
export class ModelSlot<T> {
  private held: { id: string; loading: Promise<T> } | undefined;

  /** `releaseModel` frees a model (its sessions) once the slot lets go of it. */
  constructor(private readonly releaseModel: (model: T) => Promise<void>) {}

  get(id: string, load: () => Promise<T>): Promise<T> {
    if (this.held?.id === id) return this.held.loading;
    const previous = this.held;
    const loading = (async () => {
      await previous?.loading.then((model) => this.releaseModel(model)).catch(() => undefined);
      return load();
    })();
    this.held = { id, loading };
    loading.catch(() => {
      if (this.held?.loading === loading) this.held = undefined;
    });
    return loading;
  }

  async release(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    await held?.loading.then((model) => this.releaseModel(model)).catch(() => undefined);
  }
}
