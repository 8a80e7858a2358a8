// Issue 21, "every day, round two", in-process: grant errors that name the culprit, one notation for
// show and create, honest profile removal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempPathsPerTest } from '../helpers/harness.js';
import { noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';
import { ROOT } from '../helpers/e2e.js';
import { rotationFixture } from '../rotate/helpers.js';

const paths = tempPathsPerTest();

describe('a grant CARTO refuses is named', () => {
  it('create --table nonexistent_table: the table is named, not only CARTO\'s "table permissions you have"', async () => {
    const sb = testSandbox();
    const r = await run(['create', '--name', 'x', '--api', 'sql', '--table', 'nonexistent_table'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Grants can only grant table permissions you have');
    expect(r.stderr).toContain('"public.nonexistent_table": no such table, or not yours');
    expect(sb.names()).not.toContain('x');
  });

  it('a table some key reaches is not blamed: the other one is', async () => {
    const sb = testSandbox();
    expect((await run(['create', '--name', 'a', '--api', 'sql', '--table', 'world_population'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const r = await run(['create', '--name', 'x', '--api', 'sql', '--table', 'world_population', '--table', 'cities_typo:select,insert'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"public.cities_typo": no such table, or not yours');
    expect(r.stderr).not.toContain('"public.world_population": no such');
  });

  it('a schema: named too', async () => {
    const sb = testSandbox();
    const r = await run(['create', '--name', 'x', '--api', 'sql', '--schema', 'nosuchschema'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('schema "nosuchschema": no such schema, or not yours');
  });

  it('clone names it as well', async () => {
    const sb = testSandbox();
    expect((await run(['create', '--name', 'a', '--api', 'sql', '--table', 'world_population'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const r = await run(['clone', 'a', '--name', 'b', '--add-table', 'nosuch'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"public.nosuch": no such table, or not yours');
  });

  it('create --table world_population=select is a usage error (exit 2), nothing sent, with the fix', async () => {
    const r = await run(['create', '--api', 'sql', '--table', 'world_population=select'], { env: testSandbox().env, fetch: noNetwork });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"=" cannot be part of a table name');
    expect(r.stderr).toContain('Did you mean "world_population:select"?');
  });

  it('every example of create --help runs on the sandbox as printed', async () => {
    const sb = testSandbox();
    const help = (await run(['create', '--help'])).stdout;
    const examples = help
      .split('\n')
      .filter((l) => /^\s+\$ carto-keys create /.test(l) && !l.includes('--grants-file') && !l.includes('--user'))
      .map((l) => l.replace(/^\s+\$ carto-keys /, '').replace(/ {2,}#.*$/, ''));
    expect(examples.length).toBeGreaterThan(3);
    for (const example of examples) {
      const r = await run(example.split(' '), { env: sb.env, fetch: sb.fetch });
      expect(r.code, `${example}\n${r.stderr}`).toBe(0);
    }
  });
});

describe('what show prints, create accepts', () => {
  it('usage on a schema is shown apart as implied; each Tables and Schemas line is a valid flag value', async () => {
    const sb = testSandbox();
    const made = await run(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population', '--schema', 'public:create'], { env: sb.env, fetch: sb.fetch });
    expect(made.code, made.stderr).toBe(0);
    const shown = (await run(['show', 'app'], { env: sb.env, fetch: sb.fetch })).stdout;
    expect(shown).toMatch(/^Schemas +public:create$/m);
    expect(shown).toMatch(/^Implied +usage on schema public$/m);
    expect(shown).not.toContain('create,usage');
    // Feed show's notation back to create: accepted, and the new key grants the same.
    const table = /^Tables +(\S+)$/m.exec(shown)![1]!;
    const schema = /^Schemas +(\S+)$/m.exec(shown)![1]!;
    const again = await run(['create', '--name', 'again', '--api', 'sql', '--table', table, '--schema', schema], { env: sb.env, fetch: sb.fetch });
    expect(again.code, again.stderr).toBe(0);
  });

  it('create --schema public:create,usage says usage cannot be given and how to write it', async () => {
    const r = await run(['create', '--api', 'sql', '--schema', 'public:create,usage'], { env: testSandbox().env, fetch: noNetwork });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"usage" cannot be given');
    expect(r.stderr).toContain('--schema public:create');
  });
});

describe('removing the current profile', () => {
  it('says that no profile is current; the next command lists the profiles and profile use', async () => {
    const p = paths();
    expect((await run(['login', '--sandbox'], { paths: p, fetch: noNetwork })).code).toBe(0);
    expect((await run(['login', '--sandbox', '--org'], { paths: p, fetch: noNetwork })).code).toBe(0);
    const removed = await run(['profile', 'remove', 'sandbox-org', '--yes'], { paths: p, fetch: noNetwork });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('No profile is current now. Pick one: carto-keys profile use <name> (sandbox).');
    const next = await run(['list'], { paths: p, fetch: noNetwork });
    expect(next.code).toBe(4);
    expect(next.stderr).toContain('Not logged in: no profile is current. Profiles: sandbox.');
    expect(next.stderr).toContain('carto-keys profile use <name>');
    expect(next.stderr).not.toContain('profile "default"');
  });

  it('removing another profile says nothing more', async () => {
    const p = paths();
    expect((await run(['login', '--sandbox', '--org'], { paths: p, fetch: noNetwork })).code).toBe(0);
    expect((await run(['login', '--sandbox'], { paths: p, fetch: noNetwork })).code).toBe(0);
    const removed = await run(['profile', 'remove', 'sandbox-org', '--yes'], { paths: p, fetch: noNetwork });
    expect(removed.stderr).toBe('✓ Removed profile "sandbox-org".\n');
  });
});

describe('--dry-run on revoke and regenerate: says what would be done, only reads, exit 0', () => {
  const writes = (sb: ReturnType<typeof testSandbox>, from: number) => sb.requests.slice(from).filter((q) => q.method !== 'GET');

  it('revoke --dry-run: names the keys, deletes nothing, needs no --yes without a terminal', async () => {
    const sb = testSandbox();
    expect((await run(['create', '--name', 'a', '--api', 'sql'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const at = sb.requests.length;
    const r = await run(['revoke', 'a', '--dry-run'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('Dry run: would revoke API key "a". Nothing was changed.\n');
    expect(writes(sb, at)).toEqual([]);
    expect(sb.names()).toContain('a');
    const json = await run(['revoke', 'a', '--dry-run', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(JSON.parse(json.stdout)).toEqual({ dryRun: true, revoke: ['a'] });
    // The same checks as a real run: a missing key is still exit 1.
    expect((await run(['revoke', 'nope', '--dry-run'], { env: sb.env, fetch: sb.fetch })).code).toBe(1);
  });

  it('regenerate --dry-run: the token is unchanged', async () => {
    const sb = testSandbox();
    expect((await run(['create', '--name', 'a', '--api', 'sql'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const before = sb.token('a');
    const at = sb.requests.length;
    const r = await run(['regenerate', 'a', '--dry-run'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Dry run: would give "a" a new token');
    expect(r.stdout).toBe('');
    expect(writes(sb, at)).toEqual([]);
    expect(sb.token('a')).toBe(before);
  });
});

describe('docs/rotate.md documents every flag of rotate --help', () => {
  it('each option rotate --help shows (its own, not the global ones) is in docs/rotate.md', async () => {
    const help = (await run(['rotate', '--help'], { fetch: noNetwork })).stdout;
    const own = help.slice(help.indexOf('\nOptions:'), help.indexOf('\nGlobal Options:'));
    const flags = [...own.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((f) => f !== '--help');
    expect(flags).toEqual(expect.arrayContaining(['--keep-grants', '--dry-run', '--name', '--grace']));
    const doc = readFileSync(join(ROOT, 'docs', 'rotate.md'), 'utf8');
    expect(flags.filter((f) => !new RegExp(`\`${f}(?![a-z-])`).test(doc))).toEqual([]);
  });
});

describe('errors fit the terminal; a pipe gets one line per line', () => {
  const longError = async (tty: boolean) => {
    const f = await rotationFixture();
    return f.rotate(['app', '--delete-old', '--yes'], { tty, env: { ...f.sb.env, COLUMNS: '80' } });
  };

  it('on a terminal of 80 columns a long error is word-wrapped, continued under its text (it was one line of 177 characters)', async () => {
    const r = await longError(true);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^Error: --delete-old needs a deploy target/);
    expect(lines[1]).toMatch(/^ {7}\S/);
    expect(lines.at(-1)).toBe('Deploy it yourself and use --keep-old, then revoke the old key.');
  });

  it('piped, the same error is one line and its hint another, for grep', async () => {
    const r = await longError(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: --delete-old needs a deploy target .{100,}\nDeploy it yourself and use --keep-old, then revoke the old key\.\n$/);
  });
});
