// `rotate` without a terminal, in-process against the emulator: the whole workflow from flags, every
// step's failure (each must leave the old key alive), then --resume finishing and --abort undoing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FetchLike } from '../../src/api/client.js';
import { tryLock } from '../../src/config/lock.js';
import { normalizeRenderedGrants } from '../../src/grants/index.js';
import { journalStore } from '../../src/records/journal.js';
import { keyRef } from '../../src/records/key-ref.js';
import { renderKey } from '../../src/sandbox/render.js';
import { run } from '../helpers/harness.js';
import { BASE_URL, MASTER } from '../helpers/sandbox-fetch.js';
import { expectStopped, NEW, refuseDelete, refuseNonMaster, rotationFixture } from './helpers.js';
import { tempHome } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { serveInProcess, useServedHome } from '../helpers/served.js';

const CI = ['--yes'];

function grantsOf(f: Awaited<ReturnType<typeof rotationFixture>>, name: string) {
  const user = f.sb.state.users[0]!;
  const key = user.keys.find((k) => k.name === name)!;
  return normalizeRenderedGrants(renderKey(user, key).grants).grants;
}

describe('rotate in CI: the whole workflow', () => {
  it('creates, deploys to an env file and a command, verifies, deletes the old key; prints a JSON summary without the token', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    writeFileSync(env, '# app\nDB=postgres://db\nCARTO_API_KEY=old\n', { mode: 0o640 });
    const out = join(f.dir, 'cmd');
    const cmd = `cat > ${out}.stdin; printf '%s %s' "$CARTO_API_KEY" "$CARTO_API_KEY_NAME" > ${out}.env; echo deploy-said-hello; echo deploy-warned >&2`;
    const r = await f.rotate(['app', '--remove-api', 'maps', '--deploy-env-file', env, '--deploy-cmd', cmd, '--delete-old', ...CI, '--json']);
    expect(r.code, r.stderr).toBe(0);

    const token = f.sb.token(NEW)!;
    expect(JSON.parse(r.stdout)).toEqual({
      old: 'app',
      new: NEW,
      targets: [
        { kind: 'env-file', path: env, variable: 'CARTO_API_KEY' },
        { kind: 'command', command: cmd },
      ],
      verified: true,
      deleted: true,
    });
    expect(r.stdout + r.stderr).not.toContain(token);
    // The command's stdout and stderr both reach our stderr, never our stdout.
    expect(r.stderr.split('\n')).toContain('deploy-said-hello');
    expect(r.stderr.split('\n')).toContain('deploy-warned');
    expect(r.stdout.split('\n')).not.toContain('deploy-said-hello');

    expect(readFileSync(env, 'utf8')).toBe(`# app\nDB=postgres://db\nCARTO_API_KEY=${token}\n`);
    expect(statSync(env).mode & 0o777).toBe(0o640);
    expect(readFileSync(`${out}.stdin`, 'utf8')).toBe(token);
    expect(readFileSync(`${out}.env`, 'utf8')).toBe(`${token} ${NEW}`);

    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
    expect(grantsOf(f, NEW).apis).toEqual(['sql']);
    expect(f.journals()).toEqual([]);
  });

  it('human output: each step with a ✓, the diff, nothing on stdout; --print-token puts the token on stdout', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--add-table', 'world_population', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI, '--print-token']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Rotating "app" → "${NEW}"`);
    expect(r.stderr).toContain('+ table public.world_population:select');
    for (const line of [`✓ Created API key "${NEW}"`, '✓ Deployed to', `✓ Verified "${NEW}"`, '✓ Deleted the old key "app"', `✓ Rotated "app" → "${NEW}"`]) {
      expect(r.stderr).toContain(line);
    }
    expect(r.stdout).toBe(`${f.sb.token(NEW)}\n`);
    expect(r.stderr).not.toContain(f.sb.token(NEW));
  });

  it('--keep-old keeps the old key and says how to revoke it; works with no deploy target', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--new-name', 'app-v2', '--keep-old', ...CI]);
    expect(r.code, r.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', 'app-v2']);
    expect(r.stderr).toContain('carto-keys revoke app');
    expect(r.stdout).toBe('');
  });

  it('the default name is unique and replaces an earlier rotation suffix', async () => {
    const f = await rotationFixture();
    await f.cli(['create', '--name', NEW, '--api', 'sql']);
    const r = await f.rotate(['app', '--keep-old', ...CI, '--json']);
    expect(JSON.parse(r.stdout).new).toBe(`${NEW}-2`);
    const again = await f.rotate([`${NEW}-2`, '--keep-old', ...CI, '--json'], { now: new Date('2026-12-22T10:00:00Z') });
    expect(JSON.parse(again.stdout).new).toBe('app-r20261222');
  });

  it('rotates a key given by its token', async () => {
    const f = await rotationFixture();
    // After `--`: a token may start with "-" (URL-safe base64), which would read as an option.
    const r = await f.rotate(['--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI, '--json', '--', f.sb.token('app')!]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ old: 'app', new: NEW, deleted: true });
  });

  it('a retried create answered "Name has already been taken" is recognised as ours', async () => {
    const f = await rotationFixture();
    let lost = false;
    // The first POST reaches the server, but its reply is lost (a 502 from a proxy): the client retries.
    const flaky: FetchLike = async (url, init) => {
      const res = await f.sb.fetch(url, init);
      if (init.method === 'POST' && !lost) {
        lost = true;
        return new Response('<html>502</html>', { status: 502, headers: { 'content-type': 'text/html' } });
      }
      return res;
    };
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI], { fetch: flaky });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('recovered it');
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });

  it('refuses Master and Default public', async () => {
    const f = await rotationFixture();
    for (const name of ['Master', 'Default public']) {
      const r = await f.rotate([name, '--keep-old', ...CI]);
      expect(r.code, r.stderr).toBe(2);
      expect(f.posts()).toBe(0);
    }
  });
});

