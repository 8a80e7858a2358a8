// Keys as code end to end: the built binary against `sandbox serve`, credentials from the environment
// (a CI job). export → plan (no changes) → edit → plan (replace, with its reasons) → apply (env file
// updated, old key gone, new grants live) → plan (no changes); a failing deploy then --resume; --prune.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, serveSandbox, tempHome, type Home, type ServedSandbox } from '../helpers/e2e.js';

let sb: ServedSandbox;
let home: Home;

beforeEach(async () => {
  sb = await serveSandbox();
  home = tempHome();
});
afterEach(async () => {
  await sb.stop();
  home.cleanup();
});

const ck = (args: string[]) => cli(args, { env: { ...home.env, CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY: sb.masterKey }, timeoutMs: 30_000 });

async function ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await ck(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

async function liveKeys(): Promise<{ name: string; token: string; grants: { apis: string[]; tables: { name: string; permissions: string[] }[] } }[]> {
  return JSON.parse((await ok(['list', '--type', 'regular', '--json', '--reveal'])).stdout);
}

describe('keys as code, end to end', () => {
  it('export → plan → edit → plan → apply → plan; a failing deploy, then apply --resume; --prune', async () => {
    const file = join(home.dir, 'carto-keys.yaml');
    const envFile = join(home.dir, 'deploy', '.env');
    mkdirSync(join(home.dir, 'deploy'));
    for (const args of [
      ['--name', 'web-map', '--api', 'sql,maps', '--table', 'world_population:select'],
      ['--name', 'writer', '--api', 'sql', '--table', 'liked_cities:insert,update', '--schema', 'public', '--table-metadata'],
      ['--name', 'geo', '--service', 'geocoding,isolines', '--dataset', 'carto-do.x'],
    ]) {
      await ok(['create', ...args]);
    }

    await ok(['export', '-o', file]);
    const noChanges = await ck(['plan', '-f', file, '--detailed-exitcode']);
    expect(noChanges.code, noChanges.stderr).toBe(0);
    expect(noChanges.stdout).toBe('3 keys are as declared.\n\nNo changes.\n');

    // Edit: web-map loses maps and gains a table, and is deployed to an env file.
    const text = readFileSync(file, 'utf8').replace(
      '  web-map:\n    apis: [sql, maps]\n    tables:\n      public.world_population: [select]\n',
      '  web-map:\n    apis: [sql]\n    tables:\n      public.world_population: [select]\n      liked_cities: [select]\n    deploy:\n      - env_file: deploy/.env\n',
    );
    expect(text).toContain('liked_cities: [select]');
    writeFileSync(file, text);
    writeFileSync(envFile, 'CARTO_API_KEY=old\nKEEP=me\n');
    const planned = await ck(['plan', '-f', file, '--detailed-exitcode']);
    expect(planned.code, planned.stderr).toBe(6);
    expect(planned.stdout).toContain('-/+ web-map will be replaced: "web-map" → "web-map-r');
    expect(planned.stdout).toContain('      - api maps\n      + table public.liked_cities:select\n');
    expect(planned.stdout).toContain('Plan: 0 to create, 1 to replace, 0 to rotate, 0 unmanaged.');

    const applied = await ck(['apply', '-f', file, '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toBe('Apply complete: 0 created, 1 replaced, 0 rotated, 0 deleted.\n');
    let keys = await liveKeys();
    const successor = keys.find((k) => k.name.startsWith('web-map-r'))!;
    expect(keys.map((k) => k.name).sort()).toEqual(['geo', successor.name, 'writer'].sort());
    expect(successor.grants.apis).toEqual(['sql']);
    expect(successor.grants.tables.map((t) => t.name).sort()).toEqual(['liked_cities', 'world_population']);
    expect(readFileSync(envFile, 'utf8')).toBe(`CARTO_API_KEY=${successor.token}\nKEEP=me\n`);
    expect(applied.stdout + applied.stderr).not.toContain(successor.token);
    expect((await ck(['plan', '-f', file, '--detailed-exitcode'])).code).toBe(0);

    // A deploy that fails: exit 5, both keys alive; then it works and --resume finishes.
    const flag = join(home.dir, 'ready');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    apis: [sql]\n    tables:\n      public.world_population', `    apis: [sql, maps]\n    tables:\n      public.world_population`).replace('      - env_file: deploy/.env\n', `      - env_file: deploy/.env\n      - cmd: test -e ${flag}\n`));
    const failed = await ck(['apply', '-f', file, '--yes']);
    expect(failed.code, failed.stderr).toBe(5);
    expect(failed.stderr).toContain('apply --resume');
    expect((await liveKeys()).length).toBe(4);
    writeFileSync(flag, '');
    const resumed = await ck(['apply', '--resume', '-f', file, '--yes']);
    expect(resumed.code, resumed.stderr).toBe(0);
    keys = await liveKeys();
    expect(keys.length).toBe(3);
    const third = keys.find((k) => k.name.startsWith('web-map-r'))!;
    expect(third.name).not.toBe(successor.name);
    expect(third.grants.apis).toEqual(['sql', 'maps']);
    expect(readFileSync(envFile, 'utf8')).toBe(`CARTO_API_KEY=${third.token}\nKEEP=me\n`);

    // --prune: a key made by hand is unmanaged, deleted only with --prune.
    await ok(['create', '--name', 'by-hand', '--api', 'sql']);
    expect((await ck(['apply', '-f', file, '--yes'])).stdout).toBe('Nothing to apply.\n');
    const pruned = await ck(['apply', '-f', file, '--yes', '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain('Deleted the unmanaged key "by-hand"');
    expect((await liveKeys()).map((k) => k.name)).not.toContain('by-hand');
    expect((await ck(['plan', '-f', file, '--detailed-exitcode', '--prune'])).code).toBe(0);
  }, 120_000);
});
