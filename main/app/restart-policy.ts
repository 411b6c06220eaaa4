/**
 * When to restart the engine after it dies, and when to stop trying. A model runtime that crashes
 * natively on one photo takes the engine down; the persistent job queue means a restart resumes
 * the work, so restarting is right, but an engine that dies on every start must not spin forever.
 */
export interface RestartPolicyOptions {
  /** This many crashes within `windowMs` and the policy gives up. */
  maxCrashes: number;
  windowMs: number;
  /** Wait before the first restart; doubled for each further crash in the window. */
  baseDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { maxCrashes: 5, windowMs: 60_000, baseDelayMs: 500, maxDelayMs: 8_000 };

export type RestartDecision = { action: 'restart'; delayMs: number; crashesInWindow: number } | { action: 'give-up'; crashesInWindow: number };

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records a crash at `now` (ms) and says what to do about it. */
  onCrash(now: number): RestartDecision {
    this.crashes = this.crashes.filter((at) => now - at < this.options.windowMs);
    this.crashes.push(now);
    const crashesInWindow = this.crashes.length;
    if (crashesInWindow >= this.options.maxCrashes) return { action: 'give-up', crashesInWindow };
    const delayMs = Math.min(this.options.baseDelayMs * 2 ** (crashesInWindow - 1), this.options.maxDelayMs);
    return { action: 'restart', delayMs, crashesInWindow };
  }
}
