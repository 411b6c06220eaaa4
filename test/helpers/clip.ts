import type { Tokenizer } from '@huggingface/tokenizers';
import sharp, { type OutputInfo } from 'sharp';

/**
 * CLIP input preparation for tests, driven by a catalog entry's `preprocessing` constants (as the
 * fixture generator writes them), so a test fails when the catalog and the model disagree. It
 * follows Hugging Face's CLIPImageProcessor: shortest edge to size (bicubic), centre crop,
 * rescale, normalise, channels first.
 */

// The engine's schema: a test helper must read the catalog exactly as the engine does.
export { ClipPreprocessingSchema, type ClipPreprocessing } from '../../main/engine/clip/preprocessing.js';
import { type ClipPreprocessing, resizedSize } from '../../main/engine/clip/preprocessing.js';

export interface Batch<T> {
  data: T;
  dims: number[];
}

/** One image as CHW float32 [3, crop, crop]. */
export async function imageToPixelValues(input: Buffer | string, prep: ClipPreprocessing): Promise<Float32Array> {
  const { data, info } = await resizeAndCrop(input, prep);
  if (info.channels !== 3) throw new Error(`expected 3 channels after preprocessing, got ${info.channels}`);
  const plane = prep.crop_size * prep.crop_size;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (data[i * 3 + c]! * prep.rescale_factor - prep.image_mean[c]!) / prep.image_std[c]!;
  }
  return out;
}

/** Shortest edge to `resize_shortest_edge` (the long edge int(224 · long / short), as transformers does), then the centre crop. */
async function resizeAndCrop(input: Buffer | string, prep: ClipPreprocessing): Promise<{ data: Buffer; info: OutputInfo }> {
  const { width, height } = await sharp(input).metadata();
  if (!width || !height) throw new Error('image without dimensions');
  // The engine's formula, checked against transformers' for every size up to 4096² in clip-fidelity.test.ts.
  const resized = resizedSize(width, height, prep.resize_shortest_edge ?? prep.crop_size, prep.crop_size);
  return sharp(input)
    .removeAlpha()
    .toColourspace('srgb')
    .resize({ ...resized, fit: 'fill', kernel: 'cubic' })
    // extract after resize crops the resized image (sharp applies them in call order)
    .extract({ left: Math.floor((resized.width - prep.crop_size) / 2), top: Math.floor((resized.height - prep.crop_size) / 2), width: prep.crop_size, height: prep.crop_size })
    .raw()
    .toBuffer({ resolveWithObject: true });
}

/** Several images as one pixel_values batch [N, 3, crop, crop]. */
export async function pixelValuesBatch(inputs: readonly (Buffer | string)[], prep: ClipPreprocessing): Promise<Batch<Float32Array>> {
  const images = await Promise.all(inputs.map((input) => imageToPixelValues(input, prep)));
  const size = 3 * prep.crop_size * prep.crop_size;
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => data.set(image, i * size));
  return { data, dims: [images.length, 3, prep.crop_size, prep.crop_size] };
}

/** Token ids of one text, cut to the context length (keeping the final eos) and padded with pad_token_id. */
export function tokenIds(tokenizer: Tokenizer, text: string, prep: ClipPreprocessing): number[] {
  const ids = tokenizer.encode(text).ids;
  const cut = ids.length > prep.context_length ? [...ids.slice(0, prep.context_length - 1), prep.eos_token_id] : ids;
  return [...cut, ...new Array<number>(prep.context_length - cut.length).fill(prep.pad_token_id)];
}

/** Several texts as one input_ids batch [N, context_length] of int64. */
export function inputIdsBatch(tokenizer: Tokenizer, texts: readonly string[], prep: ClipPreprocessing): Batch<BigInt64Array> {
  const data = BigInt64Array.from(texts.flatMap((text) => tokenIds(tokenizer, text, prep)), (id) => BigInt(id));
  return { data, dims: [texts.length, prep.context_length] };
}

/** The rows of a row-major [N, width] matrix. */
export function rows(data: Float32Array, width: number): Float32Array[] {
  if (data.length % width !== 0) throw new Error(`${data.length} values are not rows of ${width}`);
  return Array.from({ length: data.length / width }, (_, i) => data.subarray(i * width, (i + 1) * width));
}

export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`dot of lengths ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: readonly number[]): number {
  return values.reduce((best, value, i) => (value > values[best]! ? i : best), 0);
}

/** The fixture CLIPs' eight colours as 8-bit RGB, in their order (independent of the generator's own table). */
export const FIXTURE_COLOURS: readonly { name: string; rgb: [number, number, number] }[] = [
  { name: 'red', rgb: [255, 0, 0] },
  { name: 'green', rgb: [0, 255, 0] },
  { name: 'blue', rgb: [0, 0, 255] },
  { name: 'yellow', rgb: [255, 255, 0] },
  { name: 'cyan', rgb: [0, 255, 255] },
  { name: 'magenta', rgb: [255, 0, 255] },
  { name: 'white', rgb: [255, 255, 255] },
  { name: 'black', rgb: [0, 0, 0] },
];
