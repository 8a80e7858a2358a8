// Issue 21: `--yes` means nothing is asked, on a terminal too; every question of rotate has a flag;
// --dry-run on rotate and retire only reads; a missing key names its known successor.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyRef } from '../../src/records/key-ref.js';
import { MAX_SUCCESSIONS, registry } from '../../src/records/registry.js';
import { scriptedPrompter } from '../helpers/harness.js';
import { MASTER } from '../helpers/sandbox-fetch.js';
import { NEW, NOW, rotationFixture } from './helpers.js';

/** A terminal whose prompter fails the test on any question. */
const noQuestions = () => ({ tty: true, prompter: scriptedPrompter([]) });

describe('rotate --yes on a terminal asks nothing', () => {
  it('the README line: rotate app --deploy-env-file .env --delete-old --yes (it stopped at "Grants of the new key")', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const r = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', '--yes'], noQuestions());
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token(NEW)}\n`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });

  it('--name, --keep-old: the new key named as asked, the old one kept', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--name', 'app-2', '--deploy-env-file', join(f.dir, '.env'), '--keep-old', '--yes'], noQuestions());
    expect(r.code, r.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', 'app-2']);
  });

  it('a missing answer under --yes is a usage error naming the flags, before anything is sent', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--yes'], noQuestions());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--delete-old, --keep-old or --grace');
    expect(f.posts()).toBe(0);
  });

  it('--keep-grants answers "Grants of the new key" on a terminal without --yes', async () => {
    const f = await rotationFixture();
    const prompter = scriptedPrompter([
      { input: '', match: /Name of the new API key/ },
      { confirm: true, match: /Create API key/ },
      { select: 'done', match: /Deploy the new token/ },
      { confirm: false, match: /Delete the old key "app" now/ },
    ]);
    const r = await f.rotate(['app', '--keep-grants'], { tty: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    expect(prompter.asked.some((q) => /Grants of the new key/.test(q))).toBe(false);
    expect(prompter.remaining()).toBe(0);
  });

  it('--keep-grants with a change flag is a contradiction: usage error', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--keep-grants', '--remove-api', 'maps', '--keep-old', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--keep-grants');
  });
});
describe('--dry-run on rotate and retire: says what would be done, only reads, exit 0', () => {
  it('rotate --dry-run: the plan, no key made, nothing written', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    writeFileSync(env, 'OTHER=1\n');
    const r = await f.rotate(['app', '--remove-api', 'maps', '--deploy-env-file', env, '--delete-old', '--dry-run'], noQuestions());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Dry run');
    expect(r.stderr).toContain('- api maps');
    expect(f.sb.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(readFileSync(env, 'utf8')).toBe('OTHER=1\n');
    expect(f.journals()).toEqual([]);
  });

  it('rotate --dry-run --name <a key that exists>: the refusal the real run would give (it said "would rotate")', async () => {
    const f = await rotationFixture();
    expect((await f.cli(['create', '--name', 'app-2', '--api', 'sql'])).code).toBe(0);
    const r = await f.rotate(['app', '--name', 'app-2', '--keep-old', '--dry-run'], noQuestions());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('An API key named "app-2" already exists.');
    expect(r.stderr).not.toContain('Dry run');
  });

  it('retire --dry-run: what would be deleted, nothing deleted', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const state = { ...f.sb.env, CARTO_KEYS_STATE_DIR: join(f.dir, 'state') };
    const rotated = await f.rotate(['app', '--deploy-env-file', env, '--grace', '1s', '--yes'], { env: state });
    expect(rotated.code, rotated.stderr).toBe(0);
    const later = new Date(Date.parse('2026-11-22T10:00:00Z') + 60_000);
    const at = f.sb.requests.length;
    const r = await f.cli(['retire', '--dry-run'], { now: later, env: state });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Dry run');
    expect(r.stderr).toContain('"app"');
    expect(f.sb.requests.slice(at).filter((q) => q.method !== 'GET')).toEqual([]);
    expect(f.sb.names()).toContain('app');
  });
});

describe('a missing key names its known successor', () => {
  it('after a rotation with a grace period, show, where and rotate of the old name, once it is gone, name the successor', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    // Credentials from the environment keep records only in a state folder named for them.
    const state = { env: { ...f.sb.env, CARTO_KEYS_STATE_DIR: join(f.dir, 'state') } };
    const r0 = await f.rotate(['app', '--deploy-env-file', env, '--grace', '1h', '--yes'], state);
    expect(r0.code, r0.stderr).toBe(0);
    // The old key is deleted outside carto-keys's rotation: the registry still knows its successor.
    f.sb.state.users[0]!.keys.splice(f.sb.state.users[0]!.keys.findIndex((k) => k.name === 'app'), 1);
    for (const args of [['show', 'app'], ['revoke', 'app', '--yes'], ['rotate', 'app', '--keep-old', '--yes'], ['where', 'app']]) {
      const r = await f.cli(args, state);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(`its successor is "${NEW}"`);
    }
  });

  it('after the README rotation finished with --delete-old, rotate, show, where, revoke and clone of "app" name the successor and what to run', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const state = { env: { ...f.sb.env, CARTO_KEYS_STATE_DIR: join(f.dir, 'state') } };
    const oldToken = f.sb.token('app')!;
    const r0 = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', '--yes'], state);
    expect(r0.code, r0.stderr).toBe(0);
    const hints: [string[], string][] = [
      [['rotate', 'app', '--deploy-env-file', env, '--delete-old', '--yes'], `Use the successor: carto-keys rotate ${NEW}`],
      // No deploy flag, and the targets recorded for "app" went with it: still the successor, not "needs a deploy target".
      [['rotate', 'app', '--delete-old', '--yes'], `Use the successor: carto-keys rotate ${NEW}`],
      [['show', 'app'], `Use the successor: carto-keys show ${NEW}`],
      [['where', 'app'], `Use the successor: carto-keys where ${NEW}`],
      [['revoke', 'app', '--yes'], `Nothing to revoke. The key in use: carto-keys show ${NEW}`],
      [['clone', 'app', '--name', 'copy'], `Use the successor: carto-keys clone ${NEW}`],
    ];
    for (const [args, hint] of hints) {
      const r = await f.cli(args, state);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr, args.join(' ')).toBe(`Error: No API key is named "app" now: it was rotated, and its successor is "${NEW}".\n${hint}\n`);
    }
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
    // The record holds names and a time, never a token.
    const records = readFileSync(join(f.dir, 'state', 'deployments.json'), 'utf8');
    expect(records).toContain(`"oldName": "app"`);
    for (const token of [oldToken, f.sb.token(NEW)!, MASTER]) expect(records).not.toContain(token);
  });

  it('the successor named is the end of the line (app → app-r… → app-3), and only while it exists', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const state = { env: { ...f.sb.env, CARTO_KEYS_STATE_DIR: join(f.dir, 'state') } };
    expect((await f.rotate(['app', '--deploy-env-file', env, '--delete-old', '--yes'], state)).code).toBe(0);
    expect((await f.rotate([NEW, '--name', 'app-3', '--delete-old', '--yes'], state)).code).toBe(0);
    const shown = await f.cli(['show', 'app'], state);
    expect(shown.stderr).toContain('its successor is "app-3"');
    // app-3 deleted outside carto-keys: the record is no longer true, and is not said.
    f.sb.state.users[0]!.keys.splice(f.sb.state.users[0]!.keys.findIndex((k) => k.name === 'app-3'), 1);
    const gone = await f.cli(['show', 'app'], state);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error: No API key is named "app".\nNames are case-sensitive: `carto-keys list` shows them.\n');
  });

  it('a rollback replaced nothing: the successor it revoked is not said to have been rotated', async () => {
    const f = await rotationFixture();
    const state = { env: { ...f.sb.env, CARTO_KEYS_STATE_DIR: join(f.dir, 'state') } };
    expect((await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--grace', '1h', '--yes'], state)).code).toBe(0);
    const back = await f.rotate(['--rollback', NEW, '--yes'], state);
    expect(back.code, back.stderr).toBe(0);
    const r = await f.cli(['show', NEW], state);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: No API key is named "${NEW}".\nNames are case-sensitive: \`carto-keys list\` shows them.\n`);
  });

  it('the lineage is bounded: the newest successions of an account, and none for a name that lives again', () => {
    const reg = registry(mkdtempSync(join(tmpdir(), 'ck-lineage-')));
    const at = (name: string) => keyRef('http://sandbox.test/user/demo', undefined, name);
    for (let i = 0; i < MAX_SUCCESSIONS + 20; i++) reg.recordSuccession(at(`k${i}`), `k${i + 1}`, new Date(NOW.getTime() + i));
    // The oldest 20 are dropped, the newest kept.
    expect(reg.successionOf(at('k19'))).toBeUndefined();
    expect(reg.successionOf(at('k20'))?.newName).toBe('k21');
    const last = MAX_SUCCESSIONS + 19;
    expect(reg.successionOf(at(`k${last}`))?.newName).toBe(`k${last + 1}`);
    expect(JSON.parse(readFileSync(reg.path, 'utf8')).accounts['http://sandbox.test/user/demo'].lineage).toHaveLength(MAX_SUCCESSIONS);
    // A member's key of the same name is another key.
    expect(reg.successionOf({ ...at(`k${last}`), member: 'bob' })).toBeUndefined();
    // A key named k20 made again (a rotation's new name): what was said of the old k20 goes.
    reg.recordSuccession(at('other'), 'k20', NOW);
    expect(reg.successionOf(at('k20'))).toBeUndefined();
  });

  it('where <nosuch>: exit 1 and the one message (it was exit 0 with two contradictory lines)', async () => {
    const f = await rotationFixture();
    const r = await f.cli(['where', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: No API key is named "nosuch".\nNames are case-sensitive: `carto-keys list` shows them.\n');
  });
});

