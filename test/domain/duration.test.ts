import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, parseDuration, parseDurationResult } from '../../src/domain/duration.js';
import { UsageError } from '../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    [' 7d ', 604_800_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text, '--grace').ms).toBe(ms);
  });

  it.each(['', '7', 'd', '7x', '-1d', '1.5h', '1d12h', '0s', '99999999w', '7 days'])('refuses %j as a usage error naming the flag', (text) => {
    const run = () => parseDuration(text, '--grace');
    expect(run).toThrow(UsageError);
    expect(run).toThrow(/^--grace: /);
  });

  it('round-trips through formatDuration for every valid number and unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'), (n, unit) => {
        const d = parseDuration(`${n}${unit}`, '--x');
        expect(parseDuration(formatDuration(d.ms), '--x').ms).toBe(d.ms);
      }),
    );
  });

  it('never throws on arbitrary input: a duration or an error message', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseDurationResult(s);
        expect('error' in r ? typeof r.error : typeof r.ms).toBe(r && 'error' in r ? 'string' : 'number');
      }),
    );
  });
});
