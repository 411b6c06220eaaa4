import { mulberry32 } from '../random.js';
import type { NoiseSource } from './schedulers/types.js';

/**
 * Seeded standard normal noise for diffusion: the starting latents and the fresh noise of the ancestral
 * samplers. Uniforms come from the project's mulberry32 (../random.ts); Box–Muller turns each pair into two
 * normals, in float64, with both kept. Only IEEE arithmetic and V8's own (software, platform-independent)
 * log/sqrt/cos/sin are involved, so one seed gives the same sequence on every machine running Node.
 *
 * Not torch's generator: the same seed does not give diffusers' images.
 */
export class GaussianNoise implements NoiseSource {
  private readonly uniform: () => number;
  private spare = 0;
  private hasSpare = false;

  /** `seed`: any safe integer (both its 32-bit halves count; mulberry32 keeps 32 bits of state). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const low = seed % 0x100000000;
    const high = Math.floor(seed / 0x100000000);
    this.uniform = mulberry32((low ^ Math.imul(high, 0x9e3779b1)) | 0);
  }

  /** The next standard normal value. */
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    // mulberry32 returns values in (0, 1), never 0, so the log is finite.
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }

  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.next();
    return out;
  }

  /** `length` fresh values. */
  sample(length: number): Float32Array {
    return this.fill(new Float32Array(length));
  }
}
