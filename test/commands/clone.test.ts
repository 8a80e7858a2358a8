// `clone`, in-process against the emulator: normalization of what CARTO renders, change flags, the
// diff, --dry-run, the default name, by token, and the keys it refuses.
import { describe, expect, it } from 'vitest';
import { run, scriptedPrompter } from '../helpers/harness.js';
import { noNetwork, testSandbox, type TestSandbox } from '../helpers/sandbox-fetch.js';

async function withKey(sb: TestSandbox, name: string, ...grantFlags: string[]) {
  const r = await run(['create', '--name', name, ...grantFlags], { env: sb.env, fetch: sb.fetch });
  expect(r.code, r.stderr).toBe(0);
  sb.requests.length = 0;
}

const clone = (sb: TestSandbox, ...args: string[]) => run(['clone', ...args], { env: sb.env, fetch: sb.fetch });

describe('clone', () => {
  it('normalizes a key that owns a table (etl_writer): owner-only permissions dropped with a note', async () => {
    const sb = testSandbox();
    await withKey(sb, 'etl_writer', '--api', 'sql', '--schema', 'public:create', '--table-metadata', '--service', 'geocoding');
    // The key created a table: CARTO renders it `owner: true` with every privilege PostgreSQL has.
    sb.state.users[0]!.tables.push({ schema: 'public', name: 'etl_output', ownerKey: 'etl_writer' });
    sb.state.revision++;

    const r = await clone(sb, 'etl_writer', '--name', 'etl_copy', '--json');
    expect(r.code, r.stderr).toBe(0);
    const key = JSON.parse(r.stdout);
    expect(key).toMatchObject({ name: 'etl_copy', clonedFrom: 'etl_writer' });
    expect(key.grants.tables).toEqual([
      { schema: 'public', name: 'etl_output', owner: false, permissions: ['delete', 'insert', 'select', 'update'] },
    ]);
    expect(key.grants.schemas).toEqual([{ name: 'public', permissions: ['create', 'usage'] }]);
    expect(key.grants).toMatchObject({ apis: ['sql'], tableMetadata: true, services: ['geocoding'] });

    const human = await clone(sb, 'etl_writer', '--name', 'etl_copy2');
    expect(human.stderr).toContain('public.etl_output: owner-only permissions references, trigger, truncate cannot be granted to a new key');
  });

  it('applies the change flags and prints the diff before creating', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql,maps', '--table', 'liked_cities:select,insert');
    const r = await clone(sb, 'app', '--name', 'app2', '--remove-api', 'maps', '--add-api', 'do', '--remove-table', 'liked_cities:insert', '--add-table', 'world_population', '--add-service', 'routing', '--table-metadata');
    expect(r.code, r.stderr).toBe(0);
    const diff = r.stderr.split('\n').filter((l) => /^ {2}[+-] /.test(l)).map((l) => l.trim());
    expect(diff).toEqual([
      '- api maps',
      '+ api do',
      '- table public.liked_cities:insert',
      '+ table public.world_population:select',
      '+ table metadata',
      '+ service routing',
    ]);
    expect(r.stdout).toMatch(/Token +\S{22}\n/);
    const shown = JSON.parse((await run(['show', 'app2', '--json'], { env: sb.env, fetch: sb.fetch })).stdout);
    expect(shown.grants.apis).toEqual(['sql', 'do']);
    expect(shown.grants.tables.map((t: { name: string; permissions: string[] }) => `${t.name}:${t.permissions.join('+')}`)).toEqual([
      'liked_cities:select',
      'world_population:select',
    ]);
  });

  it('removing what the key does not have is a usage error that shows what it has; nothing is created', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    const r = await clone(sb, 'app', '--remove-api', 'maps');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('It has: sql');
    expect(sb.requests.filter((q) => q.method === 'POST')).toEqual([]);
  });

  it('--dry-run prints the diff and the request body and sends no POST', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql', '--table', 'liked_cities');
    const r = await clone(sb, 'app', '--add-api', 'maps', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('+ api maps');
    expect(r.stderr).toContain('Dry run: nothing was created');
    expect(JSON.parse(r.stdout)).toEqual({
      name: 'app-copy',
      grants: [
        { type: 'apis', apis: ['sql', 'maps'] },
        { type: 'database', tables: [{ schema: 'public', name: 'liked_cities', permissions: ['select'] }], schemas: [] },
      ],
    });
    expect(sb.requests.filter((q) => q.method === 'POST')).toEqual([]);
    const json = await clone(sb, 'app', '--dry-run', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, from: 'app', diff: [], request: { name: 'app-copy' } });
    expect(sb.names()).toEqual(['Master', 'Default public', 'app']);
  });

  it('the default name is <old>-copy, made unique; on a TTY it is the default of a prompt', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    await withKey(sb, 'app-copy', '--api', 'sql');
    const r = await clone(sb, 'app', '--json');
    expect(JSON.parse(r.stdout).name).toBe('app-copy-2');
    const prompter = scriptedPrompter([{ input: '', match: /Name of the new API key/ }]);
    const tty = await run(['clone', 'app'], { env: sb.env, fetch: sb.fetch, tty: true, prompter });
    expect(tty.code, tty.stderr).toBe(0);
    expect(sb.names()).toContain('app-copy-3');
  });

  it('clones a key given by its token', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'maps');
    // After `--`: a token may start with "-" (URL-safe base64), which would read as an option.
    const r = await clone(sb, '--name', 'by-token', '--json', '--', sb.token('app')!);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'by-token', clonedFrom: 'app', grants: { apis: ['maps'] } });
  });

  it('an unknown name that is not a token either: exit 1, the one message of a missing key', async () => {
    const sb = testSandbox();
    const r = await clone(sb, 'AAAAAAAAAAAAAAAAAAAAAA');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a live token of this account');
  });

  it('refuses the Master key, by name and by token, without creating anything', async () => {
    const sb = testSandbox();
    for (const source of ['Master', sb.state.users[0]!.keys[0]!.token]) {
      const r = await clone(sb, '--', source);
      expect(r.code).toBe(2);
      // By token, the typed Master key itself is refused before anything is sent (secret-guard.ts).
      expect(r.stderr).toMatch(source === 'Master' ? /The Master key cannot be cloned/ : /is the Master key: refused, and nothing was sent/);
    }
    expect(sb.requests.filter((q) => q.method === 'POST')).toEqual([]);
  });

  it('bad change flags exit 2 before any request', async () => {
    for (const args of [['--add-api', 'sqll'], ['--add-table', 'a.b.c'], ['--name', 'Master'], ['--add-service', 'fly']]) {
      const r = await run(['clone', 'app', ...args], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(2);
    }
  });
});
