// Usage errors come first (exit 2, nothing sent): a bad flag value is reported before
// credentials are looked for, files are read or anything is sent. Without credentials, the same
// commands with valid flags exit 4, so each case below shows the order, not just a refusal.

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { run, tempPaths } from '../helpers/harness.js';
import { noNetwork } from '../helpers/sandbox-fetch.js';

let p: ReturnType<typeof tempPaths>;
afterEach(() => p?.cleanup());

/** No credentials anywhere: an empty environment and folders that do not exist. */
async function runBare(argv: string[]) {
  p = tempPaths();
  const r = await run(argv, { env: {}, paths: p, fetch: noNetwork });
  // Nothing was read or written in the config, cache or data folders: none of them was even created.
  expect(existsSync(p.config), 'the config folder was created').toBe(false);
  expect(existsSync(p.cache), 'the cache folder was created').toBe(false);
  expect(existsSync(p.data), 'the data folder was created').toBe(false);
  return r;
}

describe('a bad flag wins over missing credentials', () => {
  it.each([
    [['create', '--api', 'sqll'], /sqll/],
    [['create', '--name', 'app', '--table', 'liked_cities:frobnicate'], /frobnicate/],
    [['create', '--name', 'a'.repeat(300), '--api', 'sql'], /name/i],
    [['create', '--service', 'teleport'], /teleport/],
    [['create'], /Nothing to grant/],
    [['clone', 'app', '--add-api', 'sqll'], /sqll/],
    [['clone', 'app', '--remove-table', 'x:frobnicate'], /frobnicate/],
    [['rotate', 'app', '--add-schema', 'x:drop', '--deploy-env-file', '.env', '--delete-old', '--yes'], /drop/],
    [['rotate', 'app', '--yes', '--deploy-cmd', 'true'], /Pass --delete-old, --keep-old or --grace/],
    [['rotate', '--resume', 'app', '--new-name', 'x'], /--new-name cannot be used with --resume/],
    [['list', '--type', 'bogus'], /bogus/],
    [['list', '--limit', '0'], /--limit/],
    [['revoke', 'Master', '--yes'], /built-in/],
    [['revoke', 'app'], /--yes/],
    [['regenerate', 'app'], /--yes/],
    [['regenerate', 'Default public', '--yes'], /cannot be regenerated/],
    [['login', '--sandbox', '--user', 'x'], /--sandbox takes no/],
    [['login'], /Which account/],
    [['profile', 'remove', 'x'], /--yes/],
  ])('%j exits 2', async (argv, message) => {
    const r = await runBare(argv);
    expect(r.stderr).toMatch(message);
    expect(r.code, r.stderr).toBe(2);
  });

  it('--json: the usage error is one JSON document on stderr', async () => {
    const r = await runBare(['create', '--api', 'sqll', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'invalid_grant', message: expect.stringContaining('sqll') } });
  });
});

describe('the same commands with valid flags and no credentials', () => {
  it.each([
    [['create', '--api', 'sql']],
    [['create', '--name', 'app', '--table', 'liked_cities:select']],
    [['clone', 'app', '--add-api', 'sql']],
    [['rotate', 'app', '--add-api', 'sql', '--deploy-env-file', '.env', '--delete-old', '--yes']],
    [['list', '--type', 'regular']],
    [['revoke', 'app', '--yes']],
    [['regenerate', 'app', '--yes']],
  ])('%j exits 4', async (argv) => {
    p = tempPaths();
    const r = await run(argv, { env: {}, paths: p, fetch: noNetwork });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/Not logged in/);
  });

  it('a --grants-file that cannot be read is a usage error too, found before the credentials', async () => {
    p = tempPaths();
    const r = await run(['create', '--grants-file', `${p.root}/missing.json`], { env: {}, paths: p, fetch: noNetwork });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/Cannot read --grants-file/);
  });
});
