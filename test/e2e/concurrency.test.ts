// Several carto-keys processes writing the config at once (built binary): the store locks its
// read-modify-write, so nothing is lost or corrupted; a lock held by a live process makes a writer
// give up after its wait with a clear message; a lock left by a dead one is taken over.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serveSandbox, tempHome, type CliResult, type Home, type ServedSandbox } from '../helpers/e2e.js';

let server: ServedSandbox;
let home: Home;
let configFile: string;
let lockFile: string;

const login = (profile: string): Promise<CliResult> =>
  cli(['login', '--profile', profile, '--base-url', server.baseUrl, '--with-key'], { env: home.env, input: server.masterKey, timeoutMs: 30_000 });

const profiles = (): Record<string, { masterKey?: string }> => JSON.parse(readFileSync(configFile, 'utf8')).profiles;

beforeAll(async () => {
  server = await serveSandbox();
  home = tempHome();
  configFile = join(home.dir, '.config', 'carto-keys', 'config.json');
  lockFile = `${configFile}.lock`;
});

afterAll(async () => {
  await server?.stop();
  home?.cleanup();
});

describe('concurrent writers of the config file', () => {
  it('parallel logins to different profiles: every one stored, the file intact and 0600', { timeout: 90_000 }, async () => {
    const ROUNDS = 6;
    const WIDTH = 4;
    const expected: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const names = Array.from({ length: WIDTH }, (_, i) => `p${round}-${i}`);
      expected.push(...names);
      const results = await Promise.all(names.map(login));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      // After every round: valid JSON, every profile so far, each with its key.
      const stored = profiles();
      expect(Object.keys(stored).sort()).toEqual([...expected].sort());
      for (const name of expected) expect(stored[name]?.masterKey).toBe(server.masterKey);
    }
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('mixed writers (login, logout, profile use, profile remove) at once lose nothing', { timeout: 60_000 }, async () => {
    await Promise.all(['m-a', 'm-b', 'm-c'].map(login));
    const results = await Promise.all([
      login('m-d'),
      cli(['logout', '--profile', 'm-a'], { env: home.env }),
      cli(['profile', 'use', 'm-b'], { env: home.env }),
      cli(['profile', 'remove', 'm-c', '--yes'], { env: home.env }),
      login('m-e'),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(readFileSync(configFile, 'utf8'));
    expect(data.profiles['m-a']).toBeDefined();
    expect(data.profiles['m-a'].masterKey).toBeUndefined();
    expect(data.profiles['m-b'].masterKey).toBe(server.masterKey);
    expect(data.profiles['m-c']).toBeUndefined();
    expect(data.profiles['m-d'].masterKey).toBe(server.masterKey);
    expect(data.profiles['m-e'].masterKey).toBe(server.masterKey);
    // The earlier profiles survived too.
    expect(data.profiles['p0-0'].masterKey).toBe(server.masterKey);
  });
});

describe('the config lock', () => {
  let sleeper: ChildProcess | undefined;
  afterAll(() => {
    sleeper?.kill('SIGKILL');
  });

  it('held by a live process: a writer waits, then fails with a clear message; nothing written', { timeout: 30_000 }, async () => {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    mkdirSync(join(home.dir, '.config', 'carto-keys'), { recursive: true });
    writeFileSync(lockFile, String(pid));
    const before = readFileSync(configFile, 'utf8');
    const started = Date.now();
    const r = await login('blocked');
    const waited = Date.now() - started;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`The config file is being changed by another carto-keys process (pid ${pid}).`);
    expect(r.stderr).toContain(`delete ${lockFile}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // It waited for the holder (5 s) before giving up, rather than failing at once or hanging.
    expect(waited).toBeGreaterThan(4_500);
    expect(waited).toBeLessThan(20_000);
    expect(readFileSync(configFile, 'utf8')).toBe(before);
    expect(readFileSync(lockFile, 'utf8')).toBe(String(pid));
  });

  it('held by a process that has died: taken over at once, and released', { timeout: 30_000 }, async () => {
    sleeper?.kill('SIGKILL');
    await new Promise((resolve) => sleeper!.once('exit', resolve));
    expect(readFileSync(lockFile, 'utf8')).toBe(String(sleeper!.pid)); // the dead holder's lock is still there
    // Success is the proof: a lock still counted as held would fail the login after its wait.
    const r = await login('after-dead-holder');
    expect(r.code, r.stderr).toBe(0);
    expect(profiles()['after-dead-holder']?.masterKey).toBe(server.masterKey);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('holding garbage instead of a pid: taken over', { timeout: 30_000 }, async () => {
    writeFileSync(lockFile, 'not a pid\n');
    const r = await login('after-garbage-lock');
    expect(r.code, r.stderr).toBe(0);
    expect(profiles()['after-garbage-lock']).toBeDefined();
    expect(existsSync(lockFile)).toBe(false);
  });
});

describe('concurrent writers of the key-name cache and the embedded sandbox (issue 12, point 7)', () => {
  it('twelve parallel creates on one sandbox profile: twelve keys, twelve names cached', { timeout: 120_000 }, async () => {
    const h = tempHome();
    try {
      expect((await cli(['login', '--sandbox'], { env: h.env, timeoutMs: 30_000 })).code).toBe(0);
      const names = Array.from({ length: 12 }, (_, i) => `cached-${i}`);
      const results = await Promise.all(names.map((n) => cli(['create', '--name', n, '--api', 'sql'], { env: h.env, timeoutMs: 60_000 })));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      // The cache as the creates left it (a full listing would rewrite it whole).
      const cache = JSON.parse(readFileSync(join(h.dir, '.cache', 'carto-keys', 'names-sandbox.json'), 'utf8')) as { names: string[] };
      expect(cache.names.filter((n) => n.startsWith('cached-')).sort()).toEqual([...names].sort());
      const list = await cli(['list', '--json'], { env: h.env, timeoutMs: 30_000 });
      const listed = (JSON.parse(list.stdout) as { name: string }[]).map((k) => k.name).filter((n) => n.startsWith('cached-'));
      expect(listed.sort()).toEqual([...names].sort());
    } finally {
      h.cleanup();
    }
  });
});
