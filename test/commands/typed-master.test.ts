// A Master key typed where a name, token, username or URL goes is refused before anything is sent
// or printed (README.md "Log in", SECURITY.md; issue 11), and the refusal never repeats it.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyCheck } from '../../src/config/key-store.js';
import { run, scriptedPrompter, tempPaths } from '../helpers/harness.js';
import { MASTER, noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';

const leaks = (r: { stdout: string; stderr: string }) => (r.stdout + r.stderr).toLowerCase().includes(MASTER.toLowerCase());

describe('the Master key typed as a value', () => {
  const lines: string[][] = [
    ['show', MASTER],
    ['show', '--', MASTER],
    ['revoke', '--yes', '--', MASTER],
    ['regenerate', '--yes', MASTER],
    ['clone', MASTER],
    ['rotate', '--yes', '--keep-old', MASTER],
    ['create', '--api', 'sql', '--name', MASTER],
    [`--json`, 'show', MASTER.toUpperCase()],
    ['--debug', 'show', MASTER],
  ];
  for (const argv of lines) {
    it(`carto-keys ${argv.join(' ').replace(MASTER, '$MASTER').replace(MASTER.toUpperCase(), '$MASTER_UPPER')}: exit 2, nothing sent, not echoed`, async () => {
      const sb = testSandbox();
      const r = await run(argv, { env: sb.env, fetch: sb.fetch });
      expect(r.code, r.stderr).toBe(2);
      expect(sb.requests).toEqual([]);
      expect(leaks(r)).toBe(false);
      expect(r.stderr).toMatch(/is the Master key: refused, and nothing was sent/);
    });
  }

  it('in CARTO_KEYS_USERNAME or a base URL: refused, no DNS lookup of <key>.carto.com', async () => {
    for (const env of [
      { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_USERNAME: MASTER },
      { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: `https://${MASTER}.carto.com` },
    ]) {
      const r = await run(['list'], { env, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(2);
      expect(leaks(r)).toBe(false);
    }
  });

  it('login: a key pasted at the "username or base URL" prompt, or as --user, is refused before it is looked up', async () => {
    const prompter = scriptedPrompter([{ input: MASTER }, { password: MASTER }]);
    const asked = await run(['login'], { tty: true, prompter, fetch: noNetwork });
    expect(asked.code, asked.stderr).toBe(2);
    expect(leaks(asked)).toBe(false);
    const flag = await run(['login', '--user', MASTER, '--with-key'], { stdin: MASTER, fetch: noNetwork });
    expect(flag.code, flag.stderr).toBe(2);
    expect(leaks(flag)).toBe(false);
  });
});

describe('one guard over the whole command line, before anything parses it', () => {
  // Each was echoed by a usage error, a "not found" or a shell before the guard ran ahead of parsing.
  const places: string[][] = [
    ['rotate', '--rollback', MASTER],
    ['rotate', '--resume', MASTER],
    ['rotate', '--abort', MASTER],
    ['audit', '--scan', MASTER],
    ['plan', '-f', MASTER],
    ['apply', '-f', MASTER],
    ['rotate', 'app', '--yes', '--deploy-env-file', `a.env:${MASTER}`],
    ['rotate', 'app', '--yes', '--keep-old', '--grace', MASTER],
    ['rotate', 'app', '--yes', '--deploy-cmd', 'true', '--deploy-timeout', MASTER],
    ['audit', '--max-age', MASTER],
    ['list', '--type', MASTER],
    ['--profile', MASTER, 'list'],
    ['profile', 'use', MASTER],
    ['profile', 'remove', MASTER],
    ['profile', 'move-key', MASTER],
    ['completion', MASTER],
    ['rotate', 'app', '--yes', '--deploy-cmd', 'true', '--notify-cmd', MASTER],
    ['rotate', 'app', '--yes', '--deploy-cmd', MASTER],
    ['where', `x${MASTER}y`],
  ];
  const shown = (argv: string[]) => argv.join(' ').replace(MASTER, '$MASTER');

  for (const argv of places) {
    it(`carto-keys ${shown(argv)} (key from the environment): exit 2, nothing run or sent, not echoed`, async () => {
      const sb = testSandbox();
      const r = await run(argv, { env: sb.env, fetch: sb.fetch });
      expect(r.code, r.stderr).toBe(2);
      expect(sb.requests).toEqual([]);
      expect(leaks(r)).toBe(false);
      // A shell that ran it would have said "not found".
      expect(r.stderr).not.toMatch(/not found/);
      expect(r.stderr).toMatch(/^Error: A command-line argument is the Master key: refused, and nothing was sent\./);
    });
  }

  it('a key stored in the config file, and one in the keychain (known by its recorded check), are refused the same way', async () => {
    const paths = tempPaths();
    try {
      mkdirSync(paths.config, { recursive: true, mode: 0o700 });
      const other = 'b'.repeat(8) + '0123456789abcdef0123456789abcdef';
      writeFileSync(
        join(paths.config, 'config.json'),
        JSON.stringify({
          currentProfile: 'default',
          profiles: {
            default: { username: 'demo', baseUrl: 'https://demo.carto.com', masterKey: MASTER },
            vault: { username: 'demo', baseUrl: 'https://demo.carto.com', storage: 'keychain', keychainAccount: 'vault x', keyCheck: keyCheck(other) },
          },
        }),
        { mode: 0o600 },
      );
      for (const key of [MASTER, other, other.toUpperCase()]) {
        for (const argv of [['plan', '-f', key], ['completion', key], ['rotate', 'app', '--yes', '--grace', `${key}s`]]) {
          const r = await run(argv, { paths, fetch: noNetwork });
          expect(r.code, r.stderr).toBe(2);
          expect((r.stdout + r.stderr).toLowerCase()).not.toContain(key.toLowerCase());
          expect(r.stderr).toMatch(/is the Master key: refused/);
        }
      }
    } finally {
      paths.cleanup();
    }
  });

  it('an argument that only looks like a key goes on to the command', async () => {
    const sb = testSandbox();
    const r = await run(['show', 'c'.repeat(8) + '0123456789abcdef0123456789abcdef'], { env: sb.env, fetch: sb.fetch });
    expect(r.stderr).not.toMatch(/is the Master key/);
  });
});

describe('where <token> (a key named by its token)', () => {
  it('sends the token only as a credential and prints the key it belongs to, never the token (--debug included)', async () => {
    const sb = testSandbox();
    const created = await run(['create', '--api', 'sql', '--name', 'web', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(created.code, created.stderr).toBe(0);
    const token = sb.token('web')!;
    sb.requests.length = 0;
    // `--` before the token: a random token may begin with '-', which would read as an option.
    for (const argv of [['where', '--', token], ['--debug', 'where', '--', token], ['--json', 'where', '--', token]]) {
      const r = await run(argv, { env: sb.env, fetch: sb.fetch });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(token);
      expect(r.stdout + r.stderr).toContain('web');
    }
    expect(sb.requests.map((q) => q.url).filter((u) => u.includes(token))).toEqual([]);
  });

  it('a token-shaped argument that is no live token nor a name: refused without repeating it or putting it in a URL', async () => {
    const sb = testSandbox();
    const dead = 'Zz'.repeat(11);
    const r = await run(['--debug', 'where', dead], { env: sb.env, fetch: sb.fetch });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain(dead);
    expect(sb.requests.map((q) => q.url).filter((u) => u.includes(dead))).toEqual([]);
  });
});
