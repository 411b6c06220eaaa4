import { checkSteps, interpolateTable, makeAlphasCumprod, sigmasFromAlphasCumprod, spacedTimesteps, type NoiseScheduleConfig, type TimestepSpacing } from './betas.js';
import { addFreshNoise, axpby, checkSameLength, checkStepIndex, img2imgBeginIndex, resolveNoiseSchedule, type CommonSchedulerOptions, type NoiseSource, type Scheduler } from './types.js';

export interface EulerAncestralOptions extends CommonSchedulerOptions {
  /** diffusers' EulerAncestralDiscreteScheduler default: "linspace" (fractional timesteps). */
  timestepSpacing?: TimestepSpacing;
}

/** Euler ancestral sampling (k-diffusion's sample_euler_ancestral), as diffusers' EulerAncestralDiscreteScheduler. */
export class EulerAncestralScheduler implements Scheduler {
  readonly name = 'euler-a' as const;
  readonly timesteps: Float64Array;
  /** σ of each step, then 0. */
  readonly sigmas: Float64Array;
  readonly beginIndex: number;
  readonly initNoiseSigma: number;
  readonly schedule: NoiseScheduleConfig;

  constructor(steps: number, options: EulerAncestralOptions = {}) {
    this.schedule = resolveNoiseSchedule(options);
    const trainSteps = this.schedule.numTrainTimesteps;
    checkSteps(steps, trainSteps);
    const spacing = options.timestepSpacing ?? 'linspace';
    // set_timesteps: linspace keeps fractional timesteps; σ is np.interp'd (linearly in σ) at each one.
    this.timesteps = spacedTimesteps(spacing, trainSteps, steps, this.schedule.stepsOffset, false);
    const trainSigmas = sigmasFromAlphasCumprod(makeAlphasCumprod(this.schedule));
    this.sigmas = new Float64Array(steps + 1);
    for (let i = 0; i < steps; i++) this.sigmas[i] = interpolateTable(trainSigmas, this.timesteps[i]!);
    // init_noise_sigma: σ_max for linspace/trailing, √(σ_max² + 1) for leading.
    const sigmaMax = Math.max(...this.sigmas);
    this.initNoiseSigma = spacing === 'leading' ? Math.sqrt(sigmaMax * sigmaMax + 1) : sigmaMax;
    this.beginIndex = img2imgBeginIndex(steps, options.strength ?? 1);
  }

  /** x / √(σ² + 1): the UNet expects unit-variance input (scale_model_input). */
  scaleModelInput(latents: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.timesteps.length);
    const sigma = this.sigmas[stepIndex]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) out[i] = latents[i]! * scale;
    return out;
  }

  /**
   * EulerAncestralDiscreteScheduler.step: x̂0 from the model output; σ_up = √(σ_to²(σ_from² − σ_to²)/σ_from²),
   * σ_down = √(σ_to² − σ_up²); x ← x + (x − x̂0)/σ · (σ_down − σ) + σ_up·z, with z fresh standard normal noise.
   */
  step(modelOutput: Float32Array, stepIndex: number, latents: Float32Array, noise?: NoiseSource): Float32Array {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(modelOutput, latents);
    const sigma = this.sigmas[stepIndex]!;
    const sigmaTo = this.sigmas[stepIndex + 1]!;
    const sigmaUp = Math.sqrt((sigmaTo * sigmaTo * (sigma * sigma - sigmaTo * sigmaTo)) / (sigma * sigma));
    const sigmaDown = Math.sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp);
    // x̂0 = cx·x + cm·m: epsilon x − σ·ε; v-prediction x/(σ²+1) − σ/√(σ²+1)·v.
    const cx = this.schedule.predictionType === 'epsilon' ? 1 : 1 / (sigma * sigma + 1);
    const cm = this.schedule.predictionType === 'epsilon' ? -sigma : -sigma / Math.sqrt(sigma * sigma + 1);
    const dt = sigmaDown - sigma;
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) {
      const x = latents[i]!;
      const derivative = (x - (cx * x + cm * modelOutput[i]!)) / sigma;
      out[i] = x + derivative * dt;
    }
    return addFreshNoise(out, sigmaUp, noise, 'Euler ancestral');
  }

  /** x0 + σ·ε at step `stepIndex` (EulerDiscreteScheduler.add_noise, with begin_index set by the pipeline). */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.timesteps.length);
    return axpby(1, original, this.sigmas[stepIndex]!, noise);
  }
}
