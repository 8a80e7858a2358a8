// One lifecycle (issue 20) and "no key deleted while anything holds it" (issue 24), in-process against
// the emulator: every flow through one deployer, one journal and one key reference. Each test is one
// example of those issues, named after it; each failed on the code before them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import { embeddedFetch } from '../../src/api/http.js';
import { createSandboxHandler } from '../../src/sandbox/index.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { run, scriptedPrompter, tempPaths, type RunOptions } from '../helpers/harness.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';
import { MASTER, testSandbox } from '../helpers/sandbox-fetch.js';

const NOW = new Date('2026-12-07T10:00:00Z');
const later = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function folder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * The single-user sandbox, credentials from the environment as in CI, and CARTO_KEYS_STATE_DIR naming
 * the folder journals and the registry live in.
 */
function world() {
  const sb = testSandbox();
  const paths = tempPaths();
  made.push(paths.root);
  const dir = folder('ck-life-');
  const state = join(paths.root, 'state');
  // CARTO_KEYS_CONFIG_DIR too: a CI job that keeps its config folder may keep state (as before the state folder).
  const env = { ...sb.env, CARTO_KEYS_STATE_DIR: state, CARTO_KEYS_CONFIG_DIR: paths.config };
  const cli = (args: string[], o: RunOptions = {}) => run(args, { env, fetch: sb.fetch, paths, now: NOW, ...o, ...(o.env && { env: { ...env, ...o.env } }) });
  const token = (name: string) => sb.token(name)!;
  const envFile = (name: string, key?: string) => {
    const path = join(dir, name);
    writeFileSync(path, key === undefined ? '' : `CARTO_API_KEY=${token(key)}\n`);
    return path;
  };
  const holds = (path: string) => readFileSync(path, 'utf8').replace(/^CARTO_API_KEY=/, '').trim();
  return { sb, paths, dir, state, env, cli, token, envFile, holds };
}

/** The sandbox organization "acme": alice (an admin) acting on bob's keys with --user. */
function orgWorld() {
  const state = createOrgSandboxState({ masterKeys: ORG_MASTERS });
  const inner = embeddedFetch(createSandboxHandler(state));
  const fetch: FetchLike = (url, init) => inner(url, init);
  const paths = tempPaths();
  made.push(paths.root);
  const dir = folder('ck-life-org-');
  const env = { CARTO_KEYS_BASE_URL: 'https://acme.carto.com/u/alice', CARTO_KEYS_MASTER_KEY: ORG_MASTERS['alice']!, CARTO_KEYS_STATE_DIR: join(paths.root, 'state'), CARTO_KEYS_CONFIG_DIR: paths.config };
  const cli = (args: string[], o: RunOptions = {}) => run(args, { env, fetch, paths, now: NOW, ...o });
  const keysOf = (user: string) => state.users.find((u) => u.username === user)!.keys;
  const tokenOf = (user: string, name: string) => keysOf(user).find((k) => k.name === name)?.token;
  return { state, fetch, paths, dir, env, cli, keysOf, tokenOf };
}

const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);

