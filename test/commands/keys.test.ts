// In-process tests of the key commands against the emulator: injected streams, scripted prompts.
import { describe, expect, it } from 'vitest';
import { run, scriptedPrompter } from '../helpers/harness.js';
import type { FetchLike } from '../../src/api/client.js';
import { MASTER, noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cliInProcess } from '../helpers/in-process.js';
import { useServedHome } from '../helpers/served.js';

async function withKey(sb: ReturnType<typeof testSandbox>, name: string, ...grantFlags: string[]) {
  const r = await run(['create', '--name', name, ...grantFlags], { env: sb.env, fetch: sb.fetch });
  expect(r.code, r.stderr).toBe(0);
}

describe('list', () => {
  it('prints a table on a TTY with masked tokens', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql', '--table', 'liked_cities:select,insert');
    const r = await run(['list'], { env: { ...sb.env, COLUMNS: '120' }, fetch: sb.fetch, tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NAME\s+TYPE\s+APIS\s+TABLES\s+TOKEN\s+UPDATED/);
    expect(r.stdout).toMatch(/app\s+regular\s+sql\s+liked_cities:select,insert\s+/);
    expect(r.stdout).not.toContain(sb.token('app'));
    expect(r.stdout).not.toContain(MASTER);
  });

  it('prints TSV without a header when piped, tokens still masked', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql,maps', '--table', 'public.liked_cities:select');
    const r = await run(['ls'], { env: sb.env, fetch: sb.fetch });
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(['Master', 'Default public', 'app']);
    const app = lines[2]!.split('\t');
    expect(app.slice(0, 4)).toEqual(['app', 'regular', 'sql,maps', 'public.liked_cities:select']);
    expect(app[4]).toBe(`${sb.token('app')!.slice(0, 4)}…`);
    expect(app[5]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('--json: one document, camelCase, ISO-8601, masked unless --reveal; Master never revealed', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    const masked = JSON.parse((await run(['list', '--json'], { env: sb.env, fetch: sb.fetch })).stdout);
    expect(masked.map((k: { name: string }) => k.name)).toEqual(['Master', 'Default public', 'app']);
    expect(masked[2].token).toBe(`${sb.token('app')!.slice(0, 4)}…`);
    expect(masked[2].createdAt).toMatch(/Z$/);
    const revealed = JSON.parse((await run(['list', '--reveal', '--json'], { env: sb.env, fetch: sb.fetch })).stdout);
    expect(revealed[2].token).toBe(sb.token('app'));
    expect(JSON.stringify(revealed)).not.toContain(MASTER);
  });

  it('--type filters server-side and --limit stops early', async () => {
    const sb = testSandbox();
    await withKey(sb, 'a', '--api', 'sql');
    await withKey(sb, 'b', '--api', 'sql');
    const r = await run(['list', '--type', 'regular', '--order', 'name', '--limit', '1', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(JSON.parse(r.stdout).map((k: { name: string }) => k.name)).toEqual(['a']);
    expect(sb.requests.at(-1)!.url).toContain('type=regular');
  });

  it('a bad --type or --limit exits 2 before any request', async () => {
    for (const args of [['--type', 'admin'], ['--limit', '0'], ['--order', 'created_at']]) {
      const r = await run(['list', ...args], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
  });

  it('an empty result is success', async () => {
    const sb = testSandbox();
    const r = await run(['list', '--type', 'regular'], { env: sb.env, fetch: sb.fetch, tty: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('No API keys match');
  });
});

describe('show', () => {
  it('shows every grant (what CARTO adds, such as usage, apart), token masked', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql', '--table', 'liked_cities:insert,select', '--schema', 'public', '--table-metadata');
    const r = await run(['show', 'app'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Tables\s+public\.liked_cities:select,insert\n/);
    expect(r.stdout).toMatch(/Schemas\s+public:create\n/);
    expect(r.stdout).toMatch(/Implied\s+usage on schema public\n/);
    expect(r.stdout).toMatch(/Token\s+\S{4}…  \(--reveal to show\)\n/);
    expect(r.stdout).toMatch(/Metadata\s+yes/);
    expect(r.stdout).not.toContain(sb.token('app'));
  });

  it('--reveal and --token show the token; inspect is an alias', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    expect((await run(['inspect', 'app', '--reveal'], { env: sb.env, fetch: sb.fetch })).stdout).toContain(sb.token('app'));
    expect((await run(['show', 'app', '--token'], { env: sb.env, fetch: sb.fetch })).stdout).toBe(`${sb.token('app')}\n`);
  });

  it('addresses "Default public" (a name with a space)', async () => {
    const sb = testSandbox();
    const r = await run(['show', 'Default public', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'Default public', type: 'default', token: 'default_public' });
    expect(sb.requests[0]!.url).toContain('/api_keys/Default%20public');
  });

  it('--token for Master is refused before any request, saying where the key is stored', async () => {
    const r = await run(['show', 'Master', '--token'], { env: testSandbox().env, fetch: noNetwork });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('never printed');
    expect(r.stderr).toContain('CARTO_KEYS_MASTER_KEY');
    expect(r.stdout).toBe('');
  });

  it('--reveal for Master does what list --reveal does: masked, with a note saying where the key is stored', async () => {
    const sb = testSandbox();
    const r = await run(['show', 'Master', '--reveal'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Token\s+hidden\n/);
    expect(r.stdout).not.toContain(MASTER);
    expect(r.stderr).toContain('The Master key is never printed; it is stored in environment variable CARTO_KEYS_MASTER_KEY.');
    const json = await run(['show', 'Master', '--reveal', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).token).toBe('hidden');
  });

  it('"Default public": its token is public and shown, with no "--reveal to show"', async () => {
    const sb = testSandbox();
    const r = await run(['show', 'Default public'], { env: sb.env, fetch: sb.fetch });
    expect(r.stdout).toMatch(/Token\s+default_public\n/);
    expect(r.stdout).not.toContain('--reveal');
  });

  it('an unknown name exits 1, naming it', async () => {
    const sb = testSandbox();
    const r = await run(['show', 'nope'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No API key is named "nope".');
  });
});

describe('create', () => {
  it('the user\'s own example works as written: a generated name, shown', async () => {
    const sb = testSandbox();
    const r = await run(['create', '--api', 'sql', '--table', 'world_population:select'], {
      env: sb.env,
      fetch: sb.fetch,
      now: new Date('2026-11-22T19:30:00Z'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('sql-world_population-20261122-1930');
    expect(sb.names()).toContain('sql-world_population-20261122-1930');
    expect(r.stdout).toContain(sb.token('sql-world_population-20261122-1930'));
  });

  it('generated names are made unique', async () => {
    const sb = testSandbox();
    const now = new Date('2026-11-22T19:30:00Z');
    for (let i = 0; i < 2; i++) await run(['create', '--api', 'sql'], { env: sb.env, fetch: sb.fetch, now });
    expect(sb.names().filter((n) => n.startsWith('sql-2026'))).toEqual(['sql-20261122-1930', 'sql-20261122-1930-2']);
  });

  it('on a TTY the generated name is the default of a prompt', async () => {
    const sb = testSandbox();
    const prompter = scriptedPrompter([{ input: 'my-app', match: /Name/ }]);
    const r = await run(['create', '--api', 'sql'], { env: sb.env, fetch: sb.fetch, tty: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    expect(sb.names()).toContain('my-app');
  });

  it('--token-only prints just the token; --json the key object', async () => {
    const sb = testSandbox();
    const t = await run(['create', '--name', 'a', '--api', 'sql', '--token-only'], { env: sb.env, fetch: sb.fetch });
    expect(t.stdout).toBe(`${sb.token('a')}\n`);
    const j = await run(['create', '--name', 'b', '--api', 'maps', '--table', 'liked_cities', '--json'], { env: sb.env, fetch: sb.fetch });
    const key = JSON.parse(j.stdout);
    expect(key).toMatchObject({ name: 'b', type: 'regular', token: sb.token('b') });
    expect(key.grants.tables).toEqual([{ schema: 'public', name: 'liked_cities', owner: false, permissions: ['select'] }]);
  });

  it('bad grant input exits 2 with the valid values, and nothing is sent', async () => {
    const cases: [string[], RegExp][] = [
      [['--api', 'sqll'], /sql, maps, do/],
      [['--table', 't:read'], /select, insert, update, delete/],
      [['--service', 'geo'], /geocoding, routing, isolines, observatory/],
      [['--schema', 'public:write'], /create/],
      [['--name', 'a/b', '--api', 'sql'], /\//],
      [['--name', 'Master', '--api', 'sql'], /Master/],
      [['--name', 'x'], /Nothing to grant/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['create', ...args], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('CARTO\'s 422 is quoted (a table the account does not have)', async () => {
    const sb = testSandbox();
    const r = await run(['create', '--name', 'x', '--api', 'sql', '--table', 'nope'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Grants can only grant table permissions you have');
  });

  it('--grants-file reads the create-request form (also from stdin)', async () => {
    const sb = testSandbox();
    const grants = JSON.stringify([{ type: 'apis', apis: ['sql'] }, { type: 'database', tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }] }]);
    const r = await run(['create', '--name', 'f', '--grants-file', '-'], { env: sb.env, fetch: sb.fetch, stdin: grants });
    expect(r.code, r.stderr).toBe(0);
    const missing = await run(['create', '--name', 'g', '--grants-file', '/nonexistent.json'], { env: sb.env, fetch: noNetwork });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent.json');
  });
});

describe('revoke', () => {
  it('needs --yes without a TTY, and then deletes', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    const refused = await run(['revoke', 'app'], { env: sb.env, fetch: sb.fetch });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(sb.names()).toContain('app');
    const ok = await run(['rm', 'app', '--yes'], { env: sb.env, fetch: sb.fetch });
    expect(ok.code).toBe(0);
    expect(sb.names()).not.toContain('app');
  });

  it('confirms on a TTY; declining exits 3 and keeps the key', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    const prompter = scriptedPrompter([{ confirm: false, match: /Revoke API key "app"/ }]);
    const r = await run(['delete', 'app'], { env: sb.env, fetch: sb.fetch, tty: true, prompter });
    expect(r.code).toBe(3);
    expect(sb.names()).toContain('app');
  });

  it('refuses Master and Default public without sending anything', async () => {
    for (const name of ['Master', 'Default public']) {
      const r = await run(['revoke', name, '--yes'], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('built-in');
    }
  });

  it('several names: all are fetched first, so a typo deletes nothing', async () => {
    const sb = testSandbox();
    await withKey(sb, 'a', '--api', 'sql');
    const r = await run(['revoke', 'a', 'typo', '--yes'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(sb.names()).toContain('a');
    await withKey(sb, 'b', '--api', 'sql');
    const ok = await run(['revoke', 'a', 'b', '--yes', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(JSON.parse(ok.stdout)).toEqual({ revoked: ['a', 'b'] });
    expect(sb.requests.filter((q) => q.method === 'DELETE').map((q) => q.url.split('/').pop())).toEqual(['a', 'b']);
  });
});

describe('regenerate', () => {
  it('gives a regular key a new token, warns and suggests rotate', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    const old = sb.token('app');
    const r = await run(['regenerate', 'app', '--yes'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(sb.token('app')).not.toBe(old);
    expect(r.stdout).toContain(sb.token('app'));
    expect(r.stderr).toContain('carto-keys rotate app');
  });

  it('a 503 until retries run out: the token surely did not change, said at once, without looking the key up again', async () => {
    const sb = testSandbox();
    await withKey(sb, 'app', '--api', 'sql');
    const old = sb.token('app');
    const busy: FetchLike = async (url, init) => (init.method === 'POST' && url.includes('/token/regenerate') ? { status: 503, headers: { get: () => null }, text: async () => '' } : sb.fetch(url, init));
    const before = sb.requests.length;
    const r = await run(['regenerate', 'app', '--yes'], { env: sb.env, fetch: busy });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\(503\)|answered 503/);
    expect(sb.token('app')).toBe(old);
    // The one GET is the lookup before the request: a 503 is a refusal to process, nothing to check afterwards.
    expect(sb.requests.slice(before).map((q) => q.method)).toEqual(['GET']);
  });

  it('refuses Default public locally (CARTO would answer 500)', async () => {
    const r = await run(['regenerate', 'Default public', '--yes'], { env: testSandbox().env, fetch: noNetwork });
    expect(r.code).toBe(2);
  });

  it('Master from the environment needs --print-token, then prints the new key once', async () => {
    const sb = testSandbox();
    const refused = await run(['regenerate', 'Master', '--yes'], { env: sb.env, fetch: noNetwork });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--print-token');
    const r = await run(['regenerate', 'Master', '--yes', '--print-token'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    const fresh = sb.token('Master')!;
    expect(fresh).not.toBe(MASTER);
    expect(r.stdout).toBe(`${fresh}\n`);
  });
});

describe('errors', () => {
  it('--json errors are one JSON document on stderr with code, message and status', async () => {
    const sb = testSandbox();
    const r = await run(['show', 'nope', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(r.stderr);
    expect(doc.error).toMatchObject({ code: 'not_found', status: 404 });
    expect(doc.error.message).toBe('No API key is named "nope".');
  });

  it('unknown options are usage errors (exit 2), in JSON too', async () => {
    const r = await run(['list', '--nope', '--json'], { fetch: noNetwork });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).error.code).toBe('usage');
  });

  it('no credentials exits 4 and says what to do', async () => {
    const r = await run(['list'], { fetch: noNetwork });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('carto-keys login');
  });

  it('a rejected Master key exits 4', async () => {
    const sb = testSandbox();
    const r = await run(['list'], { env: { ...sb.env, CARTO_KEYS_MASTER_KEY: 'f'.repeat(40) }, fetch: sb.fetch });
    expect(r.code).toBe(4);
  });

  it('global options are accepted before or after the command', async () => {
    const sb = testSandbox();
    const before = await run(['--json', 'list'], { env: sb.env, fetch: sb.fetch });
    const after = await run(['list', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout));
  });

  it('every command has help with examples', async () => {
    const commands = ['list', 'show', 'create', 'revoke', 'regenerate', 'clone', 'login', 'logout', 'status', 'profile', 'profile list', 'profile use', 'profile remove', 'sandbox', 'sandbox serve', 'sandbox reset'];
    for (const cmd of commands) {
      const r = await run([...cmd.split(' '), '--help'], { fetch: noNetwork });
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain('Examples:');
    }
  });
});

describe('over HTTP, against the sandbox served in-process', () => {
  // The everyday commands over HTTP (the real transport) against the sandbox served in-process on 127.0.0.1.
  const w = useServedHome();
  const transcript: string[] = [];

  async function ck(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
    const r = await cliInProcess(args, { env: { ...w.home.env, ...opts.env }, ...(opts.input !== undefined && { input: opts.input }) });
    transcript.push(`$ carto-keys ${args.join(' ')} => ${r.code}\n${r.stdout}${r.stderr}`);
    return r;
  }

  async function serverKeys(): Promise<{ name: string; token: string; type: string }[]> {
    const res = await fetch(`${w.sb.baseUrl}/api/v3/api_keys?per_page=1000`, {
      headers: { authorization: `Basic ${Buffer.from(`${w.sb.username}:${w.sb.masterKey}`).toString('base64')}` },
    });
    return ((await res.json()) as { result: { name: string; token: string; type: string }[] }).result;
  }

  describe('carto-keys against the served sandbox', () => {
    it('login refuses a wrong key (exit 4) and stores nothing', async () => {
      const r = await ck(['login', '--base-url', w.sb.baseUrl, '--with-key'], { input: 'f'.repeat(40) });
      expect(r.code).toBe(4);
      expect(() => statSync(join(w.home.dir, '.config', 'carto-keys', 'config.json'))).toThrow();
    });

    it('login --with-key verifies and stores the Master key (0600)', async () => {
      const r = await ck(['login', '--base-url', w.sb.baseUrl, '--with-key'], { input: `${w.sb.masterKey}\n` });
      expect(r.code, r.stderr).toBe(0);
      const file = join(w.home.dir, '.config', 'carto-keys', 'config.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8')).profiles.default.masterKey).toBe(w.sb.masterKey);
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

      const oldMaster = w.sb.masterKey;
      const master = await ck(['regenerate', 'Master', '--yes']);
      expect(master.code, master.stderr).toBe(0);
      expect(master.stdout).toBe('');
      const stored = JSON.parse(readFileSync(join(w.home.dir, '.config', 'carto-keys', 'config.json'), 'utf8')).profiles.default.masterKey;
      expect(stored).not.toBe(oldMaster);
      w.sb.masterKey = stored; // the old one no longer works, as on the real service
      expect((await ck(['status'])).code).toBe(0);
      // The old Master key is rejected now: exit 4.
      const stale = await ck(['list'], { env: { CARTO_KEYS_MASTER_KEY: oldMaster } });
      expect(stale.code).toBe(4);
    });

    it('the Master key is in no output and no file but the config', () => {
      const all = transcript.join('\n');
      expect(all).not.toContain(w.sb.masterKey);
    });
  });
});
