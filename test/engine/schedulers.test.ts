import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GaussianNoise } from '../../main/engine/diffusion/random.js';
import { roundHalfEven } from '../../main/engine/diffusion/schedulers/betas.js';
import { createScheduler, DdimScheduler, DpmppTwoMScheduler, EulerAncestralScheduler, img2imgBeginIndex, LcmScheduler, SCHEDULER_NAMES, type NoiseSource, type Scheduler } from '../../main/engine/diffusion/schedulers/index.js';

// Reference values are derived here, straight from the formulas of diffusers' schedulers (named at each
// helper), without the module's helpers, so a wrong formula in either place shows up as a mismatch.

const T = 1000;
const STEP_COUNTS = [1, 4, 20, 50];

/** betas "scaled_linear" (√β linearly spaced, squared) or "linear", then ᾱ_t = ∏(1 − β). */
function referenceAlphasCumprod(betaStart: number, betaEnd: number, scaled: boolean): number[] {
  const out: number[] = [];
  let product = 1;
  for (let t = 0; t < T; t++) {
    const fraction = t / (T - 1);
    const beta = scaled ? (Math.sqrt(betaStart) + fraction * (Math.sqrt(betaEnd) - Math.sqrt(betaStart))) ** 2 : betaStart + fraction * (betaEnd - betaStart);
    product *= 1 - beta;
    out.push(product);
  }
  return out;
}

const SD_ALPHAS = referenceAlphasCumprod(0.00085, 0.012, true);
/** σ_t = √((1 − ᾱ_t)/ᾱ_t). */
const SD_SIGMAS = SD_ALPHAS.map((a) => Math.sqrt((1 - a) / a));

/** np.interp over the integer-indexed σ table. */
function sigmaAt(t: number): number {
  const low = Math.min(Math.floor(t), T - 2);
  const w = t - low;
  return SD_SIGMAS[low]! + w * (SD_SIGMAS[low + 1]! - SD_SIGMAS[low]!);
}

/** Round half to even, as numpy. */
function npRound(x: number): number {
  const nearest = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : nearest;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    assert.ok(diff <= tolerance, `${label}[${i}]: ${actual[i]} vs ${expected[i]} (off by ${diff})`);
  }
}

/** A noise source that hands out given values (the ancestral samplers' z). */
function fixedNoise(...values: number[][]): NoiseSource & { calls: number } {
  const source = {
    calls: 0,
    fill(out: Float32Array): Float32Array {
      const next = values[source.calls++];
      assert.ok(next, 'more noise asked for than the test provides');
      out.set(next);
      return out;
    },
  };
  return source;
}

const f32 = (...values: number[]) => Float32Array.from(values);

