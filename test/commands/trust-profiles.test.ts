// A stored key is bound to its account (SECURITY.md) and profiles do what they say (README.md "Log in"),
// in-process: a stored key is sent only to its profile's account; key and account from the environment involve no profile;
// login updates the profile it says; an unknown profile is exit 2; logout names the right login.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempPathsPerTest } from '../helpers/harness.js';
import { BASE_URL, MASTER, noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';

const paths = tempPathsPerTest();
const readConfig = (p: { config: string }) => JSON.parse(readFileSync(join(p.config, 'config.json'), 'utf8'));

async function login(p: ReturnType<typeof paths>, sb = testSandbox(), args: string[] = ['--base-url', BASE_URL]) {
  const r = await run(['login', ...args, '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER });
  expect(r.code, r.stderr).toBe(0);
  return sb;
}

describe('a stored key is bound to its account', () => {
  const elsewhere = [
    { CARTO_KEYS_BASE_URL: 'http://127.0.0.1:18999/user/evil' },
    { CARTO_KEYS_USERNAME: 'evil' },
    { CARTO_KEYS_BASE_URL: 'https://sandbox.test/user/other' },
    { CARTO_KEYS_BASE_URL: 'https://sandbox.test:8443/user/demo' },
    { CARTO_KEYS_BASE_URL: 'http://sandbox.test/user/demo', CARTO_KEYS_ALLOW_HTTP: '1' },
  ];
  for (const env of elsewhere) {
    it(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} with the key from the profile: exit 4, nothing sent, both sources and the ways out named`, async () => {
      const p = paths();
      await login(p);
      for (const argv of [['list'], ['status'], ['--json', 'show', 'x'], ['create', '--api', 'sql', '--name', 'n']]) {
        const r = await run(argv, { paths: p, env, fetch: noNetwork });
        expect(r.code, `${argv.join(' ')}: ${r.stdout}${r.stderr}`).toBe(4);
        const text = (r.stdout + r.stderr).replace(/\\"/g, '"');
        expect(text).toContain('profile "default"');
        expect(text).toContain(BASE_URL);
        expect(text).toMatch(/CARTO_KEYS_(BASE_URL|USERNAME)/);
        expect(text).toMatch(/Set CARTO_KEYS_MASTER_KEY too.*unset .*pick the profile/s);
        expect(text).not.toContain(MASTER);
      }
    });
  }

  it('the same account from the environment is fine; with CARTO_KEYS_MASTER_KEY too, the environment wins', async () => {
    const p = paths();
    const sb = await login(p);
    expect((await run(['list'], { paths: p, env: { CARTO_KEYS_BASE_URL: BASE_URL }, fetch: sb.fetch })).code).toBe(0);
    const other = testSandbox();
    const r = await run(['list'], { paths: p, env: other.env, fetch: other.fetch });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('key and account both from the environment', () => {
  it('status says "environment", names no profile, and reads no config', async () => {
    const sb = testSandbox();
    const json = await run(['status', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(json.code, json.stderr).toBe(0);
    const s = JSON.parse(json.stdout);
    expect(s).toMatchObject({ profile: null, credentials: 'environment', store: { kind: 'environment', variable: 'CARTO_KEYS_MASTER_KEY' } });
    const text = await run(['status'], { env: sb.env, fetch: sb.fetch });
    expect(text.stdout).toMatch(/Profile\s+none: key and account come from the environment/);
  });

  it('status of a stored profile names the file store with its path and mode', async () => {
    const p = paths();
    const sb = await login(p);
    const s = JSON.parse((await run(['status', '--json'], { paths: p, fetch: sb.fetch })).stdout);
    expect(s).toMatchObject({ profile: 'default', credentials: 'profile', store: { kind: 'file', path: join(p.config, 'config.json'), mode: '0600' } });
  });
});

describe('profiles do what they say', () => {
  it('--profile X login updates X, keeping its user and URL', async () => {
    const p = paths();
    const sb = await login(p, testSandbox(), ['--base-url', BASE_URL, '--profile', 'local2']);
    await login(p, sb, ['--base-url', BASE_URL, '--profile', 'default']);
    expect(readConfig(p).currentProfile).toBe('default');
    const r = await run(['--profile', 'local2', 'login', '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Profile "local2", now current');
    expect(readConfig(p).profiles.local2).toMatchObject({ username: 'demo', baseUrl: BASE_URL });
  });

  it('login without --profile updates the current profile, not "default"', async () => {
    const p = paths();
    const sb = await login(p, testSandbox(), ['--base-url', BASE_URL, '--profile', 'local2']);
    expect(readConfig(p).currentProfile).toBe('local2');
    const r = await run(['login', '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(readConfig(p).profiles)).toEqual(['local2']);
  });

  it('an unknown --profile or CARTO_KEYS_PROFILE is exit 2 listing the profiles, for every command, nothing sent', async () => {
    const p = paths();
    await login(p, testSandbox(), ['--base-url', BASE_URL, '--profile', 'sandbox2']);
    for (const [argv, env] of [
      [['--profile', 'sandbx', 'list'], {}],
      [['--profile', 'sandbx', 'status'], {}],
      [['--profile', 'sandbx', 'logout'], {}],
      [['show', 'x'], { CARTO_KEYS_PROFILE: 'sandbx' }],
    ] as [string[], Record<string, string>][]) {
      const r = await run(argv, { paths: p, env, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('No profile named "sandbx". Profiles: sandbox2.');
      expect(r.stderr).not.toMatch(/not logged in/i);
    }
  });

  it('after logout, the hint names the right login command', async () => {
    const p = paths();
    const sb = await login(p, testSandbox(), ['--base-url', BASE_URL, '--profile', 'acme']);
    const out = await run(['--profile', 'acme', 'logout'], { paths: p });
    expect(out.stderr).toContain('carto-keys login --profile acme');
    const list = await run(['--profile', 'acme', 'list'], { paths: p, fetch: sb.fetch });
    expect(list.code).toBe(4);
    expect(list.stderr).toContain('carto-keys login --profile acme');

    const sandbox = await run(['login', '--sandbox'], { paths: p });
    expect(sandbox.code, sandbox.stderr).toBe(0);
    const bye = await run(['logout'], { paths: p });
    expect(bye.stderr).toContain('carto-keys login --sandbox');
    const after = await run(['list'], { paths: p });
    expect(after.code).toBe(4);
    expect(after.stderr).toContain('carto-keys login --sandbox');
  });
});
