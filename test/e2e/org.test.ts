// Organizations end to end (README.md "Organizations"): the built binary against `sandbox serve --org`. alice is an
// admin of "acme", bob and dave members, olivia the owner, carol outside it.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, serveSandbox, tempHome, type Home, type ServedSandbox } from '../helpers/e2e.js';

interface OrgUser {
  username: string;
  role: 'owner' | 'admin' | 'member' | 'outside';
  baseUrl: string;
  masterKey: string;
}

let sb: ServedSandbox;
let users: Record<string, OrgUser>;
let home: Home;

beforeEach(async () => {
  sb = await serveSandbox(['--org']);
  const served = sb as unknown as { organization: string; users: OrgUser[] };
  expect(served.organization).toBe('acme');
  users = Object.fromEntries(served.users.map((u) => [u.username, u]));
  home = tempHome();
});
afterEach(async () => {
  await sb.stop();
  home.cleanup();
});

/** Run as `who`, with credentials from the environment (a CI job) and the organization named. */
const as = (who: string, args: string[], extra: Record<string, string> = {}) =>
  cli(args, {
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

/** Every file under `dir`, with its content. */
function filesUnder(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push([path, readFileSync(path, 'utf8')]);
  }
  return out;
}

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

  it('no output of any command, --debug included, and no file carto-keys wrote holds another member\'s key', async () => {
    // A stored profile this time, so the config, caches and journals are all on disk.
    const login = await cli(['login', '--base-url', users['alice']!.baseUrl, '--with-key'], { env: home.env, input: users['alice']!.masterKey });
    expect(login.code, login.stderr).toBe(0);
    const run = (args: string[]) => cli(args, { env: { ...home.env, CARTO_KEYS_ORG: 'acme' } });
    const outputs: string[] = [];
    for (const args of [
      ['org', 'members'],
      ['org', 'members', '--json', '--debug'],
      ['list', '--all-members', '--debug'],
      ['list', '--all-members', '--json', '--reveal'],
      ['list', '--user', 'bob', '--debug', '--reveal'],
      ['show', 'Master', '--user', 'bob', '--json', '--debug'],
      ['show', 'Master', '--user', 'bob', '--reveal'],
      ['create', '--user', 'dave', '--name', 'probe', '--api', 'sql', '--debug'],
      ['clone', 'probe', '--user', 'dave', '--name', 'probe-2', '--json'],
      ['rotate', 'probe', '--user', 'dave', '--keep-old', '--yes', '--debug'],
      ['revoke', 'probe', 'probe-2', '--user', 'dave', '--yes', '--debug'],
      ['regenerate', 'dave-dashboard', '--user', 'dave', '--yes', '--debug'],
      ['org', 'members', '--org', 'zeta', '--debug'],
      ['status', '--json'],
    ]) {
      const r = await run(args);
      outputs.push(`$ ${args.join(' ')} → ${r.code}\n${r.stdout}${r.stderr}`);
    }
    const all = outputs.join('\n');
    // The commands did run (a test of nothing would pass too).
    expect(all).toContain('dave-dashboard');
    expect(all).toContain('[debug]');
    const others = Object.values(users).filter((u) => u.username !== 'alice');
    for (const u of others) expect(all, u.username).not.toContain(u.masterKey);
    // alice's own key: in her profile, and nowhere in output (the Master key is never printed).
    expect(all).not.toContain(users['alice']!.masterKey);
    const files = filesUnder(home.dir);
    expect(files.length).toBeGreaterThan(2);
    for (const [path, text] of files) {
      for (const u of others) expect(text, `${path} holds ${u.username}'s key`).not.toContain(u.masterKey);
    }
  });
});
