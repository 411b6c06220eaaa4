import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { PhotoReadError } from '../../main/engine/decode-errors.js';
import {
  CANNY_DEFAULTS,
  canny,
  cannyFromPhoto,
  cannyRgb,
  edgeMapToControlImage,
  edgeMapToPng,
  gaussianBlur,
  toGray,
} from '../../main/engine/diffusion/canny.js';
import { mulberry32 } from '../../main/engine/random.js';

// Synthetic images whose edges are known exactly. Expected positions follow from the convention
// canny.ts documents (OpenCV's): on a step between columns k-1 and k, both columns get the same
// Sobel magnitude, and non-maximum suppression keeps the first of the two (`>` before, `>=` after),
// so a step from dark to bright (left to right, or top to bottom) is marked on its dark side and a
// step from bright to dark on its bright side.

const THRESHOLDS = { low: 100, high: 200 };

/** A grey image from a function of (x, y). */
function image(width: number, height: number, value: (x: number, y: number) => number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = value(x, y);
  return pixels;
}

function edgePixels(edges: Uint8Array, width: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  edges.forEach((v, i) => {
    if (v === 255) out.push([i % width, Math.floor(i / width)]);
    else assert.equal(v, 0, 'edge maps hold only 0 and 255');
  });
  return out;
}

/** The columns with an edge in row y. */
const edgesInRow = (edges: Uint8Array, width: number, y: number) => [...edges.subarray(y * width, (y + 1) * width).keys()].filter((x) => edges[y * width + x] === 255);

/**
 * Whether the edges enclose (x, y): a 4-connected flood fill over non-edge pixels from the image
 * corner must not reach it. 8-connected edge pixels stop a 4-connected fill, so this is the
 * "closed contour" test.
 */
function enclosed(edges: Uint8Array, width: number, height: number, x: number, y: number): boolean {
  const seen = new Uint8Array(width * height);
  const stack = [0];
  seen[0] = 1;
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (p === y * width + x) return false;
    const px = p % width;
    for (const q of [px > 0 ? p - 1 : -1, px < width - 1 ? p + 1 : -1, p - width, p + width]) {
      if (q >= 0 && q < width * height && !seen[q] && edges[q] === 0) {
        seen[q] = 1;
        stack.push(q);
      }
    }
  }
  return true;
}

/** A standard normal sample (Box–Muller) from a uniform generator. */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

