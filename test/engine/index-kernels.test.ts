import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { newKernels } from '../../main/engine/search/index/kernels.js';
import { assembleKernels, kernelsModule } from '../tools/build-kernels.js';
import { mulberry32 } from '../helpers/random.js';

describe('search index kernels', () => {
  it('are the committed binary of kernels.wat (run `npm run kernels` after editing it)', async () => {
    assert.equal(fs.readFileSync(kernelsModule, 'utf8'), await assembleKernels());
  });

  it('dots and fwht agree with plain JavaScript', () => {
    const rand = mulberry32(3);
    const dim = 64;
    const k = newKernels(1 << 16);
    const f32 = new Float32Array(k.memory.buffer);
    const rows = Float32Array.from({ length: 5 * dim }, () => rand() - 0.5);
    const q = Float32Array.from({ length: dim }, () => rand() - 0.5);
    f32.set(rows, 0);
    f32.set(q, 5 * dim);
    k.dots(0, 5, dim, 5 * dim * 4, 6 * dim * 4);
    for (let c = 0; c < 5; c++) {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += rows[c * dim + j]! * q[j]!;
      assert.ok(Math.abs(f32[6 * dim + c]! - sum) < 1e-5);
    }
    // Walsh-Hadamard: H[i][j] = (-1)^popcount(i & j).
    k.fwht(5 * dim * 4, dim);
    for (let i = 0; i < dim; i++) {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += ((bitCount(i & j) & 1) === 0 ? 1 : -1) * q[j]!;
      assert.ok(Math.abs(f32[5 * dim + i]! - sum) < 1e-4, `coefficient ${i}`);
    }
  });

  it('dotsInt8 scales each 8-bit record’s dot with the float query, records strided and unaligned', () => {
    const rand = mulberry32(5);
    const dim = 48;
    const stride = 56; // 4 + 48, padded to 8: rerank-file.ts's record
    const count = 7;
    const k = newKernels(1 << 16);
    const view = new DataView(k.memory.buffer);
    const recordsAt = 1028; // not 16-aligned: the values start at +4
    const qAt = 8192;
    const outAt = 12288;
    const q = Float32Array.from({ length: dim }, () => rand() - 0.5);
    new Float32Array(k.memory.buffer, qAt, dim).set(q);
    const expected: number[] = [];
    for (let c = 0; c < count; c++) {
      const scale = 0.001 + rand() * 0.01;
      view.setFloat32(recordsAt + c * stride, scale, true);
      let sum = 0;
      for (let j = 0; j < dim; j++) {
        const value = Math.floor(rand() * 255) - 127;
        view.setInt8(recordsAt + c * stride + 4 + j, value);
        sum += q[j]! * value;
      }
      expected.push(scale * sum);
    }
    k.dotsInt8(recordsAt, count, stride, dim, qAt, outAt);
    const out = new Float32Array(k.memory.buffer, outAt, count);
    for (let c = 0; c < count; c++) assert.ok(Math.abs(out[c]! - expected[c]!) < 1e-5 * (1 + Math.abs(expected[c]!)), `record ${c}: ${out[c]} vs ${expected[c]}`);
  });

  it('scan sums table entries per nibble, adds each slot’s width, and keeps the slots whose bound reaches the threshold', () => {
    const rand = mulberry32(4);
    const bytes = 4;
    const slots = 32;
    const k = newKernels(1 << 16);
    const u8 = new Uint8Array(k.memory.buffer);
    const codes = Uint8Array.from({ length: slots * bytes }, () => Math.floor(rand() * 256));
    const lut = Uint8Array.from({ length: bytes * 32 }, () => Math.floor(rand() * 128));
    const [codesAt, lutAt, clusterAt, cstAt, gainAt, widthAt, outSlots, outBounds] = [0, 1024, 2048, 3072, 4096, 6144, 8192, 12288];
    // Block layout: byte p of slot s at (s >> 4)·16·bytes + 16·p + (s & 15).
    for (let s = 0; s < slots; s++) for (let p = 0; p < bytes; p++) u8[codesAt + (s >> 4) * 16 * bytes + 16 * p + (s & 15)] = codes[s * bytes + p]!;
    u8.set(lut, lutAt);
    const clusters = new Uint16Array(k.memory.buffer, clusterAt, slots);
    const cst = new Float32Array(k.memory.buffer, cstAt, 2);
    const gains = new Float32Array(k.memory.buffer, gainAt, slots);
    const widths = new Uint8Array(k.memory.buffer, widthAt, slots);
    cst.set([0.5, -0.25]);
    for (let s = 0; s < slots; s++) {
      clusters[s] = s % 2;
      gains[s] = 0.5 + s / 64;
      widths[s] = (s * 37) % 256;
    }
    const expected = Array.from({ length: slots }, (_, s) => {
      let sum = 0;
      for (let p = 0; p < bytes; p++) {
        const byte = codes[s * bytes + p]!;
        sum += lut[p * 32 + (byte & 15)]! + lut[p * 32 + 16 + (byte >> 4)]!;
      }
      return cst[s % 2]! + gains[s]! * (sum * 0.01 + 0.1 + widths[s]! * 0.002);
    });
    const count = k.scan(codesAt, 0, 1, 2, bytes, lutAt, clusterAt, cstAt, gainAt, widthAt, 0.01, 0.1, 0.002, -Infinity, outSlots, outBounds, 64, 0);
    assert.equal(count, slots);
    const got = new Float32Array(k.memory.buffer, outBounds, slots);
    const gotSlots = new Int32Array(k.memory.buffer, outSlots, slots);
    for (let i = 0; i < slots; i++) assert.ok(Math.abs(got[i]! - expected[gotSlots[i]!]!) < 1e-4, `slot ${gotSlots[i]}`);
    const threshold = [...expected].sort((a, b) => b - a)[5]!;
    const kept = k.scan(codesAt, 0, 1, 2, bytes, lutAt, clusterAt, cstAt, gainAt, widthAt, 0.01, 0.1, 0.002, threshold, outSlots, outBounds, 64, 0);
    assert.equal(kept, expected.filter((bound) => bound >= threshold).length);
    // A filter (bit s & 7 of byte s >> 3): only its slots pass, in both halves of each byte.
    const filterAt = 14336;
    const allowed = [0, 3, 4, 7, 12, 17, 22, 31];
    const filter = new Uint8Array(k.memory.buffer, filterAt, 4);
    for (const s of allowed) filter[s >> 3]! |= 1 << (s & 7);
    const filtered = k.scan(codesAt, 0, 1, 2, bytes, lutAt, clusterAt, cstAt, gainAt, widthAt, 0.01, 0.1, 0.002, -Infinity, outSlots, outBounds, 64, filterAt);
    assert.equal(filtered, allowed.length);
    assert.deepEqual([...new Int32Array(k.memory.buffer, outSlots, filtered)].sort((a, b) => a - b), allowed);
  });
});

function bitCount(n: number): number {
  let count = 0;
  for (; n; n &= n - 1) count++;
  return count;
}