describe('rotate in CI: every failure leaves the old key alive', () => {
  it('create fails (quota): exit 1, nothing created, no journal', async () => {
    const f = await rotationFixture({ quota: 1 });
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('limit of API keys');
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(f.journals()).toEqual([]);
    expect(existsSync(join(f.dir, '.env'))).toBe(false);
  });

  it('create fails ambiguously but the look afterwards finds no key: exit 1 saying nothing was created and a rerun is safe', async () => {
    const f = await rotationFixture();
    // Every POST is answered by a proxy's 502 and never reaches CARTO: the client cannot know that.
    const lost: FetchLike = async (url, init) =>
      init.method === 'POST' ? new Response('', { status: 502 }) : f.sb.fetch(url, init);
    const env = join(f.dir, '.env');
    const r = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', ...CI], { fetch: lost });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`No API key named "${NEW}" exists: nothing was created, so running the rotation again is safe`);
    expect(r.stderr).not.toMatch(/may have been created|carto-keys show/);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(f.journals()).toEqual([]);
    expect(existsSync(env)).toBe(false);

    const again = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', ...CI]);
    expect(again.code, again.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });

  it('create fails ambiguously and the look finds a key of that name that is not ours: says so, never "nothing was created"', async () => {
    const f = await rotationFixture();
    // The POST is lost; meanwhile someone else creates a key with the new key's name and other grants.
    const lost: FetchLike = async (url, init) => {
      if (init.method !== 'POST') return f.sb.fetch(url, init);
      if (!f.sb.names().includes(NEW)) {
        const other = await f.cli(['create', '--name', NEW, '--api', 'sql']);
        expect(other.code, other.stderr).toBe(0);
      }
      return new Response('', { status: 502 });
    };
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI], { fetch: lost });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`An API key named "${NEW}" exists but is not the one this rotation creates`);
    expect(r.stderr).toContain('another --name');
    expect(r.stderr).not.toMatch(/nothing was created|may have been created/);
    expect(f.journals()).toEqual([]);
  });

  it('deploy command exits 1: exit 5 naming both keys and the commands; --resume after the fix finishes', async () => {
    const f = await rotationFixture();
    const marker = join(f.dir, 'ready');
    const env = join(f.dir, '.env');
    const r = await f.rotate(['app', '--deploy-env-file', env, '--deploy-cmd', `test -f ${marker}`, '--delete-old', ...CI]);
    expectStopped(r);
    expect(r.stderr).toContain('the command exited with status 1');
    expect(r.stderr).toContain('carto-keys rotate --abort app --yes');
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', NEW]);
    const [j] = f.journals();
    expect(j).toMatchObject({ oldName: 'app', newName: NEW, deleteOld: true, steps: { verified: null, deleted: null } });
    expect(j!.steps.created).not.toBeNull();
    expect(j!.targets.map((t) => t.deployedAt !== null)).toEqual([true, false]);
    expect(JSON.stringify(j)).not.toContain(f.sb.token(NEW));

    writeFileSync(marker, '');
    const resumed = await f.rotate(['--resume', 'app']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token(NEW)}\n`);
    expect(f.journals()).toEqual([]);
  });

  it('deploy command exits 1, then --abort: every target tried gets the old token back, the new key is revoked', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    // Fails with the new token, succeeds with the old one (read from stdin): a failed attempt may still
    // have written the new token somewhere, so --abort runs it again with the old one.
    const command = `[ "$(cat /dev/stdin)" = "${f.sb.token('app')}" ]`;
    const r = await f.rotate(['app', '--deploy-env-file', env, '--deploy-cmd', command, '--delete-old', ...CI]);
    expect(r.code).toBe(5);
    const aborted = await f.rotate(['--abort', 'app', ...CI, '--json']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(JSON.parse(aborted.stdout)).toMatchObject({
      aborted: true,
      old: 'app',
      new: NEW,
      revoked: true,
      restored: [{ kind: 'env-file', path: env }, { kind: 'command', command }],
    });
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('app')}\n`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(f.journals()).toEqual([]);
  });

  it('deploy commands get no Master key in their environment, and the token on a stdin /dev/stdin can open (issues 11, 13)', async () => {
    const f = await rotationFixture();
    const dump = join(f.dir, 'env.dump');
    const r = await f.rotate(['app', '--deploy-cmd', `env > ${dump}; cat /dev/stdin > ${dump}.stdin`, '--keep-old', ...CI], {
      // The command that prints the Master key is as good as the key: not passed on either.
      env: { ...f.sb.env, SOMETHING_ELSE: 'kept', CARTO_KEYS_MASTER_KEY_CMD: 'op read op://ci/carto/master' },
    });
    expect(r.code, r.stderr).toBe(0);
    const seen = readFileSync(dump, 'utf8');
    expect(seen).not.toContain('CARTO_KEYS_MASTER_KEY');
    expect(seen).not.toContain(MASTER);
    expect(seen).toContain('SOMETHING_ELSE=kept');
    expect(seen).toContain(`CARTO_API_KEY=${f.sb.token(NEW)}`);
    expect(readFileSync(`${dump}.stdin`, 'utf8')).toBe(f.sb.token(NEW));
  });

  it('a deploy command that outlives --deploy-timeout is stopped: exit 5, and --resume runs it again', async () => {
    const f = await rotationFixture();
    const flag = join(f.dir, 'slow');
    writeFileSync(flag, '');
    const r = await f.rotate(['app', '--deploy-cmd', `if [ -e ${flag} ]; then exec sleep 600; fi`, '--delete-old', '--deploy-timeout', '1s', ...CI]);
    expectStopped(r);
    expect(r.stderr).toContain('did not finish within 1s (the deploy timeout) and was stopped');
    expect(f.journals()[0]).toMatchObject({ deployTimeoutMs: 1000 });
    rmSync(flag);
    const resumed = await f.rotate(['--resume', 'app']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // The recap says what the interrupted run had done.
    expect(resumed.stderr).toMatch(/interrupted or failed \(the command did not finish within 1s/);
  });

  it('credentials from the environment only: says where the journal is, and a finished rotation leaves no folder behind', async () => {
    const f = await rotationFixture();
    expect(existsSync(f.paths.config)).toBe(false);
    const r = await f.rotate(['app', '--deploy-cmd', 'true', '--keep-old', ...CI]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Journal of this rotation (removed when it ends; --resume and --abort need it): ${join(f.paths.config, 'rotations')}`);
    expect(existsSync(f.paths.config)).toBe(false);
  });

  it('a bad --deploy-timeout or CARTO_KEYS_DEPLOY_TIMEOUT is a usage error, nothing sent', async () => {
    const f = await rotationFixture();
    for (const [args, env] of [
      [['--deploy-timeout', '10'], f.sb.env],
      [[], { ...f.sb.env, CARTO_KEYS_DEPLOY_TIMEOUT: 'soon' }],
    ] as const) {
      const r = await f.rotate(['app', '--deploy-cmd', 'true', '--keep-old', ...args, ...CI], { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/--deploy-timeout|CARTO_KEYS_DEPLOY_TIMEOUT/);
    }
    expect(f.sb.requests).toEqual([]);
  });

  it('env file targets that cannot be written faithfully are refused before the new key is created (issues 12, 13)', async () => {
    const f = await rotationFixture();
    const folder = join(f.dir, '.env');
    mkdirSync(folder);
    const readOnly = join(f.dir, 'ro.env');
    writeFileSync(readOnly, 'CARTO_API_KEY=old\n', { mode: 0o400 });
    for (const [spec, why] of [
      [folder, /is a folder/],
      [join(f.dir, 'missing', '.env'), /does not exist/],
      [readOnly, /is read-only/],
      [`${join(f.dir, 'web.env')}:web-key`, /is not a valid variable name/],
    ] as const) {
      const r = await f.rotate(['app', '--deploy-env-file', spec, '--delete-old', ...CI]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
    }
    expect(f.sb.requests).toEqual([]);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(f.journals()).toEqual([]);
  });

  it('an env file that becomes a folder after the start is refused at the write too: --abort stops (exit 5), then finishes once fixed', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const r = await f.rotate(['app', '--deploy-env-file', env, '--deploy-cmd', `[ "$(cat)" = "${f.sb.token('app')}" ]`, '--delete-old', ...CI]);
    expectStopped(r);
    rmSync(env);
    mkdirSync(env);
    const failed = await f.rotate(['--abort', 'app', ...CI]);
    expect(failed.code, failed.stderr).toBe(5);
    expect(failed.stderr).toContain('is a folder');
    expect(f.sb.names()).toContain(NEW);
    rmdirSync(env);
    const aborted = await f.rotate(['--abort', 'app', ...CI]);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('app')}\n`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
  });



  it('verification fails (the new token is refused): exit 5; --resume verifies and deletes', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const r = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', ...CI], { fetch: refuseNonMaster(f.sb.fetch) });
    expectStopped(r);
    expect(r.stderr).toContain(`verifying "${NEW}" failed`);
    const [j] = f.journals();
    expect(j!.targets[0]!.deployedAt).not.toBeNull();
    expect(j!.steps.verified).toBeNull();
    const resumed = await f.rotate(['--resume', 'app', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ verified: true, deleted: true });
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });

  it('verification fails because the grants differ from the intended ones', async () => {
    const f = await rotationFixture();
    // The server grants what it likes: here, it drops the table of the created key.
    const sloppy: FetchLike = async (url, init) => {
      const res = await f.sb.fetch(url, init);
      if (init.method === 'POST') f.sb.state.users[0]!.keys.find((k) => k.name === NEW)!.tables = [];
      f.sb.state.revision++;
      return res;
    };
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI], { fetch: sloppy });
    expectStopped(r);
    expect(r.stderr).toContain('its grants differ from the intended ones (- table public.liked_cities:select,insert)');
  });

  it('delete fails: exit 5 with everything else done; --resume deletes', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI], { fetch: refuseDelete(f.sb.fetch) });
    expectStopped(r);
    expect(r.stderr).toContain('deleting the old key "app" failed');
    expect(r.stderr).toContain('deployed to 1 of 1 target, verified');
    expect(f.journals()[0]!.steps.verified).not.toBeNull();
    const resumed = await f.rotate(['--resume', 'app']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });

  it('the connection dies after the create: "may or may not" exist; --resume finds the key instead of creating another', async () => {
    const f = await rotationFixture();
    let created = false;
    const dying: FetchLike = async (url, init) => {
      if (created) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
      const res = await f.sb.fetch(url, init);
      if (init.method === 'POST') {
        created = true;
        throw new TypeError('fetch failed');
      }
      return res;
    };
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI], { fetch: dying });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`the new key "${NEW}" may or may not have been created`);
    expect(f.journals()[0]!.steps.created).toBeNull();
    const resumed = await f.rotate(['--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });
});

