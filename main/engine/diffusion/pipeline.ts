import type { Tensor } from 'onnxruntime-node';
import type { EditParams } from '../edits/edit-params.js';
import { CONTROLNET_RESIDUALS, type DiffusionPreprocessing } from '../models/diffusion-catalog.js';
import type { ModelSession } from '../runtime/session.js';
import { floatInput, floatOutput, hasInput, idsInput, inputInfo } from './feeds.js';
import { latentPreview, type PreviewImage } from './preview.js';
import type { PromptTokenizer } from './prompt.js';
import { GaussianNoise } from './random.js';
import { ENCODER_NOISE_INPUT } from './seeded-vae.js';
import { createScheduler } from './schedulers/index.js';

type Ort = typeof import('onnxruntime-node');

/** The sessions of one pipeline, created when first needed (a txt2img never loads the VAE encoder). */
export interface PipelineSessions {
  textEncoder(): Promise<ModelSession>;
  unet(): Promise<ModelSession>;
  vaeEncoder(): Promise<ModelSession>;
  vaeDecoder(): Promise<ModelSession>;
  /** The ControlNet for canny edits (null when the request has none). */
  controlnet(): Promise<ModelSession | null>;
}

export interface StepProgress {
  /** Steps done in this run (1-based) and how many it has (img2img runs fewer than `steps`). */
  step: number;
  steps: number;
  /** An approximate picture of the current latents, on the steps a preview was asked for. */
  preview?: PreviewImage;
}

export interface DiffusionRequest {
  params: EditParams;
  /** The photo, [1, 3, height, width] in -1..1 (img2img and instruct). */
  image?: Float32Array;
  /** The edge map as the ControlNet takes it, [1, 3, height, width] in 0..1 (canny). */
  control?: Float32Array;
  onStep?: (progress: StepProgress) => void;
  /** A preview every this many steps (and at the last); 0 = none. */
  previewEvery?: number;
  /** Checked between steps: a cancel stops within one step. */
  signal?: AbortSignal;
}

export interface DiffusionResult {
  /** [1, 3, height, width] in -1..1; null when cancelled. */
  image: Float32Array | null;
  stepsRun: number;
}

/**
 * Stable Diffusion 1.5's denoising loop on onnxruntime-node, the way diffusers' pipelines run it:
 * prompt embeddings with classifier-free guidance, latents from seeded noise (txt2img, canny) or
 * from the photo noised to the strength's timestep (img2img), InstructPix2Pix's photo latents
 * concatenated to the UNet input with three-way guidance, ControlNet residuals fed to the UNet by
 * name, and the VAE decoder at the end. Every input is made in the dtype its session declares.
 */
export class DiffusionPipeline {
  constructor(
    private readonly ort: Ort,
    private readonly prep: DiffusionPreprocessing,
    private readonly tokenizer: PromptTokenizer,
    private readonly sessions: PipelineSessions,
  ) {}

