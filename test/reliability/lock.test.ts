// The lock around every config write, under contention from several processes: each worker takes the
// lock, reads a counter, writes it back plus one, and releases. A lost increment means two processes
// held the lock at once. Two bugs were caught this way: a lock file seen empty (before its pid was
// written) looked stale and was taken over; and a lock released between a failed attempt and the look
// at its holder was "removed as stale" by name, deleting the lock a third process had just taken
// (with six writers, 60% of increments were lost).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { tryLock } from '../../src/config/lock.js';
import { tempHome, type CliResult, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { serveInProcess, type InProcessSandbox } from '../helpers/served.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORKER = `
const [lockModule, dir, n] = process.argv.slice(1);
const { waitLock } = await import(new URL('file://' + lockModule).href);
const fs = await import('node:fs');
for (let i = 0; i < Number(n); i++) {
  const lock = await waitLock(dir + '/counter.lock', 30000);
  const value = Number(fs.readFileSync(dir + '/counter', 'utf8'));
  fs.writeFileSync(dir + '/counter', String(value + 1));
  lock.release();
}
`;

function runWorker(lockModule: string, dir: string, n: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WORKER, lockModule, dir, String(n)], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

// Several carto-keys runs writing the config at once (in-process, over HTTP): the store locks its
// read-modify-write, so nothing is lost or corrupted; a lock held by a live process makes a writer
// give up after its wait with a clear message; a lock left by a dead one is taken over.
// (Processes contending for the lock itself: the first test below; for the name cache:
// test/e2e/concurrency.test.ts.)
let server: InProcessSandbox;
beforeAll(async () => {
  server = await serveInProcess();
});
afterAll(async () => {
  await server?.stop();
});

const homes: Home[] = [];
afterAll(() => homes.forEach((h) => h.cleanup()));

/** A HOME of its own for one test (removed after the file), its config file, and a login into it. */
function world() {
  const home = tempHome();
  homes.push(home);
  const configFile = join(home.dir, '.config', 'carto-keys', 'config.json');
  const w = { home, configFile, lockFile: `${configFile}.lock` };
  return {
    w,
    login: (profile: string): Promise<CliResult> =>
      cliInProcess(['login', '--profile', profile, '--base-url', server.baseUrl, '--with-key'], { env: w.home.env, input: server.masterKey }),
    profiles: (): Record<string, { masterKey?: string }> => JSON.parse(readFileSync(w.configFile, 'utf8')).profiles,
  };
}

// At once, so the five-second wait of a config writer overlaps the rest.
describe.concurrent('config lock under contention', () => {
  it('six processes, 150 increments each: none lost', { timeout: 60_000 }, async () => {
    // A folder of its own: the count is only meaningful if nothing else touches this counter.
    const work = mkdtempSync(join(dir, 'count-'));
    const lockModule = join(work, 'lock.mjs');
    buildSync({ entryPoints: [new URL('../../src/config/lock.ts', import.meta.url).pathname], outfile: lockModule, format: 'esm', platform: 'node', logLevel: 'warning' });
    writeFileSync(join(work, 'counter'), '0');
    const codes = await Promise.all(Array.from({ length: 6 }, () => runWorker(lockModule, work, 150)));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Number(readFileSync(join(work, 'counter'), 'utf8'))).toBe(900);
  });

  it('the lock file is never seen without its pid, and leaves no temporary file behind', () => {
    const path = join(dir, 'one.lock');
    const lock = tryLock(path);
    // "<pid> <start time> <boot id>": the pid first, then what tells a reused pid apart.
    expect(readFileSync(path, 'utf8').split(' ')[0]).toBe(String(process.pid));
    lock.release();
    expect(() => readFileSync(path)).toThrow();
    const leftovers = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('parallel logins to different profiles: every one stored, the file intact and 0600; then mixed writers (login, logout, profile use, profile remove) at once lose nothing', { timeout: 90_000 }, async () => {
    const { w, login, profiles } = world();
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
    expect(statSync(w.configFile).mode & 0o777).toBe(0o600);
    expect(existsSync(w.lockFile)).toBe(false);

    await Promise.all(['m-a', 'm-b', 'm-c'].map(login));
    const results = await Promise.all([
      login('m-d'),
      cliInProcess(['logout', '--profile', 'm-a'], { env: w.home.env }),
      cliInProcess(['profile', 'use', 'm-b'], { env: w.home.env }),
      cliInProcess(['profile', 'remove', 'm-c', '--yes'], { env: w.home.env }),
      login('m-e'),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(readFileSync(w.configFile, 'utf8'));
    expect(data.profiles['m-a']).toBeDefined();
    expect(data.profiles['m-a'].masterKey).toBeUndefined();
    expect(data.profiles['m-b'].masterKey).toBe(server.masterKey);
    expect(data.profiles['m-c']).toBeUndefined();
    expect(data.profiles['m-d'].masterKey).toBe(server.masterKey);
    expect(data.profiles['m-e'].masterKey).toBe(server.masterKey);
    // The earlier profiles survived too.
    expect(data.profiles['p0-0'].masterKey).toBe(server.masterKey);
  });

  it('the config lock held by a live process: a writer waits, then fails with a clear message, nothing written; once the holder died, taken over at once and released; holding garbage instead of a pid, taken over', { timeout: 30_000 }, async () => {
    const { w, login, profiles } = world();
    const first = await login('first');
    expect(first.code, first.stderr).toBe(0);
    const sleeper: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = sleeper.pid!;
      mkdirSync(join(w.home.dir, '.config', 'carto-keys'), { recursive: true });
      writeFileSync(w.lockFile, String(pid));
      const before = readFileSync(w.configFile, 'utf8');
      const started = Date.now();
      const r = await login('blocked');
      const waited = Date.now() - started;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`The config file is being changed by another carto-keys process (pid ${pid}).`);
      expect(r.stderr).toContain(`delete ${w.lockFile}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // It waited for the holder (5 s) before giving up, rather than failing at once or hanging.
      expect(waited).toBeGreaterThan(4_500);
      expect(waited).toBeLessThan(20_000);
      expect(readFileSync(w.configFile, 'utf8')).toBe(before);
      expect(readFileSync(w.lockFile, 'utf8')).toBe(String(pid));
    } finally {
      sleeper.kill('SIGKILL');
    }

    await new Promise((resolve) => (sleeper.exitCode !== null || sleeper.signalCode !== null ? resolve(null) : sleeper.once('exit', resolve)));
    expect(readFileSync(w.lockFile, 'utf8')).toBe(String(sleeper.pid)); // the dead holder's lock is still there
    // Success is the proof: a lock still counted as held would fail the login after its wait.
    const afterDead = await login('after-dead-holder');
    expect(afterDead.code, afterDead.stderr).toBe(0);
    expect(profiles()['after-dead-holder']?.masterKey).toBe(server.masterKey);
    expect(existsSync(w.lockFile)).toBe(false);

    writeFileSync(w.lockFile, 'not a pid\n');
    const afterGarbage = await login('after-garbage-lock');
    expect(afterGarbage.code, afterGarbage.stderr).toBe(0);
    expect(profiles()['after-garbage-lock']).toBeDefined();
    expect(existsSync(w.lockFile)).toBe(false);
  });
});
