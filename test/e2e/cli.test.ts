// The built binary (real HTTP transport, real process) against `carto-keys sandbox serve` on 127.0.0.1.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serveSandbox, tempHome, type Home, type ServedSandbox } from '../helpers/e2e.js';

let server: ServedSandbox;
let home: Home;
const transcript: string[] = [];

async function ck(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = await cli(args, { env: { ...home.env, ...opts.env }, ...(opts.input !== undefined && { input: opts.input }) });
  transcript.push(`$ carto-keys ${args.join(' ')} => ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

async function serverKeys(): Promise<{ name: string; token: string; type: string }[]> {
  const res = await fetch(`${server.baseUrl}/api/v3/api_keys?per_page=1000`, {
    headers: { authorization: `Basic ${Buffer.from(`${server.username}:${server.masterKey}`).toString('base64')}` },
  });
  return ((await res.json()) as { result: { name: string; token: string; type: string }[] }).result;
}

beforeAll(async () => {
  server = await serveSandbox();
  home = tempHome();
});

afterAll(async () => {
  await server?.stop();
  home?.cleanup();
});

describe('carto-keys against sandbox serve', () => {
  it('serve prints the base URL and the Master key, on 127.0.0.1', () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/user\/demo$/);
    expect(server.masterKey).toMatch(/^[0-9a-f]{40}$/);
  });

  it('login refuses a wrong key (exit 4) and stores nothing', async () => {
    const r = await ck(['login', '--base-url', server.baseUrl, '--with-key'], { input: 'f'.repeat(40) });
    expect(r.code).toBe(4);
    expect(() => statSync(join(home.dir, '.config', 'carto-keys', 'config.json'))).toThrow();
  });

  it('login --with-key verifies and stores the Master key (0600)', async () => {
    const r = await ck(['login', '--base-url', server.baseUrl, '--with-key'], { input: `${server.masterKey}\n` });
    expect(r.code, r.stderr).toBe(0);
    const file = join(home.dir, '.config', 'carto-keys', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).profiles.default.masterKey).toBe(server.masterKey);
  });

  it('create, list, show, revoke', async () => {
    const created = await ck(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population:select', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ name: 'app', type: 'regular' });
    expect(key.token).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const list = await ck(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['Master', 'Default public', 'app', '']);

    const show = await ck(['show', 'app', '--token']);
    expect(show.stdout.trim()).toBe(key.token);

    const revoke = await ck(['revoke', 'app', '--yes']);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await serverKeys()).map((k) => k.name)).toEqual(['Master', 'Default public']);
  });

  it('bad grants exit 2 and nothing is sent', async () => {
    const r = await ck(['create', '--name', 'x', '--api', 'sql', '--table', 'world_population:read', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('select, insert, update, delete');
    expect(r.stderr).not.toMatch(/→ (GET|POST)/);
    expect((await serverKeys()).map((k) => k.name)).toEqual(['Master', 'Default public']);
  });

  it('regenerate a regular key, then Master: the new Master key is stored and keeps working', async () => {
    await ck(['create', '--name', 'app', '--api', 'sql']);
    const before = (await serverKeys()).find((k) => k.name === 'app')!.token;
    const regen = await ck(['regenerate', 'app', '--yes', '--token-only']);
    expect(regen.code, regen.stderr).toBe(0);
    const after = (await serverKeys()).find((k) => k.name === 'app')!.token;
    expect(after).not.toBe(before);
    expect(regen.stdout.trim()).toBe(after);

    const oldMaster = server.masterKey;
    const master = await ck(['regenerate', 'Master', '--yes']);
    expect(master.code, master.stderr).toBe(0);
    expect(master.stdout).toBe('');
    const stored = JSON.parse(readFileSync(join(home.dir, '.config', 'carto-keys', 'config.json'), 'utf8')).profiles.default.masterKey;
    expect(stored).not.toBe(oldMaster);
    server.masterKey = stored; // the old one no longer works, as on the real service
    expect((await ck(['status'])).code).toBe(0);
    // The old Master key is rejected now: exit 4.
    const stale = await ck(['list'], { env: { CARTO_KEYS_MASTER_KEY: oldMaster } });
    expect(stale.code).toBe(4);
  });

  it('the Master key is in no output and no file but the config', () => {
    const all = transcript.join('\n');
    expect(all).not.toContain(server.masterKey);
    expect(server.output()).not.toContain(`${server.masterKey.slice(0, 8)}`.repeat(2));
  });
});
