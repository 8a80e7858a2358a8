// apply, in-process against the emulator: creates (deployed), replacements and rotations through the
// rotation engine (env file updated, verified, old key deleted), no deploy target (old key kept),
// --prune, idempotence, confirmation rules, a failing deploy then --resume or --abort.
import { existsSync, mkdirSync, mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeRenderedGrants } from '../../src/grants/normalize.js';
import { renderKey } from '../../src/sandbox/render.js';
import { run, scriptedPrompter, tempPaths, type RunOptions } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';
import { cliInProcess } from '../helpers/in-process.js';
import { useServedHome } from '../helpers/served.js';

const NOW = new Date('2026-11-30T12:00:00Z');

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function fixture() {
  const sb = testSandbox();
  const paths = tempPaths();
  made.push(paths.root);
  const dir = mkdtempSync(join(tmpdir(), 'ck-apply-'));
  made.push(dir);
  mkdirSync(join(dir, 'deploy'));
  const file = join(dir, 'carto-keys.yaml');
  const cli = (args: string[], o: RunOptions = {}) => run(args, { env: sb.env, fetch: sb.fetch, paths, now: NOW, ...o });
  const grantsOf = (name: string) => {
    const user = sb.state.users[0]!;
    const key = user.keys.find((k) => k.name === name);
    return key && normalizeRenderedGrants(renderKey(user, key).grants).grants;
  };
  const journals = () => ['rotations', 'apply'].flatMap((d) => {
    try {
      return readdirSync(join(paths.config, d)).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
  });
  return { sb, paths, dir, file, cli, grantsOf, journals, env: join(dir, 'deploy', '.env') };
}

const WEB_MAP = (apis: string, extra = '') => `version: 1
keys:
  web-map:
    apis: [${apis}]
    tables:
      world_population: [select]
    deploy:
      - env_file: deploy/.env
${extra}`;

describe('apply', () => {
  it('export → edit → apply replaces through the rotation engine; a second apply has nothing to do', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'web-map', '--api', 'sql,maps', '--table', 'world_population']);
    writeFileSync(f.env, '# app\nCARTO_API_KEY=old\nOTHER=1\n');
    writeFileSync(f.file, WEB_MAP('sql'));
    const r = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('-/+ web-map will be replaced: "web-map" → "web-map-r20261130"');
    expect(r.stderr).toContain('- api maps');
    expect(r.stderr).toContain('✓ Verified "web-map-r20261130"');
    expect(r.stdout).toBe('Apply complete: 0 created, 1 replaced, 0 rotated, 0 deleted.\n');
    const token = f.sb.token('web-map-r20261130')!;
    expect(readFileSync(f.env, 'utf8')).toBe(`# app\nCARTO_API_KEY=${token}\nOTHER=1\n`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'web-map-r20261130']);
    expect(f.grantsOf('web-map-r20261130')!.apis).toEqual(['sql']);
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(f.journals()).toEqual([]);

    const writes = () => f.sb.requests.filter((q) => q.method !== 'GET').length;
    const before = writes();
    const again = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('Nothing to apply.\n');
    expect(again.stderr).toContain('No changes.');
    expect(writes()).toBe(before);
    const plan = await f.cli(['plan', '-f', f.file, '--detailed-exitcode']);
    expect(plan.code).toBe(0);
  });

  it('creates keys and deploys their token; a key without deploy target says how to get its token', async () => {
    const f = await fixture();
    writeFileSync(f.file, `${WEB_MAP('sql')}  plain:\n    apis: [maps]\n`);
    const r = await f.cli(['apply', '-f', f.file, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results).toEqual([
      { name: 'web-map', action: 'create', from: null, to: 'web-map', status: 'done', keptOld: false },
      { name: 'plain', action: 'create', from: null, to: 'plain', status: 'done', keptOld: false },
    ]);
    expect(readFileSync(f.env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('web-map')}\n`);
    const human = await run(['apply', '-f', f.file, '--yes'], { env: f.sb.env, fetch: f.sb.fetch, paths: f.paths, now: NOW });
    expect(human.stdout).toBe('Nothing to apply.\n');
    const g = await fixture();
    writeFileSync(g.file, 'version: 1\nkeys:\n  plain:\n    apis: [maps]\n');
    const h = await g.cli(['apply', '-f', g.file, '--yes']);
    expect(h.stderr).toContain('carto-keys show plain --token-only');
    expect(h.stdout).toBe('Apply complete: 1 created, 0 replaced, 0 rotated, 0 deleted.\n');
  });

  it('an entry without deploy target: the new key is created, the old one kept, and the output says how to retire it', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'app', '--api', 'sql']);
    writeFileSync(f.file, 'version: 1\nkeys:\n  app:\n    apis: [sql, maps]\n');
    const r = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', 'app-r20261130']);
    expect(r.stderr).toContain('carto-keys revoke app --yes');
    // Two live keys for one entry now: shown, never chosen; apply leaves them alone.
    const plan = await f.cli(['plan', '-f', f.file]);
    expect(plan.stdout).toContain('app has 2 live keys');
    const again = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('Nothing to apply.\n');
    await f.cli(['revoke', 'app', '--yes']);
    expect((await f.cli(['plan', '-f', f.file, '--detailed-exitcode'])).code).toBe(0);
  });

  it('rotates a key older than rotate_after', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'web-map', '--api', 'sql', '--table', 'world_population']);
    f.sb.state.users[0]!.keys.find((k) => k.name === 'web-map')!.createdAt = '2026-01-01T00:00:00Z';
    writeFileSync(f.file, WEB_MAP('sql', '    rotate_after: 90d\n'));
    const r = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Apply complete: 0 created, 0 replaced, 1 rotated, 0 deleted.\n');
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'web-map-r20261130']);
    expect(readFileSync(f.env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('web-map-r20261130')}\n`);
  });

  it('--prune deletes unmanaged keys and says which; without it they stay', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'stray', '--api', 'sql']);
    writeFileSync(f.file, 'version: 1\nkeys: {}\n');
    const kept = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(kept.stdout).toBe('Nothing to apply.\n');
    expect(f.sb.names()).toContain('stray');
    const r = await f.cli(['apply', '-f', f.file, '--yes', '--prune']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('- stray will be deleted');
    expect(r.stderr).toContain('✓ Deleted the unmanaged key "stray"');
    expect(r.stdout).toBe('Apply complete: 0 created, 0 replaced, 0 rotated, 1 deleted.\n');
    expect(f.sb.names()).toEqual(['Master', 'Default public']);
  });

  it('needs --yes without a terminal (nothing sent); on a terminal it asks, and a no changes nothing', async () => {
    const f = await fixture();
    writeFileSync(f.file, 'version: 1\nkeys:\n  a:\n    apis: [sql]\n');
    const r = await f.cli(['apply', '-f', f.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(f.sb.requests).toEqual([]);
    const prompter = scriptedPrompter([{ confirm: false, match: /Apply these changes/ }]);
    const no = await f.cli(['apply', '-f', f.file], { tty: true, prompter });
    expect(no.code).toBe(3);
    expect(f.sb.names()).toEqual(['Master', 'Default public']);
    const yes = await f.cli(['apply', '-f', f.file], { tty: true, prompter: scriptedPrompter([{ confirm: true }]) });
    expect(yes.code, yes.stderr).toBe(0);
    expect(f.sb.names()).toContain('a');
  });

  it('a failing deploy stops with exit 5 and what exists; apply --resume finishes it', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'web-map', '--api', 'sql,maps', '--table', 'world_population']);
    const flag = join(f.dir, 'ready');
    writeFileSync(f.file, WEB_MAP('sql', `      - cmd: test -e ${flag}\n`));
    const r = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('apply stopped at replacing "web-map"');
    expect(r.stderr).toContain('the old key "web-map" still exists and works');
    expect(r.stderr).toContain(`carto-keys apply --resume -f ${f.file} --yes`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'web-map', 'web-map-r20261130']);
    // plan says what is unfinished and how to finish it; a plain apply refuses.
    const planned = await f.cli(['plan', '-f', f.file, '--json']);
    expect(JSON.parse(planned.stdout).unfinished).toEqual([{ from: 'web-map', to: 'web-map-r20261130' }]);
    expect((await f.cli(['plan', '-f', f.file])).stderr).toContain('"web-map" → "web-map-r20261130". Finish it with `carto-keys apply --resume`');
    const blocked = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain('apply --resume');

    writeFileSync(flag, '');
    const resumed = await f.cli(['apply', '--resume', '-f', f.file, '--yes']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'web-map-r20261130']);
    expect(readFileSync(f.env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('web-map-r20261130')}\n`);
    expect(f.journals()).toEqual([]);
    expect((await f.cli(['plan', '-f', f.file, '--detailed-exitcode'])).code).toBe(0);
  });

  it('apply --abort after a failing deploy: the old key is the one in use, the new one revoked', async () => {
    const f = await fixture();
    await f.cli(['create', '--name', 'web-map', '--api', 'sql,maps', '--table', 'world_population']);
    writeFileSync(f.env, 'CARTO_API_KEY=before\n');
    // Fails with the new token, works with the old one: --abort runs every command that was tried
    // again with the old token (a failed attempt may have deployed before failing).
    const oldToken = join(f.dir, 'old.token');
    writeFileSync(oldToken, f.sb.token('web-map')!);
    writeFileSync(f.file, WEB_MAP('sql', `      - cmd: '[ "$(cat)" = "$(cat ${oldToken})" ] || exit 3'\n`));
    const applied = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(applied.code, applied.stderr).toBe(5);
    const r = await f.cli(['apply', '--abort', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'web-map']);
    expect(readFileSync(f.env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('web-map')}\n`);
    expect(f.journals()).toEqual([]);
    expect((await f.cli(['apply', '--abort', '--yes'])).code).toBe(2);
  });

  it('a failing deploy of a created key: exit 5, then --resume deploys it', async () => {
    const f = await fixture();
    const flag = join(f.dir, 'ready');
    writeFileSync(f.file, `version: 1\nkeys:\n  new:\n    apis: [sql]\n    deploy:\n      - env_file: deploy/.env\n      - cmd: test -e ${flag}\n`);
    const r = await f.cli(['apply', '-f', f.file, '--yes']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('apply stopped at creating "new"');
    writeFileSync(flag, '');
    const resumed = await f.cli(['apply', '--resume', '--yes'], { env: { ...f.sb.env } });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe('Apply complete: created "new".\n');
    expect(existsSync(f.env)).toBe(true);
    expect(f.journals()).toEqual([]);
  });
});