describe('schedule tables equal the diffusers formulas', () => {
  it('DDIM: "leading" timesteps (n−1−i)·(T div n) + steps_offset', () => {
    for (const n of STEP_COUNTS) {
      const expected = Array.from({ length: n }, (_, i) => (n - 1 - i) * Math.floor(T / n) + 1);
      assert.deepEqual([...new DdimScheduler(n).timesteps], expected, `${n} steps`);
    }
    assert.deepEqual([...new DdimScheduler(50).timesteps].slice(0, 3), [981, 961, 941]);
    // The other spacings: linspace(0, T−1, n) rounded half to even (166.5 → 166, 499.5 → 500, 832.5 → 832);
    // trailing round(T − i·T/n) − 1.
    assert.deepEqual([...new DdimScheduler(7, { timestepSpacing: 'linspace' }).timesteps], [999, 832, 666, 500, 333, 166, 0]);
    assert.deepEqual([...new DdimScheduler(3, { timestepSpacing: 'trailing' }).timesteps], [999, 666, 332]);
    for (const n of STEP_COUNTS) {
      const expected = Array.from({ length: n }, (_, i) => npRound(((T - 1) * (n - 1 - i)) / Math.max(n - 1, 1)));
      assert.deepEqual([...new DdimScheduler(n, { timestepSpacing: 'linspace' }).timesteps], expected, `linspace ${n}`);
      assert.deepEqual([...new DdimScheduler(n, { timestepSpacing: 'trailing' }).timesteps], Array.from({ length: n }, (_, i) => npRound(T - (i * T) / n) - 1), `trailing ${n}`);
    }
  });

  it('Euler ancestral: "linspace" timesteps (fractional) and σ interpolated, then 0; init σ = σ_max', () => {
    for (const n of STEP_COUNTS) {
      const scheduler = new EulerAncestralScheduler(n);
      const timesteps = Array.from({ length: n }, (_, i) => (n === 1 ? 0 : ((T - 1) * (n - 1 - i)) / (n - 1)));
      assertClose(scheduler.timesteps, timesteps, 1e-9, `timesteps ${n}`);
      assertClose(scheduler.sigmas, [...timesteps.map(sigmaAt), 0], 1e-6, `sigmas ${n}`);
      assert.ok(Math.abs(scheduler.initNoiseSigma - Math.max(...timesteps.map(sigmaAt))) < 1e-9);
    }
    const leading = new EulerAncestralScheduler(4, { timestepSpacing: 'leading' });
    assert.deepEqual([...leading.timesteps], [751, 501, 251, 1]);
    assert.ok(Math.abs(leading.initNoiseSigma - Math.sqrt(SD_SIGMAS[751]! ** 2 + 1)) < 1e-9);
  });

  it('DPM++ 2M Karras: ρ = 7 sigmas from σ_max to σ_min, then 0; timesteps by log-σ interpolation, rounded half to even', () => {
    const sigmaMin = SD_SIGMAS[0]!;
    const sigmaMax = SD_SIGMAS[T - 1]!;
    const logSigmas = SD_SIGMAS.map(Math.log);
    const timestepOf = (sigma: number): number => {
      const log = Math.log(sigma);
      if (log <= logSigmas[0]!) return 0;
      if (log >= logSigmas[T - 1]!) return T - 1;
      let low = 0;
      let high = T - 1;
      while (high - low > 1) {
        const mid = (low + high) >> 1;
        if (logSigmas[mid]! <= log) low = mid;
        else high = mid;
      }
      return low + (log - logSigmas[low]!) / (logSigmas[high]! - logSigmas[low]!);
    };
    for (const n of STEP_COUNTS) {
      const scheduler = new DpmppTwoMScheduler(n);
      const sigmas = Array.from({ length: n }, (_, i) => {
        const ramp = n === 1 ? 0 : i / (n - 1);
        return (sigmaMax ** (1 / 7) + ramp * (sigmaMin ** (1 / 7) - sigmaMax ** (1 / 7))) ** 7;
      });
      assertClose(scheduler.sigmas, [...sigmas, 0], 1e-6, `sigmas ${n}`);
      assert.deepEqual([...scheduler.timesteps], sigmas.map((s) => npRound(timestepOf(s))), `timesteps ${n}`);
      assert.equal(scheduler.initNoiseSigma, 1);
    }
    assert.equal(new DpmppTwoMScheduler(20).timesteps[0], 999);
    assert.equal(new DpmppTwoMScheduler(20).timesteps[19], 0);
  });

  it('DPM++ 2M without Karras: linspace(0, T−1, n+1) rounded half to even, reversed, last dropped', () => {
    for (const n of [...STEP_COUNTS, 6]) {
      const scheduler = new DpmppTwoMScheduler(n, { useKarrasSigmas: false });
      const expected = Array.from({ length: n }, (_, i) => npRound(((T - 1) * (n - i)) / n));
      assert.deepEqual([...scheduler.timesteps], expected, `${n} steps`);
      assertClose(scheduler.sigmas, [...expected.map(sigmaAt), 0], 1e-6, `sigmas ${n}`);
    }
    // 999·5/6 = 832.5 and 999/6 = 166.5: numpy rounds both to even, Math.round would not.
    assert.deepEqual([...new DpmppTwoMScheduler(6, { useKarrasSigmas: false }).timesteps], [999, 832, 666, 500, 333, 166]);
  });

  it('LCM: distillation timesteps 20·i − 1, taken at ⌊j·50/n⌋', () => {
    for (const n of STEP_COUNTS) {
      const origin = Array.from({ length: 50 }, (_, i) => 20 * (50 - i) - 1);
      const expected = Array.from({ length: n }, (_, j) => origin[Math.floor((j * 50) / n)]!);
      assert.deepEqual([...new LcmScheduler(n).timesteps], expected, `${n} steps`);
    }
    assert.deepEqual([...new LcmScheduler(4).timesteps], [999, 759, 499, 259]);
    assert.throws(() => new LcmScheduler(51), /at most/);
  });

  it('rounds halves to even like numpy', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 166.5, 832.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 166, 832, 2, 3]);
  });
});

