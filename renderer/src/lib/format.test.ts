import { describe, expect, it } from 'vitest';
import { formatBytes } from './format.js';

describe('formatBytes', () => {
  it('says bytes in full and larger units short, in both languages', () => {
    expect(formatBytes('en', 704)).toBe('704 bytes');
    expect(formatBytes('en', 1_500_000)).toBe('1.5 MB');
    expect(formatBytes('en', 350_000_000)).toBe('350 MB');
    expect(formatBytes('zh-CN', 704)).toBe('704字节');
  });
});