describe('over HTTP, against the sandbox served in-process', () => {
  // Keys as code over HTTP against the sandbox served in-process, credentials from the environment
  // (a CI job). export → plan (no changes) → edit → plan (replace, with its reasons) → apply (env file
  // updated, old key gone, new grants live) → plan (no changes); a failing deploy then --resume; --prune.
  const w = useServedHome({ each: true });

  const ck = (args: string[]) => cliInProcess(args, { env: { ...w.home.env, CARTO_KEYS_BASE_URL: w.sb.baseUrl, CARTO_KEYS_MASTER_KEY: w.sb.masterKey } });

  async function ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const r = await ck(args);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  }

  async function liveKeys(): Promise<{ name: string; token: string; grants: { apis: string[]; tables: { name: string; permissions: string[] }[] } }[]> {
    return JSON.parse((await ok(['list', '--type', 'regular', '--json', '--reveal'])).stdout);
  }

  describe('keys as code, the whole loop', () => {
    it('export → plan → edit → plan → apply → plan; a failing deploy, then apply --resume; --prune', async () => {
      const file = join(w.home.dir, 'carto-keys.yaml');
      const envFile = join(w.home.dir, 'deploy', '.env');
      mkdirSync(join(w.home.dir, 'deploy'));
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
      const flag = join(w.home.dir, 'ready');
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
});
