// The credential helper in-process, against the emulator: what login --key-cmd refuses, what the
// profile records, and what becomes of the commands that would store a key (regenerate Master,
// profile move-key, logout). The helper itself runs for real (`sh -c`).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { scrubHelperMessage } from '../../src/config/key-command.js';
import { validateConfig } from '../../src/config/store.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox } from '../helpers/sandbox-fetch.js';
import { tempHome, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { serveInProcess, type InProcessSandbox } from '../helpers/served.js';

const dir = mkdtempSync(join(tmpdir(), 'ck-keycmd-'));
const made: { cleanup(): void }[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  made.forEach((p) => p.cleanup());
});
const secret = join(dir, 'master');
writeFileSync(secret, `${MASTER}\n`);
const CMD = `cat '${secret}'`;

function fixture() {
  const sb = testSandbox();
  const paths = tempPaths();
  made.push(paths);
  const cli = (args: string[], env: Record<string, string> = {}) => run(args, { env, fetch: sb.fetch, paths });
  const config = () => JSON.parse(readFileSync(join(paths.config, 'config.json'), 'utf8'));
  return { sb, paths, cli, config };
}

describe('login --key-cmd', () => {
  it.each([
    [['--with-key'], '--with-key'],
    [['--storage', 'keychain'], '--storage'],
    [['--sandbox'], '--sandbox'],
  ])('with %j is a usage error, nothing run or sent', async (extra, named) => {
    const f = fixture();
    const r = await f.cli(['login', '--base-url', BASE_URL, '--key-cmd', `touch '${dir}/ran'`, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--key-cmd and ${named} cannot be used together`);
    expect(f.sb.requests).toEqual([]);
  });

  it('replaces a stored key by the command; --json names the store; logout forgets the command', async () => {
    const f = fixture();
    expect((await f.cli(['login', '--base-url', BASE_URL, '--with-key'], {})).code).toBe(2); // no stdin key: a usage error
    const stored = await run(['login', '--base-url', BASE_URL, '--with-key'], { stdin: MASTER, fetch: f.sb.fetch, paths: f.paths });
    expect(stored.code, stored.stderr).toBe(0);
    expect(f.config().profiles.default.masterKey).toBe(MASTER);

    const r = await f.cli(['login', '--key-cmd', CMD, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: 'default', store: { kind: 'command', command: CMD } });
    expect(f.config().profiles.default).toEqual({ username: 'demo', baseUrl: BASE_URL, keyCmd: CMD });
    expect(readFileSync(join(f.paths.config, 'config.json'), 'utf8')).not.toContain(MASTER);

    // A broken helper does not stand in the way of forgetting it: logout does not run it.
    const config = f.config();
    config.profiles.default.keyCmd = `touch '${dir}/ran'; exit 1`;
    writeFileSync(join(f.paths.config, 'config.json'), JSON.stringify(config));
    const out = await f.cli(['logout']);
    expect(out.code, out.stderr).toBe(0);
    expect(() => readFileSync(join(dir, 'ran'))).toThrow(/ENOENT/);
    expect(f.config().profiles.default).toEqual({ username: 'demo', baseUrl: BASE_URL });
  });

  it('a command that prints a key that is not the Master key stores nothing (exit 4)', async () => {
    const f = fixture();
    const created = await run(['create', '--name', 'app', '--api', 'sql', '--token-only'], { env: f.sb.env, fetch: f.sb.fetch, paths: f.paths });
    const regular = join(dir, 'regular');
    writeFileSync(regular, created.stdout);
    const r = await f.cli(['login', '--base-url', BASE_URL, '--key-cmd', `cat '${regular}'`]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('not the Master key');
    expect(r.stderr).not.toContain(created.stdout.trim());
    expect(() => f.config()).toThrow(/ENOENT/);
  });
});

describe('a key from a command is not ours to store', () => {
  it('regenerate Master needs --print-token (nowhere to store the new key), and profile move-key refuses', async () => {
    const f = fixture();
    expect((await f.cli(['login', '--base-url', BASE_URL, '--key-cmd', CMD])).code).toBe(0);
    const before = f.sb.requests.length;
    const r = await f.cli(['regenerate', 'Master', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`The Master key comes from the output of \`${CMD}\``);
    expect(r.stderr).toContain('--print-token');
    expect(f.sb.requests.length).toBe(before);
    const move = await f.cli(['profile', 'move-key', 'default', '--to', 'file']);
    expect(move.code).toBe(2);
    expect(move.stderr).toContain('reads it from a command');
  });

  it('from the environment, status says so and names the command, not its output', async () => {
    const f = fixture();
    const r = await f.cli(['status'], { CARTO_KEYS_BASE_URL: BASE_URL, CARTO_KEYS_MASTER_KEY_CMD: CMD });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('none: key and account come from the environment');
    expect(r.stdout).toContain(`the output of \`${CMD}\` (a command, from environment variable CARTO_KEYS_MASTER_KEY_CMD)`);
    expect(r.stdout).not.toContain(MASTER);
  });
});

describe('the config file', () => {
  it('a profile with keyCmd holds no key, and keyCmd is a non-empty string', () => {
    const p = (profile: object) => validateConfig({ profiles: { a: { username: 'u', baseUrl: 'https://u.carto.com', ...profile } } });
    expect(p({ keyCmd: 'op read x' })).toBeUndefined();
    expect(p({ keyCmd: '' })).toContain('"keyCmd" must be a non-empty string');
    expect(p({ keyCmd: 'x', masterKey: MASTER })).toContain('must not hold one');
  });
});

describe("a helper's message", () => {
  it('never carries a token-shaped word (40 hex, 22 base64) or the key it printed, and stays one line', () => {
    const token = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }).filter((t) => /[a-f]/.test(t) && /[0-9]/.test(t)),
      fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'), minLength: 22, maxLength: 22 }).filter((t) => /[0-9]/.test(t) && /[A-Za-z]/.test(t)),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), token, fc.string({ maxLength: 30 }), (before, t, after) => {
        const out = scrubHelperMessage(`${before} ${t} ${after}`, t);
        expect(out).not.toContain(t);
        expect(out).not.toMatch(/[\n\r]/);
      }),
    );
    expect(scrubHelperMessage('[ERROR] 403 Forbidden: vault path secret/carto not allowed')).toBe('[ERROR] 403 Forbidden: vault path secret/carto not allowed');
  });
});

