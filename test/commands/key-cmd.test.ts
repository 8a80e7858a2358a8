// The credential helper in-process, against the emulator: what login --key-cmd refuses, what the
// profile records, and what becomes of the commands that would store a key (regenerate Master,
// profile move-key, logout). The helper itself runs for real (`sh -c`).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { scrubHelperMessage } from '../../src/config/key-command.js';
import { validateConfig } from '../../src/config/store.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox } from '../helpers/sandbox-fetch.js';

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