describe('literal values published with diffusers and k-diffusion', () => {
  it('SD 1.5 σ_max 14.614642 and σ_min 0.0291675 (the k-diffusion / ComfyUI defaults for SD 1.x)', () => {
    const euler = new EulerAncestralScheduler(20);
    assert.ok(Math.abs(euler.sigmas[0]! - 14.614642) < 2e-5, String(euler.sigmas[0]));
    assert.ok(Math.abs(euler.initNoiseSigma - 14.614642) < 2e-5);
    assert.ok(Math.abs(new DpmppTwoMScheduler(20).sigmas[19]! - 0.0291675) < 1e-6, String(new DpmppTwoMScheduler(20).sigmas[19]));
  });

  // tests/schedulers/test_scheduler_ddim.py uses the "linear" schedule 0.0001..0.02, clip_sample on.
  const linear = { betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02, stepsOffset: 0 } as const;

  it('DDIM timesteps with steps_offset 1 (test_steps_offset): [801, 601, 401, 201, 1]', () => {
    assert.deepEqual([...new DdimScheduler(5, { ...linear, stepsOffset: 1 }).timesteps], [801, 601, 401, 201, 1]);
  });

  it('DDIM variance (test_variance)', () => {
    const scheduler = new DdimScheduler(50, { ...linear, setAlphaToOne: true });
    const cases: [number, number, number][] = [
      [420, 400, 0.14771],
      [980, 960, 0.3246],
      [487, 486, 0.00979],
      [999, 998, 0.02],
    ];
    for (const [t, prev, expected] of cases) assert.ok(Math.abs(scheduler.variance(t, prev) - expected) < 1e-5, `${t}→${prev}: ${scheduler.variance(t, prev)}`);
    assert.equal(scheduler.variance(0, 0), 0);
  });

  // SchedulerCommonTest.dummy_sample_deter / dummy_noise_deter / dummy_model: every op is elementwise, so the
  // (4, 3, 8, 8) layout does not matter, only which sample value meets which noise value.
  const N = 4 * 3 * 8 * 8;
  const dummySample = () => Float32Array.from({ length: N }, (_, j) => j / N);
  const dummyNoise = () => Float32Array.from({ length: N }, (_, j) => (N - 1 - j) / N);
  function fullLoop(scheduler: Scheduler, start = 0, sample: Float32Array = dummySample()): Float32Array {
    let latents: Float32Array = sample;
    for (let i = start; i < scheduler.timesteps.length; i++) {
      const t = scheduler.timesteps[i]!;
      const input = scheduler.scaleModelInput(latents, i);
      latents = scheduler.step(input.map((x) => (x * t) / (t + 1)), i, latents);
    }
    return latents;
  }
  const absSum = (values: Float32Array) => values.reduce((sum, x) => sum + Math.abs(x), 0);

  it('DDIM full loops, 10 steps (test_full_loop_*)', () => {
    const ddim = (options: object) => new DdimScheduler(10, { ...linear, clipSample: true, setAlphaToOne: true, ...options });
    const plain = fullLoop(ddim({}));
    assert.ok(Math.abs(absSum(plain) - 172.0067) < 1e-2, String(absSum(plain)));
    assert.ok(Math.abs(absSum(plain) / N - 0.223967) < 1e-3);
    assert.ok(Math.abs(absSum(fullLoop(ddim({ predictionType: 'v_prediction' }))) - 52.5302) < 1e-2);
    assert.ok(Math.abs(absSum(fullLoop(ddim({ betaStart: 0.01 }))) - 149.8295) < 1e-2);
    assert.ok(Math.abs(absSum(fullLoop(ddim({ betaStart: 0.01, setAlphaToOne: false }))) - 149.0784) < 1e-2);
    const scheduler = ddim({});
    const noisy = fullLoop(scheduler, 8, scheduler.addNoise(dummySample(), dummyNoise(), 8));
    assert.ok(Math.abs(absSum(noisy) - 354.5418) < 1e-2, String(absSum(noisy)));
  });

  // tests/schedulers/test_scheduler_dpm_multi.py: linear schedule, final_sigmas_type "sigma_min", lower_order_final off.
  const dpmTest = { ...linear, finalSigmasType: 'sigma_min', lowerOrderFinal: false, useKarrasSigmas: false } as const;

  it('DPM-Solver++ 2M full loops, 10 steps (test_full_loop_*), with and without Karras sigmas', () => {
    const mean = (options: object) => absSum(fullLoop(new DpmppTwoMScheduler(10, { ...dpmTest, ...options }))) / N;
    assert.ok(Math.abs(mean({}) - 0.3301) < 1e-3, String(mean({})));
    assert.ok(Math.abs(mean({ predictionType: 'v_prediction' }) - 0.2251) < 1e-3);
    const karras = mean({ predictionType: 'v_prediction', useKarrasSigmas: true });
    assert.ok(Math.abs(karras - 0.2096) < 1e-3, String(karras));
    const scheduler = new DpmppTwoMScheduler(10, dpmTest);
    const noisy = fullLoop(scheduler, 5, scheduler.addNoise(dummySample(), dummyNoise(), 5));
    assert.ok(Math.abs(absSum(noisy) - 318.4111) < 1e-2, String(absSum(noisy)));
  });

  it('LCM one-step loop (test_full_loop_onestep): sum 18.7097', () => {
    const result = absSum(fullLoop(new LcmScheduler(1)));
    assert.ok(Math.abs(result - 18.7097) < 1e-3, String(result));
  });
});

