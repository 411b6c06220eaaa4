/**
 * The map's arithmetic, pure: points in [0, 1]² placed in a square that fits the canvas, then
 * scaled by k and shifted by (tx, ty). Zooming keeps the point under the cursor still.
 */

export interface MapView {
  k: number;
  tx: number;
  ty: number;
}

export interface MapFrame {
  width: number;
  height: number;
  padding: number;
}

export const fitView: MapView = { k: 1, tx: 0, ty: 0 };
export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 400;

/** The square the unit square is drawn into at k = 1. */
export function baseSquare(frame: MapFrame): { ox: number; oy: number; size: number } {
  const size = Math.max(1, Math.min(frame.width, frame.height) - frame.padding * 2);
  return { ox: (frame.width - size) / 2, oy: (frame.height - size) / 2, size };
}

export function toScreen(view: MapView, frame: MapFrame, x: number, y: number): [number, number] {
  const { ox, oy, size } = baseSquare(frame);
  return [(ox + x * size) * view.k + view.tx, (oy + y * size) * view.k + view.ty];
}

/** Zooms by `factor` around the screen point (mx, my). */
export function zoomAt(view: MapView, factor: number, mx: number, my: number): MapView {
  const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
  const applied = k / view.k;
  return { k, tx: mx - (mx - view.tx) * applied, ty: my - (my - view.ty) * applied };
}

export function panBy(view: MapView, dx: number, dy: number): MapView {
  return { k: view.k, tx: view.tx + dx, ty: view.ty + dy };
}

/** Index of the point nearest to (sx, sy) within `radius` screen px, or -1. */
export function hitTest(xs: Float32Array, ys: Float32Array, view: MapView, frame: MapFrame, sx: number, sy: number, radius: number): number {
  const { ox, oy, size } = baseSquare(frame);
  let best = -1;
  let bestDistance = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const dx = (ox + xs[i]! * size) * view.k + view.tx - sx;
    const dy = (oy + ys[i]! * size) * view.k + view.ty - sy;
    const distance = dx * dx + dy * dy;
    if (distance <= bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

/** The `count` points nearest to point `index` (itself first), for stepping through a neighbourhood in the viewer. */
export function nearest(xs: Float32Array, ys: Float32Array, index: number, count: number): number[] {
  const x = xs[index]!;
  const y = ys[index]!;
  const order = Array.from({ length: xs.length }, (_, i) => i);
  const distance = (i: number) => (xs[i]! - x) ** 2 + (ys[i]! - y) ** 2;
  const distances = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) distances[i] = distance(i);
  order.sort((a, b) => distances[a]! - distances[b]!);
  return order.slice(0, count);
}
