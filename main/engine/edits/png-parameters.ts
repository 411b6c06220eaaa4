import zlib from 'node:zlib';
import type { EditParams } from './edit-params.js';

/**
 * The settings that made an image, written into its PNG as text chunks, so they travel with the
 * file when it leaves the library:
 *   parameters   AUTOMATIC1111's layout (prompt, "Negative prompt: …", then "Steps: 20, Sampler: …"),
 *                which PNG-info readers, image sites and other SD front ends read
 *   iris         every EditParams field as JSON, to make the same edit again exactly
 *
 * Written here, not with sharp: sharp writes no PNG text chunks. A chunk is four fields and a CRC
 * (zlib.crc32), inserted after IHDR; the image data is not touched.
 */

const SAMPLER_NAMES: Record<EditParams['scheduler'], string> = {
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
  'euler-a': 'Euler a',
  ddim: 'DDIM',
  lcm: 'LCM',
};

/** AUTOMATIC1111's "parameters" text for an edit. */
export function a1111Parameters(params: EditParams): string {
  const settings: [string, string | number][] = [
    ['Steps', params.steps],
    ['Sampler', SAMPLER_NAMES[params.scheduler]],
    ['CFG scale', params.guidance],
    ['Seed', params.seed],
    ['Size', `${params.width}x${params.height}`],
    ['Model', params.model],
  ];
  if (params.mode === 'img2img') settings.push(['Denoising strength', params.strength]);
  if (params.mode === 'instruct') settings.push(['Image CFG scale', params.image_guidance]);
  if (params.mode === 'canny') {
    settings.push(['ControlNet 0', `"Module: canny, Model: ${params.controlnet ?? ''}, Weight: ${params.conditioning_scale}, Threshold A: ${params.canny_low}, Threshold B: ${params.canny_high}"`]);
  }
  settings.push(['Mode', params.mode], ['Version', 'Iris']);
  const lines = [params.prompt];
  if (params.negative) lines.push(`Negative prompt: ${params.negative}`);
  lines.push(settings.map(([key, value]) => `${key}: ${value}`).join(', '));
  return lines.join('\n');
}

/** `png` with an edit's settings as text chunks (see above). */
export function withEditParameters(png: Buffer, params: EditParams): Buffer {
  return withPngText(png, [
    ['parameters', a1111Parameters(params)],
    ['iris', JSON.stringify(params)],
  ]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * `png` with text chunks after its IHDR: tEXt when the text is Latin-1 (what the PNG spec's tEXt
 * holds), else an uncompressed iTXt, which holds UTF-8 (a prompt in Chinese).
 */
export function withPngText(png: Buffer, entries: readonly [keyword: string, text: string][]): Buffer {
  if (png.length < 33 || !png.subarray(0, 8).equals(SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG that starts with its IHDR chunk');
  const afterHeader = 8 + 8 + png.readUInt32BE(8) + 4;
  return Buffer.concat([png.subarray(0, afterHeader), ...entries.map(([keyword, text]) => textChunk(keyword, text)), png.subarray(afterHeader)]);
}

function textChunk(keyword: string, text: string): Buffer {
  // PNG keywords: 1-79 Latin-1 printable characters.
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`bad PNG text keyword: ${keyword}`);
  const latin1 = /^[\n\x20-\x7e\xa0-\xff]*$/.test(text);
  const data = latin1
    ? Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')])
    : // iTXt: keyword, 0, compression flag 0, method 0, empty language tag, 0, empty translated keyword, 0, text.
      Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]);
  return chunk(latin1 ? 'tEXt' : 'iTXt', data);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typed));
  return Buffer.concat([length, typed, crc]);
}
