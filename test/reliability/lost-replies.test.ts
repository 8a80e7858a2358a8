// Replies lost after the server acted, in-process (the same cases run against the built binary in
// test/e2e/faults.test.ts): regenerate looks at the key again instead of leaving the user to guess
// whether the token changed; regenerate Master says the stored key is now dead and what to do.

import { afterAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox, type TestSandbox } from '../helpers/sandbox-fetch.js';
import { expectTyped } from './helpers.js';

const P = tempPaths();
afterAll(() => P.cleanup());

/** The sandbox acts on the first request matching `re`, then the connection drops (or never got there). */
function losing(sb: TestSandbox, re: RegExp, when: 'after' | 'before'): FetchLike {
  let armed = true;
  return async (url, init) => {
    if (armed && re.test(`${init.method} ${new URL(url).pathname}`)) {
      armed = false;
      if (when === 'after') await sb.fetch(url, init);
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    }
    return sb.fetch(url, init);
  };
}

async function withKey(sb: TestSandbox): Promise<void> {
  const r = await run(['create', '--name', 'app', '--api', 'sql'], { paths: P, env: sb.env, fetch: sb.fetch });
  expectTyped(r, [0]);
}

describe('regenerate after a lost reply', () => {
  it('the token did change: prints the new one (exit 0) and says it was recovered', async () => {
    const sb = testSandbox();
    await withKey(sb);
    const old = sb.token('app');
    const r = await run(['regenerate', 'app', '--yes', '--token-only'], { paths: P, env: sb.env, fetch: losing(sb, /^POST .*\/regenerate$/, 'after') });
    expectTyped(r, [0]);
    expect(sb.token('app')).not.toBe(old);
    expect(r.stdout.trim()).toBe(sb.token('app'));
    expect(r.stderr).toMatch(/fetched the new one/);
  });

  it('the token did not change: exit 1, and the message says so', async () => {
    const sb = testSandbox();
    await withKey(sb);
    const old = sb.token('app');
    const r = await run(['regenerate', 'app', '--yes'], { paths: P, env: sb.env, fetch: losing(sb, /^POST .*\/regenerate$/, 'before') });
    expectTyped(r, [1]);
    expect(sb.token('app')).toBe(old);
    expect(r.stderr).toMatch(/token has not changed/);
    expect(r.stdout).toBe('');
  });

  it('Master, changed on the server: exit 1, the stored key is dead, go to the dashboard and log in again', async () => {
    const sb = testSandbox();
    const p = tempPaths();
    try {
      expectTyped(await run(['login', '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER }), [0]);
      const r = await run(['regenerate', 'Master', '--yes'], { fetch: losing(sb, /^POST .*\/Master\/token\/regenerate$/, 'after'), paths: p });
      expectTyped(r, [1]);
      expect(sb.token('Master')).not.toBe(MASTER);
      expect(r.stderr).toMatch(/The Master key was regenerated, but the reply with the new key was lost/);
      expect(r.stderr).toMatch(/dashboard.*carto-keys login/);
      for (const key of [MASTER, sb.token('Master')!]) expect(r.stdout + r.stderr).not.toContain(key);
    } finally {
      p.cleanup();
    }
  });
});

describe('create after an unreadable success', () => {
  it('a 201 with a cut-off body: the key is fetched by name, one key, exit 0', async () => {
    const sb = testSandbox();
    const cut: FetchLike = async (url, init) => {
      const res = await sb.fetch(url, init);
      if (init.method !== 'POST') return res;
      const text = await res.text();
      return new Response(text.slice(0, 20), { status: res.status, headers: { 'content-type': 'application/json' } });
    };
    const r = await run(['create', '--name', 'app', '--api', 'sql', '--json'], { paths: P, env: sb.env, fetch: cut });
    expectTyped(r, [0]);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'app', token: sb.token('app') });
    expect(sb.names().filter((n) => n === 'app')).toHaveLength(1);
    expect(r.stderr).toMatch(/recovered it/);
  });
});
