// login, logout, status and profiles: what is stored, where, with which modes, and what is refused.
import { readFileSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, scriptedPrompter, tempPathsPerTest } from '../helpers/harness.js';
import { BASE_URL, MASTER, noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';

const paths = tempPathsPerTest();
const configFile = (p: { config: string }) => join(p.config, 'config.json');
const readConfig = (p: { config: string }) => JSON.parse(readFileSync(configFile(p), 'utf8'));

describe('login', () => {
  it('--with-key reads stdin, verifies the key is the Master key, stores it 0600 in a 0700 folder', async () => {
    const sb = testSandbox();
    const p = paths();
    const r = await run(['login', '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: `${MASTER}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(readConfig(p)).toEqual({ currentProfile: 'default', profiles: { default: { username: 'demo', baseUrl: BASE_URL, masterKey: MASTER } } });
    expect(statSync(configFile(p)).mode & 0o777).toBe(0o600);
    expect(statSync(p.config).mode & 0o777).toBe(0o700);
    expect(r.stdout + r.stderr).not.toContain(MASTER);
    // And the stored profile works.
    const list = await run(['list', '--json'], { fetch: sb.fetch, paths: p });
    expect(list.code).toBe(0);
  });

  it('prompts (masked) on a TTY for the user and the key', async () => {
    const sb = testSandbox();
    const p = paths();
    const prompter = scriptedPrompter([{ input: BASE_URL, match: /username or API base URL/ }, { password: MASTER, match: /Master key/ }]);
    const r = await run(['login', '--profile', 'work'], { fetch: sb.fetch, paths: p, tty: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    expect(readConfig(p).profiles.work.masterKey).toBe(MASTER);
    expect(readConfig(p).currentProfile).toBe('work');
  });

  it('a wrong key exits 4 and stores nothing', async () => {
    const sb = testSandbox();
    const p = paths();
    const r = await run(['login', '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: 'f'.repeat(40) });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Nothing was stored');
    expect(() => statSync(configFile(p))).toThrow();
  });

  it('a regular or Default public key exits 4 and stores nothing', async () => {
    const sb = testSandbox();
    const p = paths();
    for (const key of ['default_public']) {
      const r = await run(['login', '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: key });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('not the Master key');
    }
    expect(() => statSync(configFile(p))).toThrow();
  });

  it('without a TTY a missing user or key is a usage error naming the flag', async () => {
    const p = paths();
    const noUser = await run(['login'], { fetch: noNetwork, paths: p });
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('--user');
    const noKey = await run(['login', '--user', 'jdoe'], { fetch: noNetwork, paths: p });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--with-key');
  });

  it('--user alone means https://<user>.carto.com', async () => {
    const seen: string[] = [];
    const p = paths();
    const r = await run(['login', '--user', 'jdoe', '--with-key'], {
      fetch: async (url) => {
        seen.push(url);
        return new Response('', { status: 401 });
      },
      paths: p,
      stdin: MASTER,
    });
    expect(r.code).toBe(4);
    expect(seen[0]).toMatch(/^https:\/\/jdoe\.carto\.com\/api\/v3\/api_keys\?/);
    expect(seen[0]).not.toContain(MASTER);
  });

  it('--sandbox creates the "sandbox" profile on the embedded emulator: every command works with no server', async () => {
    const p = paths();
    const login = await run(['login', '--sandbox'], { paths: p, fetch: noNetwork });
    expect(login.code, login.stderr).toBe(0);
    expect(readConfig(p).profiles.sandbox).toMatchObject({ username: 'demo', sandbox: true });
    expect(statSync(join(p.data, 'sandbox.json')).mode & 0o777).toBe(0o600);
    const create = await run(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population'], { paths: p, fetch: noNetwork });
    expect(create.code, create.stderr).toBe(0);
    const list = await run(['list', '--json'], { paths: p, fetch: noNetwork });
    expect(JSON.parse(list.stdout).map((k: { name: string }) => k.name)).toEqual(['Master', 'Default public', 'app']);
    // Regenerating Master stores the new key in the profile: the next command still works.
    const regen = await run(['regenerate', 'Master', '--yes'], { paths: p, fetch: noNetwork });
    expect(regen.code, regen.stderr).toBe(0);
    expect(regen.stdout).toBe('');
    expect((await run(['status'], { paths: p, fetch: noNetwork })).code).toBe(0);
    const reset = await run(['sandbox', 'reset', '--yes'], { paths: p, fetch: noNetwork });
    expect(reset.code, reset.stderr).toBe(0);
    const after = await run(['list', '--json'], { paths: p, fetch: noNetwork });
    expect(JSON.parse(after.stdout)).toHaveLength(2);
  });
});

describe('regenerate Master (issue 12, point 3)', () => {
  it('with another process holding the config lock, refuses before regenerating: the stored key still works', async () => {
    const p = paths();
    expect((await run(['login', '--sandbox'], { paths: p, fetch: noNetwork })).code).toBe(0);
    const before = readConfig(p).profiles.sandbox.masterKey;
    // A live holder: this very process's pid.
    writeFileSync(`${configFile(p)}.lock`, String(process.pid));
    const regen = await run(['regenerate', 'Master', '--yes'], { paths: p, fetch: noNetwork });
    expect(regen.code, regen.stderr).toBe(1);
    expect(regen.stderr).toMatch(/Nothing was regenerated: the config file is being changed by another carto-keys process/);
    expect(regen.stderr).not.toMatch(/\n\s+at /);
    expect(readConfig(p).profiles.sandbox.masterKey).toBe(before);
    // The key was not changed on the server: the stored one still authenticates.
    const status = await run(['list', '--json'], { paths: p, fetch: noNetwork });
    expect(status.code, status.stderr).toBe(0);
  });
});

describe('config file', () => {
  it('a corrupt file is reported and never overwritten', async () => {
    const p = paths();
    mkdirSync(p.config, { recursive: true });
    writeFileSync(configFile(p), '{"profiles": {');
    for (const args of [['list'], ['profile', 'list'], ['login', '--sandbox']]) {
      const r = await run(args, { paths: p, fetch: noNetwork });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(configFile(p));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(configFile(p), 'utf8')).toBe('{"profiles": {');
  });

  it('a hand-edited file of the wrong shape is reported with the field', async () => {
    const p = paths();
    mkdirSync(p.config, { recursive: true });
    writeFileSync(configFile(p), JSON.stringify({ profiles: { default: { username: 'x' } } }));
    const r = await run(['status'], { paths: p, fetch: noNetwork });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('baseUrl');
  });

  it('a config folder and file created looser are tightened on the next write', async () => {
    const p = paths();
    mkdirSync(p.config, { recursive: true, mode: 0o755 });
    chmodSync(p.config, 0o755);
    writeFileSync(configFile(p), '{"profiles":{}}', { mode: 0o644 });
    chmodSync(configFile(p), 0o644);
    const r = await run(['login', '--sandbox'], { paths: p, fetch: noNetwork });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(p.config).mode & 0o777).toBe(0o700);
    expect(statSync(configFile(p)).mode & 0o777).toBe(0o600);
  });

  it('with only environment variables nothing is written to disk', async () => {
    const sb = testSandbox();
    const p = paths();
    for (const args of [['list'], ['create', '--name', 'x', '--api', 'sql'], ['show', 'x'], ['revoke', 'x', '--yes'], ['status']]) {
      const r = await run(args, { env: sb.env, paths: p, fetch: sb.fetch });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(() => statSync(p.root + '/config')).toThrow();
    expect(() => statSync(p.cache)).toThrow();
    expect(() => statSync(p.data)).toThrow();
  });
});

describe('logout, status, profiles', () => {
  async function loggedIn(p: ReturnType<typeof paths>, sb = testSandbox(), profile = 'default') {
    const r = await run(['login', '--base-url', BASE_URL, '--with-key', '--profile', profile], { fetch: sb.fetch, paths: p, stdin: MASTER });
    expect(r.code, r.stderr).toBe(0);
    return sb;
  }

  it('status --json: user, base URL, key source, fingerprint, API check — never the key', async () => {
    const p = paths();
    const sb = await loggedIn(p);
    const r = await run(['status', '--json'], { fetch: sb.fetch, paths: p });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ profile: 'default', username: 'demo', baseUrl: BASE_URL, keySource: configFile(p), api: { ok: true } });
    expect(s.fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(r.stdout).not.toContain(MASTER);
  });

  it('status exits 4 when not logged in, with the report', async () => {
    const r = await run(['status'], { paths: paths(), fetch: noNetwork });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('not logged in');
  });

  it('the environment wins over the stored profile, and status says so', async () => {
    const p = paths();
    const sb = await loggedIn(p);
    const r = await run(['status', '--json'], { env: { CARTO_KEYS_MASTER_KEY: MASTER }, fetch: sb.fetch, paths: p });
    expect(JSON.parse(r.stdout).keySource).toBe('env:CARTO_KEYS_MASTER_KEY');
  });

  it('logout forgets the key but keeps the profile; twice is fine', async () => {
    const p = paths();
    await loggedIn(p);
    expect((await run(['logout'], { paths: p, fetch: noNetwork })).code).toBe(0);
    expect(readConfig(p).profiles.default).toEqual({ username: 'demo', baseUrl: BASE_URL });
    expect((await run(['logout'], { paths: p, fetch: noNetwork })).code).toBe(0);
    expect((await run(['list'], { paths: p, fetch: noNetwork })).code).toBe(4);
  });

  it('profile list / use / remove', async () => {
    const p = paths();
    const sb = await loggedIn(p, testSandbox(), 'one');
    await loggedIn(p, sb, 'two');
    const list = JSON.parse((await run(['profile', 'list', '--json'], { paths: p, fetch: noNetwork })).stdout);
    expect(list.map((x: { name: string; current: boolean }) => [x.name, x.current])).toEqual([['one', false], ['two', true]]);
    expect((await run(['profile', 'use', 'one'], { paths: p, fetch: noNetwork })).code).toBe(0);
    expect(readConfig(p).currentProfile).toBe('one');
    const unknown = await run(['profile', 'use', 'three'], { paths: p, fetch: noNetwork });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('one, two');
    expect((await run(['profile', 'remove', 'one'], { paths: p, fetch: noNetwork })).code).toBe(2);
    expect((await run(['profile', 'remove', 'one', '--yes'], { paths: p, fetch: noNetwork })).code).toBe(0);
    expect(Object.keys(readConfig(p).profiles)).toEqual(['two']);
    expect(readConfig(p).currentProfile).toBeUndefined();
  });

  it('--profile selects a profile; an invalid profile name is a usage error', async () => {
    const p = paths();
    const sb = await loggedIn(p, testSandbox(), 'one');
    expect((await run(['--profile', 'one', 'list'], { paths: p, fetch: sb.fetch })).code).toBe(0);
    // A typo is not "not logged in": exit 2, listing the profiles, nothing sent (README.md "Log in").
    const typo = await run(['list', '--profile', 'nope'], { paths: p, fetch: noNetwork });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('No profile named "nope". Profiles: one.');
    expect((await run(['list', '--profile', '../x'], { paths: p, fetch: noNetwork })).code).toBe(2);
  });
});