  async run(request: DiffusionRequest): Promise<DiffusionResult> {
    const { params } = request;
    const { latent_channels: channels, vae_scale_factor: scale, scaling_factor: scaling } = this.prep;
    if (params.width % scale !== 0 || params.height % scale !== 0) throw new RangeError(`width and height must be multiples of ${scale}`);
    const latentShape = [1, channels, params.height / scale, params.width / scale];
    const latentSize = channels * latentShape[2]! * latentShape[3]!;
    const needsImage = params.mode === 'img2img' || params.mode === 'instruct';
    if (needsImage && !request.image) throw new Error(`${params.mode} needs the photo`);
    if (params.mode === 'canny' && !request.control) throw new Error('canny needs the edge map');

    const schedule = this.prep.schedule;
    const scheduler = createScheduler(params.scheduler, params.steps, {
      numTrainTimesteps: schedule.num_train_timesteps,
      betaSchedule: schedule.beta_schedule,
      betaStart: schedule.beta_start,
      betaEnd: schedule.beta_end,
      predictionType: schedule.prediction_type,
      stepsOffset: schedule.steps_offset,
      strength: params.mode === 'img2img' ? params.strength : 1,
    });
    const noise = new GaussianNoise(params.seed);
    const guide = this.guidance(params);
    const embeddings = await this.embed(params, guide);
    // Before the starting noise, as diffusers draws them: the encoder's sample comes first.
    const photoLatents = needsImage ? await this.encodeImage(request.image!, [1, 3, params.height, params.width], latentShape, params.mode === 'img2img' ? noise : null) : null;

    const start = noise.fill(new Float32Array(latentSize));
    let latents: Float32Array;
    if (params.mode === 'img2img') {
      const scaled = photoLatents!.map((value: number) => value * scaling);
      latents = scheduler.addNoise(scaled, start, scheduler.beginIndex);
    } else {
      latents = start.map((value) => value * scheduler.initNoiseSigma);
    }

    const total = scheduler.timesteps.length - scheduler.beginIndex;
    const controlnet = params.mode === 'canny' ? await this.sessions.controlnet() : null;
    if (params.mode === 'canny' && !controlnet) throw new Error('canny needs a ControlNet model');
    const step: StepContext = { params, guide, latentShape, embeddings, photoLatents, controlnet, control: request.control ?? null };
    for (let i = scheduler.beginIndex; i < scheduler.timesteps.length; i++) {
      if (request.signal?.aborted) return { image: null, stepsRun: i - scheduler.beginIndex };
      const modelInput = scheduler.scaleModelInput(latents, i);
      const prediction = await this.predict(step, modelInput, scheduler.timesteps[i]!);
      latents = scheduler.step(prediction, i, latents, noise);
      const done = i + 1 - scheduler.beginIndex;
      const wantPreview = (request.previewEvery ?? 0) > 0 && (done % request.previewEvery! === 0 || done === total);
      request.onStep?.({ step: done, steps: total, ...(wantPreview ? { preview: latentPreview(latents, latentShape) } : {}) });
    }
    if (request.signal?.aborted) return { image: null, stepsRun: total };
    return { image: await this.decode(latents, latentShape), stepsRun: total };
  }

  /** Which predictions each step needs: the prompt only, prompt and negative, or InstructPix2Pix's three. */
  private guidance(params: EditParams): 'none' | 'cfg' | 'instruct' {
    if (params.mode === 'instruct') return 'instruct';
    // diffusers: do_classifier_free_guidance = guidance_scale > 1.
    return params.guidance > 1 ? 'cfg' : 'none';
  }

  /**
   * The text embeddings stacked in the batch order the guidance formula reads them:
   * cfg [negative, prompt]; instruct [prompt, negative, negative] (diffusers' InstructPix2Pix).
   */
  private async embed(params: EditParams, guide: 'none' | 'cfg' | 'instruct'): Promise<{ data: Float32Array; dims: number[] }> {
    const encoder = await this.sessions.textEncoder();
    const one = async (text: string) => {
      const { ids } = this.tokenizer.encode(text);
      const out = await encoder.run({ input_ids: idsInput(this.ort, encoder, 'input_ids', ids, [1, ids.length]) });
      const tensor = (out as Record<string, Tensor>).last_hidden_state;
      if (!tensor) throw new Error('the text encoder returned no last_hidden_state');
      return { data: floatOutput(out as Record<string, Tensor>, 'last_hidden_state'), dims: [...tensor.dims] };
    };
    const prompt = await one(params.prompt);
    if (guide === 'none') return prompt;
    const negative = await one(params.negative);
    const order = guide === 'cfg' ? [negative, prompt] : [prompt, negative, negative];
    return { data: concat(order.map((part) => part.data)), dims: [order.length, ...prompt.dims.slice(1)] };
  }

