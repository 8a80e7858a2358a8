// export and plan, in-process against the emulator: export → plan shows no changes for every kind of
// key the sandbox can hold; an edit plans a replacement with its reasons; file errors exit 2 with
// nothing sent; --detailed-exitcode; --json.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TABLE_PERMISSIONS } from '../../src/grants/model.js';
import { run, tempPaths, type RunOptions } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';

const NOW = new Date('2026-11-30T12:00:00Z');

/** Every non-empty subset of the table permissions, as --table specs. */
function permissionMixes(): string[] {
  const out: string[] = [];
  for (let mask = 1; mask < 16; mask++) out.push(TABLE_PERMISSIONS.filter((_, i) => mask & (1 << i)).join(','));
  return out;
}

/** Keys of every shape the sandbox can hold, created through the CLI. */
export const VARIED_KEYS: string[][] = [
  ...permissionMixes().map((perms, i) => ['--name', `table-${i + 1}`, '--table', `liked_cities:${perms}`, ...(i % 2 ? ['--table', 'public.world_population'] : [])]),
  ['--name', 'apis-all', '--api', 'sql,maps,do'],
  ['--name', 'apis-maps', '--api', 'maps'],
  ['--name', 'schema-create', '--api', 'sql', '--schema', 'public'],
  ['--name', 'metadata', '--table-metadata'],
  ['--name', 'services', '--service', 'geocoding,routing,isolines,observatory'],
  ['--name', 'datasets', '--dataset', 'carto-do.ags.demographics_x', '--dataset', 'other'],
  ['--name', 'everything', '--api', 'sql,maps', '--table', 'national_incomes:all', '--schema', 'public', '--table-metadata', '--service', 'routing', '--dataset', 'd'],
  ['--name', 'needs quotes: "yes" # no', '--api', 'sql'],
  ['--name', 'clé ✓', '--api', 'maps'],
  ['--name', 'true', '--api', 'sql'],
  ['--name', '123', '--api', 'sql'],
];

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function fixture() {
  const sb = testSandbox();
  const paths = tempPaths();
  made.push(paths.root);
  const dir = mkdtempSync(join(tmpdir(), 'ck-kac-'));
  made.push(dir);
  const file = join(dir, 'carto-keys.yaml');
  const cli = (args: string[], o: RunOptions = {}) => run(args, { env: sb.env, fetch: sb.fetch, paths, now: NOW, ...o });
  return { sb, paths, dir, file, cli };
}