describe('canny: geometry on synthetic shapes', () => {
  // A 24×24 white square at x, y ∈ [20, 44) on black in 64×64.
  const W = 64;
  const square = image(W, W, (x, y) => (x >= 20 && x < 44 && y >= 20 && y < 44 ? 255 : 0));

  it('marks a filled square exactly on its border, one pixel thick, closed, nowhere else', () => {
    const edges = canny(square, W, W, THRESHOLDS);
    const pixels = edgePixels(edges, W);
    // Left and top steps go dark→bright (marked at 19), right and bottom bright→dark (marked at
    // 43); at the corners the contour may cut one pixel inside (the diagonal gradient there).
    const near = (v: number, line: number) => Math.abs(v - line) <= 1;
    for (const [x, y] of pixels) {
      const onSide = (x === 19 || x === 43) && y >= 19 && y <= 43;
      const onTopOrBottom = (y === 19 || y === 43) && x >= 19 && x <= 43;
      const atCorner = (near(x, 19.5) || near(x, 43.5)) && (near(y, 19.5) || near(y, 43.5));
      assert.ok(onSide || onTopOrBottom || atCorner, `edge at (${x}, ${y}) is off the square's border`);
    }
    // Every row through the square's middle crosses the contour exactly twice: thin, and no gaps.
    for (let y = 21; y <= 42; y++) assert.deepEqual(edgesInRow(edges, W, y), [19, 43], `row ${y}`);
    for (let x = 21; x <= 42; x++) {
      const column = pixels.filter(([px]) => px === x).map(([, py]) => py);
      assert.deepEqual(column, [19, 43], `column ${x}`);
    }
    assert.ok(enclosed(edges, W, W, 32, 32), 'the contour is closed');
    assert.ok(pixels.length <= 4 * 25, `${pixels.length} edge pixels for a 4×25 border`);
  });

  it('finds a disc: every edge pixel within 1 px of the radius, and the contour closed', () => {
    const radius = 20;
    const centre = 31.5;
    // Antialiased by 4×4 supersampling, as a rendered or photographed circle is.
    const disc = image(W, W, (x, y) => {
      let inside = 0;
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < 4; b++) inside += Math.hypot(x - 0.375 + a / 4 - centre, y - 0.375 + b / 4 - centre) <= radius ? 1 : 0;
      }
      return Math.round((255 * inside) / 16);
    });
    const edges = canny(disc, W, W, THRESHOLDS);
    const pixels = edgePixels(edges, W);
    for (const [x, y] of pixels) {
      const off = Math.abs(Math.hypot(x - centre, y - centre) - radius);
      assert.ok(off <= 1, `edge at (${x}, ${y}) is ${off.toFixed(2)} px from the circle`);
    }
    // Roughly the circumference (2πr ≈ 126) — thin, not a band.
    assert.ok(pixels.length > 110 && pixels.length < 160, `${pixels.length} edge pixels`);
    // Every direction has an edge pixel near the circle there: no gaps.
    for (let degree = 0; degree < 360; degree += 2) {
      const t = (degree * Math.PI) / 180;
      const px = centre + radius * Math.cos(t);
      const py = centre + radius * Math.sin(t);
      assert.ok(pixels.some(([x, y]) => Math.hypot(x - px, y - py) <= 1.5), `gap at ${degree}°`);
    }
    assert.ok(enclosed(edges, W, W, 32, 32), 'the contour is closed');
  });

  it('finds no edges in soft gradients below the low threshold', () => {
    // A ramp of 12 levels a pixel: Sobel gives 2·12·(1+2+1) = 96 ≤ 100 everywhere.
    const ramp = image(W, W, (x) => Math.min(255, x * 12));
    assert.equal(edgePixels(canny(ramp, W, W, THRESHOLDS), W).length, 0);
    // A smooth radial vignette, steepest at the corners (about 4.2 levels a pixel).
    const vignette = image(W, W, (x, y) => Math.round(255 - Math.hypot(x - 32, y - 32) * 5.6));
    assert.equal(edgePixels(canny(vignette, W, W, THRESHOLDS), W).length, 0);
  });

  it('suppresses ramps as OpenCV does: the first pixel of a horizontal plateau, nothing of a diagonal one', () => {
    // 30 levels a pixel up to 255: magnitude 4·60 = 240 on x = 1..7 (120 at x = 0, where the
    // border is replicated; 180 at x = 8). Along the gradient, x = 1 is > its left and >= its
    // right neighbour, so it alone is kept; x = 2..7 are not above their left neighbour.
    const horizontal = canny(image(24, 6, (x) => Math.min(255, 30 * x)), 24, 6, THRESHOLDS);
    for (let y = 0; y < 6; y++) assert.deepEqual(edgesInRow(horizontal, 24, y), [1], `row ${y}`);
    // The same ramp at 45° (15 levels per step of x + y: gx = gy = 8·15, magnitude 240). On
    // diagonals OpenCV wants both neighbours strictly below, so an equal plateau keeps nothing.
    // (Where the replicated border meets the ramp, magnitudes differ: only the interior is checked.)
    const diagonal = canny(image(32, 32, (x, y) => Math.min(255, 15 * Math.max(0, x + y - 16))), 32, 32, THRESHOLDS);
    const interior = edgePixels(diagonal, 32).filter(([x, y]) => x >= 2 && x <= 29 && y >= 2 && y <= 29);
    assert.deepEqual(interior, []);
  });

  it('runs on tiny and one-pixel images without reading outside them', () => {
    assert.deepEqual([...canny(new Uint8Array([0]), 1, 1, THRESHOLDS)], [0]);
    assert.deepEqual([...canny(new Uint8Array([0, 255]), 2, 1, THRESHOLDS)], [255, 0]);
    assert.deepEqual([...canny(new Uint8Array([0, 255, 0]), 1, 3, { ...THRESHOLDS, blurSigma: 2 })].length, 3);
  });
});

