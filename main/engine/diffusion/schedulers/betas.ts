/**
 * The noise schedule every scheduler shares: betas, ᾱ (alphas_cumprod), the k-diffusion sigmas, and the
 * ways diffusers spaces inference timesteps over the training ones. All tables are float64.
 *
 * diffusers builds these tables in float32 torch tensors; float64 here differs from them by about 1e-6
 * relative (the cumulative product of 1000 float32 factors), far below anything an image shows.
 */

export type BetaSchedule = 'scaled_linear' | 'linear';
export type TimestepSpacing = 'leading' | 'linspace' | 'trailing';
export type PredictionType = 'epsilon' | 'v_prediction';

/** The training-time schedule of the model (diffusers' scheduler_config.json fields). */
export interface NoiseScheduleConfig {
  numTrainTimesteps: number;
  betaSchedule: BetaSchedule;
  betaStart: number;
  betaEnd: number;
  predictionType: PredictionType;
  stepsOffset: number;
}

/**
 * Stable Diffusion 1.5's scheduler/scheduler_config.json (runwayml/stable-diffusion-v1-5): scaled_linear
 * 0.00085..0.012 over 1000 steps, epsilon prediction, steps_offset 1. (It also says set_alpha_to_one false
 * and clip_sample false, which the DDIM and LCM options default to.)
 */
export const SD15_NOISE_SCHEDULE: Readonly<NoiseScheduleConfig> = Object.freeze({
  numTrainTimesteps: 1000,
  betaSchedule: 'scaled_linear',
  betaStart: 0.00085,
  betaEnd: 0.012,
  predictionType: 'epsilon',
  stepsOffset: 1,
});

/** Evenly spaced values from `start` to `stop` inclusive, as numpy.linspace(start, stop, count). */
export function linspace(start: number, stop: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (count === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (count - 1);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  // numpy pins the last value to `stop` exactly.
  out[count - 1] = stop;
  return out;
}

/** numpy's round(): halves go to the even neighbour (banker's rounding), unlike Math.round. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * betas as in the schedulers' __init__ (scheduling_ddim.py and the others):
 * "linear": linspace(beta_start, beta_end, T); "scaled_linear": linspace(√beta_start, √beta_end, T)².
 */
function makeBetas(config: NoiseScheduleConfig): Float64Array {
  const { numTrainTimesteps: count, betaStart, betaEnd } = config;
  if (config.betaSchedule === 'linear') return linspace(betaStart, betaEnd, count);
  const roots = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), count);
  for (let i = 0; i < count; i++) roots[i] = roots[i]! * roots[i]!;
  return roots;
}

/** ᾱ_t = ∏_{s≤t} (1 − β_s): diffusers' alphas_cumprod = torch.cumprod(1 - betas). */
export function makeAlphasCumprod(config: NoiseScheduleConfig): Float64Array {
  const betas = makeBetas(config);
  const out = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - betas[i]!;
    out[i] = product;
  }
  return out;
}

/** The k-diffusion noise level of each training timestep, σ_t = √((1 − ᾱ_t) / ᾱ_t), ascending in t. */
export function sigmasFromAlphasCumprod(alphasCumprod: Float64Array): Float64Array {
  const out = new Float64Array(alphasCumprod.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt((1 - alphasCumprod[i]!) / alphasCumprod[i]!);
  return out;
}

/**
 * Inference timesteps, descending, as DDIMScheduler.set_timesteps / EulerAncestralDiscreteScheduler.set_timesteps
 * space them (Table 2 of "Common Diffusion Noise Schedules and Sample Steps are Flawed"):
 * - leading: (0..n−1)·(T div n), reversed, + steps_offset;
 * - linspace: linspace(0, T−1, n) reversed (DDIM rounds it, Euler keeps the fractions: `round`);
 * - trailing: round(T − i·T/n) − 1 for i = 0..n−1.
 */
export function spacedTimesteps(spacing: TimestepSpacing, trainSteps: number, steps: number, stepsOffset: number, round: boolean): Float64Array {
  const out = new Float64Array(steps);
  if (spacing === 'linspace') {
    const values = linspace(0, trainSteps - 1, steps);
    for (let i = 0; i < steps; i++) {
      const value = values[steps - 1 - i]!;
      out[i] = round ? roundHalfEven(value) : value;
    }
  } else if (spacing === 'leading') {
    const ratio = Math.floor(trainSteps / steps);
    for (let i = 0; i < steps; i++) out[i] = (steps - 1 - i) * ratio + stepsOffset;
    // diffusers would index alphas_cumprod out of range here (e.g. 1000 steps with steps_offset 1).
    if (out[0]! >= trainSteps) throw new RangeError(`${steps} leading steps with steps_offset ${stepsOffset} pass the last training timestep ${trainSteps - 1}`);
  } else {
    // np.arange(T, 0, -T/n) written as T − i·ratio, so float error can never add an (n+1)th entry.
    const ratio = trainSteps / steps;
    for (let i = 0; i < steps; i++) out[i] = roundHalfEven(trainSteps - i * ratio) - 1;
  }
  return out;
}

/** np.interp(x, 0..len−1, table): linear interpolation in a table indexed by integer timestep. */
export function interpolateTable(table: Float64Array, x: number): number {
  if (x <= 0) return table[0]!;
  const last = table.length - 1;
  if (x >= last) return table[last]!;
  const low = Math.floor(x);
  const w = x - low;
  return table[low]! * (1 - w) + table[low + 1]! * w;
}

/** Checks the inference step count against the training schedule, as every set_timesteps does. */
export function checkSteps(steps: number, trainSteps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainSteps) {
    throw new RangeError(`steps must be an integer from 1 to ${trainSteps}, got ${steps}`);
  }
}
