// In-process tests of the organization features (README.md "Organizations") against the sandbox organization:
// injected streams, scripted prompts, and a transport that can fail one member's requests.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, afterEach, beforeEach } from 'vitest';
import { embeddedFetch } from '../../src/api/http.js';
import { type FetchLike } from '../../src/api/client.js';
import { createSandboxHandler } from '../../src/sandbox/index.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { run, scriptedPrompter, tempPaths } from '../helpers/harness.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';
import { tempHome, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { serveInProcess, type InProcessSandbox, type OrgUser } from '../helpers/served.js';
import { profileNamesPath } from '../helpers/names-cache.js';


function orgSandbox(opts: { failFor?: string } = {}) {
  const state = createOrgSandboxState({ masterKeys: ORG_MASTERS });
  const inner = embeddedFetch(createSandboxHandler(state));
  const requests: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    requests.push(`${init.method} ${url}`);
    // One member's listing fails the way a broken proxy would (a 400 is not retried).
    if (opts.failFor !== undefined && new URL(url).searchParams.get('target_user') === opts.failFor) {
      return { status: 400, headers: { get: () => 'application/json' }, text: async () => '{"errors":"Wrong \'page\' parameter value.","errors_cause":null}' };
    }
    return inner(url, init);
  };
  const env = (who = 'alice') => ({ CARTO_KEYS_BASE_URL: `https://acme.carto.com/u/${who}`, CARTO_KEYS_MASTER_KEY: ORG_MASTERS[who]! });
  const keysOf = (user: string) => state.users.find((u) => u.username === user)!.keys;
  return { state, fetch, requests, env, keysOf };
}

