// The sandbox's organization (docs/auth-api.md §8): who may act for whom with `target_user`, and the
// user-management API's members index and show — `api_key` included, as CARTO sends it, so that
// clients are tested against a reply that does carry every member's Master key.

import { randomBytes } from 'node:crypto';
import { DEFAULT_PUBLIC_KEY_NAME, MASTER_KEY_NAME } from '../api/types.js';
import {
  ALL_SERVICES,
  DEFAULT_PUBLIC_TOKEN,
  makeKey,
  MASTER_APIS,
  newMasterToken,
  newRegularToken,
  SANDBOX_STATE_VERSION,
  type RandomBytes,
  type SandboxOrganization,
  type SandboxState,
  type SandboxUser,
} from './state.js';

export type OrgRole = 'owner' | 'admin' | 'member' | 'outside';

export const DEFAULT_ORG_NAME = 'acme';

/** The seeded organization: who is who, and the tables each one owns in their own schema. */
export const ORG_SEED: readonly { username: string; role: OrgRole; tables: string[] }[] = [
  { username: 'olivia', role: 'owner', tables: ['budgets'] },
  { username: 'alice', role: 'admin', tables: ['stores', 'deliveries'] },
  { username: 'bob', role: 'member', tables: ['sales', 'customers'] },
  { username: 'dave', role: 'member', tables: ['sensors'] },
  // In no organization: a CARTO user whose tables live in `public`.
  { username: 'carol', role: 'outside', tables: ['notes'] },
];

export function organizationOf(state: SandboxState, username: string): SandboxOrganization | undefined {
  return state.organizations?.find((o) => o.members.includes(username));
}

export function roleOf(state: SandboxState, username: string): OrgRole {
  const org = organizationOf(state, username);
  if (org === undefined) return 'outside';
  if (org.owner === username) return 'owner';
  return org.admins.includes(username) ? 'admin' : 'member';
}

export function isOrgAdmin(org: SandboxOrganization, username: string): boolean {
  return org.owner === username || org.admins.includes(username);
}

/**
 * An organization account: an owner, an admin, two members and an outside user, each with their
 * Master and Default public keys, their own tables, and one regular key for the members.
 */
export function createOrgSandboxState(
  opts: { org?: string; random?: RandomBytes; now?: () => Date; masterKeys?: Record<string, string> } = {},
): SandboxState {
  const random = opts.random ?? randomBytes;
  const at = (opts.now ?? (() => new Date()))().toISOString();
  const stamp = { createdAt: at, updatedAt: at };
  const name = opts.org ?? DEFAULT_ORG_NAME;
  const users: SandboxUser[] = ORG_SEED.map(({ username, role, tables }) => {
    const schema = role === 'outside' ? 'public' : username;
    const user: SandboxUser = {
      username,
      email: `${username}@${role === 'outside' ? 'example.org' : `${name}.example`}`,
      schemas: [schema],
      tables: tables.map((t) => ({ schema, name: t })),
      keys: [
        makeKey(
          { name: MASTER_KEY_NAME, type: 'master', token: opts.masterKeys?.[username] ?? newMasterToken(random), ...stamp },
          { apis: [...MASTER_APIS], services: [...ALL_SERVICES], userData: ['profile'] },
        ),
        makeKey({ name: DEFAULT_PUBLIC_KEY_NAME, type: 'default', token: DEFAULT_PUBLIC_TOKEN, ...stamp }, { apis: [...MASTER_APIS] }),
      ],
    };
    if (role === 'member') {
      user.keys.push(
        makeKey(
          { name: `${username}-dashboard`, type: 'regular', token: newRegularToken(random), ...stamp },
          { apis: ['sql', 'maps'], tables: [{ schema, name: tables[0]!, permissions: ['select'] }] },
        ),
      );
    }
    return user;
  });
  const organization: SandboxOrganization = {
    name,
    owner: ORG_SEED.find((u) => u.role === 'owner')!.username,
    admins: ORG_SEED.filter((u) => u.role === 'admin').map((u) => u.username),
    members: ORG_SEED.filter((u) => u.role !== 'outside').map((u) => u.username),
  };
  return { version: SANDBOX_STATE_VERSION, revision: 0, users, organizations: [organization] };
}

/**
 * One user as the EUMAPI presents it (organization_users_controller + its presenter): profile fields,
 * no `id`, and `api_key` — the member's Master key.
 */
export function eumapiUser(org: SandboxOrganization, user: SandboxUser, origin: string): Record<string, unknown> {
  const master = user.keys.find((k) => k.type === 'master');
  return {
    username: user.username,
    email: user.email ?? `${user.username}@${org.name}.example`,
    name: user.username.charAt(0).toUpperCase() + user.username.slice(1),
    last_name: '',
    org_admin: isOrgAdmin(org, user.username),
    org_user: true,
    viewer: false,
    base_url: `${origin}/u/${user.username}`,
    quota_in_bytes: 262_144_000,
    db_size_in_bytes: 4096 * user.tables.length,
    table_count: user.tables.length,
    soft_geocoding_limit: false,
    api_key: master?.token ?? null,
  };
}
