// docs/auth-api.md §8 (organizations), one test per rule, against the sandbox's organization
// (src/sandbox/org.ts): olivia owns "acme", alice is an admin, bob and dave are members, carol is
// outside it.

import { describe, expect, it } from 'vitest';
import type { WireApiKey, WireListPage } from '../../src/api/types.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { parseSandboxState } from '../../src/sandbox/index.js';
import { basic, counterRandom, errorsOf, makeSandbox, START } from './harness.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';

const ROOT = 'https://acme.carto.com';
const KEYS = (user: string) => `${ROOT}/u/${user}/api/v3/api_keys`;
const USERS = (user: string, org = 'acme') => `${ROOT}/u/${user}/api/v2/organization/${org}/users`;
const FORBIDDEN = "You don't have permission to access that resource";

function org() {
  const sandbox = makeSandbox({ state: createOrgSandboxState({ masterKeys: ORG_MASTERS, now: () => START, random: counterRandom() }) });
  /** A request by `user` with `token` (default: their Master key) on their own URL. */
  const as = (user: string, method: string, url: string, init: { body?: unknown; token?: string } = {}) =>
    sandbox.call(method, url, { token: null, headers: basic(init.token ?? ORG_MASTERS[user]!, user), ...(init.body !== undefined && { body: init.body }) });
  return { sandbox, as };
}

const names = async (res: Response) => ((await res.json()) as WireListPage).result.map((k) => k.name);
const SALES = [{ type: 'apis', apis: ['sql'] }, { type: 'database', tables: [{ schema: 'bob', name: 'sales', permissions: ['select'] }] }];

