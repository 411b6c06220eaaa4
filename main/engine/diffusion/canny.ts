import sharp from 'sharp';
import { decodePhotoAt } from '../generation/photo-image.js';

/**
 * Canny edge detection for the ControlNet "canny" conditioning image.
 *
 * The SD 1.5 canny ControlNet was trained on, and its reference pipelines make, edge maps with
 * `cv2.Canny(image, low, high)` called directly on the 8-bit RGB array (lllyasviel's
 * annotator/canny and the diffusers examples: no blur, no grey conversion, L2gradient=false).
 * This module reproduces that computation so an edge map made here is what the model expects:
 *
 * - Sobel 3×3 on each channel with the border replicated; magnitude |gx| + |gy| (OpenCV's L1
 *   default). On colour input each pixel takes the channel whose magnitude is largest (first
 *   channel on a tie), with that channel's gx/gy, as OpenCV does for multi-channel input.
 * - Direction in four sectors split at 22.5° and 67.5° (tested in integers, tan 22.5° as
 *   13573 / 2^15, so ties fall the same way as OpenCV's).
 * - Non-maximum suppression against the two neighbours across the edge, with OpenCV's asymmetry
 *   (`>` before, `>=` after, both `>` on diagonals) so a two-pixel plateau keeps exactly one.
 *   Outside the image the magnitude is 0.
 * - Thresholds are floored to integers; a pixel is a candidate when magnitude > low and a seed
 *   when magnitude > high (both strict); hysteresis keeps candidates 8-connected to a seed.
 *
 * The Gaussian blur the issue lists is a separate, optional first step (`blurSigma`), off by
 * default because the reference does not blur: blurring weakens every step (a blurred edge spreads
 * its contrast over more pixels), so the same 100/200 thresholds find fewer edges than the model
 * saw in training. Turn it on for noisy photos (high ISO, film grain), where unblurred Canny
 * draws speckle the model would follow.
 */

export interface CannyOptions {
  /** Hysteresis low threshold on |gx| + |gy| of the 3×3 Sobel (cv2.Canny's threshold1). */
  low: number;
  /** High threshold: only edges with some pixel above it are kept (cv2.Canny's threshold2). */
  high: number;
  /** Standard deviation in pixels of a Gaussian blur applied first; 0 or absent: no blur (the reference). */
  blurSigma?: number;
}

/** The thresholds ControlNet's canny examples use (`cv2.Canny(image, 100, 200)`), unblurred. */
export const CANNY_DEFAULTS: Readonly<Required<CannyOptions>> = Object.freeze({ low: 100, high: 200, blurSigma: 0 });

/** Canny on one 8-bit grey plane (row-major, `width * height` bytes): 255 on edges, 0 elsewhere. */
export function canny(gray: Uint8Array, width: number, height: number, options: CannyOptions): Uint8Array {
  return detect(gray, width, height, 1, options);
}

/**
 * Canny on interleaved 8-bit RGB, as `cv2.Canny` treats a 3-channel image: per pixel, the gradient
 * of the channel that changes most. This is what the ControlNet reference does, and it also finds
 * edges between colours of equal luma that a grey conversion would erase.
 */
export function cannyRgb(rgb: Uint8Array, width: number, height: number, options: CannyOptions): Uint8Array {
  return detect(rgb, width, height, 3, options);
}

/**
 * BT.601 luma as OpenCV's COLOR_RGB2GRAY computes it for 8-bit input: fixed point with 14
 * fractional bits (0.299, 0.587, 0.114 → 4899, 9617, 1868, which sum to 2^14) and rounding half up.
 */
export function toGray(rgb: Uint8Array, width: number, height: number): Uint8Array {
  checkImage(rgb, width, height, 3);
  const gray = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < gray.length; i++, j += 3) {
    gray[i] = (rgb[j]! * 4899 + rgb[j + 1]! * 9617 + rgb[j + 2]! * 1868 + 8192) >> 14;
  }
  return gray;
}

/**
 * The edge map as ControlNet's `controlnet_cond`: float32 [1, 3, H, W] in 0..1, the same plane in
 * all three channels (the reference stacks the one-channel map three times, then divides by 255).
 */
export function edgeMapToControlImage(edges: Uint8Array, width: number, height: number): Float32Array {
  checkImage(edges, width, height, 1);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) out[i] = edges[i]! / 255;
  out.copyWithin(plane, 0, plane);
  out.copyWithin(2 * plane, 0, plane);
  return out;
}