describe('step updates equal their formulas', () => {
  const x = f32(0.5, -1, 2, 0.25);
  const eps = f32(0.1, 0.2, -0.3, 0.05);

  function ddimReference(t: number, prev: number, z: number[] | null, eta: number): number[] {
    const a = SD_ALPHAS[t]!;
    const ap = prev >= 0 ? SD_ALPHAS[prev]! : SD_ALPHAS[0]!;
    const std = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
    return [...x].map((xi, i) => {
      const x0 = (xi - Math.sqrt(1 - a) * eps[i]!) / Math.sqrt(a);
      return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - std * std) * eps[i]! + std * (z ? z[i]! : 0);
    });
  }

  it('DDIM η = 0 is deterministic: x_prev = √ᾱ_prev·x̂0 + √(1−ᾱ_prev)·ε; the last step uses ᾱ_0', () => {
    const scheduler = new DdimScheduler(10);
    assertClose(scheduler.step(eps, 3, x), ddimReference(601, 501, null, 0), 1e-6, 'middle');
    assertClose(scheduler.step(eps, 9, x), ddimReference(1, -99, null, 0), 1e-6, 'last');
    assert.deepEqual(scheduler.step(eps, 3, x), scheduler.step(eps, 3, x));
    assert.equal(scheduler.scaleModelInput(x), x);
  });

  it('DDIM η = 1 adds σ_t(η)·z', () => {
    const z = [1, -1, 0.5, 2];
    assertClose(new DdimScheduler(10, { eta: 1 }).step(eps, 3, x, fixedNoise(z)), ddimReference(601, 501, z, 1), 1e-6, 'eta 1');
    assert.throws(() => new DdimScheduler(10, { eta: 1 }).step(eps, 3, x), /noise source/);
  });

  it('Euler ancestral: x + (x − x̂0)/σ·(σ_down − σ) + σ_up·z, input scaled by 1/√(σ²+1)', () => {
    const scheduler = new EulerAncestralScheduler(20);
    const z = [0.3, -0.7, 1.1, 0];
    const i = 5;
    const sigma = sigmaAt(scheduler.timesteps[i]!);
    const next = sigmaAt(scheduler.timesteps[i + 1]!);
    const up = Math.sqrt(next ** 2 * (sigma ** 2 - next ** 2)) / sigma;
    const down = Math.sqrt(next ** 2 - up ** 2);
    const expected = [...x].map((xi, k) => xi + eps[k]! * (down - sigma) + up * z[k]!);
    assertClose(scheduler.step(eps, i, x, fixedNoise(z)), expected, 1e-6, 'step');
    assertClose(scheduler.scaleModelInput(x, i), [...x].map((v) => v / Math.sqrt(sigma ** 2 + 1)), 1e-7, 'scale');
    // The last step goes to σ = 0: σ_up = 0, no noise drawn, x̂0 returned.
    const noise = fixedNoise();
    assertClose(scheduler.step(eps, 19, x, noise), [...x].map((xi, k) => xi - sigmaAt(0) * eps[k]!), 1e-7, 'last');
    assert.equal(noise.calls, 0);
  });

  it('DPM++ 2M equals k-diffusion sample_dpmpp_2m: first-order first and last steps, 2M in between', () => {
    for (const steps of [1, 2, 5, 20]) {
      const scheduler = new DpmppTwoMScheduler(steps);
      const model = (input: number, t: number) => 0.3 * input + 0.0004 * t - 0.2;
      const sigmas = [...scheduler.sigmas];
      // k-diffusion works on x_k = x / α = x·√(σ²+1) with t(σ) = −log σ.
      const start = [0.9, -1.2, 0.4, 1.7];
      let xk = start.map((v) => v * Math.sqrt(sigmas[0]! ** 2 + 1));
      let oldDenoised: number[] | null = null;
      let latents: Float32Array = Float32Array.from(start);
      for (let i = 0; i < steps; i++) {
        const t = scheduler.timesteps[i]!;
        const sigma = sigmas[i]!;
        const next = sigmas[i + 1]!;
        const modelInput = xk.map((v) => v / Math.sqrt(sigma ** 2 + 1));
        const denoised = xk.map((v, k) => v - sigma * model(modelInput[k]!, t));
        const h = -Math.log(next) + Math.log(sigma);
        const ratio = next / sigma;
        if (oldDenoised === null || next === 0) {
          xk = xk.map((v, k) => ratio * v - Math.expm1(-h) * denoised[k]!);
        } else {
          const r = (Math.log(sigmas[i - 1]!) - Math.log(sigma)) / h;
          const previous: number[] = oldDenoised;
          xk = xk.map((v, k) => ratio * v - Math.expm1(-h) * ((1 + 1 / (2 * r)) * denoised[k]! - (1 / (2 * r)) * previous[k]!));
        }
        oldDenoised = denoised;
        latents = scheduler.step(scheduler.scaleModelInput(latents).map((v) => model(v, t)), i, latents);
        // Compare in the scheduler's (VP) space.
        assertClose(latents, xk.map((v) => v / Math.sqrt(next ** 2 + 1)), 2e-5, `${steps} steps, step ${i}`);
      }
    }
  });

  it('LCM: c_out·x̂0 + c_skip·x, re-noised to the next timestep except at the end', () => {
    const scheduler = new LcmScheduler(4);
    const z = [0.2, 0.4, -0.6, 0.8];
    // c_skip = σ_d²/((s·t)² + σ_d²), c_out = s·t/√((s·t)² + σ_d²) with σ_d = 0.5 and timestep_scaling s.
    const lcm = (t: number, s = 10) => {
      const a = SD_ALPHAS[t]!;
      const c = (s * t) ** 2 + 0.25;
      return [...x].map((xi, k) => (s * t * ((xi - Math.sqrt(1 - a) * eps[k]!) / Math.sqrt(a))) / Math.sqrt(c) + (0.25 / c) * xi);
    };
    const next = SD_ALPHAS[499]!;
    assertClose(scheduler.step(eps, 1, x, fixedNoise(z)), lcm(759).map((d, k) => Math.sqrt(next) * d + Math.sqrt(1 - next) * z[k]!), 1e-6, 'middle');
    assertClose(scheduler.step(eps, 3, x), lcm(259), 1e-6, 'last');
    // At s·t ≈ σ_d the boundary condition mixes x and x̂0 visibly.
    assertClose(new LcmScheduler(4, { timestepScaling: 0.002 }).step(eps, 3, x), lcm(259, 0.002), 1e-6, 'small scaling');
  });
});