describe('over HTTP, against the sandbox served in-process', () => {
  // A credential helper over HTTP, against the sandbox served in-process: `login --key-cmd 'cat secret-file'`
  // stores the command, never the key; each run reads the key once, in memory; nothing under HOME holds
  // it; the helper runs without a terminal, without the secret variables, and within its time limit.
  let sb: InProcessSandbox;
  const homes: Home[] = [];
  const vaults: string[] = [];
  afterAll(() => {
    homes.forEach((h) => h.cleanup());
    vaults.forEach((v) => rmSync(v, { recursive: true, force: true }));
  });
  beforeAll(async () => {
    sb = await serveInProcess();
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
  function setup(): { home: Home; secret: string; count: string; cmd: string; runs(): number; ck: typeof cliInProcess } {
    const home = tempHome();
    homes.push(home);
    // The secret manager stand-in: a file outside HOME.
    const vault = mkdtempSync(join(tmpdir(), 'carto-keys-vault-'));
    vaults.push(vault);
    const outside = join(vault, 'master-key');
    writeFileSync(outside, `${sb.masterKey}\n`, { mode: 0o600 });
    const count = join(home.dir, 'runs');
    const cmd = `echo run >> '${count}'; cat '${outside}'`;
    const ck: typeof cliInProcess = (args, opts = {}) => cliInProcess(args, { ...opts, env: { ...home.env, ...opts.env } });
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
});
