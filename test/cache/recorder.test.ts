// The one place the key-name cache is refreshed: a wrapper around the API client.

import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/api/client.js';
import { recordingNames, writeNames, type NamesChange } from '../../src/cache/recorder.js';
import { readCachedNames } from '../../src/cache/names.js';
import { complete } from '../../src/complete.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox } from '../helpers/sandbox-fetch.js';

function recorded() {
  const sb = testSandbox();
  const changes: NamesChange[] = [];
  const api = recordingNames(createApiClient({ baseUrl: BASE_URL, username: 'demo', token: MASTER, fetch: sb.fetch, sleep: async () => {} }), (c) => changes.push(c));
  return { sb, api, changes };
}

describe('recordingNames', () => {
  it('records what each call teaches: a full list replaces, a partial one adds, create/show/regenerate add, delete removes', async () => {
    const { api, changes } = recorded();
    const { key } = await api.createKey({ name: 'app', grants: [{ type: 'apis', apis: ['sql'] }] });
    expect(changes.pop()).toEqual({ add: ['app'] });
    await api.getKey('app');
    expect(changes.pop()).toEqual({ add: ['app'] });
    const regenerated = await api.regenerateKey('app');
    expect(regenerated.token).not.toBe(key.token);
    expect(changes.pop()).toEqual({ add: ['app'] });
    await api.listKeys();
    expect(changes.pop()).toEqual({ all: expect.arrayContaining(['Master', 'Default public', 'app']) });
    await api.listKeys({ type: ['regular'] });
    expect(changes.pop()).toEqual({ add: ['app'] });
    await api.listKeys({ limit: 1 });
    expect(changes.pop()).toMatchObject({ add: expect.any(Array) });
    await api.deleteKey('app');
    expect(changes.pop()).toEqual({ remove: ['app'] });
    // Already gone: the name is not in the account, so not in the cache either; the error stands.
    await expect(api.deleteKey('app')).rejects.toMatchObject({ kind: 'not_found' });
    expect(changes.pop()).toEqual({ remove: ['app'] });
    // Failures teach nothing.
    await expect(api.getKey('nope')).rejects.toMatchObject({ kind: 'not_found' });
    await api.whoami();
    expect(changes).toEqual([]);
  });

  it('writeNames applies changes to the file completion reads', () => {
    const p = tempPaths();
    try {
      const demo = { account: 'https://demo.carto.com' };
      writeNames(p.cache, demo, { all: ['b', 'a'] });
      expect(readCachedNames(p.cache, demo)).toEqual(['a', 'b']);
      writeNames(p.cache, demo, { add: ['c'], remove: ['a'] });
      expect(readCachedNames(p.cache, demo)).toEqual(['b', 'c']);
      expect(readCachedNames(p.cache, { account: 'https://other.carto.com' })).toEqual([]);
      expect(readCachedNames(p.cache, { ...demo, member: 'bob' })).toEqual([]);
    } finally {
      p.cleanup();
    }
  });
});

describe('the key-name cache is the account\'s (and the member\'s), like every record of a key', () => {
  /** What completion offers for `show <TAB>` with these folders. */
  async function showCandidates(p: { config: string; cache: string }, profile?: string): Promise<string[]> {
    let out = '';
    const env = { CARTO_KEYS_CONFIG_DIR: p.config, CARTO_KEYS_CACHE_DIR: p.cache };
    await complete([...(profile === undefined ? [] : ['--profile', profile]), 'show', ''], { env, write: (s) => (out += s) });
    return out.split('\n').filter((l) => l !== '' && !l.startsWith(':')).map((l) => l.split('\t')[0]!);
  }

  it('a profile logged in again to another account never completes the old account\'s names; two profiles of one account share them', async () => {
    const p = tempPaths();
    try {
      const a = testSandbox();
      const b = testSandbox();
      const login = async (profile: string, baseUrl: string, sb: ReturnType<typeof testSandbox>) => {
        const r = await run(['login', '--profile', profile, '--base-url', baseUrl, '--with-key'], { stdin: MASTER, paths: p, fetch: sb.fetch });
        expect(r.code, r.stderr).toBe(0);
      };
      await login('default', BASE_URL, a);
      expect((await run(['create', '--name', 'only-in-a', '--api', 'sql'], { paths: p, fetch: a.fetch })).code).toBe(0);
      expect(await showCandidates(p)).toContain('only-in-a');
      // A second profile of the same account: its names are already known.
      await login('second', BASE_URL.replace('sandbox.test', 'SANDBOX.test'), a);
      expect(await showCandidates(p, 'second')).toContain('only-in-a');
      // The first profile now names another account: nothing of the first one is offered.
      await login('default', 'https://other.test/user/demo', b);
      expect(await showCandidates(p)).not.toContain('only-in-a');
      expect((await run(['list'], { paths: p, fetch: b.fetch })).code).toBe(0);
      expect(await showCandidates(p)).toEqual(expect.arrayContaining(['Master']));
      expect(await showCandidates(p)).not.toContain('only-in-a');
    } finally {
      p.cleanup();
    }
  });
});
