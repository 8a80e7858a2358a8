// What reaches the CLI through argv and the environment besides names: options it does not know
// (a key typed as `--master-key=…` must not be echoed into a terminal or a CI log) and
// CARTO_KEYS_TIMEOUT_MS (validated: a typo is a usage error that names the variable, never a crash).

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { withoutArgValues } from '../../src/cli.js';
import { timeoutFromEnv } from '../../src/context-factory.js';
import { UsageError } from '../../src/errors.js';
import { run, tempPaths } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';
import { expectTyped, hostile } from './helpers.js';

const p = tempPaths();
afterAll(() => p.cleanup());

const token = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
const optionName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).map((n) => `x-${n}`);
const verb = fc.constantFrom('', 'list', 'show', 'create', 'login', 'revoke', 'regenerate', 'clone', 'status', 'profile');

describe('argv', () => {
  it('an unknown --option=value is refused (exit 2) without echoing the value', async () => {
    await fc.assert(
      fc.asyncProperty(verb, optionName, token, fc.boolean(), async (cmd, name, secret, json) => {
        const argv = [...(cmd ? [cmd] : []), `--${name}=${secret}`, ...(json ? ['--json'] : [])];
        const r = await run(argv, { paths: p });
        expectTyped(r, [2], argv.join(' '));
        expect(r.stderr).toContain(`--${name}=…`);
        expect(r.stdout + r.stderr).not.toContain(secret);
      }),
      { numRuns: 150 },
    );
  });

  it('a token typed where a command belongs is not echoed either', async () => {
    await fc.assert(
      fc.asyncProperty(token, async (secret) => {
        const r = await run([secret], { paths: p });
        expectTyped(r, [2]);
        expect(r.stdout + r.stderr).not.toContain(secret);
      }),
      { numRuns: 100 },
    );
  });

  it('a lower-case token typed where a command belongs is not echoed (a counterexample fast-check found)', async () => {
    const secret = 'aaaaaaaaaaaaaaaa';
    const r = await run([secret], { paths: p });
    expectTyped(r, [2]);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('withoutArgValues leaves messages without values alone', () => {
    for (const m of ["unknown option '--key'", "too many arguments for 'login'. Expected 0 arguments but got 1.", "unknown command 'lst'"]) {
      expect(withoutArgValues(m)).toBe(m);
    }
    expect(withoutArgValues("unknown option '--master-key=abc'")).toBe("unknown option '--master-key=…'");
  });
});

describe('CARTO_KEYS_TIMEOUT_MS', () => {
  it('a whole number of milliseconds from 1 to 600000, else a UsageError naming the variable', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.integer({ min: -10, max: 700_000 }).map(String), fc.constantFrom('1e3', '0x10', ' 500 ', '500ms', '1.5', '+5', '00012')), (raw) => {
        let got: number | undefined;
        try {
          got = timeoutFromEnv({ CARTO_KEYS_TIMEOUT_MS: raw });
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as UsageError).message).toContain('CARTO_KEYS_TIMEOUT_MS');
          return;
        }
        if (raw.trim() === '') {
          expect(got).toBeUndefined();
          return;
        }
        expect(Number.isSafeInteger(got)).toBe(true);
        expect(got).toBeGreaterThanOrEqual(1);
        expect(got).toBeLessThanOrEqual(600_000);
        expect(got).toBe(Number(raw.trim()));
      }),
      { numRuns: 1000 },
    );
  });

  it('through the CLI: exit 2 before any request for a bad value; a good one is used', async () => {
    const sb = testSandbox();
    for (const raw of ['abc', '0', '-1', '1.5', '600001']) {
      const at = sb.requests.length;
      const r = await run(['list'], { env: { ...sb.env, CARTO_KEYS_TIMEOUT_MS: raw }, fetch: sb.fetch, paths: p });
      expectTyped(r, [2], raw);
      expect(r.stderr).toContain('CARTO_KEYS_TIMEOUT_MS');
      expect(sb.requests.length).toBe(at);
    }
    expectTyped(await run(['list'], { env: { ...sb.env, CARTO_KEYS_TIMEOUT_MS: '5000' }, fetch: sb.fetch, paths: p }), [0]);
    // --help and other offline commands never look at it.
    expectTyped(await run(['--help'], { env: { CARTO_KEYS_TIMEOUT_MS: 'abc' }, paths: p }), [0]);
  });

  it('a stalled server times out after CARTO_KEYS_TIMEOUT_MS per attempt', async () => {
    const sb = testSandbox();
    const stalled = () => new Promise<Response>(() => {});
    const started = Date.now();
    const r = await run(['show', 'Master'], { env: { ...sb.env, CARTO_KEYS_TIMEOUT_MS: '50' }, fetch: stalled, paths: p });
    expectTyped(r, [1]);
    expect(r.stderr).toMatch(/did not answer within 50 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
