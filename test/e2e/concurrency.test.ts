// Several carto-keys processes writing the key-name cache and the embedded sandbox at once (built
// binary): the cache is written under a lock taken synchronously, which only separate processes
// contend for. (Runs writing the config at once, and its lock: test/reliability/lock.test.ts.)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempHome } from '../helpers/e2e.js';
import { profileNames } from '../helpers/names-cache.js';

describe('concurrent writers of the key-name cache and the embedded sandbox (issue 12, point 7)', () => {
  it('twelve parallel creates on one sandbox profile: twelve keys, twelve names cached', { timeout: 120_000 }, async () => {
    const h = tempHome();
    try {
      expect((await cli(['login', '--sandbox'], { env: h.env, timeoutMs: 30_000 })).code).toBe(0);
      const names = Array.from({ length: 12 }, (_, i) => `cached-${i}`);
      const results = await Promise.all(names.map((n) => cli(['create', '--name', n, '--api', 'sql'], { env: h.env, timeoutMs: 60_000 })));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      // The cache as the creates left it (a full listing would rewrite it whole).
      const cache = { names: profileNames({ config: join(h.dir, '.config', 'carto-keys'), cache: join(h.dir, '.cache', 'carto-keys') }, 'sandbox') };
      expect(cache.names.filter((n) => n.startsWith('cached-')).sort()).toEqual([...names].sort());
      const list = await cli(['list', '--json'], { env: h.env, timeoutMs: 30_000 });
      const listed = (JSON.parse(list.stdout) as { name: string }[]).map((k) => k.name).filter((n) => n.startsWith('cached-'));
      expect(listed.sort()).toEqual([...names].sort());
    } finally {
      h.cleanup();
    }
  });
});
