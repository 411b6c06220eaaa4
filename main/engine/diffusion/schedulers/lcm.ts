import { AlphaProductScheduler } from './alpha-product.js';
import { addFreshNoise, checkSameLength, checkStepIndex, checkStrength, originalCoefficients, type ClipSampleOptions, type CommonSchedulerOptions, type NoiseSource } from './types.js';

export interface LcmOptions extends CommonSchedulerOptions, ClipSampleOptions {
  /** The distillation schedule the timesteps are taken from: diffusers' default 50. */
  originalInferenceSteps?: number;
  /** Scale of the timestep in the consistency boundary condition: diffusers' default 10. */
  timestepScaling?: number;
}

/**
 * Latent Consistency Model sampling (Luo et al. 2023), as diffusers' scheduling_lcm.py LCMScheduler. For
 * image-to-image the strength shortens the distillation schedule itself (set_timesteps(strength=…), as
 * LatentConsistencyModelImg2ImgPipeline does), so beginIndex is always 0.
 */
export class LcmScheduler extends AlphaProductScheduler {
  readonly name = 'lcm' as const;
  readonly timesteps: Float64Array;
  readonly beginIndex = 0;
  private readonly timestepScaling: number;

  constructor(steps: number, options: LcmOptions = {}) {
    super(steps, options);
    this.timesteps = lcmTimesteps(this.schedule.numTrainTimesteps, options.originalInferenceSteps ?? 50, steps, options.strength ?? 1);
    this.timestepScaling = options.timestepScaling ?? 10;
  }

  /**
   * LCMScheduler.step: x̂0 from the model output, the boundary condition denoised = c_out·x̂0 + c_skip·x
   * (get_scalings_for_boundary_condition_discrete, σ_data = 0.5), then, except on the last step, noise it
   * again to the next timestep: √ᾱ_prev·denoised + √(1−ᾱ_prev)·z.
   */
  step(modelOutput: Float32Array, stepIndex: number, latents: Float32Array, noise?: NoiseSource): Float32Array {
    const steps = this.timesteps.length;
    checkStepIndex(stepIndex, steps);
    checkSameLength(modelOutput, latents);
    const timestep = this.timesteps[stepIndex]!;
    const alphaT = this.alphasCumprod[timestep]!;
    const [cx, cm] = originalCoefficients(this.schedule.predictionType, Math.sqrt(alphaT), Math.sqrt(1 - alphaT));
    const [cSkip, cOut] = lcmBoundaryScalings(timestep, this.timestepScaling);
    // The last step returns the denoised sample; the others scale it by √ᾱ_prev and add √(1−ᾱ_prev)·z.
    const alphaPrev = stepIndex === steps - 1 ? 1 : this.alphasCumprod[this.timesteps[stepIndex + 1]!]!;
    const keep = Math.sqrt(alphaPrev);
    const range = this.clipRange;
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) {
      const x = latents[i]!;
      const original = Math.min(range, Math.max(-range, cx * x + cm * modelOutput[i]!));
      out[i] = keep * (cOut * original + cSkip * x);
    }
    return addFreshNoise(out, Math.sqrt(1 - alphaPrev), noise, 'LCM (every step but the last)');
  }
}

/** c_skip = σ_d²/((s·t)² + σ_d²), c_out = s·t/√((s·t)² + σ_d²), σ_d = 0.5, s = timestep_scaling. */
function lcmBoundaryScalings(timestep: number, timestepScaling: number): [cSkip: number, cOut: number] {
  const sigmaData = 0.5;
  const scaled = timestep * timestepScaling;
  const denominator = scaled * scaled + sigmaData * sigmaData;
  return [(sigmaData * sigmaData) / denominator, scaled / Math.sqrt(denominator)];
}

/**
 * LCMScheduler.set_timesteps: the distillation timesteps k·i − 1 (k = T div original_steps,
 * i = 1..⌊original_steps·strength⌋), descending, sampled at indices ⌊j·len/n⌋ for j = 0..n−1.
 */
function lcmTimesteps(trainSteps: number, originalSteps: number, steps: number, strength: number): Float64Array {
  checkStrength(strength);
  if (!Number.isInteger(originalSteps) || originalSteps < 1 || originalSteps > trainSteps) throw new RangeError(`originalInferenceSteps must be an integer from 1 to ${trainSteps}, got ${originalSteps}`);
  const k = Math.floor(trainSteps / originalSteps);
  const count = Math.trunc(originalSteps * strength);
  if (steps > originalSteps || Math.floor(count / steps) < 1) {
    throw new RangeError(`LCM takes at most ${Math.min(count, originalSteps)} steps from its ${originalSteps}-step schedule at strength ${strength}, not ${steps}`);
  }
  const out = new Float64Array(steps);
  for (let j = 0; j < steps; j++) {
    // np.linspace(0, len, n, endpoint=False) computes j·(len/n): the same product keeps numpy's floor.
    const index = Math.floor(j * (count / steps));
    // The descending list's entry `index` is k·(count − index) − 1.
    out[j] = k * (count - index) - 1;
  }
  return out;
}
