// The embedded sandbox and the key-name cache under parallel commands (issue 12, point 7): ten
// `create`s at once against one sandbox profile must leave ten keys, and ten names in the cache.
import { afterEach, describe, expect, it } from 'vitest';
import { profileNames } from '../helpers/names-cache.js';
import { run, tempPaths } from '../helpers/harness.js';
import { noNetwork } from '../helpers/sandbox-fetch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('parallel commands on the embedded sandbox', () => {
  it('ten creates at once: ten keys persisted, ten names cached', async () => {
    const p = tempPaths();
    cleanups.push(p.cleanup);
    expect((await run(['login', '--sandbox'], { paths: p, fetch: noNetwork })).code).toBe(0);
    const names = Array.from({ length: 10 }, (_, i) => `parallel-${i}`);
    const results = await Promise.all(names.map((name) => run(['create', '--name', name, '--api', 'sql'], { paths: p, fetch: noNetwork })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const list = await run(['list', '--json'], { paths: p, fetch: noNetwork });
    expect(list.code, list.stderr).toBe(0);
    const listed = (JSON.parse(list.stdout) as { name: string }[]).map((k) => k.name);
    expect(listed.filter((n) => n.startsWith('parallel-')).sort()).toEqual([...names].sort());
    expect(profileNames(p, 'sandbox').filter((n) => n.startsWith('parallel-')).sort()).toEqual([...names].sort());
  });
});
