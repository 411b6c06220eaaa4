import { z } from 'zod';

/**
 * The `preprocessing` keys of a `diffusion` entry (a Stable Diffusion 1.5 pipeline in the diffusers
 * ONNX layout) and of a `controlnet` entry. The pipeline reads every file name, size constant and
 * schedule parameter from here; input and output names are in the entry's `io`, and each input's
 * dtype is read from the session itself at load time (timestep is int64 in some exports and
 * float in others; fp16 exports take fp16 tensors).
 */

/** The UNet's flavour: which inputs it takes besides `sample`, `timestep`, `encoder_hidden_states`. */
const UNET_KINDS = [
  /** Plain SD 1.5: txt2img and img2img. */
  'standard',
  /** Takes the 13 ControlNet residuals by name (`down_block_{0..11}_additional_residual`, `mid_block_additional_residual`), OnnxStack/Amuse layout. */
  'controlnet',
  /** InstructPix2Pix: `sample` has 8 channels (noisy latents ++ the photo's latents). */
  'instruct-pix2pix',
] as const;
export type UnetKind = (typeof UNET_KINDS)[number];

const onnxPath = z.string().regex(/^[\w./-]+\.onnx$/, 'expected a path to an .onnx file inside the model folder');

export const DiffusionCatalogPreprocessingSchema = z.strictObject({
  unet_kind: z.enum(UNET_KINDS),
  /** The ONNX file of each part, inside the model folder. */
  sessions: z.strictObject({
    text_encoder: onnxPath,
    unet: onnxPath,
    vae_encoder: onnxPath,
    vae_decoder: onnxPath,
  }),
  /** The CLIP tokenizer's files (BPE vocab and merges), and the text encoder's context length. */
  tokenizer: z.strictObject({
    vocab: z.string().min(1),
    merges: z.string().min(1),
    max_length: z.number().int().positive(),
    bos_token_id: z.number().int().nonnegative(),
    eos_token_id: z.number().int().nonnegative(),
    /** SD 1.5 pads with the end-of-text token. */
    pad_token_id: z.number().int().nonnegative(),
  }),
  latent_channels: z.number().int().positive(),
  /** Pixels per latent cell (8 for SD's VAE): sizes must be multiples of it. */
  vae_scale_factor: z.number().int().positive(),
  /** Latents are VAE output × this (0.18215 for SD 1.5). */
  scaling_factor: z.number().positive(),
  /** The training noise schedule every scheduler derives its tables from (diffusers scheduler_config.json). */
  schedule: z.strictObject({
    num_train_timesteps: z.number().int().positive(),
    beta_start: z.number().positive(),
    beta_end: z.number().positive(),
    beta_schedule: z.enum(['scaled_linear', 'linear']),
    prediction_type: z.enum(['epsilon', 'v_prediction']),
    steps_offset: z.number().int().nonnegative(),
  }),
  /** The side the model was trained at (512 for SD 1.5); the default output size's long edge. */
  default_size: z.number().int().positive(),
});
export type DiffusionPreprocessing = z.infer<typeof DiffusionCatalogPreprocessingSchema>;

/** A ControlNet: its session, what it conditions on, and the diffusion entries whose UNet takes its residuals. */
export const ControlNetCatalogPreprocessingSchema = z.strictObject({
  session: onnxPath,
  /** What `controlnet_cond` holds: the photo's edge map (0..1, 3 channels). */
  condition: z.enum(['canny']),
  /** Ids of `diffusion` entries with unet_kind "controlnet" that this ControlNet feeds. */
  pairs_with: z.array(z.string().min(1)).min(1),
});
export type ControlNetPreprocessing = z.infer<typeof ControlNetCatalogPreprocessingSchema>;

/** The 13 residual names a ControlNet returns and a ControlNet UNet takes, matched by name, never by position. */
export const CONTROLNET_RESIDUALS: readonly string[] = [...Array.from({ length: 12 }, (_, i) => `down_block_${i}_additional_residual`), 'mid_block_additional_residual'];