/** The edge map as a one-channel PNG (white edges on black, as the reference shows it), for the preview. */
export async function edgeMapToPng(edges: Uint8Array, width: number, height: number): Promise<Buffer> {
  checkImage(edges, width, height, 1);
  // Without the explicit colourspace sharp would widen the one channel to sRGB (three times the bytes).
  return sharp(edges, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

export interface PhotoEdges {
  /** 0/255 edge map, `width * height` bytes. */
  edges: Uint8Array;
  /** The decoded RGB the edges were found on (interleaved), e.g. to show side by side or for img2img. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes a photo and runs Canny on it at the generation size. Decoding lives here, not with the
 * caller, because how the photo is brought to pixels is part of matching the reference: upright
 * (EXIF orientation applied, as the person sees it), alpha flattened on white (ControlNet's HWC3
 * does the same), 8-bit sRGB, and resized *before* detection so the edges are one pixel thick at
 * the size the model sees (resizing an edge map afterwards smears or drops them). The caller picks
 * `width` × `height` (multiples of 8 for SD, with the photo's aspect); see decodePhotoAt.
 */
export async function cannyFromPhoto(input: Buffer | string, width: number, height: number, options: CannyOptions = CANNY_DEFAULTS): Promise<PhotoEdges> {
  checkSize(width, height);
  checkOptions(options);
  const { data } = await decodePhotoAt(input, width, height);
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { edges: cannyRgb(pixels, width, height, options), rgb: pixels, width, height };
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`canny: image size must be positive integers, got ${width}x${height}`);
  }
}

function checkImage(pixels: Uint8Array, width: number, height: number, channels: number): void {
  checkSize(width, height);
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`canny: expected ${width}x${height}x${channels} = ${width * height * channels} bytes, got ${pixels.length}`);
  }
}

function checkOptions({ low, high, blurSigma = 0 }: CannyOptions): void {
  if (!Number.isFinite(low) || !Number.isFinite(high) || low < 0 || high < 0) {
    throw new RangeError(`canny: thresholds must be finite and non-negative, got low ${low}, high ${high}`);
  }
  // OpenCV silently swaps them; here a swapped pair is far more likely a typo on the command line
  // than a wish, and swapping would hide it.
  if (low > high) throw new RangeError(`canny: the low threshold (${low}) must not exceed the high threshold (${high})`);
  if (!Number.isFinite(blurSigma) || blurSigma < 0) throw new RangeError(`canny: blurSigma must be a finite number >= 0, got ${blurSigma}`);
}

// Map states, as in OpenCV: 1 can never be an edge, 0 is a candidate (above low, a local
// maximum), 2 is an edge. The map has a one-pixel frame of 1 so the 8 neighbours of any image
// pixel can be read without bounds checks.
const NOT_EDGE = 1;
const CANDIDATE = 0;
const EDGE = 2;

/** tan(22.5°) in 15-bit fixed point: the sector test stays in integers, as OpenCV's does. */
const TAN22_Q15 = 13573;

function detect(pixels: Uint8Array, width: number, height: number, channels: number, options: CannyOptions): Uint8Array {
  checkImage(pixels, width, height, channels);
  checkOptions(options);
  const low = Math.floor(options.low);
  const high = Math.floor(options.high);
  const source = options.blurSigma ? gaussianBlur(pixels, width, height, channels, options.blurSigma) : pixels;
  const { magnitude, gx, gy } = sobel(source, width, height, channels);
  const stride = width + 2;
  const map = new Uint8Array(stride * (height + 2)).fill(NOT_EDGE);
  // Each pixel is pushed at most once (it is marked EDGE when pushed), so this never overflows.
  const stack = new Int32Array(width * height);
  let top = 0;

  // Non-maximum suppression and the double threshold in one pass. `magnitude` is padded the same
  // way as `map` (a frame of zeros), so index p addresses both.
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width, p = (y + 1) * stride + 1; x < width; x++, i++, p++) {
      const m = magnitude[p]!;
      if (m <= low) continue;
      const dx = gx[i]!;
      const dy = gy[i]!;
      const ax = Math.abs(dx) * TAN22_Q15;
      const ay = Math.abs(dy) * 32768;
      let before: number;
      let after: number;
      let strictAfter = false;
      if (ay < ax) {
        // Gradient within 22.5° of horizontal: the edge runs vertically, compare left and right.
        before = magnitude[p - 1]!;
        after = magnitude[p + 1]!;
      } else if (ay > ax + Math.abs(dx) * 65536) {
        // Within 22.5° of vertical (tan 67.5° = tan 22.5° + 2): compare above and below.
        before = magnitude[p - stride]!;
        after = magnitude[p + stride]!;
      } else {
        // Diagonal: same signs means the gradient points down-right (y grows downwards), so
        // the neighbours across the edge are up-left and down-right; otherwise up-right and down-left.
        const s = (dx < 0) !== (dy < 0) ? -1 : 1;
        before = magnitude[p - stride - s]!;
        after = magnitude[p + stride + s]!;
        strictAfter = true;
      }
      if (m <= before || m < after || (strictAfter && m === after)) continue;
      if (m > high) {
        map[p] = EDGE;
        stack[top++] = p;
      } else {
        map[p] = CANDIDATE;
      }
    }
  }

  // Hysteresis: grow every seed through 8-connected candidates. An explicit stack, because a long
  // contour would overflow the call stack as recursion.
  const neighbours = [-stride - 1, -stride, -stride + 1, -1, 1, stride - 1, stride, stride + 1];
  while (top > 0) {
    const p = stack[--top]!;
    for (const offset of neighbours) {
      const q = p + offset;
      if (map[q] === CANDIDATE) {
        map[q] = EDGE;
        stack[top++] = q;
      }
    }
  }

  const edges = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width, p = (y + 1) * stride + 1; x < width; x++, i++, p++) {
      if (map[p] === EDGE) edges[i] = 255;
    }
  }
  return edges;
}

