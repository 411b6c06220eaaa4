/**
 * A cheap look at the latents while a run goes on: each latent cell's 4 channels projected to RGB
 * by a fixed linear map, so a preview costs a few thousand multiply-adds instead of a VAE decode.
 * The map is the approximation of SD 1.5's VAE decoder that UIs commonly use (a least-squares fit
 * of latent channels to decoded colours); it gives the layout and colours, blurry and at 1/8 size.
 */
const LATENT_TO_RGB: readonly (readonly [number, number, number])[] = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

export interface PreviewImage {
  /** RGB, 8-bit, row-major, at latent resolution. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

export function latentPreview(latents: Float32Array, shape: readonly number[]): PreviewImage {
  const [, channels, height, width] = shape as [number, number, number, number];
  const plane = height * width;
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      let value = 0;
      for (let k = 0; k < Math.min(channels, LATENT_TO_RGB.length); k++) value += latents[k * plane + p]! * LATENT_TO_RGB[k]![c]!;
      // The projection lands roughly in -1..1, like the decoder's output.
      rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round((value + 1) * 127.5)));
    }
  }
  return { rgb, width, height };
}