describe('--user', () => {
  it('refuses an invalid member name before anything is sent (exit 2)', async () => {
    const sb = orgSandbox();
    for (const args of [['list', '--user', 'Bob'], ['show', 'x', '--user', '-bob'], ['create', '--user', 'b b', '--api', 'sql']]) {
      const r = await run(args, { env: sb.env(), fetch: sb.fetch });
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect(sb.requests).toEqual([]);
  });

  it("defaults --table to the member's schema and caches the member's names apart", async () => {
    const sb = orgSandbox();
    const paths = tempPaths();
    try {
      // A stored profile: CI-style environment-only runs write no caches.
      const login = await run(['login', '--base-url', 'https://acme.carto.com/u/alice', '--with-key'], { stdin: ORG_MASTERS['alice']!, fetch: sb.fetch, paths });
      expect(login.code, login.stderr).toBe(0);
      const r = await run(['create', '--user', 'bob', '--name', 'rep', '--api', 'sql', '--table', 'customers'], { fetch: sb.fetch, paths });
      expect(r.code, r.stderr).toBe(0);
      expect(sb.keysOf('bob').find((k) => k.name === 'rep')!.tables).toEqual([{ schema: 'bob', name: 'customers', permissions: ['select'] }]);
      expect(await run(['list', '--user', 'bob'], { fetch: sb.fetch, paths })).toMatchObject({ code: 0 });
      const cached = JSON.parse(readFileSync(profileNamesPath(paths, 'default', 'bob'), 'utf8')) as { names: string[] };
      expect(cached.names).toEqual(['Default public', 'Master', 'bob-dashboard', 'rep']);
      expect(existsSync(profileNamesPath(paths))).toBe(false);
    } finally {
      paths.cleanup();
    }
  });

  it("never prints a member's Master token, and says whose it is", async () => {
    const sb = orgSandbox();
    const token = await run(['show', 'Master', '--user', 'bob', '--token'], { env: sb.env(), fetch: sb.fetch });
    expect(token.code).toBe(2);
    expect(token.stderr).toContain('The Master key of bob is never printed');
    expect(sb.requests).toEqual([]);
    // --reveal is a way of looking: the key is shown, its token masked, and a note says whose it is.
    const reveal = await run(['show', 'Master', '--user', 'bob', '--reveal', '--json'], { env: sb.env(), fetch: sb.fetch });
    expect(reveal.code, reveal.stderr).toBe(0);
    expect(reveal.stderr).toContain('The Master key of bob is never printed');
    expect(reveal.stdout + reveal.stderr).not.toContain(ORG_MASTERS['bob']);
  });
});

describe("regenerate another member's Master key", () => {
  it('asks for the username typed on a terminal, and regenerates it when it matches', async () => {
    const sb = orgSandbox();
    const prompter = scriptedPrompter([{ input: 'dave', match: /Type the username "dave"/ }]);
    const r = await run(['regenerate', 'Master', '--user', 'dave'], { env: sb.env(), fetch: sb.fetch, tty: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    const now = sb.keysOf('dave').find((k) => k.type === 'master')!.token;
    expect(now).not.toBe(ORG_MASTERS['dave']);
    expect(r.stdout + r.stderr).not.toContain(now);
    expect(r.stderr).toContain('Regenerated the Master key of dave');
  });

  it('cancels (exit 3) with nothing changed when the username typed differs', async () => {
    const sb = orgSandbox();
    const prompter = scriptedPrompter([{ input: 'bob' }]);
    const r = await run(['regenerate', 'Master', '--user', 'dave'], { env: sb.env(), fetch: sb.fetch, tty: true, prompter });
    expect(r.code).toBe(3);
    expect(sb.keysOf('dave').find((k) => k.type === 'master')!.token).toBe(ORG_MASTERS['dave']);
  });

  it('needs --yes without a terminal (exit 2, nothing sent)', async () => {
    const sb = orgSandbox();
    const r = await run(['regenerate', 'Master', '--user', 'dave'], { env: sb.env(), fetch: sb.fetch });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(sb.requests).toEqual([]);
  });
});

describe('list --all-members', () => {
  it('shows a MEMBER column in the terminal table', async () => {
    const sb = orgSandbox();
    const r = await run(['list', '--all-members', '--type', 'regular', '--wide'], { env: sb.env(), fetch: sb.fetch, tty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^MEMBER\s+NAME\s+TYPE\s+APIS\s+TABLES\s+TOKEN/);
    expect(r.stdout).toMatch(/^bob\s+bob-dashboard\s+regular\s+sql,maps\s+bob\.sales:select\s/m);
    expect(r.stdout).toMatch(/^dave\s+dave-dashboard\s+regular\s+sql,maps\s+dave\.sensors:select\s/m);
  });

  it('reports a member whose listing fails, shows the others, and exits 1 at the end', async () => {
    const sb = orgSandbox({ failFor: 'bob' });
    const r = await run(['list', '--all-members', '--json'], { env: sb.env(), fetch: sb.fetch });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { keys: { member: string }[]; failedMembers: { member: string }[] };
    expect([...new Set(doc.keys.map((k) => k.member))]).toEqual(['olivia', 'alice', 'dave']);
    expect(doc.failedMembers.map((f) => f.member)).toEqual(['bob']);
    expect(r.stderr).toContain('Could not list the keys of 1 of 4 members (bob): the list above does not cover them.');
    expect(r.stderr).toContain('carto-keys list --user bob');
  });

  it('refuses --user and --limit with it, before anything is sent', async () => {
    const sb = orgSandbox();
    expect((await run(['list', '--all-members', '--user', 'bob'], { env: sb.env(), fetch: sb.fetch })).code).toBe(2);
    expect((await run(['list', '--all-members', '--limit', '2'], { env: sb.env(), fetch: sb.fetch })).code).toBe(2);
    expect((await run(['list', '--org', 'acme'], { env: sb.env(), fetch: sb.fetch })).code).toBe(2);
    expect(sb.requests).toEqual([]);
  });

  it('reads the organization from an organization URL', async () => {
    const sb = orgSandbox();
    const r = await run(['list', '--all-members', '--json'], { env: sb.env(), fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(sb.requests[0]).toBe('GET https://acme.carto.com/u/alice/api/v2/organization/acme/users');
  });
});

describe('login --sandbox --org', () => {
  it('logs in to the embedded organization as alice, or as --user, and refuses a stranger', async () => {
    const paths = tempPaths();
    try {
      const admin = await run(['login', '--sandbox', '--org', '--json'], { paths });
      expect(admin.code, admin.stderr).toBe(0);
      expect(JSON.parse(admin.stdout)).toMatchObject({ profile: 'sandbox-org', username: 'alice', baseUrl: 'http://acme.sandbox.invalid/u/alice' });
      const members = await run(['org', 'members', '--json'], { paths });
      expect(members.code, members.stderr).toBe(0);
      expect((JSON.parse(members.stdout) as { username: string }[]).map((m) => m.username)).toEqual(['olivia', 'alice', 'bob', 'dave']);
      const bob = await run(['login', '--sandbox', '--org', '--user', 'bob', '--profile', 'acme-bob'], { paths });
      expect(bob.code, bob.stderr).toBe(0);
      expect((await run(['--profile', 'acme-bob', 'list', '--user', 'dave'], { paths })).code).toBe(4);
      expect((await run(['login', '--sandbox', '--org', '--user', 'zed'], { paths })).code).toBe(2);
      // The single-user sandbox is another account, unchanged.
      expect((await run(['login', '--sandbox'], { paths })).code).toBe(0);
      const demo = await run(['list', '--json'], { paths });
      expect((JSON.parse(demo.stdout) as { username: string }[])[0]!.username).toBe('demo');
    } finally {
      paths.cleanup();
    }
  });
});

describe('over HTTP, against the organization served in-process', () => {
  // Organizations (README.md "Organizations") over HTTP, against the organization served in-process (as
  // `sandbox serve --org` serves it). alice is an admin of "acme", bob and dave members, olivia the
  // owner, carol outside it.
  let sb: InProcessSandbox;
  let users: Record<string, OrgUser>;
  let home: Home;

  beforeEach(async () => {
    sb = await serveInProcess({ org: true });
    expect(sb.state.organizations?.[0]?.name).toBe('acme');
    users = Object.fromEntries(sb.users.map((u) => [u.username, u]));
    home = tempHome();
  });
  afterEach(async () => {
    await sb.stop();
    home.cleanup();
  });

  /** Run as `who`, with credentials from the environment (a CI job) and the organization named. */
  const as = (who: string, args: string[], extra: Record<string, string> = {}) =>
    cliInProcess(args, {
      env: { ...home.env, CARTO_KEYS_BASE_URL: users[who]!.baseUrl, CARTO_KEYS_MASTER_KEY: users[who]!.masterKey, CARTO_KEYS_ORG: 'acme', ...extra },
    });

  async function keysOf(member: string): Promise<{ name: string; username: string; token: string }[]> {
    const r = await as('alice', ['list', '--user', member, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { name: string; username: string; token: string }[];
  }

  /** The key a token belongs to, asked as its owner on their own URL (docs/auth-api.md §2). */
  async function whoIs(owner: string, token: string): Promise<string | number> {
    const res = await fetch(`${users[owner]!.baseUrl}/api/v3/api_keys`, { headers: { Authorization: `Basic ${Buffer.from(`${owner}:${token}`).toString('base64')}` } });
    if (res.status !== 200) return res.status;
    return ((await res.json()) as { result: { name: string }[] }).result[0]!.name;
  }

  describe('an admin acts on a member\'s keys', () => {
    it('creates, rotates and revokes a key of bob, in bob\'s schema and account', async () => {
      const created = await as('alice', ['create', '--user', 'bob', '--name', 'bob-app', '--api', 'sql', '--table', 'sales:select', '--json']);
      expect(created.code, created.stderr).toBe(0);
      const key = JSON.parse(created.stdout) as { name: string; username: string; token: string; grants: { tables: { schema: string; name: string }[] } };
      expect(key.username).toBe('bob');
      // The default schema follows the member: bob's tables live in schema bob.
      expect(key.grants.tables).toEqual([expect.objectContaining({ schema: 'bob', name: 'sales' })]);
      expect(await whoIs('bob', key.token)).toBe('bob-app');
      // alice's own keys are untouched.
      const own = await as('alice', ['list', '--json']);
      expect((JSON.parse(own.stdout) as { name: string }[]).map((k) => k.name)).not.toContain('bob-app');

      const envFile = join(home.dir, 'bob.env');
      writeFileSync(envFile, 'OTHER=1\n');
      const rotated = await as('alice', ['rotate', 'bob-app', '--user', 'bob', '--deploy-env-file', envFile, '--delete-old', '--yes', '--json']);
      expect(rotated.code, rotated.stderr).toBe(0);
      const result = JSON.parse(rotated.stdout) as { old: string; new: string; verified: boolean; deleted: boolean };
      expect(result).toMatchObject({ old: 'bob-app', verified: true, deleted: true });
      const deployed = /^CARTO_API_KEY=(.+)$/m.exec(readFileSync(envFile, 'utf8'))![1]!;
      expect(await whoIs('bob', deployed)).toBe(result.new);
      expect(await whoIs('bob', key.token)).toBe(401);
      expect((await keysOf('bob')).map((k) => k.name)).toEqual(['Master', 'Default public', 'bob-dashboard', result.new]);

      const revoked = await as('alice', ['revoke', result.new, '--user', 'bob', '--yes']);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stderr).toContain(`Revoked API key "${result.new}" of bob`);
      expect((await keysOf('bob')).map((k) => k.name)).toEqual(['Master', 'Default public', 'bob-dashboard']);
      expect(await whoIs('bob', deployed)).toBe(401);
    });

    it('names a user outside the organization: exit 1 with CARTO\'s text', async () => {
      const r = await as('alice', ['show', 'Master', '--user', 'carol']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("User 'carol' not found in the organization 'acme'");
      expect(r.stderr).toContain('carto-keys org members');
    });

    it('regenerates another member\'s Master key only with --yes without a terminal, and neither stores nor prints it', async () => {
      const refused = await as('alice', ['regenerate', 'Master', '--user', 'dave']);
      expect(refused.code).toBe(2);
      expect(await whoIs('dave', users['dave']!.masterKey)).toBe('Master');

      const done = await as('alice', ['regenerate', 'Master', '--user', 'dave', '--yes', '--json']);
      expect(done.code, done.stderr).toBe(0);
      expect(JSON.parse(done.stdout)).toEqual({ name: 'Master', type: 'master', user: 'dave', regenerated: true, stored: false });
      expect(await whoIs('dave', users['dave']!.masterKey)).toBe(401);
      // The new key is dave's: nowhere in what carto-keys printed.
      const members = await fetch(`${users['alice']!.baseUrl}/api/v2/organization/acme/users/dave`, {
        headers: { Authorization: `Basic ${Buffer.from(`alice:${users['alice']!.masterKey}`).toString('base64')}` },
      });
      const fresh = ((await members.json()) as { api_key: string }).api_key;
      expect(done.stdout + done.stderr).not.toContain(fresh);
    });
  });

  describe('a member who is not an admin', () => {
    it('is refused with exit 4 for another member\'s keys and for the members index, and nothing changes', async () => {
      const list = await as('bob', ['list', '--user', 'dave']);
      expect(list.code).toBe(4);
      expect(list.stderr).toContain('only an organization owner or admin may act for another member (--user dave)');
      const create = await as('bob', ['create', '--user', 'dave', '--name', 'sneaky', '--api', 'sql']);
      expect(create.code).toBe(4);
      expect((await keysOf('dave')).map((k) => k.name)).not.toContain('sneaky');
      const members = await as('bob', ['org', 'members']);
      expect(members.code).toBe(4);
      expect(members.stderr).toContain('not the Master key of an owner or admin of "acme"');
      // bob's own keys still work as usual.
      expect((await as('bob', ['list'])).code).toBe(0);
    });
  });

  describe('list --all-members', () => {
    it('lists every member\'s keys with a member column: TSV, JSON and the terminal table\'s data', async () => {
      const tsv = await as('alice', ['list', '--all-members', '--type', 'regular']);
      expect(tsv.code, tsv.stderr).toBe(0);
      expect(tsv.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 2))).toEqual([
        ['bob', 'bob-dashboard'],
        ['dave', 'dave-dashboard'],
      ]);
      const json = await as('alice', ['list', '--all-members', '--json']);
      expect(json.code, json.stderr).toBe(0);
      const doc = JSON.parse(json.stdout) as { organization: string; keys: { member: string; name: string; token: string }[]; failedMembers: unknown[] };
      expect(doc.organization).toBe('acme');
      expect(doc.failedMembers).toEqual([]);
      expect([...new Set(doc.keys.map((k) => k.member))]).toEqual(['olivia', 'alice', 'bob', 'dave']);
      expect(doc.keys.filter((k) => k.name === 'Master')).toHaveLength(4);
      for (const u of Object.values(users)) expect(json.stdout).not.toContain(u.masterKey);
    });

    it('needs the organization\'s name when the URL does not say it', async () => {
      const r = await as('alice', ['list', '--all-members'], { CARTO_KEYS_ORG: '' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--org');
    });
  });

  describe('member keys never leave the members index', () => {
    it('org members --json lists username, admin and email, and no key', async () => {
      const r = await as('alice', ['org', 'members', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([
        { username: 'olivia', admin: true, email: 'olivia@acme.example' },
        { username: 'alice', admin: true, email: 'alice@acme.example' },
        { username: 'bob', admin: false, email: 'bob@acme.example' },
        { username: 'dave', admin: false, email: 'dave@acme.example' },
      ]);
      for (const u of Object.values(users)) expect(r.stdout + r.stderr).not.toContain(u.masterKey);
    });

  });
});
