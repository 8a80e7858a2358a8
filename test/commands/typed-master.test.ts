// A Master key typed where a name, token, username or URL goes is refused before anything is sent
// or printed (product.md §2, §6; issue 11), and the refusal never repeats it.

import { describe, expect, it } from 'vitest';
import { run, scriptedPrompter } from '../helpers/harness.js';
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