/** Whether `pid` is a live process: gone, or a zombie whose parent (the killed shell) is gone too, is not. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
}

describe('issue 20: every flow through one deployer, one journal, one key identity', () => {
  it('apply records the deployments of the keys it creates: where lists them, revoke warns, audit does not call them never-deployed', async () => {
    const w = world();
    const env = w.envFile('web.env');
    const file = join(w.dir, 'carto-keys.yaml');
    writeFileSync(file, `version: 1\nkeys:\n  web:\n    apis: [sql]\n    deploy:\n      - env_file: web.env\n`);
    ok(await w.cli(['apply', '-f', file, '--yes']));
    expect(w.holds(env)).toBe(w.token('web'));
    const where = await w.cli(['where', 'web']);
    ok(where);
    expect(where.stdout).toContain(`${env} (CARTO_API_KEY)\n          holds the token of "web"`);
    const audit = await w.cli(['audit', '--json']);
    expect(JSON.stringify(JSON.parse(audit.stdout))).not.toMatch(/never[- ]deployed[^}]*"web"|"web"[^}]*never[- ]deployed/);
    const revoke = await w.cli(['revoke', 'web', '--yes']);
    ok(revoke);
    expect(revoke.stderr).toContain(`"web" is still deployed: ${env} (CARTO_API_KEY) holds its token.`);
  });

  it('apply --resume whose deploy fails again: exit 5 with what exists and the commands, never "this is a bug"', async () => {
    const w = world();
    const file = join(w.dir, 'carto-keys.yaml');
    writeFileSync(file, `version: 1\nkeys:\n  svc:\n    apis: [sql]\n    deploy:\n      - cmd: exit 3\n`);
    const first = await w.cli(['apply', '-f', file, '--yes']);
    expect(first.code, first.stderr).toBe(5);
    const again = await w.cli(['apply', '--resume', '-f', file, '--yes']);
    expect(again.code, again.stderr).toBe(5);
    expect(again.stderr).not.toMatch(/Unexpected error|this is a bug|\n\s+at /);
    expect(again.stderr).toContain('exited with status 3');
    expect(again.stderr).toContain('carto-keys apply --resume');
    expect(again.stderr).toContain('carto-keys apply --abort');
  });

  it("a member's grace rotation is retired as the member's: retire deletes bob's old key, never alice's key of the same name", async () => {
    const o = orgWorld();
    ok(await o.cli(['create', '--name', 'shared', '--api', 'sql']));
    ok(await o.cli(['create', '--user', 'bob', '--name', 'shared', '--api', 'sql']));
    const alices = o.tokenOf('alice', 'shared');
    ok(await o.cli(['rotate', 'shared', '--user', 'bob', '--deploy-cmd', 'true', '--grace', '2s', '--yes']));
    const r = await o.cli(['retire', '--yes', '--json'], { now: later(1) });
    ok(r);
    expect(JSON.parse(r.stdout).retired).toEqual([{ old: 'shared', new: expect.stringMatching(/^shared-r/), member: 'bob' }]);
    expect(o.keysOf('bob').map((k) => k.name)).not.toContain('shared');
    expect(o.tokenOf('alice', 'shared')).toBe(alices);
  });

  it('the terminal rotation with "Done deploying" keeps an old key whose recorded env file still holds its token, unless the person confirms', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const env = w.envFile('app.env');
    ok(await w.cli(['rotate', 'app', '--name', 'app-2', '--deploy-env-file', env, '--keep-old', '--yes']));
    // app-2 is deployed to app.env; rotating it on a terminal and deploying nowhere ("Done deploying").
    // No --yes: on a terminal --yes asks nothing at all (issue 21); here every question is answered.
    const prompter = scriptedPrompter([
      { select: 'keep', match: /Grants of the new key/ },
      { select: 'choose', match: /Deploy the new token/ },
      { confirm: true, match: /Create API key "app-3"/ },
      { select: 'done', match: /Deploy the new token/ },
      { confirm: true, match: /Delete the old key "app-2" now/ },
      { confirm: false, match: /Delete "app-2" anyway/ },
    ]);
    const r = await w.cli(['rotate', 'app-2', '--name', 'app-3'], { tty: true, prompter });
    ok(r);
    expect(prompter.remaining()).toBe(0);
    expect(r.stderr).toContain(`${env} (CARTO_API_KEY) still holds the token of "app-2"`);
    expect(w.sb.names()).toContain('app-2');
    expect(w.holds(env)).toBe(w.token('app-2'));
  });

  it('a key already superseded in a grace window is not rotated or cloned again (exit 2, naming the successor and the commands)', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'map', '--api', 'sql']));
    ok(await w.cli(['rotate', 'map', '--name', 'map-r20261207', '--deploy-cmd', 'true', '--grace', '24h', '--yes']));
    const posts = () => w.sb.requests.filter((q) => q.method === 'POST').length;
    const before = posts();
    for (const args of [['rotate', 'map', '--deploy-cmd', 'true', '--keep-old', '--yes'], ['clone', 'map', '--name', 'map-copy']]) {
      const r = await w.cli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('"map-r20261207"');
      expect(r.stderr).toContain('carto-keys rotate map-r20261207');
      expect(r.stderr).toContain('carto-keys rotate --rollback map-r20261207');
      expect(r.stderr).toContain('carto-keys retire');
    }
    expect(posts()).toBe(before);
    expect(w.sb.names().filter((n) => n.startsWith('map'))).toEqual(['map', 'map-r20261207']);
  });

  it('CARTO_KEYS_STATE_DIR: a rotation stopped in one CI job is finished by --resume in another, on a fresh machine', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const gate = join(w.dir, 'gate');
    const first = await w.cli(['rotate', 'app', '--deploy-cmd', `test -f ${gate}`, '--delete-old', '--yes']);
    expect(first.code, first.stderr).toBe(5);
    // A second machine: nothing of the first one's config folder, only the state folder it restored.
    const fresh = tempPaths();
    made.push(fresh.root);
    writeFileSync(gate, '');
    const second = await run(['rotate', '--resume', 'app'], { env: w.env, fetch: w.sb.fetch, paths: fresh, now: NOW });
    ok(second);
    expect(w.sb.names().filter((n) => n.startsWith('app'))).toEqual(['app-r20261207']);
    // The state folder holds neither the Master key nor a token.
    const all = readdirSync(w.state, { recursive: true }).map(String).filter((n) => n.endsWith('.json'));
    for (const name of all) {
      const text = readFileSync(join(w.state, name), 'utf8');
      expect(text).not.toContain(MASTER);
      for (const k of w.sb.state.users[0]!.keys) expect(text).not.toContain(k.token);
    }
  });

  it('rotate with no deploy flag deploys to the targets recorded for the key (CI and terminal default)', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const env = w.envFile('app.env');
    ok(await w.cli(['rotate', 'app', '--name', 'app-2', '--deploy-env-file', env, '--delete-old', '--yes']));
    const ci = await w.cli(['rotate', 'app-2', '--name', 'app-3', '--delete-old', '--yes']);
    ok(ci);
    expect(ci.stderr).toContain(`Deploying to the targets recorded for "app-2": ${env} (CARTO_API_KEY)`);
    expect(w.holds(env)).toBe(w.token('app-3'));
    expect(w.sb.names()).not.toContain('app-2');
    const prompter = scriptedPrompter([
      { select: 'keep', match: /Grants of the new key/ },
      { select: 'recorded', match: /Deploy the new token/ },
      { confirm: true, match: /Create API key "app-4"/ },
      { select: 'done', match: /Deploy the new token/ },
      { confirm: true, match: /Delete the old key/ },
    ]);
    const tty = await w.cli(['rotate', 'app-3', '--name', 'app-4'], { tty: true, prompter });
    ok(tty);
    // The recorded targets are what Enter picks, and "Done deploying" after them.
    expect(prompter.selectDefaults).toEqual([undefined, 'recorded', 'done']);
    expect(w.holds(env)).toBe(w.token('app-4'));
    expect(w.sb.names()).not.toContain('app-3');
  });

  it("Ctrl-C while retire runs the rotation's app check: the check is stopped and waited for, nothing is deleted, exit 5", async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const env = w.envFile('app.env', 'app');
    const armed = join(w.dir, 'armed');
    const started = join(w.dir, 'started');
    execFileSync('mkfifo', [started]);
    const pidFile = join(w.dir, 'check.pid');
    // Passes at rotation time; once armed (retire's run) it says so through the FIFO and waits for good.
    const check = `cat >/dev/null; [ -e ${armed} ] || exit 0; echo $$ > ${pidFile}; echo go > ${started}; exec sleep 600`;
    ok(await w.cli(['rotate', 'app', '--deploy-env-file', env, '--check-cmd', check, '--grace', '1h', '--yes']));
    writeFileSync(armed, '');
    const r = await w.cli(['retire', '--yes'], { now: later(2), stopSignal: () => readFile(started).then(() => 'SIGINT') });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('Retire stopped by SIGINT before deleting "app": it is kept with its retirement.');
    expect(r.stderr).toContain('carto-keys retire --yes');
    // The check's process group was stopped before retire returned; the old key and its retirement remain.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(running(pid)).toBe(false);
    expect(w.sb.names()).toEqual(expect.arrayContaining(['app', 'app-r20261207']));
    rmSync(armed);
    ok(await w.cli(['retire', '--yes'], { now: later(3) }));
    expect(w.sb.names()).not.toContain('app');
  });

  it('--check-cmd tests the app after deploy and before the delete: token on stdin only, name in CARTO_API_KEY_NAME, never the Master key; a failure is exit 5 with both keys alive', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const env = w.envFile('app.env', 'app');
    const seen = join(w.dir, 'seen');
    const check = `{ cat; echo; echo "name=$CARTO_API_KEY_NAME"; echo "env=\${CARTO_API_KEY:-none}"; env; } > ${seen}`;
    ok(await w.cli(['rotate', 'app', '--deploy-env-file', env, '--check-cmd', check, '--delete-old', '--yes']));
    const text = readFileSync(seen, 'utf8');
    expect(text.split('\n')[0]).toBe(w.token('app-r20261207'));
    expect(text).toContain('name=app-r20261207');
    expect(text).toContain('env=none');
    expect(text).not.toContain(MASTER);

    const failing = await w.cli(['rotate', 'app-r20261207', '--name', 'app-3', '--check-cmd', 'exit 4', '--delete-old', '--yes']);
    expect(failing.code, failing.stderr).toBe(5);
    expect(failing.stderr).toContain('the app check `exit 4` failed');
    expect(failing.stderr).toContain('carto-keys rotate --resume app-r20261207');
    expect(failing.stderr).toContain('carto-keys rotate --abort app-r20261207');
    expect(w.sb.names()).toEqual(expect.arrayContaining(['app-r20261207', 'app-3']));
    ok(await w.cli(['rotate', '--abort', 'app-r20261207', '--yes']));
    expect(w.holds(env)).toBe(w.token('app-r20261207'));
  });
});

describe('issue 24: no key deleted while anything holds it', () => {
  it("1. a member's grace rotation, rollback and --delete-old never touch the admin's key of the same name or its records", async () => {
    const o = orgWorld();
    ok(await o.cli(['create', '--name', 'dash', '--api', 'sql']));
    ok(await o.cli(['create', '--user', 'bob', '--name', 'dash', '--api', 'sql']));
    const aliceEnv = join(o.dir, 'alice.env');
    writeFileSync(aliceEnv, '');
    ok(await o.cli(['rotate', 'dash', '--name', 'dash-a', '--deploy-env-file', aliceEnv, '--keep-old', '--yes']));
    ok(await o.cli(['rotate', 'dash', '--user', 'bob', '--name', 'dash-b', '--deploy-cmd', 'true', '--grace', '1s', '--yes']));
    const retired = await o.cli(['retire', '--yes', '--json'], { now: later(1) });
    ok(retired);
    expect(o.keysOf('alice').map((k) => k.name)).toContain('dash');
    expect(o.keysOf('bob').map((k) => k.name)).not.toContain('dash');

    // A member's rotation rolled back is looked up in the member's account.
    ok(await o.cli(['create', '--user', 'bob', '--name', 'web', '--api', 'sql']));
    ok(await o.cli(['rotate', 'web', '--user', 'bob', '--name', 'web2', '--deploy-cmd', 'true', '--grace', '24h', '--yes']));
    const rb = await o.cli(['rotate', '--rollback', 'web2', '--user', 'bob', '--yes']);
    ok(rb);
    expect(o.keysOf('bob').map((k) => k.name)).toContain('web');
    expect(o.keysOf('bob').map((k) => k.name)).not.toContain('web2');

    // bob's --delete-old rotation of his "web" leaves alice's registry record of her own "web".
    ok(await o.cli(['create', '--name', 'seed', '--api', 'sql']));
    const webEnv = join(o.dir, 'web.env');
    writeFileSync(webEnv, '');
    ok(await o.cli(['rotate', 'seed', '--name', 'web', '--deploy-env-file', webEnv, '--keep-old', '--yes']));
    ok(await o.cli(['rotate', 'web', '--user', 'bob', '--name', 'web3', '--deploy-cmd', 'true', '--delete-old', '--yes']));
    const revoke = await o.cli(['revoke', 'web', '--yes']);
    ok(revoke);
    expect(revoke.stderr).toContain(`"web" is still deployed: ${webEnv} (CARTO_API_KEY) holds its token.`);
  });

  it('3. retire keeps the old key while one of its own recorded env files still holds its token', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const a = w.envFile('a.env');
    const b = w.envFile('b.env');
    ok(await w.cli(['rotate', 'app', '--name', 'app1', '--deploy-env-file', a, '--deploy-env-file', b, '--keep-old', '--yes']));
    ok(await w.cli(['rotate', 'app1', '--name', 'app2', '--deploy-env-file', a, '--grace', '1s', '--yes']));
    const r = await w.cli(['retire', '--yes'], { now: later(1) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${b} (CARTO_API_KEY) still holds the token of "app1"`);
    expect(w.sb.names()).toContain('app1');
    // Its records are kept too: where still knows b.env holds it.
    expect((await w.cli(['where', 'app1'])).stdout).toContain(b);
    // Once b.env moves on, retire goes ahead.
    writeFileSync(b, `CARTO_API_KEY=${w.token('app2')}\n`);
    ok(await w.cli(['retire', '--yes'], { now: later(2) }));
    expect(w.sb.names()).not.toContain('app1');
  });

  it("4. apply --prune keeps keys recorded as deployed or in a grace rotation (the README's own example), unless --prune-deployed", async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'web', '--api', 'sql']));
    const file = join(w.dir, 'carto-keys.yaml');
    ok(await w.cli(['export', '-o', file]));
    const env = w.envFile('web.env');
    ok(await w.cli(['rotate', 'web', '--name', 'web-2', '--deploy-env-file', env, '--grace', '24h', '--yes']));
    const plan = await w.cli(['plan', '-f', file, '--prune']);
    expect(plan.stdout).toMatch(/web-2.*in use/);
    const r = await w.cli(['apply', '-f', file, '--prune', '--yes']);
    ok(r);
    expect(w.sb.names()).toEqual(expect.arrayContaining(['web', 'web-2']));
    expect(w.holds(env)).toBe(w.token('web-2'));
    ok(await w.cli(['create', '--name', 'stray', '--api', 'sql']));
    ok(await w.cli(['apply', '-f', file, '--prune', '--yes']));
    expect(w.sb.names()).not.toContain('stray');
  });

  it('5. retire never deletes a new, unrelated key given the old key\'s name', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    ok(await w.cli(['rotate', 'app', '--name', 'app2', '--deploy-cmd', 'true', '--grace', '1s', '--yes']));
    // Deleted outside carto-keys, then a new key of the same name.
    w.sb.state.users[0]!.keys = w.sb.state.users[0]!.keys.filter((k) => k.name !== 'app');
    ok(await w.cli(['create', '--name', 'app', '--api', 'maps']));
    // Created later than the first "app" (the emulator's clock may not have moved within this test).
    w.sb.state.users[0]!.keys.find((k) => k.name === 'app')!.createdAt = later(0.5).toISOString();
    const token = w.token('app');
    const r = await w.cli(['retire', '--yes', '--json'], { now: later(1) });
    ok(r);
    expect(JSON.parse(r.stdout).retired).toEqual([]);
    expect(w.token('app')).toBe(token);
  });

  it('6. rollback and retire of one rotation take the same lock: with a slow DELETE, only one of them acts', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    ok(await w.cli(['rotate', 'app', '--name', 'app2', '--deploy-cmd', 'true', '--grace', '1s', '--yes']));
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    let deleting: () => void = () => {};
    const started = new Promise<void>((r) => (deleting = r));
    const slow: FetchLike = async (url, init) => {
      if (init.method === 'DELETE') {
        deleting();
        await held;
      }
      return w.sb.fetch(url, init);
    };
    const retire = w.cli(['retire', '--yes', '--json'], { now: later(1), fetch: slow });
    await started;
    const rollback = await w.cli(['rotate', '--rollback', 'app2', '--yes']);
    release();
    const retired = await retire;
    ok(retired);
    expect(rollback.code, rollback.stderr).not.toBe(0);
    expect(w.sb.names()).toContain('app2');
    expect(w.sb.names()).not.toContain('app');
  });

  it('7. --abort of a rotation whose deploy command never succeeded skips it (says so) instead of failing forever', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const env = w.envFile('app.env', 'app');
    const first = await w.cli(['rotate', 'app', '--deploy-env-file', env, '--deploy-cmd', 'exit 3', '--delete-old', '--yes']);
    expect(first.code).toBe(5);
    const r = await w.cli(['rotate', '--abort', 'app', '--yes']);
    ok(r);
    expect(r.stderr).toContain('Skipped `exit 3`');
    expect(w.holds(env)).toBe(w.token('app'));
    expect(w.sb.names().filter((n) => n.startsWith('app'))).toEqual(['app']);
    // Nothing is left pending: the next rotation and apply are not refused.
    ok(await w.cli(['rotate', 'app', '--deploy-env-file', env, '--delete-old', '--yes']));
  });

  it('8. a second rotation inside a grace window: retire follows the chain to the live successor', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const env = w.envFile('app.env');
    ok(await w.cli(['rotate', 'app', '--name', 'app2', '--deploy-env-file', env, '--grace', '1s', '--yes']));
    ok(await w.cli(['rotate', 'app2', '--name', 'app3', '--deploy-env-file', env, '--delete-old', '--yes']));
    const r = await w.cli(['retire', '--yes', '--json'], { now: later(1) });
    ok(r);
    expect(JSON.parse(r.stdout).retired).toEqual([{ old: 'app', new: 'app3' }]);
    expect(w.sb.names().filter((n) => n.startsWith('app'))).toEqual(['app3']);
  });

  it('11. records of keys deleted outside carto-keys are dropped when the account is listed, and where says so', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    const env = w.envFile('app.env');
    ok(await w.cli(['rotate', 'app', '--name', 'app2', '--deploy-env-file', env, '--keep-old', '--yes']));
    w.sb.state.users[0]!.keys = w.sb.state.users[0]!.keys.filter((k) => k.name !== 'app2');
    const r = await w.cli(['where', 'app2']);
    // A missing key is exit 1 wherever it is named (issue 21), after saying what was forgotten.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('Forgot the records of a key deleted outside carto-keys: "app2"');
    expect(r.stderr).toContain('No API key is named "app2".');
    expect(r.stdout).not.toContain(env);
    const registry = JSON.parse(readFileSync(join(w.state, 'deployments.json'), 'utf8'));
    expect(JSON.stringify(registry)).not.toContain('"app2"');
  });
});

describe('issue 25: keys named like Object.prototype members; a token given to --rollback', () => {
  it('6. keys named constructor, toString, __proto__ … are recorded, listed by where, retired and revoked', async () => {
    const w = world();
    const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];
    const files = new Map<string, string>();
    for (const [i, name] of names.entries()) {
      ok(await w.cli(['create', '--name', `seed-${i}`, '--api', 'sql']));
      const env = w.envFile(`${i}.env`);
      files.set(name, env);
      const r = await w.cli(['rotate', `seed-${i}`, '--name', name, '--deploy-env-file', env, '--grace', '1s', '--yes']);
      ok(r);
      expect(r.stderr).not.toContain('Could not record');
      const where = await w.cli(['where', name]);
      ok(where);
      expect(where.stdout).toContain(`${env} (CARTO_API_KEY)\n          holds the token of "${name}"`);
    }
    const retired = await w.cli(['retire', '--yes', '--json'], { now: later(1) });
    ok(retired);
    expect(JSON.parse(retired.stdout).retired).toHaveLength(names.length);
    for (const name of names) {
      const r = await w.cli(['revoke', name, '--yes']);
      ok(r);
      expect(r.stderr).toContain(`"${name}" is still deployed: ${files.get(name)} (CARTO_API_KEY) holds its token.`);
    }
    expect(w.sb.names()).toEqual(['Master', 'Default public']);
  });

  it('7. rotate --rollback <token> looks the token up and never echoes it', async () => {
    const w = world();
    ok(await w.cli(['create', '--name', 'app', '--api', 'sql']));
    ok(await w.cli(['rotate', 'app', '--name', 'app2', '--deploy-cmd', 'true', '--grace', '24h', '--yes']));
    const token = w.token('app2');
    const r = await w.cli(['rotate', '--rollback', token, '--yes', '--debug']);
    ok(r);
    expect(`${r.stdout}${r.stderr}`).not.toContain(token);
    expect(w.sb.names()).not.toContain('app2');
    const unknown = 'Zx9Zx9Zx9Zx9Zx9Zx9Zx9Z';
    const none = await w.cli(['rotate', '--rollback', unknown, '--yes']);
    expect(none.code, none.stderr).toBe(1);
    expect(`${none.stdout}${none.stderr}`).not.toContain(unknown);
    expect(existsSync(join(w.state, 'rotations'))).toBe(false);
  });
});
