// The rotation lifecycle in-process against the emulator, with the clock injected (no waiting):
// --grace keeps the old key, retire deletes it only after the deadline and only when the successor is
// in place everywhere recorded, rollback puts the old token back, notify and where report.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/text/fingerprint.js';
import { registry } from '../../src/records/registry.js';
import { keyRef } from '../../src/records/key-ref.js';
import { MASTER } from '../helpers/sandbox-fetch.js';
import { NEW, NOW, rotationFixture } from '../rotate/helpers.js';

const later = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

/**
 * Credentials from the environment, as a CI job has them, with CARTO_KEYS_CONFIG_DIR naming the folder
 * the job keeps: the documented way for a scheduled `retire` to find what `rotate --grace` recorded.
 */
async function keptFixture() {
  const f = await rotationFixture();
  const env = { ...f.sb.env, CARTO_KEYS_CONFIG_DIR: f.paths.config };
  const cli = f.cli;
  f.cli = (args, o = {}) => cli(args, { ...o, env: { ...env, ...o.env } });
  f.rotate = (args, o) => f.cli(['rotate', ...args], o);
  return f;
}

async function gracefulRotation(extra: string[] = []) {
  const f = await keptFixture();
  const env = join(f.dir, '.env');
  writeFileSync(env, 'CARTO_API_KEY=old\n');
  const cmdOut = join(f.dir, 'cmd.out');
  const cmd = `printf %s "$CARTO_API_KEY" > ${cmdOut}`;
  const r = await f.rotate(['app', '--deploy-env-file', env, '--deploy-cmd', cmd, '--grace', '24h', '--yes', ...extra]);
  return { f, env, cmdOut, cmd, r };
}

