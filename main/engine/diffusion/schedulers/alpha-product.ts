import { checkSteps, makeAlphasCumprod, type NoiseScheduleConfig } from './betas.js';
import { axpby, checkStepIndex, clipBound, resolveNoiseSchedule, type ClipSampleOptions, type CommonSchedulerOptions, type NoiseSource, type Scheduler, type SchedulerName } from './types.js';

/**
 * What DDIM and LCM share: they index ᾱ by integer training timestep, take the UNet input unscaled, start from
 * unit-variance noise, and noise images as DDPMScheduler.add_noise does.
 */
export abstract class AlphaProductScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  abstract readonly timesteps: Float64Array;
  abstract readonly beginIndex: number;
  readonly sigmas = null;
  readonly initNoiseSigma = 1;
  readonly schedule: NoiseScheduleConfig;
  readonly alphasCumprod: Float64Array;
  /** ±bound x̂0 is clamped to (Infinity: no clipping). */
  protected readonly clipRange: number;

  protected constructor(steps: number, options: CommonSchedulerOptions & ClipSampleOptions) {
    this.schedule = resolveNoiseSchedule(options);
    checkSteps(steps, this.schedule.numTrainTimesteps);
    this.alphasCumprod = makeAlphasCumprod(this.schedule);
    this.clipRange = clipBound(options);
  }

  scaleModelInput(latents: Float32Array): Float32Array {
    return latents;
  }

  abstract step(modelOutput: Float32Array, stepIndex: number, latents: Float32Array, noise?: NoiseSource): Float32Array;

  /** √ᾱ_t·x0 + √(1−ᾱ_t)·ε at the timestep of step `stepIndex` (DDPMScheduler.add_noise, copied by DDIM and LCM). */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.timesteps.length);
    const alpha = this.alphasCumprod[this.timesteps[stepIndex]!]!;
    return axpby(Math.sqrt(alpha), original, Math.sqrt(1 - alpha), noise);
  }
}
