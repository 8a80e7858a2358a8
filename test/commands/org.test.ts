// In-process tests of the organization features (README.md "Organizations") against the sandbox organization:
// injected streams, scripted prompts, and a transport that can fail one member's requests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedFetch } from '../../src/api/http.js';
import type { FetchLike } from '../../src/api/client.js';
import { createSandboxHandler } from '../../src/sandbox/index.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { run, scriptedPrompter, tempPaths } from '../helpers/harness.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';


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
      const cached = JSON.parse(readFileSync(join(paths.cache, 'names-default@bob.json'), 'utf8')) as { names: string[] };
      expect(cached.names).toEqual(['Default public', 'Master', 'bob-dashboard', 'rep']);
      expect(existsSync(join(paths.cache, 'names-default.json'))).toBe(false);
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
    expect(r.stderr).toContain('Could not list the keys of 1 of 4 members: bob');
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