describe('rotate: --resume and --abort', () => {
  async function stopped() {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    writeFileSync(env, 'CARTO_API_KEY=before\n');
    const r = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', ...CI], { fetch: refuseNonMaster(f.sb.fetch) });
    expect(r.code).toBe(5);
    return { f, env };
  }

  it('starting again while a journal exists is refused, pointing to --resume and --abort, before any request', async () => {
    const { f } = await stopped();
    f.sb.requests.length = 0;
    const r = await f.rotate(['app', '--keep-old', ...CI]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`"app" has an unfinished rotation to "${NEW}"`);
    expect(r.stderr).toContain('carto-keys rotate --resume app');
    expect(r.stderr).toContain('carto-keys rotate --abort app --yes');
    expect(f.sb.requests).toEqual([]);
  });

  it('--abort after the deploy: old token back in the env file, new key revoked, journal removed', async () => {
    const { f, env } = await stopped();
    const r = await f.rotate(['--abort', ...CI]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Put the old token back');
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('app')}\n`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(f.journals()).toEqual([]);
  });

  it('--abort is refused when the old key is gone, and when the journal says it was deleted', async () => {
    const { f } = await stopped();
    await f.cli(['revoke', 'app', '--yes']);
    const gone = await f.rotate(['--abort', 'app', ...CI]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('The old key "app" no longer exists');
    expect(gone.stderr).toContain('carto-keys rotate --resume app');

    const store = journalStore(f.paths.config);
    const [j] = store.list();
    store.save({ ...j!, steps: { ...j!.steps, deleted: new Date().toISOString() } }, new Date());
    const deleted = await f.rotate(['--abort', 'app', ...CI]);
    expect(deleted.code).toBe(2);
    expect(deleted.stderr).toContain('already deleted: there is nothing to go back to');
    expect(f.sb.names()).toContain(NEW);
    // --resume still finishes it (verifies, then only the journal is left to remove).
    const resumed = await f.rotate(['--resume', 'app']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(f.journals()).toEqual([]);
  });

  it('--abort needs --yes without a terminal; --resume does not', async () => {
    const { f } = await stopped();
    const r = await f.rotate(['--abort', 'app']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect((await f.rotate(['--resume', 'app'])).code).toBe(0);
  });

  it('--resume: no journal, an unknown name, several journals', async () => {
    const f = await rotationFixture();
    expect((await f.rotate(['--resume'])).stderr).toContain('There is no unfinished rotation');
    await f.cli(['create', '--name', 'other', '--api', 'sql']);
    for (const name of ['app', 'other']) {
      const r = await f.rotate([name, '--deploy-cmd', 'exit 3', '--delete-old', ...CI]);
      expect(r.code).toBe(5);
    }
    const several = await f.rotate(['--resume']);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain('There are 2 unfinished rotations');
    expect(several.stderr).toContain('"app" →');
    expect(several.stderr).toContain('"other" →');
    const unknown = await f.rotate(['--resume', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No unfinished rotation of "nope"');
  });

  it('--resume of a rotation whose delete decision is open needs --delete-old or --keep-old without a terminal', async () => {
    const f = await rotationFixture();
    const store = journalStore(f.paths.config);
    // An interactive rotation stopped before its last question.
    const r = await f.rotate(['app', '--deploy-cmd', 'exit 1', '--delete-old', ...CI]);
    expect(r.code).toBe(5);
    const [j] = store.list();
    store.save({ ...j!, deleteOld: null, targets: [] }, new Date());
    const undecided = await f.rotate(['--resume', 'app']);
    expect(undecided.code).toBe(2);
    expect(undecided.stderr).toContain('--delete-old or --keep-old');
    const noTarget = await f.rotate(['--resume', 'app', '--delete-old']);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('--delete-old needs a deploy target');
    const kept = await f.rotate(['--resume', 'app', '--keep-old']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', NEW]);
  });

  it('--resume refuses a decision that contradicts the journal', async () => {
    const { f } = await stopped();
    const r = await f.rotate(['--resume', 'app', '--keep-old']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('started with --delete-old');
  });

  it('two rotations of the same key at once: the second is refused and sends nothing that changes anything', async () => {
    const f = await rotationFixture();
    const store = journalStore(f.paths.config);
    store.lock(keyRef(BASE_URL, undefined, 'warm-up')).release(); // creates the folders
    const lock = tryLock(store.lockPathOf(keyRef(BASE_URL, undefined, 'app')));
    try {
      const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--delete-old', ...CI]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`is rotating "app" right now`);
      // The hint names the file to delete if no carto-keys is running (issue 12, point 5).
      expect(r.stderr).toContain(store.lockPathOf(keyRef(BASE_URL, undefined, 'app')));
      expect(f.posts()).toBe(0);
      expect(f.sb.requests.filter((q) => q.method === 'DELETE')).toEqual([]);
      expect(f.journals()).toEqual([]);
    } finally {
      lock.release();
    }
    expect((await f.rotate(['app', '--keep-old', ...CI])).code).toBe(0);
  });

  it('the lock is the account and key, not their spelling: another profile or URL for the same account is refused too (issue 12, point 5)', async () => {
    const f = await rotationFixture();
    // The same account through another spelling of its URL (the host in capitals): the same key, so
    // the same lock.
    const other = { ...f.sb.env, CARTO_KEYS_BASE_URL: BASE_URL.replace('sandbox.test', 'SANDBOX.test') };
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    // The first rotation waits inside its deploy command (reading a FIFO) until the second one was refused.
    const go = join(f.dir, 'go');
    expect(spawnSync('mkfifo', [go]).status).toBe(0);
    const first = f.rotate(['app', '--deploy-cmd', `echo first-deploying; read line < ${go}`, '--keep-old', ...CI], {
      onStderr: (t) => {
        if (t.includes('first-deploying')) started();
      },
    });
    await running;
    const second = await f.rotate(['app', '--deploy-cmd', 'true', '--keep-old', ...CI], { env: other });
    writeFileSync(go, 'go\n');
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toContain('is rotating "app" right now');
    expect((await first).code).toBe(0);
  });
});

describe('rotate in CI: a missing decision is a usage error, with nothing sent', () => {
  const cases: { args: string[]; says: string }[] = [
    { args: ['app', '--delete-old', '--deploy-cmd', 'true'], says: '--yes' },
    { args: ['app', '--deploy-cmd', 'true', '--yes'], says: 'Pass --delete-old, --keep-old or --grace' },
    { args: ['app', '--delete-old', '--yes'], says: '--delete-old needs a deploy target' },
    { args: ['app', '--delete-old', '--keep-old', '--deploy-cmd', 'true', '--yes'], says: '--delete-old and --keep-old' },
    { args: ['--keep-old', '--yes'], says: 'carto-keys rotate <name-or-token>' },
    { args: ['app', '--deploy-env-file', 'x.env:', '--keep-old', '--yes'], says: '--deploy-env-file' },
    { args: ['app', '--deploy-env-file', '/nonexistent/dir/.env', '--keep-old', '--yes'], says: 'does not exist' },
    { args: ['app', '--deploy-cmd', '', '--keep-old', '--yes'], says: '--deploy-cmd' },
    { args: ['app', '--new-name', 'Master', '--keep-old', '--yes'], says: '--new-name' },
    { args: ['app', '--new-name', 'a/b', '--keep-old', '--yes'], says: '--new-name' },
    { args: ['app', '--add-api', 'sqll', '--keep-old', '--yes'], says: '--add-api' },
    { args: ['app', '--remove-table', 'a.b.c', '--keep-old', '--yes'], says: '--remove-table' },
    { args: ['--resume', '--abort'], says: '--resume and --abort' },
    { args: ['--resume', 'app', '--new-name', 'x'], says: '--new-name cannot be used with --resume' },
    { args: ['--resume', 'app', '--deploy-cmd', 'x'], says: '--deploy-cmd cannot be used with --resume' },
    { args: ['--resume', 'app', '--add-api', 'do'], says: 'cannot be used with --resume' },
    { args: ['--abort', 'app'], says: '--yes' },
    { args: ['--abort', 'app', '--keep-old', '--yes'], says: '--abort takes no' },
    { args: ['--resume', 'a', 'b'], says: 'name different keys' },
  ];
  for (const { args, says } of cases) {
    it(`rotate ${args.join(' ')}`, async () => {
      const requests: string[] = [];
      const recording: FetchLike = async (url) => {
        requests.push(url);
        return new Response('', { status: 500 });
      };
      const r = await run(['rotate', ...args], { env: { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: BASE_URL }, fetch: recording });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
      expect(requests).toEqual([]);
    });
  }
});

describe('over HTTP, against the sandbox served in-process', () => {
  // `rotate` over HTTP (real sockets, real deploy commands) against the sandbox served from the test
  // process (test/helpers/served.ts), so a test can hold a request. A fresh server and HOME per test,
  // credentials from the environment only (a CI job).
  /** A fresh server and HOME for one test (removed when it ends), and the helpers that use them. */
  async function world(onTestFinished: (fn: () => Promise<void>) => void) {
    const sb = await serveInProcess();
    const home = tempHome();
    onTestFinished(async () => {
      await sb.stop();
      home.cleanup();
    });

    const env = () => ({ ...home.env, CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY: sb.masterKey });
    const ck = (args: string[], extra: Record<string, string> = {}) => cliInProcess(args, { env: { ...env(), ...extra } });

    async function names(): Promise<string[]> {
      const r = await ck(['list', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { name: string }[]).map((k) => k.name);
    }

    async function tokenOf(name: string): Promise<string> {
      const r = await ck(['show', name, '--token']);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    }

    /** What the Auth API says a token is: its own key, listed with it. */
    async function whoIs(token: string): Promise<{ status: number; name?: string }> {
      const res = await fetch(`${sb.baseUrl}/api/v3/api_keys`, { headers: { Authorization: `Basic ${Buffer.from(`demo:${token}`).toString('base64')}` } });
      if (res.status !== 200) return { status: res.status };
      return { status: 200, name: ((await res.json()) as { result: { name: string }[] }).result[0]?.name };
    }

    async function addFaults(faults: unknown[]): Promise<void> {
      const res = await fetch(`${new URL(sb.baseUrl).origin}/__sandbox/faults`, { method: 'POST', body: JSON.stringify(faults) });
      expect(res.status).toBe(200);
    }

    async function createApp(): Promise<string> {
      const r = await ck(['create', '--name', 'app', '--api', 'sql,maps', '--table', 'liked_cities:select,insert']);
      expect(r.code, r.stderr).toBe(0);
      return tokenOf('app');
    }

    const journalDir = () => join(home.dir, '.config', 'carto-keys', 'rotations');
    const journals = () => (existsSync(journalDir()) ? readdirSync(journalDir()).filter((n) => n.endsWith('.json')) : []);

    function newKeyName(all: string[]): string {
      const made = all.filter((n) => /^app-r\d{8}/.test(n));
      expect(made).toHaveLength(1);
      return made[0]!;
    }

    /** A deploy command that records what it got: its stdin and environment, one line per run. */
    function recorder(): { cmd: string; runs(): string[] } {
      const log = join(home.dir, 'deploy.log');
      return {
        cmd: `printf '%s|%s|%s\\n' "$(cat)" "$CARTO_API_KEY" "$CARTO_API_KEY_NAME" >> ${log}; echo deployed by the command`,
        runs: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
      };
    }

    return { sb, home, ck, names, tokenOf, whoIs, addFaults, createApp, journalDir, journals, newKeyName, recorder };
  }

  // Concurrent: each test has its own server and HOME (cleaned up by the test's own onTestFinished).
  describe.concurrent('rotate over HTTP (CI)', () => {
    it('rotates with an env file and a deploy command: file kept but for the token, command got it on stdin and env, old key gone, new key works', async ({ onTestFinished }) => {
      const { home, ck, names, tokenOf, whoIs, createApp, journals, newKeyName, recorder } = await world(onTestFinished);
      const oldToken = await createApp();
      const file = join(home.dir, 'app.env');
      writeFileSync(file, '# production\nDATABASE_URL=postgres://db/app\nexport CARTO_API_KEY=stale\nPORT=3000\n');
      chmodSync(file, 0o640);
      const rec = recorder();

      const r = await ck(['rotate', 'app', '--remove-api', 'maps', '--deploy-env-file', file, '--deploy-cmd', rec.cmd, '--delete-old', '--yes', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const all = await names();
      const newName = newKeyName(all);
      const token = await tokenOf(newName);
      expect(JSON.parse(r.stdout)).toEqual({
        old: 'app',
        new: newName,
        targets: [
          { kind: 'env-file', path: file, variable: 'CARTO_API_KEY' },
          { kind: 'command', command: rec.cmd },
        ],
        verified: true,
        deleted: true,
      });
      expect(r.stdout + r.stderr).not.toContain(token);
      expect(r.stderr).toContain('deployed by the command');

      expect(readFileSync(file, 'utf8')).toBe(`# production\nDATABASE_URL=postgres://db/app\nexport CARTO_API_KEY=${token}\nPORT=3000\n`);
      expect(statSync(file).mode & 0o777).toBe(0o640);
      expect(rec.runs()).toEqual([`${token}|${token}|${newName}`]);

      expect(all).not.toContain('app');
      expect(await whoIs(oldToken)).toEqual({ status: 401 });
      expect(await whoIs(token)).toEqual({ status: 200, name: newName });
      expect(journals()).toEqual([]);
    });

    it('a failed deploy exits 5 with the old key alive; --resume after the fix finishes', async ({ onTestFinished }) => {
      const { home, ck, names, tokenOf, whoIs, createApp, journalDir, journals, newKeyName } = await world(onTestFinished);
      const oldToken = await createApp();
      const marker = join(home.dir, 'deploy-ready');
      const file = join(home.dir, '.env');
      const r = await ck(['rotate', 'app', '--deploy-env-file', file, '--deploy-cmd', `test -f ${marker}`, '--delete-old', '--yes']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain('the old key "app" still exists and works');
      expect(r.stderr).toContain('carto-keys rotate --resume app');
      expect(r.stderr).toContain('carto-keys rotate --abort app --yes');
      expect(await whoIs(oldToken)).toEqual({ status: 200, name: 'app' });

      // The journal: private, and without the token.
      const [journal] = journals();
      expect(statSync(join(journalDir(), journal!)).mode & 0o777).toBe(0o600);
      const newName = newKeyName(await names());
      expect(readFileSync(join(journalDir(), journal!), 'utf8')).not.toContain(await tokenOf(newName));

      writeFileSync(marker, '');
      const resumed = await ck(['rotate', '--resume', 'app']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await names()).toEqual(['Master', 'Default public', newName]);
      expect(readFileSync(file, 'utf8')).toBe(`CARTO_API_KEY=${await tokenOf(newName)}\n`);
      expect(journals()).toEqual([]);
    });

    it('the reply to the create is lost (connection reset after the server created it): the retry recognises the key as ours', async ({ onTestFinished }) => {
      const { home, ck, names, addFaults, createApp } = await world(onTestFinished);
      await createApp();
      await addFaults([{ method: 'POST', path: '/api_keys/?$', kind: 'reset', when: 'after' }]);
      const r = await ck(['rotate', 'app', '--deploy-env-file', join(home.dir, '.env'), '--delete-old', '--yes']);
      expect(r.code, r.stderr).toBe(0);
      expect(await names()).toHaveLength(3);
    });

    it('a second rotation of the same key while the first runs is refused', async ({ onTestFinished }) => {
      const { sb, home, ck, names, createApp } = await world(onTestFinished);
      await createApp();
      // The first rotation is held at its verification (the first request with the new key's token).
      const verifying = sb.hold((r) => r.method === 'GET' && r.token !== undefined && r.token !== sb.masterKey && /\/api_keys\/?$/.test(r.pathname));
      const first = ck(['rotate', 'app', '--deploy-env-file', join(home.dir, '.env'), '--delete-old', '--yes']);
      await verifying.arrived;
      const second = await ck(['rotate', 'app', '--keep-old', '--yes']);
      expect(second.code, second.stderr).toBe(1);
      expect(second.stderr).toContain('is rotating "app" right now');
      verifying.release();
      const done = await first;
      expect(done.code, done.stderr).toBe(0);
      expect(await names()).toHaveLength(3);
    });
  });
});

