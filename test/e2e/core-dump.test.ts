// Issue 12, point 9: a core dump of carto-keys must not hold the key. On Linux the process excludes
// all of its memory from core dumps (coredump_filter 0) as it starts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serveSandbox } from '../helpers/e2e.js';

describe.runIf(process.platform === 'linux')('core dumps', () => {
  it('a running carto-keys dumps none of its memory', { timeout: 30_000 }, async () => {
    const sb = await serveSandbox();
    try {
      const filter = readFileSync(`/proc/${sb.process.pid}/coredump_filter`, 'utf8').trim();
      expect(Number.parseInt(filter, 16)).toBe(0);
    } finally {
      await sb.stop();
    }
  });
});
