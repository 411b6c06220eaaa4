import { AlphaProductScheduler } from './alpha-product.js';
import { spacedTimesteps, type TimestepSpacing } from './betas.js';
import { addFreshNoise, checkSameLength, checkStepIndex, epsilonCoefficients, img2imgBeginIndex, originalCoefficients, type ClipSampleOptions, type CommonSchedulerOptions, type NoiseSource } from './types.js';

export interface DdimOptions extends CommonSchedulerOptions, ClipSampleOptions {
  /** 0 (default): deterministic DDIM; 1: DDPM-like ancestral noise. Needs a noise source when > 0. */
  eta?: number;
  /** ᾱ used after the last step: 1, or ᾱ_0 (SD 1.5's config says false: the default). */
  setAlphaToOne?: boolean;
  /** diffusers' DDIMScheduler default: "leading". */
  timestepSpacing?: TimestepSpacing;
}

/** DDIM (Song et al. 2020), as diffusers' scheduling_ddim.py DDIMScheduler. */
export class DdimScheduler extends AlphaProductScheduler {
  readonly name = 'ddim' as const;
  readonly timesteps: Float64Array;
  readonly beginIndex: number;
  private readonly finalAlphaCumprod: number;
  private readonly stride: number;
  private readonly eta: number;

  constructor(steps: number, options: DdimOptions = {}) {
    super(steps, options);
    const trainSteps = this.schedule.numTrainTimesteps;
    this.finalAlphaCumprod = options.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
    this.timesteps = spacedTimesteps(options.timestepSpacing ?? 'leading', trainSteps, steps, this.schedule.stepsOffset, true);
    // DDIMScheduler.step: prev_timestep = timestep − T // n, whatever the spacing.
    this.stride = Math.floor(trainSteps / steps);
    this.eta = options.eta ?? 0;
    this.beginIndex = img2imgBeginIndex(steps, options.strength ?? 1);
  }

  /** ᾱ at training timestep t, and the final one for t < 0 (DDIMScheduler._get_variance's convention). */
  alphaAt(timestep: number): number {
    return timestep >= 0 ? this.alphasCumprod[timestep]! : this.finalAlphaCumprod;
  }

  /** σ_t(η)²/η² of formula (16): (1−ᾱ_prev)/(1−ᾱ_t) · (1 − ᾱ_t/ᾱ_prev) (DDIMScheduler._get_variance). */
  variance(timestep: number, prevTimestep: number): number {
    const alphaT = this.alphaAt(timestep);
    const alphaPrev = this.alphaAt(prevTimestep);
    return ((1 - alphaPrev) / (1 - alphaT)) * (1 - alphaT / alphaPrev);
  }

  /** Formula (12) of the DDIM paper, as DDIMScheduler.step (use_clipped_model_output false, no thresholding). */
  step(modelOutput: Float32Array, stepIndex: number, latents: Float32Array, noise?: NoiseSource): Float32Array {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(modelOutput, latents);
    const timestep = this.timesteps[stepIndex]!;
    const prevTimestep = timestep - this.stride;
    const alphaT = this.alphaAt(timestep);
    const alphaPrev = this.alphaAt(prevTimestep);
    const [cx, cm] = originalCoefficients(this.schedule.predictionType, Math.sqrt(alphaT), Math.sqrt(1 - alphaT));
    const [ex, em] = epsilonCoefficients(this.schedule.predictionType, Math.sqrt(alphaT), Math.sqrt(1 - alphaT));
    const std = this.eta * Math.sqrt(this.variance(timestep, prevTimestep));
    const toOriginal = Math.sqrt(alphaPrev);
    const toDirection = Math.sqrt(1 - alphaPrev - std * std);
    const out = new Float32Array(latents.length);
    const range = this.clipRange;
    for (let i = 0; i < out.length; i++) {
      const x = latents[i]!;
      const m = modelOutput[i]!;
      const original = Math.min(range, Math.max(-range, cx * x + cm * m));
      out[i] = toOriginal * original + toDirection * (ex * x + em * m);
    }
    return addFreshNoise(out, std, noise, 'DDIM with eta > 0');
  }
}