  /**
   * The photo's latents (unscaled). img2img samples the VAE's latent distribution with the edit's
   * seeded noise (diffusers' `retrieve_latents`, sample mode); instruct (`noise` null) takes its
   * mean, as diffusers' InstructPix2Pix does (`sample_mode="argmax"`). Three encoder layouts:
   * Olive's, which samples inside the graph (its noise node replaced by an input: seeded-vae.ts);
   * optimum's, which returns `latent_parameters` (mean ++ log-variance) and leaves the sampling to
   * the caller; and one that returns the mean.
   */
  private async encodeImage(image: Float32Array, dims: number[], latentShape: number[], noise: GaussianNoise | null): Promise<Float32Array> {
    const encoder = await this.sessions.vaeEncoder();
    const size = latentShape.reduce((product, dim) => product * dim, 1);
    const feeds: Record<string, Tensor> = { sample: floatInput(this.ort, encoder, 'sample', image, dims) };
    if (hasInput(encoder, ENCODER_NOISE_INPUT)) {
      feeds[ENCODER_NOISE_INPUT] = floatInput(this.ort, encoder, ENCODER_NOISE_INPUT, noise ? noise.sample(size) : new Float32Array(size), latentShape);
    }
    const out = (await encoder.run(feeds)) as Record<string, Tensor>;
    if (!out.latent_sample && out.latent_parameters) return sampleLatentDistribution(floatOutput(out, 'latent_parameters'), size, noise);
    return floatOutput(out, 'latent_sample');
  }

  private async decode(latents: Float32Array, latentShape: number[]): Promise<Float32Array> {
    const decoder = await this.sessions.vaeDecoder();
    const unscaled = latents.map((value) => value / this.prep.scaling_factor);
    const out = (await decoder.run({ latent_sample: floatInput(this.ort, decoder, 'latent_sample', unscaled, latentShape) })) as Record<string, Tensor>;
    return floatOutput(out, 'sample');
  }

  /** One guided noise prediction for the current latents. */
  private async predict(step: StepContext, modelInput: Float32Array, timestep: number): Promise<Float32Array> {
    const unet = await this.sessions.unet();
    const { embeddings, guide, photoLatents } = step;
    const batch = embeddings.dims[0]!;
    const [, channels, height, width] = step.latentShape as [number, number, number, number];
    let sample: Float32Array;
    let sampleChannels = channels;
    if (guide === 'instruct') {
      // Each batch item is noisy latents ++ photo latents; the unconditional one gets zeros for the photo.
      sampleChannels = channels * 2;
      const zeros = new Float32Array(photoLatents!.length);
      sample = concat([modelInput, photoLatents!, modelInput, photoLatents!, modelInput, zeros]);
    } else {
      sample = concat(Array.from({ length: batch }, () => modelInput));
    }
    const sampleDims = [batch, sampleChannels, height, width];
    const feeds: Record<string, Tensor> = {
      sample: floatInput(this.ort, unet, 'sample', sample, sampleDims),
      timestep: this.timestepInput(unet, timestep, batch),
      encoder_hidden_states: floatInput(this.ort, unet, 'encoder_hidden_states', embeddings.data, embeddings.dims),
    };
    if (step.controlnet) Object.assign(feeds, await this.residuals(step, step.controlnet, unet, sample, sampleDims, timestep));
    const out = (await unet.run(feeds)) as Record<string, Tensor>;
    return applyGuidance(floatOutput(out, 'out_sample'), modelInput.length, guide, step.params);
  }

