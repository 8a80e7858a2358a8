// `rotate` end to end: the built binary (real sockets, real child processes) against the sandbox
// served from the test process (test/helpers/served.ts, the server `sandbox serve` runs), so a test
// can hold a request. A fresh server and HOME per test, credentials from the environment only (a CI job).
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempHome } from '../helpers/e2e.js';
import { serveInProcess } from '../helpers/served.js';

/** A fresh server and HOME for one test (removed when it ends), and the helpers that use them. */
async function world(onTestFinished: (fn: () => Promise<void>) => void) {
  const sb = await serveInProcess();
  const home = tempHome();
  onTestFinished(async () => {
    await sb.stop();
    home.cleanup();
  });

  const env = () => ({ ...home.env, CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY: sb.masterKey });
  const ck = (args: string[], extra: Record<string, string> = {}) => cli(args, { env: { ...env(), ...extra } });

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
describe.concurrent('rotate (built binary, CI)', () => {
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
