// Profile names from users: whatever is passed to --profile, CARTO_KEYS_PROFILE, login, `profile use`
// or `profile remove`, the CLI answers with a typed outcome (exit 2 for a bad name, nothing written),
// and a valid name is safe to use inside a file name (the key-name cache is `names-<profile>.json`).

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isValidProfileName } from '../../src/config/store.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox } from '../helpers/sandbox-fetch.js';
import { expectTyped, hostile } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function paths() {
  const p = tempPaths();
  cleanups.push(p.cleanup);
  return p;
}

const profileName = fc.oneof(hostile, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,70}$/));

describe('isValidProfileName', () => {
  it('never throws, and a valid name is a plain file-name part', () => {
    fc.assert(
      fc.property(profileName, (name) => {
        const valid = isValidProfileName(name);
        expect(typeof valid).toBe('boolean');
        if (!valid) return;
        expect(name.length).toBeGreaterThan(0);
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name).not.toMatch(/[\s/\\\0]|^[-.]/);
        const cache = resolve('/cache');
        expect(resolve(cache, `names-${name}.json`).startsWith(cache + sep)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('--profile and CARTO_KEYS_PROFILE through the CLI', () => {
  it('exit 0 for a valid name (the environment supplies the account), 2 for any other, never a crash', async () => {
    const sb = testSandbox();
    const p = paths();
    await fc.assert(
      fc.asyncProperty(profileName, fc.constantFrom('flag', 'flag=', 'env'), async (name, how) => {
        const argv = how === 'flag' ? ['list', '--profile', name] : how === 'flag=' ? ['list', `--profile=${name}`] : ['list'];
        const env = how === 'env' ? { ...sb.env, CARTO_KEYS_PROFILE: name } : sb.env;
        const r = await run(argv, { env, fetch: sb.fetch, paths: p });
        // An empty CARTO_KEYS_PROFILE means "not set", as for every CARTO_KEYS_* variable.
        const valid = isValidProfileName(name) || (how === 'env' && name === '');
        expectTyped(r, [valid ? 0 : 2], JSON.stringify(argv));
        if (!valid) expect(r.stderr).toMatch(/profile name|argument missing/i);
      }),
      { numRuns: 150 },
    );
    // Nothing was written: the environment held everything.
    expect(existsSync(join(p.config, 'config.json'))).toBe(false);
  });

  it('login --profile stores exactly the valid names; profile use/remove find them again', async () => {
    const sb = testSandbox();
    const p = paths();
    await fc.assert(
      fc.asyncProperty(profileName, async (name) => {
        const file = join(p.config, 'config.json');
        const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
        const login = await run(['login', '--profile', name, '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER });
        const valid = isValidProfileName(name);
        expectTyped(login, [valid ? 0 : 2], `login --profile ${JSON.stringify(name)}`);
        if (!valid) {
          expect(existsSync(file) ? readFileSync(file, 'utf8') : undefined).toBe(before);
          return;
        }
        expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).profiles)).toContain(name);
        expectTyped(await run(['profile', 'use', name], { paths: p }), [0]);
        expectTyped(await run(['profile', 'remove', name, '--yes'], { paths: p }), [0]);
        expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).profiles)).not.toContain(name);
      }),
      { numRuns: 60 },
    );
  });

  it('`profile use` and `profile remove` of a name that is not stored: exit 2, file unchanged', async () => {
    const sb = testSandbox();
    const p = paths();
    expectTyped(await run(['login', '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER }), [0]);
    const file = join(p.config, 'config.json');
    const before = readFileSync(file, 'utf8');
    await fc.assert(
      fc.asyncProperty(profileName.filter((n) => n !== 'default'), fc.constantFrom('use', 'remove'), async (name, verb) => {
        const r = await run(['profile', verb, name, ...(verb === 'remove' ? ['--yes'] : [])], { paths: p });
        expectTyped(r, [2], `profile ${verb} ${JSON.stringify(name)}`);
        expect(readFileSync(file, 'utf8')).toBe(before);
      }),
      { numRuns: 100 },
    );
  });

  // Found by the property above: the stored profiles were a plain object, so "constructor" and
  // "toString" were found in Object.prototype — `profile use constructor` succeeded and broke every
  // later command.
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])('a profile named %j exists only if stored', async (name) => {
    const sb = testSandbox();
    const p = paths();
    expectTyped(await run(['login', '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER }), [0]);
    const use = await run(['profile', 'use', name], { paths: p });
    expectTyped(use, [2]);
    expect(use.stderr).toContain(`No profile named "${name}"`);
    // A profile named on purpose that does not exist is a usage error listing the profiles (README.md "Log in").
    const list = await run(['list', '--profile', name], { paths: p, fetch: sb.fetch });
    expectTyped(list, [2]);
    expect(list.stderr).toContain(`No profile named "${name}". Profiles: default.`);
    // And stored under that name, it works like any other.
    expectTyped(await run(['login', '--profile', name, '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER }), [0]);
    expectTyped(await run(['list', '--profile', name], { paths: p, fetch: sb.fetch }), [0]);
    expectTyped(await run(['profile', 'remove', name, '--yes'], { paths: p }), [0]);
    expectTyped(await run(['list', '--profile', name], { paths: p, fetch: sb.fetch }), [2]);
  });
});
