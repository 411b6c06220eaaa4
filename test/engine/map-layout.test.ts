import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutEmbeddings } from '../../main/engine/service/map-layout.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * The library map on a small library: 8 groups of 2 look-alike photos (unit vectors near 8
 * random directions, as CLIP gives for 8 subjects), inserted in different orders. Each layout
 * must keep the look-alikes together, whatever the order the photos were added in.
 */
describe('library map layout', () => {
  const dim = 64;
  const random = mulberry32(5);
  const gaussian = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
  const unit = (values: number[]) => {
    const norm = Math.hypot(...values);
    return values.map((value) => value / norm);
  };
  const centres = Array.from({ length: 8 }, () => unit(Array.from({ length: dim }, gaussian)));
  const photos = centres.flatMap((centre, group) => [1, 2].map(() => ({ group, vector: unit(centre.map((value) => value + 0.08 * gaussian())) })));

  it('keeps look-alike photos together in every insertion order', () => {
    for (let trial = 0; trial < 12; trial++) {
      const order = photos.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const vectors = new Float32Array(order.flatMap((i) => photos[i]!.vector));
      const points = layoutEmbeddings(order.map((i) => i + 1), vectors, dim);
      let within = 0;
      let between = 0;
      let nWithin = 0;
      let nBetween = 0;
      for (const a of points) {
        for (const b of points) {
          if (a.id >= b.id) continue;
          const d = Math.hypot(a.x - b.x, a.y - b.y);
          if (photos[a.id - 1]!.group === photos[b.id - 1]!.group) [within, nWithin] = [within + d, nWithin + 1];
          else [between, nBetween] = [between + d, nBetween + 1];
        }
      }
      const ratio = within / nWithin / (between / nBetween);
      assert.ok(ratio < 0.5, `order ${trial}: look-alikes at ${ratio.toFixed(2)} of the others' distance`);
    }
  });
});
