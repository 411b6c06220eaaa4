import { describe, expect, it } from 'vitest';
import { baseSquare, fitView, hitTest, nearest, toScreen, zoomAt } from './map-view.js';

const frame = { width: 800, height: 600, padding: 50 };

describe('map view', () => {
  it('fits the unit square centred in the frame', () => {
    expect(baseSquare(frame)).toEqual({ ox: 150, oy: 50, size: 500 });
    expect(toScreen(fitView, frame, 0.5, 0.5)).toEqual([400, 300]);
  });

  it('zooming keeps the point under the cursor still', () => {
    const before = toScreen(fitView, frame, 0.2, 0.7);
    const zoomed = zoomAt(fitView, 3, before[0], before[1]);
    const after = toScreen(zoomed, frame, 0.2, 0.7);
    expect(after[0]).toBeCloseTo(before[0]);
    expect(after[1]).toBeCloseTo(before[1]);
    expect(zoomed.k).toBe(3);
  });

  it('hit-tests the nearest point within the radius, and finds neighbourhoods nearest first', () => {
    const xs = new Float32Array([0.1, 0.5, 0.52, 0.95]);
    const ys = new Float32Array([0.1, 0.5, 0.5, 0.95]);
    const [sx, sy] = toScreen(fitView, frame, 0.52, 0.5);
    expect(hitTest(xs, ys, fitView, frame, sx + 1, sy, 6)).toBe(2);
    expect(hitTest(xs, ys, fitView, frame, 10, 590, 6)).toBe(-1);
    expect(nearest(xs, ys, 1, 3)).toEqual([1, 2, 0]);
  });
});