describe('rotate --grace', () => {
  it('keeps the old key alive, says until when and how it goes, records targets by fingerprint only', async () => {
    const { f, env, r } = await gracefulRotation();
    expect(r.code, r.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', NEW]);
    // One form of time for people (issue 21), said once.
    expect(r.stderr).toContain('until 2026-11-23 10:00 UTC (in 24 h)');
    expect(r.stderr).not.toContain('2026-11-23T10:00:00');
    expect(r.stderr.split('2026-11-23 10:00 UTC')).toHaveLength(2);
    expect(r.stderr).toContain('carto-keys retire');
    expect(r.stderr).toContain(`carto-keys rotate --rollback ${NEW}`);
    const newToken = f.sb.token(NEW)!;
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${newToken}\n`);
    const text = readFileSync(join(f.paths.config, 'deployments.json'), 'utf8');
    expect(text).toContain(fingerprint(newToken));
    expect(text).not.toContain(newToken);
    expect(text).not.toContain(MASTER);
    expect(f.journals()).toEqual([]);
  });

  it('reports retireAfter in --json', async () => {
    const { r } = await gracefulRotation(['--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ old: 'app', new: NEW, deleted: false, retireAfter: '2026-11-23T10:00:00.000Z' });
  });

  it('refuses a bad duration with exit 2 before anything is sent', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--deploy-cmd', 'true', '--grace', '1d12h', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--grace');
    expect(f.sb.requests).toEqual([]);
  });

  it('with credentials from the environment and no CARTO_KEYS_CONFIG_DIR, refuses (exit 2) and writes nothing', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--deploy-cmd', 'true', '--grace', '1d', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CARTO_KEYS_CONFIG_DIR');
    expect(f.sb.requests).toEqual([]);
    expect(existsSync(join(f.paths.config, 'deployments.json'))).toBe(false);
  });

  it('refuses --grace with --keep-old', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--deploy-cmd', 'true', '--grace', '1d', '--keep-old', '--yes']);
    expect(r.code).toBe(2);
    expect(f.sb.requests).toEqual([]);
  });
});

describe('retire', () => {
  it('before the deadline keeps the old key (waiting); after it, checks and deletes it', async () => {
    const { f } = await gracefulRotation();
    const early = await f.cli(['retire', '--yes', '--json'], { now: later(23) });
    expect(early.code, early.stderr).toBe(0);
    expect(JSON.parse(early.stdout)).toEqual({ retired: [], kept: [], busy: [], waiting: [{ old: 'app', new: NEW, retireAfter: '2026-11-23T10:00:00.000Z' }] });
    expect(f.sb.names()).toContain('app');

    const due = await f.cli(['retire', '--yes', '--json'], { now: later(25) });
    expect(due.code, due.stderr).toBe(0);
    expect(JSON.parse(due.stdout)).toMatchObject({ retired: [{ old: 'app', new: NEW }], kept: [], waiting: [] });
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);

    // Safe to run again: nothing left to do.
    const again = await f.cli(['retire', '--yes', '--json'], { now: later(26) });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ retired: [], kept: [], busy: [], waiting: [] });
  });

  it('keeps and reports an old key whose recorded env file was changed by hand (exit 1)', async () => {
    const { f, env } = await gracefulRotation();
    writeFileSync(env, 'CARTO_API_KEY=edited-by-hand\n');
    const r = await f.cli(['retire', '--yes'], { now: later(25) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Kept "app"`);
    expect(r.stderr).toContain(`${env} (CARTO_API_KEY) holds another token`);
    expect(f.sb.names()).toContain('app');
  });

  it('keeps the old key when the successor no longer exists', async () => {
    const { f } = await gracefulRotation();
    f.sb.state.users[0]!.keys = f.sb.state.users[0]!.keys.filter((k) => k.name !== NEW);
    const r = await f.cli(['retire', '--yes', '--json'], { now: later(25) });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).kept[0].problems[0]).toContain('no longer exists');
    expect(f.sb.names()).toContain('app');
  });

  it('two runs at once delete the old key once', async () => {
    const { f } = await gracefulRotation();
    f.sb.requests.length = 0;
    const [a, b] = await Promise.all([f.cli(['retire', '--yes', '--json'], { now: later(25) }), f.cli(['retire', '--yes', '--json'], { now: later(25) })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const retired = [a, b].flatMap((r) => JSON.parse(r.stdout).retired);
    expect(retired).toEqual([{ old: 'app', new: NEW }]);
    expect(f.sb.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });

  it('needs --yes without a terminal', async () => {
    const f = await rotationFixture();
    const r = await f.cli(['retire']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
  });
});

describe('rotate --rollback', () => {
  it('puts the old token back into the env file, re-runs the command with it, then revokes the new key', async () => {
    const { f, env, cmdOut } = await gracefulRotation();
    const oldToken = f.sb.token('app')!;
    const r = await f.rotate(['--rollback', NEW, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rollback: true, old: NEW, new: 'app', deleted: true });
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${oldToken}\n`);
    expect(readFileSync(cmdOut, 'utf8')).toBe(oldToken);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    // Nothing left for retire to delete.
    expect(registry(f.paths.config).retirements('http://sandbox.test/user/demo')).toEqual([]);
    expect(f.journals()).toEqual([]);
  });

  it('stopped midway (a command fails) is resumable; --abort of a rollback never revokes the original key', async () => {
    const f = await keptFixture();
    const env = join(f.dir, '.env');
    writeFileSync(env, 'CARTO_API_KEY=old\n');
    const gate = join(f.dir, 'gate');
    writeFileSync(gate, '');
    // Works for the rotation; fails during the rollback until the gate file is back.
    const cmd = `test -f ${gate}`;
    expect((await f.rotate(['app', '--deploy-env-file', env, '--deploy-cmd', cmd, '--grace', '7d', '--yes'])).code).toBe(0);
    const { rmSync } = await import('node:fs');
    rmSync(gate);
    const stopped = await f.rotate(['--rollback', 'app', '--yes']);
    expect(stopped.code).toBe(5);
    expect(f.journals()).toHaveLength(1);
    expect(f.journals()[0]!.rollback).toBe(true);

    // Undoing the rollback re-runs the command with the successor's token: it must work again.
    writeFileSync(gate, '');
    const aborted = await f.rotate(['--abort', NEW, '--yes']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', NEW]);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token(NEW)}\n`);

    rmSync(gate);
    const again = await f.rotate(['--rollback', 'app', '--yes']);
    expect(again.code).toBe(5);
    writeFileSync(gate, '');
    const resumed = await f.rotate(['--resume', NEW]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token('app')}\n`);
  });

  it('refuses when no grace rotation of that key is pending', async () => {
    const f = await keptFixture();
    const r = await f.rotate(['--rollback', 'app', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No rotation of "app" can be rolled back');
  });
});

describe('--notify-cmd', () => {
  it('gets one JSON event on stdin, without a token or the Master key, and its failure changes nothing', async () => {
    const f = await rotationFixture();
    const out = join(f.dir, 'event.json');
    const envDump = join(f.dir, 'notify.env');
    const ok = await f.rotate(['app', '--deploy-cmd', 'true', '--delete-old', '--yes', '--notify-cmd', `cat > ${out}; env > ${envDump}; exit 3`], {
      env: { ...f.sb.env, CARTO_KEYS_MASTER_KEY: MASTER },
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('The --notify-cmd failed (exited with 3)');
    const event = JSON.parse(readFileSync(out, 'utf8'));
    expect(event).toMatchObject({ version: 1, event: 'rotate', outcome: 'success', exitCode: 0, keys: [{ old: 'app', new: NEW }], targets: [{ kind: 'command', command: 'true' }] });
    const written = readFileSync(out, 'utf8') + readFileSync(envDump, 'utf8');
    expect(written).not.toContain(MASTER);
    expect(written).not.toContain(f.sb.token(NEW)!);
  });

  it('reports a failed rotation with its exit code', async () => {
    const f = await rotationFixture();
    const out = join(f.dir, 'event.json');
    const r = await f.rotate(['app', '--deploy-cmd', 'exit 9', '--delete-old', '--yes', '--notify-cmd', `cat > ${out}`]);
    expect(r.code).toBe(5);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ event: 'rotate', outcome: 'partial', exitCode: 5 });
  });
});

describe('where and revoke', () => {
  it('where lists the env file (holding the token) and the command; revoke warns about the file', async () => {
    const { f, env, cmd } = await gracefulRotation();
    const w = await f.cli(['where', NEW, '--json']);
    expect(w.code, w.stderr).toBe(0);
    const doc = JSON.parse(w.stdout);
    expect(doc).toMatchObject({ name: NEW, exists: true, retirement: { old: 'app', new: NEW } });
    expect(doc.deployments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'env-file', path: env, variable: 'CARTO_API_KEY', state: 'holds' }),
        expect.objectContaining({ kind: 'command', command: cmd }),
      ]),
    );
    expect(w.stdout).not.toContain(f.sb.token(NEW)!);

    writeFileSync(env, 'OTHER=1\n');
    const w2 = await f.cli(['where', NEW]);
    expect(w2.stdout).toContain('the variable is not set');

    writeFileSync(env, `CARTO_API_KEY=${f.sb.token(NEW)}\n`);
    const rv = await f.cli(['revoke', NEW, '--yes']);
    expect(rv.code, rv.stderr).toBe(0);
    expect(rv.stderr).toContain(`"${NEW}" is still deployed: ${env} (CARTO_API_KEY) holds its token.`);
    expect(registry(f.paths.config).deploymentsOf(keyRef('http://sandbox.test/user/demo', undefined, NEW))).toEqual([]);
  });

  it("audit's never-deployed rule reads the registry: the rotated key was deployed, the others were not", async () => {
    const { f } = await gracefulRotation();
    const r = await f.cli(['audit', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const never = (JSON.parse(r.stdout).findings as { rule: string; key: string | null }[]).filter((x) => x.rule === 'never-deployed').map((x) => x.key);
    expect(never).toContain('app');
    expect(never).not.toContain(NEW);
    expect(never).not.toContain(null);
  });

  it('a corrupt registry is a clear error, and is never replaced', async () => {
    const { f } = await gracefulRotation();
    const file = join(f.paths.config, 'deployments.json');
    writeFileSync(file, '{"version": 1, "accounts": ');
    const r = await f.cli(['where', NEW]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The deployment registry ${file} is not valid JSON.`);
    expect(r.stderr).toContain('Move it aside');
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1, "accounts": ');
    expect(existsSync(file)).toBe(true);
  });
});
