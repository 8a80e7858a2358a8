// The rotation lifecycle end to end: the built binary against `sandbox serve`, a stored profile (the
// registry lives in its config folder): rotate with a grace period and a notifier, where, retire
// before the deadline (kept), rollback (old token back in the env file, new key revoked).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serveSandbox, tempHome, type Home, type ServedSandbox } from '../helpers/e2e.js';

let sb: ServedSandbox;
let home: Home;

beforeAll(async () => {
  sb = await serveSandbox();
  home = tempHome();
});
afterAll(async () => {
  await sb.stop();
  home.cleanup();
});

const ck = (args: string[]) => cli(args, { env: home.env });

/** The deployment registry, wherever the config folder is (the config file itself holds the key, by design). */
function registryText(dir: string): string {
  const found = readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile() && e.name === 'deployments.json');
  expect(found).toHaveLength(1);
  return readFileSync(join(found[0]!.parentPath, found[0]!.name), 'utf8');
}

describe('grace → where → retire → rollback on the built binary', () => {
  it('runs the whole cycle and never writes the Master key or a token into the registry or the event', async () => {
    const login = await cli(['login', '--base-url', sb.baseUrl, '--with-key'], { env: home.env, input: sb.masterKey });
    expect(login.code, login.stderr).toBe(0);
    expect((await ck(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population'])).code).toBe(0);
    const envFile = join(home.dir, 'app.env');
    writeFileSync(envFile, 'CARTO_API_KEY=\n');
    const event = join(home.dir, 'event.json');

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
    const who = await fetch(`${sb.baseUrl}/api/v3/api_keys`, { headers: { Authorization: `Basic ${Buffer.from(`demo:${held}`).toString('base64')}` } });
    expect(who.status).toBe(200);
    expect(((await who.json()) as { result: { name: string }[] }).result[0]!.name).toBe('app');

    const written = registryText(home.dir) + readFileSync(event, 'utf8') + rotated.stdout + rotated.stderr + rollback.stderr + where.stdout;
    expect(written).not.toContain(sb.masterKey);
    expect(written).not.toContain(held);
  });
});
