import { checkSteps, interpolateTable, linspace, makeAlphasCumprod, roundHalfEven, sigmasFromAlphasCumprod, type NoiseScheduleConfig, type TimestepSpacing } from './betas.js';
import { checkSameLength, checkStepIndex, img2imgBeginIndex, originalCoefficients, resolveNoiseSchedule, type CommonSchedulerOptions, type Scheduler } from './types.js';

export interface DpmSolverOptions extends CommonSchedulerOptions {
  /** Karras et al. (2022) ρ = 7 sigmas: true here (it is the "Karras" of the name; diffusers' default is false). */
  useKarrasSigmas?: boolean;
  /** The level after the last step: 0 ("zero", diffusers' default) or σ of timestep 0 ("sigma_min"). */
  finalSigmasType?: 'zero' | 'sigma_min';
  /** First-order last step for short schedules (< 15 steps): diffusers' default true. */
  lowerOrderFinal?: boolean;
  /** Always a first-order last step: diffusers' default false. */
  eulerAtFinal?: boolean;
  /** Spacing of the timesteps when useKarrasSigmas is false: diffusers' default "linspace". */
  timestepSpacing?: TimestepSpacing;
}

/**
 * Karras et al.'s schedule (EulerDiscreteScheduler._convert_to_karras, copied into the DPM solver):
 * σ_i = (σ_max^(1/ρ) + i/(n−1) · (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ with ρ = 7, from σ_max down to σ_min.
 */
function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): Float64Array {
  const rho = 7;
  const ramp = linspace(0, 1, steps);
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  for (let i = 0; i < steps; i++) ramp[i] = (maxInvRho + ramp[i]! * (minInvRho - maxInvRho)) ** rho;
  return ramp;
}

/**
 * The fractional training timestep of a noise level (DPMSolverMultistepScheduler._sigma_to_t): linear
 * interpolation in log σ between the two training timesteps around it, clamped to the table.
 */
function sigmaToTimestep(sigma: number, trainLogSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // low = the last index with log σ_i ≤ log σ (0 when there is none), at most T − 2.
  let count = 0;
  while (count < trainLogSigmas.length && trainLogSigmas[count]! <= logSigma) count++;
  const low = Math.min(Math.max(count - 1, 0), trainLogSigmas.length - 2);
  const lowLog = trainLogSigmas[low]!;
  const highLog = trainLogSigmas[low + 1]!;
  const w = Math.min(1, Math.max(0, (lowLog - logSigma) / (lowLog - highLog)));
  return (1 - w) * low + w * (low + 1);
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022), as diffusers' DPMSolverMultistepScheduler with algorithm_type
 * "dpmsolver++", solver_order 2, solver_type "midpoint", and here use_karras_sigmas true.
 */
export class DpmppTwoMScheduler implements Scheduler {
  readonly name = 'dpmpp-2m-karras' as const;
  readonly timesteps: Float64Array;
  /** σ of each step, then the final level (0 by default). */
  readonly sigmas: Float64Array;
  readonly beginIndex: number;
  readonly initNoiseSigma = 1;
  readonly schedule: NoiseScheduleConfig;
  private readonly lowerOrderFinal: boolean;
  private readonly eulerAtFinal: boolean;
  private readonly finalSigmaZero: boolean;
  /** x̂0 of the previous step, and which step made it (the multistep memory: model_outputs). */
  private previousOriginal: Float32Array | null = null;
  private previousIndex = -1;

  constructor(steps: number, options: DpmSolverOptions = {}) {
    this.schedule = resolveNoiseSchedule(options);
    const trainSteps = this.schedule.numTrainTimesteps;
    checkSteps(steps, trainSteps);
    this.lowerOrderFinal = options.lowerOrderFinal ?? true;
    this.eulerAtFinal = options.eulerAtFinal ?? false;
    this.finalSigmaZero = (options.finalSigmasType ?? 'zero') === 'zero';
    const trainSigmas = sigmasFromAlphasCumprod(makeAlphasCumprod(this.schedule));
    this.timesteps = new Float64Array(steps);
    this.sigmas = new Float64Array(steps + 1);
    if (options.useKarrasSigmas ?? true) {
      const logSigmas = trainSigmas.map(Math.log);
      this.sigmas.set(karrasSigmas(trainSigmas[0]!, trainSigmas[trainSteps - 1]!, steps));
      for (let i = 0; i < steps; i++) this.timesteps[i] = roundHalfEven(sigmaToTimestep(this.sigmas[i]!, logSigmas));
    } else {
      this.timesteps.set(dpmSpacedTimesteps(options.timestepSpacing ?? 'linspace', trainSteps, steps, this.schedule.stepsOffset));
      for (let i = 0; i < steps; i++) this.sigmas[i] = interpolateTable(trainSigmas, this.timesteps[i]!);
    }
    this.sigmas[steps] = this.finalSigmaZero ? 0 : trainSigmas[0]!;
    this.beginIndex = img2imgBeginIndex(steps, options.strength ?? 1);
  }

