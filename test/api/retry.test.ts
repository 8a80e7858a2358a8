import { describe, expect, it } from 'vitest';
import { runPool } from '../../src/api/pool.js';
import { backoffMs, mayRetry, parseRetryAfter } from '../../src/api/retry.js';

describe('backoffMs', () => {
  it('doubles per attempt, half of it jittered', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, () => 0.999999))).toEqual([500, 1000, 2000, 4000]);
  });

  it('is capped', () => {
    expect(backoffMs(20, () => 1)).toBe(8000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');

  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['1.5', 1500],
    ['Sun, 22 Nov 2026 10:00:07 GMT', 7000],
    ['Sun, 22 Nov 2026 09:00:00 GMT', 0],
    ['600', 30_000],
  ])('%j → %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([null, undefined, '', 'soon', '-1'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('mayRetry', () => {
  it('retries surely-unsent failures under every policy, ambiguous ones only under "any"', () => {
    expect(mayRetry('any', 'unsent')).toBe(true);
    expect(mayRetry('any', 'ambiguous')).toBe(true);
    expect(mayRetry('any', 'final')).toBe(false);
    expect(mayRetry('unsent', 'unsent')).toBe(true);
    expect(mayRetry('unsent', 'ambiguous')).toBe(false);
    expect(mayRetry('unsent', 'final')).toBe(false);
  });
});

describe('runPool', () => {
  it('runs every index once, in start order, bounded', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let max = 0;
    await runPool(2, 9, 3, async (i) => {
      started.push(i);
      inFlight++;
      max = Math.max(max, inFlight);
      // A turn of the event loop: every task the pool started meanwhile is counted.
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return 'continue';
    });
    expect(started).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(max).toBe(3);
  });

  it('starts nothing after a stop', async () => {
    const started: number[] = [];
    await runPool(1, 100, 1, async (i) => {
      started.push(i);
      return i === 3 ? 'stop' : 'continue';
    });
    expect(started).toEqual([1, 2, 3]);
  });

  it('rethrows the first error and starts nothing more', async () => {
    const started: number[] = [];
    const run = runPool(1, 100, 2, async (i) => {
      started.push(i);
      if (i === 2) throw new Error('page 2 failed');
      await new Promise((r) => setImmediate(r));
      return 'continue';
    });
    await expect(run).rejects.toThrow('page 2 failed');
    expect(started).toEqual([1, 2]);
  });

  it('does nothing for an empty range', async () => {
    let calls = 0;
    await runPool(2, 1, 6, async () => {
      calls++;
      return 'continue';
    });
    expect(calls).toBe(0);
  });
});
