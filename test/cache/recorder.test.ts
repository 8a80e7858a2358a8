// The one place the key-name cache is refreshed: a wrapper around the API client.

import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/api/client.js';
import { recordingNames, writeNames, type NamesChange } from '../../src/cache/recorder.js';
import { readCachedNames } from '../../src/cache/names.js';
import { tempPaths } from '../helpers/harness.js';
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
