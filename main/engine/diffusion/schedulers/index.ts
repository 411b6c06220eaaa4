import { DdimScheduler, type DdimOptions } from './ddim.js';
import { DpmppTwoMScheduler, type DpmSolverOptions } from './dpmpp-2m-karras.js';
import { EulerAncestralScheduler, type EulerAncestralOptions } from './euler-ancestral.js';
import { LcmScheduler, type LcmOptions } from './lcm.js';
import type { Scheduler, SchedulerName } from './types.js';

export { DdimScheduler, DpmppTwoMScheduler, EulerAncestralScheduler, LcmScheduler };
export { img2imgBeginIndex, type NoiseSource, type Scheduler } from './types.js';

/** Every scheduler's options together: each one reads its own and the common ones. */
export type SchedulerOptions = DdimOptions & EulerAncestralOptions & DpmSolverOptions & LcmOptions;

export const SCHEDULER_NAMES: readonly SchedulerName[] = ['ddim', 'euler-a', 'dpmpp-2m-karras', 'lcm'];

/**
 * The scheduler `name` with `steps` inference steps; options default to Stable Diffusion 1.5's schedule and
 * each scheduler's diffusers defaults (see their files).
 */
export function createScheduler(name: string, steps: number, options: SchedulerOptions = {}): Scheduler {
  switch (name) {
    case 'ddim':
      return new DdimScheduler(steps, options);
    case 'euler-a':
      return new EulerAncestralScheduler(steps, options);
    case 'dpmpp-2m-karras':
      return new DpmppTwoMScheduler(steps, options);
    case 'lcm':
      return new LcmScheduler(steps, options);
    default:
      throw new Error(`unknown scheduler "${name}": choose one of ${SCHEDULER_NAMES.join(', ')}`);
  }
}
