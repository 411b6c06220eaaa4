import type { PhotoEvent } from '../events.js';

/**
 * Turns the delete + add that a file system reports for a move or rename into one `moved` event.
 * Both orders happen (a rename usually reports the delete first; a copy-then-delete the add), so
 * each half waits `windowMs` for its partner before it is reported alone.
 */
export class MoveTracker {
  private readonly removals = new Map<number, { path: string; timer: NodeJS.Timeout }>();
  private readonly additions = new Map<number, { path: string; timer: NodeJS.Timeout }>();

  constructor(
    private readonly windowMs: number,
    private readonly emit: (event: PhotoEvent) => void,
  ) {}

  /** A path left the library; `photoId` may reappear elsewhere within the window. */
  removed(photoId: number, path: string): void {
    const addition = this.take(this.additions, photoId);
    if (addition) return this.emit({ event: 'moved', from: path, path: addition.path, photoId });
    this.hold(this.removals, photoId, path, () => this.emit({ event: 'removed', path, photoId }));
  }

  /**
   * A path joined the library with bytes the library knows (`known`), which may be the second half
   * of a move. New bytes are simply added.
   */
  added(photoId: number, path: string, known: boolean): void {
    const removal = this.take(this.removals, photoId);
    if (removal) return this.emit({ event: 'moved', from: removal.path, path, photoId });
    if (!known) return this.emit({ event: 'added', path, photoId });
    this.hold(this.additions, photoId, path, () => this.emit({ event: 'added', path, photoId }));
  }

  /** Reports every half still waiting (at shutdown). */
  flush(): void {
    for (const map of [this.removals, this.additions]) {
      for (const [photoId, held] of map) {
        clearTimeout(held.timer);
        map.delete(photoId);
        this.emit({ event: map === this.removals ? 'removed' : 'added', path: held.path, photoId });
      }
    }
  }

  private hold(map: Map<number, { path: string; timer: NodeJS.Timeout }>, photoId: number, path: string, report: () => void): void {
    const earlier = this.take(map, photoId);
    if (earlier) this.emit({ event: map === this.removals ? 'removed' : 'added', path: earlier.path, photoId });
    const timer = setTimeout(() => {
      map.delete(photoId);
      report();
    }, this.windowMs);
    map.set(photoId, { path, timer });
  }

  private take(map: Map<number, { path: string; timer: NodeJS.Timeout }>, photoId: number) {
    const held = map.get(photoId);
    if (!held) return undefined;
    clearTimeout(held.timer);
    map.delete(photoId);
    return held;
  }
}
