import { z } from 'zod';
import { UsageError } from '../errors.js';

/**
 * Every parameter of an edit or generation, in one schema: the CLI's flags, the contract's calls
 * and the stored row (edits.params) all go through it, so `iris edit --repeat <id>` gets back
 * exactly what made the image.
 */

export const EDIT_MODES = ['txt2img', 'img2img', 'canny', 'instruct'] as const;
export type EditMode = (typeof EDIT_MODES)[number];

export const SCHEDULER_NAMES = ['dpmpp-2m-karras', 'euler-a', 'ddim', 'lcm'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** Sizes the UNet takes: multiples of 8 (one latent cell), within what fits in memory. */
const side = z
  .number()
  .int()
  .min(64, { error: 'at least 64 pixels' })
  .max(2048, { error: 'at most 2048 pixels' })
  .refine((value) => value % 8 === 0, { error: 'must be a multiple of 8' });

const EditParamsSchema = z.strictObject({
  mode: z.enum(EDIT_MODES),
  /** The diffusion model (catalog id) and, for canny, the ControlNet. */
  model: z.string().min(1),
  controlnet: z.string().min(1).nullable(),
  scheduler: z.enum(SCHEDULER_NAMES, { error: `expected one of ${SCHEDULER_NAMES.join(', ')}` }),
  seed: z.number().int({ error: 'a whole number' }).min(0, { error: 'at least 0' }).max(0xffff_ffff, { error: 'at most 4294967295' }),
  steps: z.number().int({ error: 'a whole number' }).min(1, { error: 'at least 1' }).max(150, { error: 'at most 150' }),
  /** Classifier-free guidance: how strongly the prompt steers (1 = not at all). */
  guidance: z.number().min(0).max(30),
  /** img2img: how far from the photo (0 = the photo, 1 = only the prompt). */
  strength: z.number().min(0).max(1),
  /** InstructPix2Pix: how closely the result keeps to the photo. */
  image_guidance: z.number().min(0).max(10),
  /** ControlNet: how strongly the edges steer. */
  conditioning_scale: z.number().min(0).max(2),
  /** Canny thresholds on the gradient magnitude (OpenCV convention). */
  canny_low: z.number().min(0).max(2000),
  canny_high: z.number().min(0).max(2000),
  prompt: z.string().max(2000),
  negative: z.string().max(2000),
  width: side,
  height: side,
});
export type EditParams = z.infer<typeof EditParamsSchema>;

/** What a user may leave out, per mode (diffusers' and the models' usual values). */
export const EDIT_DEFAULTS = {
  scheduler: 'dpmpp-2m-karras',
  steps: 20,
  guidance: 7.5,
  strength: 0.75,
  image_guidance: 1.5,
  conditioning_scale: 1,
  canny_low: 100,
  canny_high: 200,
  negative: '',
} as const satisfies Partial<EditParams>;

/** The size to generate at: the model's default long edge with the photo's aspect kept, both sides multiples of 8. */
export function defaultSize(longEdge: number, photo?: { width: number; height: number }): { width: number; height: number } {
  if (!photo || photo.width <= 0 || photo.height <= 0) return { width: longEdge, height: longEdge };
  const scale = longEdge / Math.max(photo.width, photo.height);
  const round8 = (value: number) => Math.max(64, Math.round((value * scale) / 8) * 8);
  return { width: round8(photo.width), height: round8(photo.height) };
}

/** Checks parameters and says plainly what is wrong ("steps: at most 150"); a UsageError, as the person can fix it. */
export function parseEditParams(input: unknown): EditParams {
  const parsed = EditParamsSchema.safeParse(input);
  if (parsed.success) {
    if (parsed.data.canny_low > parsed.data.canny_high) throw new UsageError(`canny low threshold (${parsed.data.canny_low}) is above the high one (${parsed.data.canny_high})`);
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  throw new UsageError(`${issue.path.join('.') || 'edit'}: ${issue.message}`);
}
