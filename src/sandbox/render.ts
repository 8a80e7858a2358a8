// CARTO's ApiKeyPresenter: a key as the server renders it (docs/auth-api.md §3, §3.1). The database
// grant shows the key role's *live* privileges — what PostgreSQL would answer — not the request.

import type { WireApiKey, WireDatabaseGrant, WireGrant, WireSchema, WireTable } from '../api/types.js';
import type { SandboxKey, SandboxTable, SandboxUser } from './state.js';

/** What the role of a table's creator holds on it: every table privilege PostgreSQL has. */
const OWNER_PERMISSIONS: readonly string[] = ['delete', 'insert', 'references', 'select', 'trigger', 'truncate', 'update'];

/** `2026-11-22 14:24:41 +0000`: Rails' default JSON time format in CARTO, not ISO-8601. */
export function formatTimestamp(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000`;
}

/** What rendering needs to know of the account, computed once for a whole page of keys. */
export interface AccountView {
  user: SandboxUser;
  tableIds: Set<string>;
  schemas: Set<string>;
  ownedBy: Map<string, SandboxTable[]>;
  /** Changes whenever anything rendering reads of the account changes: a cache key. */
  fingerprint: string;
}

export function accountView(user: SandboxUser): AccountView {
  const ownedBy = new Map<string, SandboxTable[]>();
  for (const t of user.tables) {
    if (t.ownerKey === undefined) continue;
    const owned = ownedBy.get(t.ownerKey) ?? [];
    owned.push(t);
    ownedBy.set(t.ownerKey, owned);
  }
  return {
    user,
    tableIds: new Set(user.tables.map((t) => tableId(t.schema, t.name))),
    schemas: userSchemas(user),
    ownedBy,
    fingerprint: JSON.stringify([user.username, user.schemas, user.tables]),
  };
}

export function renderKey(user: SandboxUser, key: SandboxKey, view: AccountView = accountView(user)): WireApiKey {
  return {
    name: key.name,
    user: { username: user.username },
    type: key.type,
    token: key.token,
    grants: renderGrants(view, key),
    created_at: formatTimestamp(key.createdAt),
    updated_at: formatTimestamp(key.updatedAt),
  };
}

function renderGrants(view: AccountView, key: SandboxKey): WireGrant[] {
  const grants: WireGrant[] = [{ type: 'apis', apis: [...key.apis] }, renderDatabase(view, key)];
  if (key.services.length > 0) grants.push({ type: 'dataservices', services: [...key.services] });
  if (key.datasets.length > 0) grants.push({ type: 'data-observatory', datasets: [...key.datasets] });
  return grants;
}

function renderDatabase(view: AccountView, key: SandboxKey): WireDatabaseGrant {
  // Master and Default public use the account's own roles: CARTO lists nothing for them.
  const live = key.type === 'regular';
  const grant: WireDatabaseGrant = {
    type: 'database',
    tables: live ? liveTables(view, key) : [],
    schemas: live ? liveSchemas(view, key) : [],
  };
  if (key.tableMetadata) grant.table_metadata = [];
  return grant;
}

const tableId = (schema: string, name: string): string => `${schema}\u0000${name}`;

function liveTables(view: AccountView, key: SandboxKey): WireTable[] {
  const byId = new Map<string, WireTable>();
  for (const g of key.tables) {
    // A dropped table disappears; an empty GRANT never happened.
    if (g.permissions.length === 0 || !view.tableIds.has(tableId(g.schema, g.name))) continue;
    byId.set(tableId(g.schema, g.name), { schema: g.schema, name: g.name, owner: false, permissions: [...g.permissions] });
  }
  for (const t of view.ownedBy.get(key.name) ?? []) {
    byId.set(tableId(t.schema, t.name), { schema: t.schema, name: t.name, owner: true, permissions: [...OWNER_PERMISSIONS] });
  }
  const tables = [...byId.values()];
  for (const t of tables) t.permissions.sort();
  return tables.sort((a, b) => compare(a.schema, b.schema) || compare(a.name, b.name));
}

/**
 * CARTO grants USAGE on the schema of every table listed at creation (even one listed with no
 * permissions: `schemas_from_granted_tables` does not filter them) and CREATE where asked; a schema
 * with CREATE always has USAGE too, since the key has to reach the tables it creates.
 */
function liveSchemas(view: AccountView, key: SandboxKey): WireSchema[] {
  const perms = new Map<string, Set<string>>();
  const add = (schema: string, ...ps: string[]): void => {
    if (!view.schemas.has(schema)) return;
    const set = perms.get(schema) ?? new Set<string>();
    for (const p of ps) set.add(p);
    perms.set(schema, set);
  };
  for (const t of key.tables) add(t.schema, 'usage');
  for (const t of view.ownedBy.get(key.name) ?? []) add(t.schema, 'usage');
  for (const s of key.schemas) if (s.permissions.includes('create')) add(s.name, 'create', 'usage');
  return [...perms.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([name, set]) => ({ name, permissions: [...set].sort() }));
}

/** The schemas that exist for the account: declared ones and those holding its tables. */
export function userSchemas(user: SandboxUser): Set<string> {
  return new Set([...user.schemas, ...user.tables.map((t) => t.schema)]);
}

/** Code-point order: deterministic whatever the machine's locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ruby's CGI.escape: what Rails' url helpers and `to_query` produce (space → `+`). */
export function cgiEscape(s: string): string {
  if (/^[\w.~-]*$/.test(s)) return s;
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The `self` link: the controller CGI-escapes the name and the route helper then escapes what a
 * path segment may not hold (so `%` becomes `%25`, `+` stays). Clients must not follow it.
 */
export function selfLink(collectionUrl: string, name: string): string {
  const segment = cgiEscape(name).replace(/%/g, '%25');
  return `${collectionUrl}/${segment}`;
}
