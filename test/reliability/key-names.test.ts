// Key names from users — spaces, "/", unicode, control characters, very long — through create, show,
// revoke, regenerate and clone, in-process against the sandbox handler. Exit codes are only 0, 1 or 2;
// a name is refused before anything is sent, or it reaches the server intact (percent-encoded in the
// path, decoded back to the same string) and round-trips: create → show → revoke.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { validateKeyName } from '../../src/grants/names.js';
import { run, tempPaths } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';
import { expectTyped, hostile } from './helpers.js';

const p = tempPaths();
afterAll(() => p.cleanup());

const keyName = fc.oneof(
  hostile,
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '/', '.', '%', '+', '#', '?', 'é', '🔑', '\t'), minLength: 1, maxLength: 12 }),
);

function validated(name: string): string | undefined {
  try {
    return validateKeyName(name);
  } catch {
    return undefined;
  }
}

/** The names the server was asked about, decoded from the request paths. */
function addressed(urls: string[]): string[] {
  return urls
    .map((u) => /\/api\/v3\/api_keys\/([^/?]+)/.exec(new URL(u).pathname)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(decodeURIComponent);
}

describe('key names', () => {
  it('create --name: refused before sending (exit 2), or created under exactly that name and found again', async () => {
    const sb = testSandbox();
    await fc.assert(
      fc.asyncProperty(keyName, async (name) => {
        const sent = sb.requests.length;
        const r = await run(['create', '--name', name, '--api', 'sql', '--json'], { env: sb.env, fetch: sb.fetch, paths: p });
        const valid = validated(name);
        if (valid === undefined) {
          expectTyped(r, [2], `create --name ${JSON.stringify(name)}`);
          expect(sb.requests.length).toBe(sent);
          return;
        }
        expectTyped(r, [0], `create --name ${JSON.stringify(name)}`);
        expect(JSON.parse(r.stdout).name).toBe(valid);
        expect(sb.names()).toContain(valid);

        const at = sb.requests.length;
        const show = await run(['show', '--json', '--', valid], { env: sb.env, fetch: sb.fetch, paths: p });
        expectTyped(show, [0], `show ${JSON.stringify(valid)}`);
        expect(JSON.parse(show.stdout).name).toBe(valid);
        expect(addressed(sb.requests.slice(at).map((q) => q.url))).toEqual([valid]);

        const revoke = await run(['revoke', '--yes', '--', valid], { env: sb.env, fetch: sb.fetch, paths: p });
        expectTyped(revoke, [0], `revoke ${JSON.stringify(valid)}`);
        expect(sb.names()).not.toContain(valid);
      }),
      { numRuns: 120 },
    );
  });

  it('show, revoke, regenerate, clone of any name: 0, 1 or 2, and the server is asked about that very name', async () => {
    const sb = testSandbox();
    const builtIn = sb.names();
    await fc.assert(
      fc.asyncProperty(keyName, fc.constantFrom('show', 'revoke', 'regenerate', 'clone'), async (name, verb) => {
        const at = sb.requests.length;
        const argv = verb === 'show' ? ['show', '--', name] : verb === 'clone' ? ['clone', '--dry-run', '--', name] : [verb, '--yes', '--', name];
        const r = await run(argv, { env: sb.env, fetch: sb.fetch, paths: p });
        expectTyped(r, [0, 1, 2], JSON.stringify(argv));
        const asked = addressed(sb.requests.slice(at).map((q) => q.url));
        // Either refused before any request about a name, or the first one is about exactly this name.
        if (asked.length > 0) expect(asked[0]).toBe(name);
        if (r.code === 1) expect(r.stderr).toMatch(/API key not found|No API key is named|not a live token/);
        // Nothing else changed: no key lost (only regenerate of a real key changes a token).
        expect(sb.names()).toEqual(builtIn);
      }),
      { numRuns: 200 },
    );
  });

  it('names that no URL can address are refused with exit 2, before any request', async () => {
    const sb = testSandbox();
    for (const name of ['', '.', '..', ' .. ']) {
      for (const argv of [
        ['show', '--', name],
        ['revoke', '--yes', '--', name],
        ['regenerate', '--yes', '--', name],
        ['create', '--name', name, '--api', 'sql'],
      ]) {
        const at = sb.requests.length;
        const r = await run(argv, { env: sb.env, fetch: sb.fetch, paths: p });
        // ' .. ' is trimmed to '..' by create; show/revoke take names as given (a key may have spaces).
        if (name === ' .. ' && argv[0] !== 'create') continue;
        expectTyped(r, [2], JSON.stringify(argv));
        expect(sb.requests.slice(at).map((q) => q.url)).toEqual([]);
      }
    }
  });
});