describe('export → plan', () => {
  it('plan right after export shows no changes, for every kind of key the sandbox can hold', async () => {
    const f = await fixture();
    for (const args of VARIED_KEYS) {
      const r = await f.cli(['create', ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
    const exported = await f.cli(['export', '-o', f.file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain(`Wrote ${VARIED_KEYS.length} keys to ${f.file}`);
    const text = readFileSync(f.file, 'utf8');
    // No token of any key, ever.
    for (const name of f.sb.names()) expect(text).not.toContain(f.sb.token(name));
    expect(text).toContain('public.liked_cities: [select, insert, update, delete]');

    const plan = await f.cli(['plan', '-f', f.file, '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toBe(`${VARIED_KEYS.length} keys are as declared.\n\nNo changes.\n`);

    // The JSON form of the file plans the same.
    const asJson = await f.cli(['export', '--json']);
    expect(asJson.code).toBe(0);
    writeFileSync(join(f.dir, 'keys.json'), asJson.stdout);
    const fromJson = await f.cli(['plan', '-f', join(f.dir, 'keys.json'), '--json']);
    expect(JSON.parse(fromJson.stdout)).toMatchObject({ changesPending: false, summary: { unchanged: VARIED_KEYS.length, create: 0, replace: 0 } });
  });

  it('an edit plans a replacement with every grant path that forces it; --detailed-exitcode exits 6', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'web-map', '--api', 'sql,maps', '--table', 'world_population']);
    await f.cli(['create', '--name', 'stray', '--api', 'sql']);
    writeFileSync(f.file, 'version: 1\nkeys:\n  web-map:\n    apis: [sql]\n    tables:\n      world_population: [select]\n      liked_cities: [select, insert]\n  new-app:\n    apis: [maps]\n');
    const r = await f.cli(['plan', '-f', f.file, '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '-/+ web-map will be replaced: "web-map" → "web-map-r20261130"',
        '      create, deploy, verify, then delete the old key',
        '      - api maps',
        '      + table public.liked_cities:select,insert',
        '      no deploy target: the old key "web-map" is kept; revoke it once unused',
        '',
        '  + new-app will be created',
        '      + api maps',
        '',
        '  ? stray is not in the file (unmanaged; apply --prune deletes it)',
        '',
        'Plan: 1 to create, 1 to replace, 0 to rotate, 1 unmanaged.',
        '',
      ].join('\n'),
    );
    const json = await f.cli(['plan', '-f', f.file, '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.summary).toEqual({ create: 1, replace: 1, rotate: 0, unmanaged: 1, ambiguous: 0, unchanged: 0 });
    expect(doc.keys[0]).toMatchObject({
      name: 'web-map',
      action: 'replace',
      from: 'web-map',
      to: 'web-map-r20261130',
      liveKeys: [{ name: 'web-map' }],
      changes: [
        { sign: '-', path: ['apis', 'maps'] },
        { sign: '+', path: ['tables', 'public.liked_cities', 'select'] },
        { sign: '+', path: ['tables', 'public.liked_cities', 'insert'] },
      ],
    });
    // Unmanaged keys count as pending only when they are to be deleted.
    writeFileSync(f.file, 'version: 1\nkeys:\n  web-map:\n    apis: [sql, maps]\n    tables: {world_population: select}\n');
    expect((await f.cli(['plan', '-f', f.file, '--detailed-exitcode'])).code).toBe(0);
    const pruned = await f.cli(['plan', '-f', f.file, '--detailed-exitcode', '--prune']);
    expect(pruned.code).toBe(6);
    expect(pruned.stdout).toContain('Plan: 0 to create, 0 to replace, 0 to rotate, 1 to delete.');
  });
});

describe('file errors: exit 2 with file:line:column, before any request', () => {
  const cases: [string, string, string][] = [
    ['not YAML', 'version: 1\nkeys: [\n', 'not valid YAML'],
    ['an unknown field', 'version: 1\nkeys:\n  a:\n    tabels: {}\n', ':4:5: unknown field'],
    ['a bad permission', 'version: 1\nkeys:\n  a:\n    tables: {t: [read]}\n', 'Valid table permissions'],
    ['a missing deploy folder', 'version: 1\nkeys:\n  a:\n    deploy: [{env_file: nope/.env}]\n', 'does not exist'],
  ];
  for (const [what, text, fragment] of cases) {
    it(what, async () => {
      const f = await fixture();
      writeFileSync(f.file, text);
      for (const cmd of [['plan', '-f', f.file], ['plan', '-f', f.file, '--json']]) {
        const r = await f.cli(cmd);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${f.file}:`);
        expect(r.stderr).toContain(fragment);
        expect(r.stdout).toBe('');
      }
      expect(f.sb.requests).toEqual([]);
    });
  }

  it('a missing file says how to make one', async () => {
    const f = await fixture();
    const r = await f.cli(['plan', '-f', join(f.dir, 'none.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('carto-keys export -o carto-keys.yaml');
    expect(f.sb.requests).toEqual([]);
  });

  it('a live token anywhere in the file is refused with its place, never repeated', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'app', '--api', 'sql']);
    // A lower-case-only token escapes the shape check; the exact check after listing catches it.
    const shapeless = f.sb.token('app')!.toLowerCase();
    f.sb.state.users[0]!.keys.find((k) => k.name === 'app')!.token = shapeless;
    writeFileSync(f.file, `version: 1\nkeys:\n  app:\n    apis: [sql]\n# ${shapeless}\n`);
    const r = await f.cli(['plan', '-f', f.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(':5:3: this is the token of the API key "app"');
    expect(r.stderr).not.toContain(shapeless);
  });

  it('export does not overwrite a file without --force (nothing sent), and does with it', async () => {
    const f = await fixture();
    writeFileSync(f.file, 'mine\n');
    const r = await f.cli(['export', '-o', f.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--force');
    expect(f.sb.requests).toEqual([]);
    expect(readFileSync(f.file, 'utf8')).toBe('mine\n');
    const forced = await f.cli(['export', '-o', f.file, '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ file: f.file, keys: [] });
    expect(readFileSync(f.file, 'utf8')).toContain('keys: {}');
  });
});
