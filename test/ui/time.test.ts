// isoTime has a fast path for CARTO's UTC form (a 10,000-key listing converts 20,000 timestamps): it
// must give exactly what the general path (parse, then toISOString) gives, for every input.

import { describe, expect, it } from 'vitest';
import { humanTime, humanTimeFrom, isoTime, parseCartoTime, relativeTime } from '../../src/ui/time.js';
import { displayPath } from '../../src/ui/paths.js';

const general = (s: string) => parseCartoTime(s)?.toISOString() ?? s;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('isoTime', () => {
  it('converts CARTO timestamps to ISO-8601', () => {
    expect(isoTime('2026-11-22 05:54:33 +0000')).toBe('2026-11-22T05:54:33.000Z');
    expect(isoTime('2026-11-22 05:54:33 +0100')).toBe('2026-11-22T04:54:33.000Z');
    expect(isoTime('2026-11-22 05:54:33 UTC')).toBe('2026-11-22T05:54:33.000Z');
    expect(isoTime('2026-11-22T05:54:33.123Z')).toBe('2026-11-22T05:54:33.123Z');
    expect(isoTime('yesterday')).toBe('yesterday');
    expect(isoTime(undefined)).toBeNull();
  });

  it('agrees with the general path on every date, leap days and out-of-range fields included', () => {
    const differ: string[] = [];
    for (const year of [0, 1, 1900, 1970, 2000, 2024, 2025, 2100, 2400, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          for (const [h, m, s] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [12, 60, 0], [1, 2, 60], [99, 99, 99]] as const) {
            const text = `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(h)}:${pad(m)}:${pad(s)} +0000`;
            if (isoTime(text) !== general(text)) differ.push(text);
          }
        }
      }
    }
    expect(differ).toEqual([]);
  });
});

describe('one time format for people', () => {
  it('humanTime: minutes, in UTC, said so, whatever the input form', () => {
    expect(humanTime('2026-12-07 00:10:08 +0000')).toBe('2026-12-07 00:10 UTC');
    expect(humanTime('2026-12-07 01:10:08 +0100')).toBe('2026-12-07 00:10 UTC');
    expect(humanTime(new Date('2026-12-08T00:10:08.045Z'))).toBe('2026-12-08 00:10 UTC');
    expect(humanTime('not a time')).toBe('not a time');
  });

  it('relativeTime and humanTimeFrom: how far, both ways', () => {
    const now = new Date('2026-12-07T01:00:00Z');
    expect(relativeTime(new Date('2026-12-08T00:10:00Z'), now)).toBe('in 23 h');
    expect(relativeTime(new Date('2026-12-07T00:55:00Z'), now)).toBe('5 min ago');
    expect(relativeTime(new Date('2026-12-10T01:00:00Z'), now)).toBe('in 3 days');
    expect(relativeTime(now, now)).toBe('in less than a minute');
    expect(humanTimeFrom(new Date('2026-12-08T00:10:00Z'), now)).toBe('2026-12-08 00:10 UTC (in 23 h)');
  });
});

describe('displayPath', () => {
  it('relative under the current folder, ~ under HOME, else in full', () => {
    const env = { HOME: '/home/ana' };
    const cwd = '/home/ana/app';
    expect(displayPath('/home/ana/app/deploy/.env', env, { cwd })).toBe('deploy/.env');
    expect(displayPath('deploy/.env', env, { cwd })).toBe('deploy/.env');
    expect(displayPath('/home/ana/.config/carto-keys/config.json', env, { cwd })).toBe('~/.config/carto-keys/config.json');
    expect(displayPath('/home/ana/.config/x.json', env, { cwd: '/home/ana', homeFirst: true })).toBe('~/.config/x.json');
    expect(displayPath('/home/ana/.config/x.json', env, { cwd: '/home/ana' })).toBe('.config/x.json');
    expect(displayPath('/etc/app.env', env, { cwd })).toBe('/etc/app.env');
    expect(displayPath('/home/anastasia/x', env, { cwd: '/tmp' })).toBe('/home/anastasia/x');
    expect(displayPath('/home/ana/app', env, { cwd })).toBe('~/app');
  });
});