describe('canny: thresholds as cv2.Canny(image, 100, 200)', () => {
  const W = 16;
  const H = 8;
  /** A vertical step at x = 8 from 0 to `v`: Sobel gx = v·(1 + 2 + 1) = 4v on columns 7 and 8, gy = 0. */
  const step = (v: number) => image(W, H, (x) => (x >= 8 ? v : 0));

  it('compares |gx| + |gy| with strict inequalities on floored thresholds (hand-derived)', () => {
    // v = 51: magnitude 204 > 200, a seed. NMS keeps column 7 (204 > 0 left, 204 >= 204 right).
    const edges = canny(step(51), W, H, THRESHOLDS);
    for (let y = 0; y < H; y++) assert.deepEqual(edgesInRow(edges, W, y), [7], `row ${y}`);
    // v = 50: magnitude exactly 200 is not above high, so nothing seeds.
    assert.equal(edgePixels(canny(step(50), W, H, THRESHOLDS), W).length, 0);
    // Thresholds are floored as OpenCV's cvFloor does: 203.99 acts as 203 (204 > 203), 204 drops it.
    assert.equal(edgePixels(canny(step(51), W, H, { low: 100, high: 203.99 }), W).length, H);
    assert.equal(edgePixels(canny(step(51), W, H, { low: 100, high: 204 }), W).length, 0);
  });

  it('uses the L1 magnitude (L2gradient=false), not the Euclidean one', () => {
    // A 45° step (bright where x + y >= 24) of contrast v: on the two diagonals next to it three of
    // the eight neighbours differ, and gx = gy = 3v (hand-computed), so |gx| + |gy| = 6v while
    // the L2 magnitude would be 3√2·v ≈ 4.24v.
    const diagonal = (v: number) => image(24, 24, (x, y) => (x + y >= 24 ? v : 0));
    // v = 34: L1 204 > 200 (edges), though L2 ≈ 144 would not even pass low.
    const edges = edgePixels(canny(diagonal(34), 24, 24, THRESHOLDS), 24);
    assert.ok(edges.length >= 20, `${edges.length} edge pixels`);
    // Both diagonals touching the step are local maxima across it (their outer neighbours have 2v
    // and 0), so the edge is a 4-connected staircase on x + y ∈ {23, 24}.
    for (const [x, y] of edges) assert.ok(x + y === 23 || x + y === 24, `edge at (${x}, ${y})`);
    // v = 33: L1 198, not above 200.
    assert.equal(edgePixels(canny(diagonal(33), 24, 24, THRESHOLDS), 24).length, 0);
  });

  it('hysteresis keeps a weak edge connected to a strong one', () => {
    // Left of x = 24 black; right of it 51 above y = 24 (magnitude 204: strong) and 26 below
    // (104: above low only). The 51→26 step inside is 4·25 = 100, not above low.
    const edges = canny(image(48, 48, (x, y) => (x < 24 ? 0 : y < 24 ? 51 : 26)), 48, 48, THRESHOLDS);
    for (let y = 0; y < 48; y++) {
      // One pixel a row, in column 23; where contrast changes (rows 22..25) it may step aside by one,
      // staying 8-connected.
      const columns = edgesInRow(edges, 48, y);
      if (Math.abs(y - 23.5) <= 2) assert.ok(columns.length === 1 && Math.abs(columns[0]! - 23) <= 1, `row ${y}: ${columns}`);
      else assert.deepEqual(columns, [23], `row ${y}`);
    }
    // At exactly low (a 25 step: 100, not above 100) the weak part is not even a candidate.
    const atLow = canny(image(48, 48, (x, y) => (x < 24 ? 0 : y < 24 ? 51 : 25)), 48, 48, THRESHOLDS);
    for (let y = 28; y < 48; y++) assert.deepEqual(edgesInRow(atLow, 48, y), [], `row ${y}`);
  });

  it('hysteresis drops a weak edge that touches no strong one', () => {
    // A strong block (51) in rows 0..19 and a weak block (26) in rows 28..47, both right of
    // x = 24, with flat black rows between: the weak block's edges are 7 rows from the strong ones.
    const edges = canny(image(48, 48, (x, y) => (x < 24 ? 0 : y < 20 ? 51 : y >= 28 ? 26 : 0)), 48, 48, THRESHOLDS);
    for (let y = 0; y < 19; y++) assert.ok(edges[y * 48 + 23] === 255, `strong column broken at row ${y}`);
    for (let y = 24; y < 48; y++) assert.deepEqual(edgesInRow(edges, 48, y), [], `weak edge kept in row ${y}`);
    // Lowering high below 104 makes the same weak block a seed of its own: the check can fail.
    const seeded = canny(image(48, 48, (x, y) => (x < 24 ? 0 : y < 20 ? 51 : y >= 28 ? 26 : 0)), 48, 48, { low: 100, high: 103 });
    assert.ok(seeded[40 * 48 + 23] === 255);
  });

  it('refuses bad thresholds and sizes with a clear error', () => {
    const gray = step(51);
    assert.throws(() => canny(gray, W, H, { low: 200, high: 100 }), { name: 'RangeError', message: /low threshold \(200\) must not exceed the high threshold \(100\)/ });
    assert.throws(() => canny(gray, W, H, { low: -1, high: 100 }), /non-negative/);
    assert.throws(() => canny(gray, W, H, { low: Number.NaN, high: 100 }), /finite/);
    assert.throws(() => canny(gray, W, H, { ...THRESHOLDS, blurSigma: -1 }), /blurSigma/);
    assert.throws(() => canny(gray, W + 1, H, THRESHOLDS), /expected 17x8x1 = 136 bytes, got 128/);
    assert.throws(() => cannyRgb(gray, W, H, THRESHOLDS), /expected 16x8x3/);
    assert.throws(() => canny(gray, 0, H, THRESHOLDS), /positive integers/);
    // Equal thresholds are fine (a plain threshold with no hysteresis band).
    assert.equal(edgePixels(canny(gray, W, H, { low: 150, high: 150 }), W).length, H);
  });
});

