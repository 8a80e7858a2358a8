// A token-shaped argument is tried as a token (its own list call) before any name lookup could put it
// in a URL path, a --debug trace or an error (issue 11: rotating by token, as the CI recipe does).

import { describe, expect, it } from 'vitest';
import { run } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';

describe('resolving a key by token', () => {
  for (const command of [['clone', '--dry-run'], ['rotate', '--yes', '--keep-old']]) {
    it(`${command[0]} -- <token>: no request carries the token in its URL, and the trace never shows it`, async () => {
      const sb = testSandbox();
      expect((await run(['create', '--api', 'sql', '--name', 'app'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
      const token = sb.token('app')!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const before = sb.requests.length;
      const r = await run(['--debug', command[0]!, ...command.slice(1), '--', token], { env: sb.env, fetch: sb.fetch });
      const sent = sb.requests.slice(before);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.filter((q) => q.url.includes(token))).toEqual([]);
      expect(r.stdout + r.stderr).not.toContain(token);
    });
  }

  it('a name that merely looks like a token is still found by name', async () => {
    const sb = testSandbox();
    const name = 'abcdefghijklmnopqrstuv';
    expect((await run(['create', '--api', 'sql', '--name', name], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const r = await run(['clone', '--dry-run', '--', name], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
  });

  for (const verb of ['show', 'revoke', 'clone']) {
    it(`${verb} -- <a revoked or foreign token>: not a token here, not a name; never in a URL, the trace or the error`, async () => {
      const sb = testSandbox();
      const dead = 'Zq9_dEaDtOkEnXyZ12-abc';
      const before = sb.requests.length;
      const r = await run(['--debug', verb, ...(verb === 'revoke' ? ['--yes'] : verb === 'clone' ? ['--dry-run'] : []), '--', dead], { env: sb.env, fetch: sb.fetch });
      // A missing key, like any other (issue 21: this was exit 2 while a missing name was exit 1).
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('No API key has that name, and it is not a live token of this account.');
      expect(sb.requests.slice(before).filter((q) => q.url.includes(dead))).toEqual([]);
      expect(r.stdout + r.stderr).not.toContain(dead);
    });
  }
});