  scaleModelInput(latents: Float32Array): Float32Array {
    return latents;
  }

  /**
   * DPMSolverMultistepScheduler.step: x̂0 (convert_model_output), then the first-order update
   * (dpm_solver_first_order_update, = DDIM) on the first step, on a last step going to σ = 0 and on short
   * schedules' last step; otherwise the second-order midpoint update
   * (multistep_dpm_solver_second_order_update) with D1 = (x̂0_s0 − x̂0_s1)/r0.
   */
  step(modelOutput: Float32Array, stepIndex: number, latents: Float32Array): Float32Array {
    const steps = this.timesteps.length;
    checkStepIndex(stepIndex, steps);
    checkSameLength(modelOutput, latents);
    const [alphaS0, sigmaS0] = vpLevel(this.sigmas[stepIndex]!);
    const [alphaT, sigmaT] = vpLevel(this.sigmas[stepIndex + 1]!);
    const [cx, cm] = originalCoefficients(this.schedule.predictionType, alphaS0, sigmaS0);
    const original = new Float32Array(latents.length);
    for (let i = 0; i < original.length; i++) original[i] = cx * latents[i]! + cm * modelOutput[i]!;

    const isLast = stepIndex === steps - 1;
    const lowerOrderFinal = isLast && (this.eulerAtFinal || (this.lowerOrderFinal && steps < 15) || this.finalSigmaZero);
    // The memory counts only when the previous call was the step just before (a fresh run starts first-order).
    const previous = this.previousIndex === stepIndex - 1 ? this.previousOriginal : null;
    this.previousOriginal = original;
    this.previousIndex = stepIndex;

    // λ = log(α/σ); with σ_t = 0 it is +∞, e^(−h) = 0 and the update returns x̂0 exactly.
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const lambdaS0 = Math.log(alphaS0) - Math.log(sigmaS0);
    const h = lambdaT - lambdaS0;
    const sampleScale = sigmaT / sigmaS0;
    const originalScale = -alphaT * Math.expm1(-h);
    const out = new Float32Array(latents.length);
    if (previous === null || lowerOrderFinal) {
      for (let i = 0; i < out.length; i++) out[i] = sampleScale * latents[i]! + originalScale * original[i]!;
      return out;
    }
    const [alphaS1, sigmaS1] = vpLevel(this.sigmas[stepIndex - 1]!);
    const lambdaS1 = Math.log(alphaS1) - Math.log(sigmaS1);
    const r0 = (lambdaS0 - lambdaS1) / h;
    // x_t = (σ_t/σ_s0)·x − α_t(e^(−h) − 1)·D0 − ½α_t(e^(−h) − 1)·D1, D0 = x̂0_s0, D1 = (x̂0_s0 − x̂0_s1)/r0.
    const d1Scale = (0.5 * originalScale) / r0;
    for (let i = 0; i < out.length; i++) {
      const d0 = original[i]!;
      out[i] = sampleScale * latents[i]! + originalScale * d0 + d1Scale * (d0 - previous[i]!);
    }
    return out;
  }

  /** α_t·x0 + σ_t·ε at the level of step `stepIndex` (DPMSolverMultistepScheduler.add_noise). */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.timesteps.length);
    checkSameLength(original, noise);
    const [alpha, sigma] = vpLevel(this.sigmas[stepIndex]!);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = alpha * original[i]! + sigma * noise[i]!;
    return out;
  }
}

/** The VP pair of a k-diffusion σ: α = 1/√(σ² + 1), σ_vp = σ·α (_sigma_to_alpha_sigma_t). */
function vpLevel(sigma: number): [alpha: number, sigma: number] {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return [alpha, sigma * alpha];
}

/**
 * DPMSolverMultistepScheduler.set_timesteps without Karras sigmas: the spacings take n + 1 points and drop the
 * last (λ is not clipped: lambda_min_clipped −∞, so the last timestep is T).
 */
function dpmSpacedTimesteps(spacing: TimestepSpacing, trainSteps: number, steps: number, stepsOffset: number): Float64Array {
  const out = new Float64Array(steps);
  if (spacing === 'linspace') {
    const values = linspace(0, trainSteps - 1, steps + 1);
    for (let i = 0; i < steps; i++) out[i] = roundHalfEven(values[steps - i]!);
  } else if (spacing === 'leading') {
    const ratio = Math.floor(trainSteps / (steps + 1));
    for (let i = 0; i < steps; i++) out[i] = (steps - i) * ratio + stepsOffset;
  } else {
    const ratio = trainSteps / steps;
    for (let i = 0; i < steps; i++) out[i] = roundHalfEven(trainSteps - i * ratio) - 1;
  }
  return out;
}