describe('image-to-image', () => {
  it('starts at get_timesteps\' t_start = n − min(⌊n·strength⌋, n)', () => {
    assert.equal(img2imgBeginIndex(50, 0.75), 13);
    assert.equal(img2imgBeginIndex(20, 0.5), 10);
    assert.equal(img2imgBeginIndex(20, 1), 0);
    assert.equal(img2imgBeginIndex(10, 0.15), 9);
    assert.throws(() => img2imgBeginIndex(20, 0.01), /no step/);
    assert.throws(() => img2imgBeginIndex(20, 0), /strength/);
    for (const name of ['ddim', 'euler-a', 'dpmpp-2m-karras']) {
      const scheduler = createScheduler(name, 20, { strength: 0.6 });
      assert.equal(scheduler.beginIndex, 8, name);
      assert.equal(scheduler.timesteps.length, 20, name);
    }
  });

  it('noises the image to the start step: DDIM √ᾱ·x0 + √(1−ᾱ)·ε; Euler x0 + σ·ε; DPM α·x0 + σα·ε', () => {
    const x0 = f32(0.5, -0.25);
    const n = f32(1, 2);
    const ddim = createScheduler('ddim', 20, { strength: 0.6 });
    const a = SD_ALPHAS[ddim.timesteps[8]!]!;
    assertClose(ddim.addNoise(x0, n, 8), [0.5 * Math.sqrt(a) + Math.sqrt(1 - a), -0.25 * Math.sqrt(a) + 2 * Math.sqrt(1 - a)], 1e-6, 'ddim');
    const euler = createScheduler('euler-a', 20, { strength: 0.6 });
    const s = euler.sigmas![8]!;
    assertClose(euler.addNoise(x0, n, 8), [0.5 + s, -0.25 + 2 * s], 1e-5, 'euler');
    const dpm = createScheduler('dpmpp-2m-karras', 20, { strength: 0.6 });
    const sd = dpm.sigmas![8]!;
    const alpha = 1 / Math.sqrt(sd * sd + 1);
    assertClose(dpm.addNoise(x0, n, 8), [alpha * (0.5 + sd), alpha * (-0.25 + 2 * sd)], 1e-6, 'dpm');
  });

  it('LCM shortens its distillation schedule instead (set_timesteps(strength))', () => {
    const scheduler = new LcmScheduler(4, { strength: 0.5 });
    // ⌊50·0.5⌋ = 25 timesteps 20·i − 1, descending from 499, taken at ⌊j·25/4⌋ = 0, 6, 12, 18.
    assert.deepEqual([...scheduler.timesteps], [499, 379, 259, 139]);
    assert.equal(scheduler.beginIndex, 0);
  });
});

