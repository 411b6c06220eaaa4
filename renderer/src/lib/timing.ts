/** Small timing helpers shared by the stores. */

export interface Throttled {
  (): void;
  /** Runs a pending trailing call now. */
  flush(): void;
  cancel(): void;
}

/**
 * At most one call of `fn` per `ms`: the first request runs at once, requests during the quiet
 * period collapse into one trailing run. Used to refresh the timeline while indexing floods events.
 */
export function throttle(fn: () => void, ms: number): Throttled {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    timer = null;
    last = Date.now();
    fn();
  };
  const throttled = (() => {
    if (timer) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  }) as Throttled;
  throttled.flush = () => {
    if (timer) {
      clearTimeout(timer);
      run();
    }
  };
  throttled.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return throttled;
}

/** Calls `fn` once the browser has painted the current DOM (the frame after the next animation frame). */
export function afterPaint(fn: () => void): void {
  if (typeof requestAnimationFrame !== 'function') {
    setTimeout(fn, 0);
    return;
  }
  // rAF callbacks run before that frame's paint; a task queued from inside one runs after it.
  requestAnimationFrame(() => setTimeout(fn, 0));
}
