import { SD15_NOISE_SCHEDULE, type NoiseScheduleConfig, type PredictionType } from './betas.js';

/** Fills `out` with independent standard normal samples and returns it (see ../random.ts). */
export interface NoiseSource {
  fill(out: Float32Array): Float32Array;
}

/**
 * One sampler of the denoising loop, with its schedule fixed at construction (steps, strength). A pipeline
 * runs it as:
 *
 *   latents = noise × initNoiseSigma                                  (text-to-image), or
 *   latents = addNoise(encodedImage, noise, beginIndex)               (image-to-image)
 *   for i = beginIndex .. timesteps.length − 1:
 *     eps = unet(scaleModelInput(latents, i), timesteps[i], …)        (classifier-free guidance applied)
 *     latents = step(eps, i, latents, rng)
 *
 * Steps must be called in order: the multistep solvers remember the previous model output. Latents are
 * Float32Array (any layout: every update is elementwise); schedule tables are float64.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /** The timestep to give the UNet at each step, descending. Euler ancestral's are fractional, as in diffusers. */
  readonly timesteps: Float64Array;
  /** k-diffusion noise levels, one per step plus the final one (0), for the sigma-based samplers; null otherwise. */
  readonly sigmas: Float64Array | null;
  /** The first step to run: 0 for text-to-image, later for image-to-image (get_timesteps' t_start). */
  readonly beginIndex: number;
  /** Standard deviation of the starting latents: the pure noise is scaled by it. */
  readonly initNoiseSigma: number;
  /** The UNet input for step `stepIndex`; returns `latents` itself when the sampler needs no scaling. */
  scaleModelInput(latents: Float32Array, stepIndex: number): Float32Array;
  /** One denoising step from step `stepIndex` to the next; returns new latents. `noise` feeds stochastic samplers. */
  step(modelOutput: Float32Array, stepIndex: number, latents: Float32Array, noise?: NoiseSource): Float32Array;
  /** The forward process: `original` noised to the level of step `stepIndex` (img2img starts at beginIndex). */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array;
}

export type SchedulerName = 'ddim' | 'euler-a' | 'dpmpp-2m-karras' | 'lcm';

/** What every scheduler accepts: the model's noise schedule and the image-to-image strength. */
export interface CommonSchedulerOptions extends Partial<NoiseScheduleConfig> {
  /** Image-to-image strength in (0, 1]: 1 (the default) denoises from pure noise. */
  strength?: number;
}

/**
 * StableDiffusionImg2ImgPipeline.get_timesteps: with `steps` scheduled, strength s runs the last
 * min(⌊steps·s⌋, steps) of them, so the loop starts at t_start = steps − that (all schedulers here have order 1).
 */
export function img2imgBeginIndex(steps: number, strength: number): number {
  checkStrength(strength);
  const initTimestep = Math.min(Math.trunc(steps * strength), steps);
  const begin = Math.max(steps - initTimestep, 0);
  if (begin >= steps) throw new RangeError(`strength ${strength} leaves no step of ${steps} to run: raise the strength or the steps`);
  return begin;
}

export function checkStrength(strength: number): void {
  if (!(strength > 0 && strength <= 1)) throw new RangeError(`strength must be in (0, 1], got ${strength}`);
}

export function checkStepIndex(stepIndex: number, steps: number): void {
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= steps) throw new RangeError(`step index ${stepIndex} is outside 0..${steps - 1}`);
}

export function checkSameLength(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`model output has ${a.length} values but the latents have ${b.length}`);
}

/** x̂0 clamping of DDIM and LCM (clip_sample, clip_sample_range); SD 1.5's config turns it off, so off by default. */
export interface ClipSampleOptions {
  clipSample?: boolean;
  clipSampleRange?: number;
}

/** The clamp bound for x̂0: ±clipSampleRange (default 1) when clipping, else none. */
export function clipBound(options: ClipSampleOptions): number {
  return options.clipSample ? (options.clipSampleRange ?? 1) : Infinity;
}

/**
 * out += scale·z with z fresh from `noise` (the ancestral part of DDIM η > 0, Euler ancestral and LCM); nothing
 * is drawn when scale is 0.
 */
export function addFreshNoise(out: Float32Array, scale: number, noise: NoiseSource | undefined, sampler: string): Float32Array {
  if (scale === 0) return out;
  if (!noise) throw new Error(`${sampler} needs a noise source for this step`);
  const fresh = noise.fill(new Float32Array(out.length));
  for (let i = 0; i < out.length; i++) out[i] = out[i]! + scale * fresh[i]!;
  return out;
}

/** out[i] = a·x[i] + b·y[i]: the one elementwise form most updates reduce to. */
export function axpby(a: number, x: Float32Array, b: number, y: Float32Array): Float32Array {
  checkSameLength(x, y);
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = a * x[i]! + b * y[i]!;
  return out;
}

/**
 * x̂0 = cx·x + cm·m, the clean-sample prediction from the model output m at a VP level (alpha, sigma) =
 * (√ᾱ, √(1−ᾱ)): epsilon x̂0 = (x − sigma·ε) / alpha; v-prediction x̂0 = alpha·x − sigma·v
 * (DDIMScheduler.step step 3, DPMSolverMultistepScheduler.convert_model_output, LCMScheduler.step).
 */
export function originalCoefficients(prediction: PredictionType, alpha: number, sigma: number): [cx: number, cm: number] {
  return prediction === 'epsilon' ? [1 / alpha, -sigma / alpha] : [alpha, -sigma];
}

/** ε̂ = ex·x + em·m, the noise prediction: ε itself, or alpha·v + sigma·x for v-prediction (DDIMScheduler.step). */
export function epsilonCoefficients(prediction: PredictionType, alpha: number, sigma: number): [ex: number, em: number] {
  return prediction === 'epsilon' ? [0, 1] : [sigma, alpha];
}

/** The model's schedule: SD 1.5's unless the options say otherwise. */
export function resolveNoiseSchedule(options: CommonSchedulerOptions): NoiseScheduleConfig {
  const config = { ...SD15_NOISE_SCHEDULE };
  for (const key of Object.keys(config) as (keyof NoiseScheduleConfig)[]) {
    const value = options[key];
    if (value !== undefined) (config as Record<string, unknown>)[key] = value;
  }
  return config;
}