  /** The ControlNet's 13 residuals, by name, for the UNet (never by output position: exports order them differently). */
  private async residuals(step: StepContext, controlnet: ModelSession, unet: ModelSession, sample: Float32Array, sampleDims: number[], timestep: number): Promise<Record<string, Tensor>> {
    const batch = sampleDims[0]!;
    const condDims = [batch, 3, sampleDims[2]! * this.prep.vae_scale_factor, sampleDims[3]! * this.prep.vae_scale_factor];
    // Some exports bake the scale in (no conditioning_scale input): then the residuals are scaled here.
    const takesScale = hasInput(controlnet, 'conditioning_scale');
    const out = (await controlnet.run({
      sample: floatInput(this.ort, controlnet, 'sample', sample, sampleDims),
      timestep: this.timestepInput(controlnet, timestep, batch),
      encoder_hidden_states: floatInput(this.ort, controlnet, 'encoder_hidden_states', step.embeddings.data, step.embeddings.dims),
      controlnet_cond: floatInput(this.ort, controlnet, 'controlnet_cond', concat(Array.from({ length: batch }, () => step.control!)), condDims),
      ...(takesScale
        ? { conditioning_scale: floatInput(this.ort, controlnet, 'conditioning_scale', [step.params.conditioning_scale], inputInfo(controlnet, 'conditioning_scale').shape.length === 0 ? [] : [1]) }
        : {}),
    })) as Record<string, Tensor>;
    const scaleHere = !takesScale && step.params.conditioning_scale !== 1;
    const feeds: Record<string, Tensor> = {};
    for (const name of CONTROLNET_RESIDUALS) {
      const residual = out[name];
      if (!residual) throw new Error(`the ControlNet returned no ${name} (it returned ${Object.keys(out).join(', ')})`);
      feeds[name] = scaleHere ? floatInput(this.ort, unet, name, floatOutput(out, name).map((value) => value * step.params.conditioning_scale), residual.dims) : residual;
    }
    return feeds;
  }

  /** The timestep in the session's dtype and rank: a scalar, [1], or one per batch item. */
  private timestepInput(session: ModelSession, timestep: number, batch: number): Tensor {
    const { shape } = inputInfo(session, 'timestep');
    if (shape.length === 0) return floatInput(this.ort, session, 'timestep', [timestep], []);
    const count = shape[0] === 1 ? 1 : batch;
    return floatInput(this.ort, session, 'timestep', new Array<number>(count).fill(timestep), [count]);
  }
}

interface StepContext {
  params: EditParams;
  guide: 'none' | 'cfg' | 'instruct';
  latentShape: number[];
  embeddings: { data: Float32Array; dims: number[] };
  photoLatents: Float32Array | null;
  controlnet: ModelSession | null;
  control: Float32Array | null;
}

/**
 * The guided prediction from the batch the UNet returned: cfg ε = ε_neg + g·(ε_prompt − ε_neg);
 * InstructPix2Pix ε = ε_u + g·(ε_text − ε_image) + ig·(ε_image − ε_u) (diffusers' formulas).
 */
function applyGuidance(predicted: Float32Array, size: number, guide: 'none' | 'cfg' | 'instruct', params: Pick<EditParams, 'guidance' | 'image_guidance'>): Float32Array {
  const out = new Float32Array(size);
  if (guide === 'none') {
    out.set(predicted.subarray(0, size));
    return out;
  }
  const g = params.guidance;
  if (guide === 'cfg') {
    for (let i = 0; i < size; i++) {
      const negative = predicted[i]!;
      out[i] = negative + g * (predicted[size + i]! - negative);
    }
    return out;
  }
  const ig = params.image_guidance;
  for (let i = 0; i < size; i++) {
    const text = predicted[i]!;
    const image = predicted[size + i]!;
    const unconditional = predicted[2 * size + i]!;
    out[i] = unconditional + g * (text - image) + ig * (image - unconditional);
  }
  return out;
}

/**
 * diffusers' DiagonalGaussianDistribution over `parameters` ([1, 2C, h, w]: the mean's C channels,
 * then the log-variance's): mean + exp(½·clamp(logvar, −30, 20))·noise, or the mean when `noise` is null.
 */
export function sampleLatentDistribution(parameters: Float32Array, size: number, noise: GaussianNoise | null): Float32Array {
  if (parameters.length !== 2 * size) throw new Error(`latent_parameters has ${parameters.length} values, expected ${2 * size} (mean and log-variance)`);
  const latents = parameters.slice(0, size);
  if (!noise) return latents;
  const z = noise.sample(size);
  for (let i = 0; i < size; i++) latents[i] = latents[i]! + Math.exp(0.5 * Math.min(20, Math.max(-30, parameters[size + i]!))) * z[i]!;
  return latents;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