describe('§8 target_user', () => {
  it('is taken by all five key endpoints as a query parameter, and by create in the body too', async () => {
    const { as } = org();
    expect(await names(await as('alice', 'GET', `${KEYS('alice')}?target_user=bob`))).toEqual(['Master', 'Default public', 'bob-dashboard']);
    expect((await as('alice', 'POST', `${KEYS('alice')}?target_user=bob`, { body: { name: 'q', grants: SALES } })).status).toBe(201);
    expect((await as('alice', 'POST', KEYS('alice'), { body: { name: 'b', grants: SALES, target_user: 'bob' } })).status).toBe(201);
    expect((await as('alice', 'GET', `${KEYS('alice')}/q?target_user=bob`)).status).toBe(200);
    expect((await as('alice', 'POST', `${KEYS('alice')}/q/token/regenerate?target_user=bob`)).status).toBe(200);
    expect((await as('alice', 'DELETE', `${KEYS('alice')}/q?target_user=bob`)).status).toBe(204);
  });

  it('authenticates the caller as themselves, on their own URL (not the member\'s)', async () => {
    const { as } = org();
    expect((await as('alice', 'GET', `${KEYS('bob')}?target_user=bob`)).status).toBe(401);
    expect((await as('alice', 'GET', `${KEYS('alice')}?target_user=bob`)).status).toBe(200);
  });

  it('is refused with 403 and CARTO\'s text to a member who is not an admin, and to a user outside any organization', async () => {
    const { as } = org();
    for (const [user, url] of [
      ['bob', `${KEYS('bob')}?target_user=dave`],
      ['carol', `${KEYS('carol')}?target_user=bob`],
      ['bob', `${KEYS('bob')}/dave-dashboard?target_user=dave`],
    ] as const) {
      const res = await as(user, 'GET', url);
      expect(res.status, url).toBe(403);
      expect(await res.json()).toEqual({ errors: FORBIDDEN, errors_cause: null });
    }
    const write = await as('bob', 'POST', `${KEYS('bob')}?target_user=dave`, { body: { name: 'x', grants: SALES } });
    expect(write.status).toBe(403);
  });

  it('lets the owner act as an admin', async () => {
    const { as } = org();
    expect(await names(await as('olivia', 'GET', `${KEYS('olivia')}?target_user=dave`))).toContain('dave-dashboard');
  });

  it('finds the target among all users of the organization, the owner and other admins included (even their Master key)', async () => {
    const { as } = org();
    expect(await names(await as('alice', 'GET', `${KEYS('alice')}?target_user=olivia`))).toEqual(['Master', 'Default public']);
    const res = await as('alice', 'POST', `${KEYS('alice')}/Master/token/regenerate?target_user=olivia`);
    expect(res.status).toBe(200);
    const key = (await res.json()) as WireApiKey;
    expect(key.user.username).toBe('olivia');
    expect(key.token).not.toBe(ORG_MASTERS['olivia']);
    // The old key no longer works; the new one does.
    expect((await as('olivia', 'GET', KEYS('olivia'))).status).toBe(401);
    expect((await as('olivia', 'GET', KEYS('olivia'), { token: key.token })).status).toBe(200);
  });

  it('answers 404 "User \'…\' not found in the organization \'…\'" for a user outside the organization, or no user at all', async () => {
    const { as } = org();
    for (const target of ['carol', 'nosuch']) {
      const res = await as('alice', 'GET', `${KEYS('alice')}/Master?target_user=${target}`);
      expect(res.status).toBe(404);
      expect(await errorsOf(res)).toBe(`User '${target}' not found in the organization 'acme'`);
    }
  });

  it('resolves key names in the target\'s keys: without target_user another member\'s key is not found', async () => {
    const { as } = org();
    const res = await as('alice', 'GET', `${KEYS('alice')}/bob-dashboard`);
    expect(res.status).toBe(404);
    expect(await errorsOf(res)).toBe('API key not found: bob-dashboard');
    expect((await as('alice', 'GET', `${KEYS('alice')}/bob-dashboard?target_user=bob`)).status).toBe(200);
  });

  it('creates the key for the target: it belongs to them and may grant only their tables', async () => {
    const { as } = org();
    const res = await as('alice', 'POST', `${KEYS('alice')}?target_user=bob`, { body: { name: 'rep', grants: SALES } });
    const key = (await res.json()) as WireApiKey;
    expect(key.user).toEqual({ username: 'bob' });
    expect(key.grants[1]).toMatchObject({ tables: [{ schema: 'bob', name: 'sales', permissions: ['select'] }] });
    // alice's own table is not bob's to grant.
    const alices = [{ type: 'apis', apis: ['sql'] }, { type: 'database', tables: [{ schema: 'alice', name: 'stores', permissions: ['select'] }] }];
    const refused = await as('alice', 'POST', `${KEYS('alice')}?target_user=bob`, { body: { name: 'x', grants: alices } });
    expect(refused.status).toBe(422);
    expect(await errorsOf(refused)).toContain('Grants can only grant table permissions you have');
    // And bob sees it among his own keys.
    expect(await names(await as('bob', 'GET', KEYS('bob')))).toContain('rep');
    expect(await names(await as('alice', 'GET', KEYS('alice')))).not.toContain('rep');
  });

  it('needs the Master key for cross-member work: a non-master key lists only itself (so nothing of the target), shows nothing, writes nothing', async () => {
    const { as } = org();
    const created = (await (await as('alice', 'POST', KEYS('alice'), { body: { name: 'mine', grants: [{ type: 'apis', apis: ['sql'] }] } })).json()) as WireApiKey;
    const list = await as('alice', 'GET', `${KEYS('alice')}?target_user=bob`, { token: created.token });
    expect(list.status).toBe(200);
    expect(((await list.json()) as WireListPage).total).toBe(0);
    const show = await as('alice', 'GET', `${KEYS('alice')}/bob-dashboard?target_user=bob`, { token: created.token });
    expect(show.status).toBe(404);
    const write = await as('alice', 'DELETE', `${KEYS('alice')}/bob-dashboard?target_user=bob`, { token: created.token });
    expect(write.status).toBe(401);
    expect(await write.text()).toBe('');
    // Its own listing is unchanged: itself only.
    expect(await names(await as('alice', 'GET', KEYS('alice'), { token: created.token }))).toEqual(['mine']);
  });
});

