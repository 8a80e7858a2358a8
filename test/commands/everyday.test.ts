// Issue 13, "every day": confirmations that read the same everywhere, and the sandbox's reset.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, scriptedPrompter, tempPathsPerTest } from '../helpers/harness.js';
import { noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';

const paths = tempPathsPerTest();

async function sandboxWithKey(p: ReturnType<typeof paths>): Promise<void> {
  expect((await run(['login', '--sandbox'], { paths: p, fetch: noNetwork })).code).toBe(0);
  const created = await run(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population'], { paths: p, fetch: noNetwork });
  expect(created.code, created.stderr).toBe(0);
}

async function names(p: ReturnType<typeof paths>): Promise<string[]> {
  return JSON.parse((await run(['list', '--json'], { paths: p, fetch: noNetwork })).stdout).map((k: { name: string }) => k.name);
}

describe('sandbox reset confirms like profile remove', () => {
  it('without a terminal it needs --yes, and nothing is reset', async () => {
    const p = paths();
    await sandboxWithKey(p);
    const r = await run(['sandbox', 'reset'], { paths: p, fetch: noNetwork });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
    expect(await names(p)).toContain('app');
  });

  it('on a terminal it asks; declining changes nothing (exit 3, no "Error:")', async () => {
    const p = paths();
    await sandboxWithKey(p);
    const prompter = scriptedPrompter([{ confirm: false, match: /Reset the sandbox\? Every key in it is lost/ }]);
    const r = await run(['sandbox', 'reset'], { paths: p, fetch: noNetwork, tty: true, prompter });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('Nothing was changed.\n');
    expect(await names(p)).toContain('app');
  });

  it('on a terminal, yes resets it', async () => {
    const p = paths();
    await sandboxWithKey(p);
    const prompter = scriptedPrompter([{ confirm: true }]);
    const r = await run(['sandbox', 'reset'], { paths: p, fetch: noNetwork, tty: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    expect(await names(p)).toEqual(['Master', 'Default public']);
  });
});

describe('list filters', () => {
  async function sandbox() {
    const sb = testSandbox();
    for (const [name, ...flags] of [
      ['app-web', '--api', 'sql,maps', '--table', 'liked_cities:select,insert'],
      ['app-etl', '--api', 'sql', '--table', 'liked_cities', '--table', 'world_population'],
      ['report', '--api', 'maps', '--table', 'national_incomes'],
    ] as string[][]) {
      expect((await run(['create', '--name', name!, ...flags], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    }
    const list = async (...args: string[]) => {
      const r = await run(['list', ...args], { env: sb.env, fetch: sb.fetch });
      expect(r.code, r.stderr).toBe(0);
      return { names: r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t')[0]), stderr: r.stderr };
    };
    return { sb, list };
  }

  it('a name glob, --api and --table (with or without permissions), all of them together', async () => {
    const { list } = await sandbox();
    expect((await list('app-*')).names).toEqual(['app-web', 'app-etl']);
    expect((await list('app-?eb')).names).toEqual(['app-web']);
    expect((await list('report')).names).toEqual(['report']);
    expect((await list('--api', 'maps')).names).toEqual(['Master', 'Default public', 'app-web', 'report']);
    expect((await list('--api', 'sql,maps', '--type', 'regular')).names).toEqual(['app-web']);
    expect((await list('--table', 'liked_cities')).names).toEqual(['app-web', 'app-etl']);
    expect((await list('--table', 'public.liked_cities:insert')).names).toEqual(['app-web']);
    expect((await list('app-*', '--api', 'sql', '--table', 'world_population')).names).toEqual(['app-etl']);
    expect((await list('nothing-*')).names).toEqual([]);
  });

  it('--limit says on stderr that more keys exist, with or without a filter', async () => {
    const { list } = await sandbox();
    const first = await list('--limit', '1');
    expect(first.names).toEqual(['Master']);
    expect(first.stderr).toBe('Showing the first 1 of 5 keys (--limit 1).\n');
    const filtered = await list('app-*', '--limit', '1');
    expect(filtered.names).toEqual(['app-web']);
    expect(filtered.stderr).toBe('Showing the first 1 of 2 keys (--limit 1).\n');
    expect((await list('--limit', '5')).stderr).toBe('');
  });

  it('a bad --api or --table filter is exit 2, nothing sent', async () => {
    for (const args of [['--api', 'sqll'], ['--table', 'a:selec'], ['--table', 'a/b']]) {
      const r = await run(['list', ...args], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(2);
    }
  });

  it('--json is filtered too', async () => {
    const { sb } = await sandbox();
    const r = await run(['list', 'app-*', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(JSON.parse(r.stdout).map((k: { name: string }) => k.name)).toEqual(['app-web', 'app-etl']);
  });
});

describe('--grants-file that cannot be read: a usage error (exit 2), nothing sent, a clear reason', () => {
  for (const [what, path, says] of [
    ['a folder', '.', 'a directory, not a regular file'],
    ['a missing file', '/nonexistent/grants.json', 'no such file'],
  ] as const) {
    it(what, async () => {
      const r = await run(['create', '--name', 'x', '--grants-file', path], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Cannot read --grants-file ${path}: ${says}.`);
      expect(r.stderr).not.toContain('EISDIR');
    });
  }
});

describe('a token wherever a key is named for reading or revoking', () => {
  it('show <token> shows its key and says whose it is; revoke <token> revokes it', async () => {
    const sb = testSandbox();
    expect((await run(['create', '--name', 'leaky', '--api', 'sql'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const token = sb.token('leaky')!;
    const shown = await run(['show', '--', token], { env: sb.env, fetch: sb.fetch });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^Name +leaky\n/);
    expect(shown.stdout).not.toContain(token);
    expect(shown.stderr).toContain('That token belongs to the API key "leaky".');
    const revoked = await run(['revoke', '--yes', '--', token], { env: sb.env, fetch: sb.fetch });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain('Revoked API key "leaky"');
    expect(sb.names()).not.toContain('leaky');
  });

  it('a name and the token of the same key are revoked once', async () => {
    // `--`: a token may start with "-" (URL-safe base64), as the README says.
    const sb = testSandbox();
    expect((await run(['create', '--name', 'twice', '--api', 'sql'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const r = await run(['revoke', '--yes', '--', 'twice', sb.token('twice')!], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/Revoked/g)).toHaveLength(1);
  });

  it('a missing key: exit 1 and one message, whatever the command (issue 21)', async () => {
    const sb = testSandbox();
    for (const args of [
      ['show', 'nope'],
      ['revoke', 'nope', '--yes'],
      ['clone', 'nope'],
      ['rotate', 'nope', '--keep-old', '--yes'],
    ]) {
      const r = await run([...args], { env: sb.env, fetch: sb.fetch });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr, args.join(' ')).toBe('Error: No API key is named "nope".\nNames are case-sensitive: `carto-keys list` shows them.\n');
    }
    const regenerate = await run(['regenerate', 'nope', '--yes'], { env: sb.env, fetch: sb.fetch });
    expect(regenerate.code).toBe(1);
    expect(regenerate.stderr).toContain('Could not regenerate API key "nope"');
  });
});

describe('one flag name per idea', () => {
  it('rotate --name names the new key; --new-name still works (hidden); both, differing, is a usage error', async () => {
    const sb = testSandbox();
    expect((await run(['create', '--name', 'app', '--api', 'sql'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const r = await run(['rotate', 'app', '--name', 'app-2', '--keep-old', '--yes'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(sb.names()).toContain('app-2');
    const old = await run(['rotate', 'app-2', '--new-name', 'app-3', '--keep-old', '--yes'], { env: sb.env, fetch: sb.fetch });
    expect(old.code, old.stderr).toBe(0);
    expect(sb.names()).toContain('app-3');
    const both = await run(['rotate', 'app', '--name', 'x', '--new-name', 'y', '--keep-old', '--yes'], { env: sb.env, fetch: noNetwork });
    expect(both.code).toBe(2);
    const help = await run(['rotate', '--help']);
    expect(help.stdout).toContain('--name <name>');
    expect(help.stdout).not.toContain('--new-name');
  });

  it('--token-only prints only the token on show, create, clone, regenerate; show --token is its hidden old spelling', async () => {
    const sb = testSandbox();
    const created = await run(['create', '--name', 'app', '--api', 'sql', '--token-only'], { env: sb.env, fetch: sb.fetch });
    expect(created.stdout).toBe(`${sb.token('app')}\n`);
    expect((await run(['show', 'app', '--token-only'], { env: sb.env, fetch: sb.fetch })).stdout).toBe(`${sb.token('app')}\n`);
    expect((await run(['show', 'app', '--token'], { env: sb.env, fetch: sb.fetch })).stdout).toBe(`${sb.token('app')}\n`);
    const cloned = await run(['clone', 'app', '--name', 'app-c', '--token-only'], { env: sb.env, fetch: sb.fetch });
    expect(cloned.stdout).toBe(`${sb.token('app-c')}\n`);
    const regen = await run(['regenerate', 'app', '--yes', '--token-only'], { env: sb.env, fetch: sb.fetch });
    expect(regen.stdout).toBe(`${sb.token('app')}\n`);
    expect((await run(['show', '--help'])).stdout).not.toMatch(/--token\b(?!-only)/);
  });

  it('--token-only with --json is a usage error, nothing sent', async () => {
    for (const args of [
      ['show', 'app', '--token-only'],
      ['show', 'app', '--token'],
      ['create', '--name', 'a', '--api', 'sql', '--token-only'],
      ['clone', 'app', '--token-only'],
      ['regenerate', 'app', '--yes', '--token-only'],
    ]) {
      const r = await run([...args, '--json'], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('--token-only and --json cannot be used together');
    }
  });

  it('regenerate Master --print-token with a stored profile: refused before anything is sent, not dropped', async () => {
    const p = paths();
    expect((await run(['login', '--sandbox'], { paths: p, fetch: noNetwork })).code).toBe(0);
    const stored = () => JSON.parse(readFileSync(join(p.config, 'config.json'), 'utf8')).profiles.sandbox.masterKey as string;
    const before = stored();
    for (const flag of ['--print-token', '--token-only']) {
      const r = await run(['regenerate', 'Master', '--yes', flag], { paths: p, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${flag} cannot print a Master key stored in profile "sandbox"`);
      expect(r.stdout).toBe('');
    }
    // Nothing changed: the same key is stored, and it still works.
    expect(stored()).toBe(before);
    expect((await run(['status'], { paths: p, fetch: noNetwork })).code).toBe(0);
  });
});
