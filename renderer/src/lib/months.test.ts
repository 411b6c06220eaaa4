import { describe, expect, it } from 'vitest';
import { formatMonth } from './format.js';
import { groupByMonth } from './months.js';

const at = (y: number, m: number, d = 15, h = 12) => Date.UTC(y, m, d, h);

describe('groupByMonth', () => {
  it('groups a newest-first timeline by UTC month, keeping the engine arrays when already in order', () => {
    const timeline = {
      ids: [9, 8, 7, 6, 5, 4],
      takenAt: [at(2024, 6, 31, 23), at(2024, 6, 1, 0), at(2024, 5, 30), at(2023, 11, 31), null, null],
      aspect: [1, 1, 1, 1, 1, 1],
    };
    const grouped = groupByMonth(timeline);
    expect(grouped.groups).toEqual([
      { year: 2024, month: 6, start: 0, count: 2 },
      { year: 2024, month: 5, start: 2, count: 1 },
      { year: 2023, month: 11, start: 3, count: 1 },
      { year: null, month: null, start: 4, count: 2 },
    ]);
    expect(grouped.ids).toBe(timeline.ids);
  });

  it('uses the camera wall clock (UTC), not the local zone: 23:30 on 31 July stays in July', () => {
    const grouped = groupByMonth({ ids: [1], takenAt: [Date.UTC(2024, 6, 31, 23, 30)], aspect: [1] });
    expect(grouped.groups[0]).toMatchObject({ year: 2024, month: 6 });
  });

  it('puts undated photos in one last "No date" group even when they come first or in the middle', () => {
    const timeline = {
      ids: [1, 2, 3, 4, 5],
      takenAt: [null, at(2024, 1), null, at(2024, 3), at(2024, 1, 2)],
      aspect: [1, 1, 1, 1, 1],
    };
    const grouped = groupByMonth(timeline);
    expect(grouped.groups.map((group) => [group.year, group.month, group.count])).toEqual([
      [2024, 3, 1],
      [2024, 1, 2],
      [null, null, 2],
    ]);
    // Stable within a group: the engine's order is kept.
    expect(Array.from(grouped.ids)).toEqual([4, 2, 5, 1, 3]);
    expect(Array.from(grouped.takenAt)).toEqual([at(2024, 3), at(2024, 1), at(2024, 1, 2), null, null]);
  });

  it('merges a month split into two runs', () => {
    const grouped = groupByMonth({ ids: [1, 2, 3], takenAt: [at(2024, 4), at(2024, 2), at(2024, 4, 1)], aspect: [1, 1, 1] });
    expect(grouped.groups.map((group) => group.count)).toEqual([2, 1]);
    expect(Array.from(grouped.ids)).toEqual([1, 3, 2]);
  });

  it('handles an empty library and a library with only undated photos', () => {
    expect(groupByMonth({ ids: [], takenAt: [], aspect: [] }).groups).toEqual([]);
    expect(groupByMonth({ ids: [1, 2], takenAt: [null, null], aspect: [1, 1] }).groups).toEqual([{ year: null, month: null, start: 0, count: 2 }]);
  });

  it('groups 100,000 photos quickly into one group per month', () => {
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => n - i);
    const start = Date.UTC(2024, 6, 1);
    const takenAt = ids.map((_, i) => start - i * 3_600_000);
    const began = performance.now();
    const grouped = groupByMonth({ ids, takenAt, aspect: ids.map(() => 1) });
    const took = performance.now() - began;
    expect(grouped.groups.reduce((sum, group) => sum + group.count, 0)).toBe(n);
    // 100,000 hours back from July 2024 is about 11.4 years: ~137 months.
    expect(grouped.groups.length).toBeGreaterThan(130);
    expect(grouped.groups.length).toBeLessThan(140);
    expect(took).toBeLessThan(100);
  });
});

describe('month labels', () => {
  it('reads "July 2024" in English and "2024年7月" in Chinese', () => {
    expect(formatMonth('en', 2024, 6)).toBe('July 2024');
    expect(formatMonth('zh-CN', 2024, 6)).toBe('2024年7月');
  });
});