describe('audit knows what rotate recorded', () => {
  it('audit --scan does not flag the env file a rotation deployed the key to, only other files; the fix of a deployed key runs as printed', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, 'app.env');
    const state = { env: { ...f.sb.env, CARTO_KEYS_STATE_DIR: join(f.dir, 'state') } };
    const rotated = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', '--yes'], state);
    expect(rotated.code, rotated.stderr).toBe(0);
    const leak = join(f.dir, 'notes.txt');
    writeFileSync(leak, `token: ${f.sb.token(NEW)}\n`);
    const r = await f.cli(['audit', '--json', '--scan', env, '--scan', leak], state);
    expect(r.code, r.stderr).toBe(0);
    const findings = JSON.parse(r.stdout).findings as { rule: string; key: string; file: string | null; fix: string | null }[];
    expect(findings.filter((x) => x.rule === 'token-in-file').map((x) => x.file)).toEqual([leak]);
    // The key is recorded as deployed: its fix rotates it to app.env and deletes it, asking nothing.
    const fix = findings.find((x) => x.rule === 'table-write' && x.key === NEW)!.fix!;
    expect(fix).toBe(`carto-keys rotate ${NEW} --remove-table public.liked_cities:insert --delete-old --yes`);
    const before = f.sb.token(NEW)!;
    const ran = await f.cli(fix.split(' ').slice(1), state);
    expect(ran.code, ran.stderr).toBe(0);
    expect(f.sb.names()).not.toContain(NEW);
    expect(readFileSync(env, 'utf8')).not.toContain(before);
  });
});