describe('§8 the members index (EUMAPI)', () => {
  it('answers a plain array, not paged, one object per user of the organization with its fields — api_key the member\'s Master key, no id', async () => {
    const { as } = org();
    const res = await as('alice', 'GET', USERS('alice'));
    expect(res.status).toBe(200);
    const users = (await res.json()) as Record<string, unknown>[];
    expect(Array.isArray(users)).toBe(true);
    expect(users.map((u) => u['username'])).toEqual(['olivia', 'alice', 'bob', 'dave']);
    for (const u of users) {
      for (const field of ['username', 'email', 'name', 'last_name', 'org_admin', 'org_user', 'viewer', 'base_url', 'quota_in_bytes', 'db_size_in_bytes', 'table_count', 'soft_geocoding_limit', 'api_key']) {
        expect(u, field).toHaveProperty(field);
      }
      expect(u).not.toHaveProperty('id');
      expect(u['api_key']).toBe(ORG_MASTERS[u['username'] as string]);
    }
    expect(users.map((u) => u['org_admin'])).toEqual([true, true, false, false]);
    expect(users[2]!['base_url']).toBe(`${ROOT}/u/bob`);
  });

  it('takes the Master key as Basic or as api_key, and the owner too', async () => {
    const { sandbox, as } = org();
    expect((await sandbox.call('GET', `${USERS('alice')}?api_key=${ORG_MASTERS['alice']}`, { token: null })).status).toBe(200);
    expect((await as('olivia', 'GET', USERS('olivia'))).status).toBe(200);
  });

  it('answers 401 {} to a member who is not an admin, an outside user, a regular key, bad credentials and an unknown organization', async () => {
    const { sandbox, as } = org();
    const created = (await (await as('alice', 'POST', KEYS('alice'), { body: { name: 'mine', grants: [{ type: 'apis', apis: ['sql'] }] } })).json()) as WireApiKey;
    const replies = [
      await as('bob', 'GET', USERS('bob')),
      await as('carol', 'GET', USERS('carol')),
      await as('alice', 'GET', USERS('alice'), { token: created.token }),
      await as('alice', 'GET', USERS('alice'), { token: ORG_MASTERS['bob']! }),
      await sandbox.call('GET', USERS('alice'), { token: null }),
      await as('alice', 'GET', USERS('alice', 'zeta')),
      await as('alice', 'GET', `${USERS('alice', 'zeta')}/bob`),
    ];
    for (const res of replies) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({});
    }
  });

  it('shows one user at …/users/{username} (v2 and v1), 404 with CARTO\'s text for someone not in it', async () => {
    const { as } = org();
    for (const v of ['v2', 'v1']) {
      const res = await as('alice', 'GET', `${ROOT}/u/alice/api/${v}/organization/acme/users/dave`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ username: 'dave', org_admin: false, api_key: ORG_MASTERS['dave'] });
    }
    const missing = await as('alice', 'GET', `${USERS('alice')}/carol`);
    expect(missing.status).toBe(404);
    expect(await errorsOf(missing)).toBe("No user with username 'carol' in 'acme'");
  });

  it('has no v1 index (Rails\' 404 page)', async () => {
    const { as } = org();
    const res = await as('alice', 'GET', `${ROOT}/u/alice/api/v1/organization/acme/users`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/html/);
  });
});

describe('the organization state', () => {
  it('seeds an owner, an admin, members and an outside user, each with Master and Default public keys and tables in their own schema', () => {
    const state = createOrgSandboxState({ masterKeys: ORG_MASTERS });
    for (const u of state.users) {
      expect(u.keys.filter((k) => k.type !== 'regular').map((k) => k.name), u.username).toEqual(['Master', 'Default public']);
      const schema = u.username === 'carol' ? 'public' : u.username;
      expect(u.tables.length).toBeGreaterThan(0);
      expect(u.tables.every((t) => t.schema === schema), u.username).toBe(true);
    }
    expect(state.organizations).toEqual([{ name: 'acme', owner: 'olivia', admins: ['alice'], members: ['olivia', 'alice', 'bob', 'dave'] }]);
  });

  it('survives a round trip through its file form, and a broken organization is refused with where', () => {
    const state = createOrgSandboxState();
    expect(parseSandboxState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    const broken = JSON.parse(JSON.stringify(state)) as { organizations: { members: string[] }[] };
    broken.organizations[0]!.members.push('ghost');
    expect(() => parseSandboxState(broken)).toThrow(/state.organizations\[0\].members/);
  });
});

describe('the embedded organization', () => {
  it('offers at login exactly the users the organization seeds', async () => {
    const { SANDBOX_ORG_USERS } = await import('../../src/sandbox/embedded-info.js');
    const { ORG_SEED } = await import('../../src/sandbox/org.js');
    expect(SANDBOX_ORG_USERS).toEqual(ORG_SEED.map((u) => `${u.username} (${u.role})`));
  });
});