describe('canny: colour, blur and noise', () => {
  it('converts RGB to grey as OpenCV (BT.601, 14-bit fixed point, rounded)', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 1, 1, 1, 10, 110, 210]);
    // 255·4899/16384 = 76.25 → 76; 255·9617/16384 = 149.68 → 150; 255·1868/16384 = 29.07 → 29.
    // The last: 0.299·10 + 0.587·110 + 0.114·210 = 91.4999… in floating point, which rounds to 91,
    // but OpenCV's integers give (48990 + 1057870 + 392280 + 8192) >> 14 = 1507332 / 16384 = 92.0 → 92.
    assert.deepEqual([...toGray(rgb, 6, 1)], [76, 150, 29, 255, 1, 92]);
  });

  it('on colour finds edges between colours of equal luma, as cv2.Canny on RGB does', () => {
    // Red (255, 0, 0) and grey (76, 76, 76) both have luma 76: grey conversion erases the edge;
    // the per-channel maximum (red channel: 179·4 = 716) keeps it.
    const W = 32;
    const rgb = new Uint8Array(W * W * 3);
    for (let i = 0; i < W * W; i++) rgb.set(i % W < 16 ? [255, 0, 0] : [76, 76, 76], i * 3);
    assert.equal(edgePixels(canny(toGray(rgb, W, W), W, W, THRESHOLDS), W).length, 0);
    const edges = cannyRgb(rgb, W, W, THRESHOLDS);
    for (let y = 0; y < W; y++) assert.deepEqual(edgesInRow(edges, W, y), [15], `row ${y}`);
  });

  it('on colour takes, per pixel, the channel whose gradient is largest', () => {
    // Black to (10, 0, 200): red alone changes by 10 (magnitude 40, nothing), luma by 26 (104,
    // weak only), blue by 200 (800): only the strongest channel makes it an edge.
    const W = 16;
    const rgb = new Uint8Array(W * W * 3);
    for (let i = 0; i < W * W; i++) if (i % W >= 8) rgb.set([10, 0, 200], i * 3);
    assert.equal(edgePixels(canny(toGray(rgb, W, W), W, W, THRESHOLDS), W).length, 0);
    const edges = cannyRgb(rgb, W, W, THRESHOLDS);
    for (let y = 0; y < W; y++) assert.deepEqual(edgesInRow(edges, W, y), [7], `row ${y}`);
  });

  it('blur: keeps a flat image flat, preserves the mean, and spreads a step', () => {
    const flat = new Uint8Array(20 * 10).fill(77);
    assert.deepEqual(gaussianBlur(flat, 20, 10, 1, 2), flat);
    const step = image(20, 1, (x) => (x >= 10 ? 200 : 0));
    const blurred = gaussianBlur(step, 20, 1, 1, 1);
    // Symmetric around the step and monotonic: 0 far left, 200 far right.
    assert.equal(blurred[0], 0);
    assert.equal(blurred[19], 200);
    for (let x = 1; x < 20; x++) assert.ok(blurred[x]! >= blurred[x - 1]!);
    assert.equal(blurred[9]! + blurred[10]!, 200);
    assert.ok(blurred[9]! > 40 && blurred[9]! < 100, `${blurred[9]}`);
  });

  it('with blur on, noise stops drawing edges while the shape keeps its outline', () => {
    // A mid-grey square (180) on 70, with Gaussian noise of σ = 20 levels (high-ISO grain).
    const W = 64;
    const random = mulberry32(7);
    const noisy = image(W, W, (x, y) => {
      const base = x >= 20 && x < 44 && y >= 20 && y < 44 ? 180 : 70;
      return Math.max(0, Math.min(255, Math.round(base + 20 * gaussian(random))));
    });
    // "Near the outline": within 2 px of the square's border lines (19.5 and 43.5).
    const nearOutline = (x: number, y: number) =>
      Math.min(...[x - 19.5, x - 43.5, y - 19.5, y - 43.5].map(Math.abs)) <= 2 && x >= 17 && x <= 46 && y >= 17 && y <= 46;
    const stray = (edges: Uint8Array) => edgePixels(edges, W).filter(([x, y]) => !nearOutline(x, y)).length;

    const raw = canny(noisy, W, W, THRESHOLDS);
    const smooth = canny(noisy, W, W, { ...THRESHOLDS, blurSigma: 1.5 });
    assert.ok(stray(raw) > 300, `without blur noise draws edges: ${stray(raw)} stray pixels`);
    assert.ok(stray(smooth) <= 5, `with blur: ${stray(smooth)} stray pixels`);
    // The outline survives the blur: each side position has an edge within 1.5 px of the border.
    const pixels = edgePixels(smooth, W);
    for (let t = 22; t <= 41; t++) {
      for (const [bx, by] of [[19.5, t], [43.5, t], [t, 19.5], [t, 43.5]] as const) {
        assert.ok(pixels.some(([x, y]) => Math.hypot(x - bx, y - by) <= 1.5), `outline gap near (${bx}, ${by})`);
      }
    }
    assert.ok(enclosed(smooth, W, W, 32, 32), 'the blurred square is still closed');
  });

  it('defaults to the reference: 100/200 and no blur', () => {
    assert.deepEqual({ ...CANNY_DEFAULTS }, { low: 100, high: 200, blurSigma: 0 });
  });
});

