// A credential helper with the built binary against `sandbox serve`: `login --key-cmd 'cat secret-file'`
// stores the command, never the key; each run reads the key once, in memory; nothing under HOME holds
// it; the helper runs without a terminal, without the secret variables, and within its time limit.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serveSandbox, tempHome, type Home, type ServedSandbox } from '../helpers/e2e.js';

let sb: ServedSandbox;
const homes: Home[] = [];
const vaults: string[] = [];
afterAll(() => {
  homes.forEach((h) => h.cleanup());
  vaults.forEach((v) => rmSync(v, { recursive: true, force: true }));
});
beforeAll(async () => {
  sb = await serveSandbox();
});
afterAll(() => sb?.stop());

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A HOME with the key in a file outside it, and a helper that counts its runs. */
function setup(): { home: Home; secret: string; count: string; cmd: string; runs(): number; ck: typeof cli } {
  const home = tempHome();
  homes.push(home);
  // The secret manager stand-in: a file outside HOME.
  const vault = mkdtempSync(join(tmpdir(), 'carto-keys-vault-'));
  vaults.push(vault);
  const outside = join(vault, 'master-key');
  writeFileSync(outside, `${sb.masterKey}\n`, { mode: 0o600 });
  const count = join(home.dir, 'runs');
  const cmd = `echo run >> '${count}'; cat '${outside}'`;
  const ck: typeof cli = (args, opts = {}) => cli(args, { ...opts, env: { ...home.env, ...opts.env } });
  return { home, secret: outside, count, cmd, runs: () => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0), ck };
}


describe('login --key-cmd', () => {
  it('stores the command, lists keys with the helper run once per run, and nothing under HOME holds the key', async () => {
    const s = setup();
    const login = await s.ck(['login', '--base-url', sb.baseUrl, '--key-cmd', s.cmd]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('stored nowhere');
    expect(s.runs()).toBe(1);

    const list = await s.ck(['list', '--debug']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^Master\tmaster/m);
    expect(s.runs()).toBe(2);

    const status = await s.ck(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ profile: 'default', store: { kind: 'command', command: s.cmd, variable: null } });
    expect(s.runs()).toBe(3);

    const config = JSON.parse(readFileSync(join(s.home.dir, '.config', 'carto-keys', 'config.json'), 'utf8'));
    expect(config.profiles.default).toEqual({ username: sb.username, baseUrl: sb.baseUrl, keyCmd: s.cmd });
    const files = filesUnder(s.home.dir);
    expect(files.length).toBeGreaterThan(1); // the config file and the name cache at least
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(sb.masterKey);
    for (const r of [login, list, status]) expect(r.stdout + r.stderr).not.toContain(sb.masterKey);
  });

  it('CARTO_KEYS_MASTER_KEY_CMD with CARTO_KEYS_BASE_URL: no login, nothing written, the helper run once', async () => {
    const s = setup();
    const r = await s.ck(['list', '--json'], { env: { CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY_CMD: s.cmd } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((k: { name: string }) => k.name)).toContain('Master');
    expect(s.runs()).toBe(1);
    expect(filesUnder(s.home.dir)).toEqual([s.count]);
  });

  it('the helper has no terminal, no secret variables, and its own session; a helper that waits is stopped at the limit', async () => {
    const s = setup();
    const seen = join(s.home.dir, 'seen');
    // What the helper sees: its stdin (closed: `read` fails), its session (it leads its own) and its environment.
    const probe = `{ if read -r line; then echo stdin-open; else echo stdin-closed; fi; ` +
      `[ "$(cut -d' ' -f6 /proc/$$/stat)" = "$$" ] && echo own-session; env; } > '${seen}'; ${s.cmd}`;
    const r = await s.ck(['list'], {
      env: { CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY_CMD: probe, CARTO_KEYS_SOMETHING: 'kept' },
      input: 'typed on stdin\n',
    });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(seen, 'utf8');
    expect(text).toContain('stdin-closed');
    expect(text).toContain('own-session');
    expect(text).toContain('CARTO_KEYS_SOMETHING=kept');
    expect(text).not.toContain('CARTO_KEYS_MASTER_KEY');

    const pidFile = join(s.home.dir, 'helper.pid');
    const slow = await s.ck(['list'], {
      env: { CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY_CMD: `echo $$ > '${pidFile}'; exec sleep 600`, CARTO_KEYS_KEY_CMD_TIMEOUT: '1s' },
    });
    expect(slow.code).toBe(4);
    expect(slow.stderr).toContain('The Master key command (CARTO_KEYS_MASTER_KEY_CMD) did not finish within 1 s and was stopped');
    // Its process (the `sleep`) is gone, not left behind.
    expect(() => process.kill(Number(readFileSync(pidFile, 'utf8')), 0)).toThrow(/ESRCH/);
  });

  it('a failing helper: exit 4 with its status and the first line of its stderr, key-shaped words taken out', async () => {
    const s = setup();
    const regular = 'Xl2WgKq8dTzP4rVb9sYh3A';
    const r = await s.ck(['status'], {
      env: {
        CARTO_KEYS_BASE_URL: sb.baseUrl,
        CARTO_KEYS_MASTER_KEY_CMD: `cat '${s.secret}'; echo "[ERROR] session ${regular} expired for ${sb.masterKey}" >&2; echo second line >&2; exit 6`,
      },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('The Master key command (CARTO_KEYS_MASTER_KEY_CMD) failed with exit status 6: [ERROR] session [redacted] expired for [redacted].');
    expect(r.stderr).not.toContain('second line');
    expect(r.stdout + r.stderr).not.toContain(sb.masterKey);
    expect(r.stdout + r.stderr).not.toContain(regular);
  });

  it("a helper's key is bound to its profile's account: another URL in the environment sends nothing and runs nothing", async () => {
    const s = setup();
    expect((await s.ck(['login', '--base-url', sb.baseUrl, '--key-cmd', s.cmd])).code).toBe(0);
    const r = await s.ck(['list'], { env: { CARTO_KEYS_BASE_URL: 'http://127.0.0.1:1/user/other' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('nothing was sent');
    expect(s.runs()).toBe(1);
  });
});
