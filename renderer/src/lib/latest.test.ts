import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred } from '../test/fake-api.js';
import { LatestOnly } from './latest.js';

describe('LatestOnly (search as you type)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('debounces: typing "d", "do", "dog" quickly sends only "dog"', async () => {
    const run = vi.fn(async (query: string) => query.toUpperCase());
    const answers: string[] = [];
    const latest = new LatestOnly<string, string>({ run, delayMs: 200, onAnswer: (_q, answer) => answers.push(answer), onError: () => {} });
    latest.schedule('d');
    vi.advanceTimersByTime(100);
    latest.schedule('do');
    vi.advanceTimersByTime(100);
    latest.schedule('dog');
    vi.advanceTimersByTime(199);
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    await vi.runAllTimersAsync();
    expect(run.mock.calls.map((call) => call[0])).toEqual(['dog']);
    expect(answers).toEqual(['DOG']);
  });

  it('drops an answer that arrives after a newer request was made', async () => {
    const slow = deferred<string>();
    const fast = deferred<string>();
    const run = vi.fn((query: string) => (query === 'cat' ? slow.promise : fast.promise));
    const answers: string[] = [];
    const latest = new LatestOnly<string, string>({ run, delayMs: 200, onAnswer: (_q, answer) => answers.push(answer), onError: () => {} });
    latest.now('cat');
    latest.now('cats on a sofa');
    fast.resolve('sofa cats');
    await vi.runAllTimersAsync();
    slow.resolve('cat results');
    await vi.runAllTimersAsync();
    expect(answers).toEqual(['sofa cats']);
  });

  it('drops errors of stale requests too, and reports the newest one', async () => {
    const first = deferred<string>();
    const errors: unknown[] = [];
    const latest = new LatestOnly<string, string>({
      run: (query) => (query === 'a' ? first.promise : Promise.reject(new Error('newest failed'))),
      delayMs: 0,
      onAnswer: () => {},
      onError: (_q, error) => errors.push((error as Error).message),
    });
    latest.now('a');
    latest.now('b');
    first.reject(new Error('stale failure'));
    await vi.runAllTimersAsync();
    expect(errors).toEqual(['newest failed']);
  });

  it('cancel forgets what is in flight', async () => {
    const pending = deferred<string>();
    const answers: string[] = [];
    const latest = new LatestOnly<string, string>({ run: () => pending.promise, delayMs: 0, onAnswer: (_q, a) => answers.push(a), onError: () => {} });
    latest.now('x');
    latest.cancel();
    pending.resolve('late');
    await vi.runAllTimersAsync();
    expect(answers).toEqual([]);
  });
});