describe('createScheduler', () => {
  it('makes each named scheduler and lists the valid names for an unknown one', () => {
    for (const name of SCHEDULER_NAMES) assert.equal(createScheduler(name, 4).name, name);
    assert.throws(() => createScheduler('pndm', 20), /unknown scheduler "pndm": choose one of ddim, euler-a, dpmpp-2m-karras, lcm/);
    assert.throws(() => createScheduler('ddim', 0), /steps/);
    assert.throws(() => createScheduler('ddim', 1000), /steps_offset/);
  });
});

describe('GaussianNoise', () => {
  it('is deterministic per seed and differs between seeds (high bits included)', () => {
    assert.deepEqual(new GaussianNoise(42).sample(1001), new GaussianNoise(42).sample(1001));
    assert.notDeepEqual(new GaussianNoise(42).sample(16), new GaussianNoise(43).sample(16));
    assert.notDeepEqual(new GaussianNoise(1).sample(16), new GaussianNoise(1 + 2 ** 32).sample(16));
    assert.throws(() => new GaussianNoise(0.5), /seed/);
  });

  it('is standard normal: mean ≈ 0, variance ≈ 1, |z| > 1.96 about 5% over 1e5 samples', () => {
    const values = new GaussianNoise(7).sample(100_000);
    let sum = 0;
    let squares = 0;
    let tails = 0;
    for (const v of values) {
      sum += v;
      squares += v * v;
      if (Math.abs(v) > 1.96) tails++;
    }
    const mean = sum / values.length;
    const variance = squares / values.length - mean * mean;
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
    assert.ok(Math.abs(tails / values.length - 0.05) < 0.003, `tails ${tails / values.length}`);
  });
});