/**
 * 3×3 Sobel with the border replicated (OpenCV's choice for Canny), reduced to one gradient per
 * pixel: the L1 magnitude in a zero-framed (width+2)×(height+2) array, and gx/gy unpadded.
 */
function sobel(pixels: Uint8Array, width: number, height: number, channels: number): { magnitude: Int32Array; gx: Int16Array; gy: Int16Array } {
  const stride = width + 2;
  const magnitude = new Int32Array(stride * (height + 2));
  const gx = new Int16Array(width * height);
  const gy = new Int16Array(width * height);
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    const above = Math.max(y - 1, 0) * row;
    const here = y * row;
    const below = Math.min(y + 1, height - 1) * row;
    for (let x = 0; x < width; x++) {
      const left = Math.max(x - 1, 0) * channels;
      const centre = x * channels;
      const right = Math.min(x + 1, width - 1) * channels;
      let best = -1;
      let bestX = 0;
      let bestY = 0;
      for (let c = 0; c < channels; c++) {
        const tl = pixels[above + left + c]!;
        const tc = pixels[above + centre + c]!;
        const tr = pixels[above + right + c]!;
        const ml = pixels[here + left + c]!;
        const mr = pixels[here + right + c]!;
        const bl = pixels[below + left + c]!;
        const bc = pixels[below + centre + c]!;
        const br = pixels[below + right + c]!;
        const sx = tr - tl + 2 * (mr - ml) + br - bl;
        const sy = bl - tl + 2 * (bc - tc) + br - tr;
        const m = Math.abs(sx) + Math.abs(sy);
        // Strictly greater: on a tie the earlier channel wins, as in OpenCV.
        if (m > best) {
          best = m;
          bestX = sx;
          bestY = sy;
        }
      }
      magnitude[(y + 1) * stride + x + 1] = best;
      gx[y * width + x] = bestX;
      gy[y * width + x] = bestY;
    }
  }
  return { magnitude, gx, gy };
}

/**
 * Separable Gaussian blur per channel, rounded back to 8 bits: the same image a caller would get
 * from `cv2.GaussianBlur(img, (0, 0), sigma)` before `cv2.Canny` (kernel size round(6σ + 1) made
 * odd, as OpenCV picks it for 8-bit images; mirrored border without repeating the edge pixel,
 * OpenCV's default), so thresholds keep their meaning on 0..255 differences. Values may differ
 * from OpenCV's fixed-point filter by one level.
 */
export function gaussianBlur(pixels: Uint8Array, width: number, height: number, channels: number, sigma: number): Uint8Array {
  checkImage(pixels, width, height, channels);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`canny: blur sigma must be > 0, got ${sigma}`);
  const radius = (Math.round(sigma * 6 + 1) | 1) >> 1;
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
    sum += kernel[k + radius]!;
  }
  for (let k = 0; k < kernel.length; k++) kernel[k]! /= sum;

  // Source index for each tap position, with the border mirrored (…2 1 | 0 1 2 … n-1 | n-2 …).
  const mirror = (n: number): Int32Array => {
    const at = new Int32Array(n + 2 * radius);
    // A one-pixel-wide image mirrors onto itself: every tap reads index 0 (the zero fill).
    if (n === 1) return at;
    for (let i = -radius; i < n + radius; i++) {
      let j = i;
      // A loop, not one reflection, for images narrower than the kernel.
      while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
      at[i + radius] = j;
    }
    return at;
  };
  const columns = mirror(width);
  const rows = mirror(height);

  const horizontal = new Float32Array(pixels.length);
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < kernel.length; k++) acc += kernel[k]! * pixels[y * row + columns[x + k]! * channels + c]!;
        horizontal[y * row + x * channels + c] = acc;
      }
    }
  }
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < row; i++) {
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) acc += kernel[k]! * horizontal[rows[y + k]! * row + i]!;
      out[y * row + i] = Math.round(acc);
    }
  }
  return out;
}