describe('canny: output for ControlNet and the preview', () => {
  const W = 5;
  const H = 3;
  const edges = new Uint8Array(W * H);
  edges[1 * W + 3] = 255; // (3, 1)
  edges[2 * W + 0] = 255; // (0, 2)

  it('makes controlnet_cond: float32 [1, 3, H, W] in 0..1, one plane thrice', () => {
    const control = edgeMapToControlImage(edges, W, H);
    assert.ok(control instanceof Float32Array);
    assert.equal(control.length, 3 * H * W);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const expected = (x === 3 && y === 1) || (x === 0 && y === 2) ? 1 : 0;
          assert.equal(control[c * H * W + y * W + x], expected, `c${c} (${x}, ${y})`);
        }
      }
    }
  });

  it('writes the preview as a lossless one-channel PNG', async () => {
    const png = await edgeMapToPng(edges, W, H);
    const metadata = await sharp(png).metadata();
    assert.deepEqual([metadata.format, metadata.width, metadata.height, metadata.channels], ['png', W, H, 1]);
    const data = await sharp(png).extractChannel(0).raw().toBuffer();
    assert.deepEqual([...data], [...edges]);
  });
});

describe('cannyFromPhoto', () => {
  // What the person sees: 40 wide × 60 tall, white rectangle at x ∈ [8, 24), y ∈ [10, 30).
  const W = 40;
  const H = 60;
  const upright = image(W, H, (x, y) => (x >= 8 && x < 24 && y >= 10 && y < 30 ? 255 : 0));

  it('applies the EXIF orientation before detecting', async () => {
    // Stored turned a quarter to the left with orientation 6 ("rotate 90° clockwise to view").
    const stored = await sharp(upright, { raw: { width: W, height: H, channels: 1 } })
      .rotate(270)
      .toColourspace('srgb')
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    assert.equal((await sharp(stored).metadata()).width, H, 'stored sideways');
    const result = await cannyFromPhoto(stored, W, H, CANNY_DEFAULTS);
    assert.deepEqual([result.width, result.height, result.rgb.length, result.edges.length], [W, H, W * H * 3, W * H]);
    assert.deepEqual(result.edges, canny(upright, W, H, CANNY_DEFAULTS));
    assert.deepEqual(toGray(result.rgb, W, H), upright);
  });

  it('resizes to the generation size before detecting, so edges stay one pixel thick', async () => {
    const big = await sharp(upright, { raw: { width: W, height: H, channels: 1 } })
      .resize({ width: W * 4, height: H * 4, kernel: 'nearest' })
      .png()
      .toBuffer();
    const { edges } = await cannyFromPhoto(big, W, H, CANNY_DEFAULTS);
    // The resampling filter rings a little, so allow the step's other side (8, 22) too.
    for (let y = 12; y <= 27; y++) {
      const columns = edgesInRow(edges, W, y);
      assert.ok(columns.length === 2 && Math.abs(columns[0]! - 7.5) <= 0.5 && Math.abs(columns[1]! - 22.5) <= 0.5, `row ${y}: ${columns}`);
    }
    assert.ok(enclosed(edges, W, H, 16, 20));
  });

  it('reports an unreadable photo as PhotoReadError', async () => {
    await assert.rejects(cannyFromPhoto(Buffer.from('not an image'), W, H), PhotoReadError);
    await assert.rejects(cannyFromPhoto(Buffer.alloc(0), 0, H), /positive integers/);
  });
});