describe('the lifecycle over HTTP, on a stored profile', () => {
  // The rotation lifecycle over HTTP against the sandbox served in-process, with a stored profile (the
  // registry lives in its config folder): rotate with a grace period and a notifier, where, retire
  // before the deadline (kept), rollback (old token back in the env file, new key revoked).
  const w = useServedHome();

  const ck = (args: string[]) => cliInProcess(args, { env: w.home.env });

  /** The deployment registry, wherever the config folder is (the config file itself holds the key, by design). */
  function registryText(dir: string): string {
    const found = readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile() && e.name === 'deployments.json');
    expect(found).toHaveLength(1);
    return readFileSync(join(found[0]!.parentPath, found[0]!.name), 'utf8');
  }

  describe('grace → where → retire → rollback on a stored profile', () => {
    it('runs the whole cycle and never writes the Master key or a token into the registry or the event', async () => {
      const login = await cliInProcess(['login', '--base-url', w.sb.baseUrl, '--with-key'], { env: w.home.env, input: w.sb.masterKey });
      expect(login.code, login.stderr).toBe(0);
      expect((await ck(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population'])).code).toBe(0);
      const envFile = join(w.home.dir, 'app.env');
      writeFileSync(envFile, 'CARTO_API_KEY=\n');
      const event = join(w.home.dir, 'event.json');

      const rotated = await ck(['rotate', 'app', '--deploy-env-file', envFile, '--grace', '24h', '--yes', '--json', '--notify-cmd', `cat > ${event}`]);
      expect(rotated.code, rotated.stderr).toBe(0);
      const summary = JSON.parse(rotated.stdout) as { new: string; deleted: boolean; retireAfter: string };
      expect(summary.deleted).toBe(false);
      expect(Date.parse(summary.retireAfter)).toBeGreaterThan(Date.now());
      expect(JSON.parse(readFileSync(event, 'utf8'))).toMatchObject({ event: 'rotate', outcome: 'success', keys: [{ old: 'app', new: summary.new }] });

      const where = await ck(['where', summary.new, '--json']);
      expect(where.code, where.stderr).toBe(0);
      expect(JSON.parse(where.stdout).deployments).toEqual([expect.objectContaining({ kind: 'env-file', path: envFile, state: 'holds' })]);

      const retire = await ck(['retire', '--yes', '--json']);
      expect(retire.code, retire.stderr).toBe(0);
      expect(JSON.parse(retire.stdout).waiting).toEqual([{ old: 'app', new: summary.new, retireAfter: summary.retireAfter }]);

      const rollback = await ck(['rotate', '--rollback', summary.new, '--yes']);
      expect(rollback.code, rollback.stderr).toBe(0);
      const list = JSON.parse((await ck(['list', '--json'])).stdout) as { name: string }[];
      expect(list.map((k) => k.name)).toEqual(expect.arrayContaining(['app']));
      expect(list.map((k) => k.name)).not.toContain(summary.new);
      const held = /CARTO_API_KEY=(.*)/.exec(readFileSync(envFile, 'utf8'))![1]!;
      const who = await fetch(`${w.sb.baseUrl}/api/v3/api_keys`, { headers: { Authorization: `Basic ${Buffer.from(`demo:${held}`).toString('base64')}` } });
      expect(who.status).toBe(200);
      expect(((await who.json()) as { result: { name: string }[] }).result[0]!.name).toBe('app');

      const written = registryText(w.home.dir) + readFileSync(event, 'utf8') + rotated.stdout + rotated.stderr + rollback.stderr + where.stdout;
      expect(written).not.toContain(w.sb.masterKey);
      expect(written).not.toContain(held);
    });
  });
});
