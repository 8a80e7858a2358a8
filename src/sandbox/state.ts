// The sandbox's whole world as plain JSON, so the embedded sandbox can keep it in a file between
// commands. Grants are kept *as stored* (what was requested at creation, normalized the way CARTO's
// model merges them); what a key may do is computed from them at render time (render.ts), the way
// CARTO reads live privileges from PostgreSQL.

import { randomBytes } from 'node:crypto';
import type { KeyType } from '../api/types.js';
import { DEFAULT_PUBLIC_KEY_NAME, KEY_TYPES, MASTER_KEY_NAME } from '../api/types.js';
import { isRecord } from '../json.js';

export const SANDBOX_STATE_VERSION = 1;
export const DEFAULT_SANDBOX_USERNAME = 'demo';
export const DEFAULT_PUBLIC_TOKEN = 'default_public';

export interface SandboxTable {
  schema: string;
  name: string;
  /** Name of the regular key that created the table (its role owns it); absent for the account's own. */
  ownerKey?: string;
}

export interface SandboxTableGrant {
  schema: string;
  name: string;
  permissions: string[];
}

export interface SandboxSchemaGrant {
  name: string;
  permissions: string[];
}

export interface SandboxKey {
  name: string;
  type: KeyType;
  token: string;
  apis: string[];
  tables: SandboxTableGrant[];
  schemas: SandboxSchemaGrant[];
  tableMetadata: boolean;
  services: string[];
  datasets: string[];
  /** The `user` grant: accepted and stored, never rendered. */
  userData: string[];
  /** ISO-8601 (Date#toISOString), so they sort as strings. */
  createdAt: string;
  updatedAt: string;
}

export interface SandboxUser {
  username: string;
  /** Shown by the members index of an organization (src/sandbox/org.ts). */
  email?: string;
  /** false: the account has no engine access and every endpoint answers an empty 404. Default true. */
  engine?: boolean;
  /** Schemas the account may grant `create` on (the schemas of its tables count too). */
  schemas: string[];
  tables: SandboxTable[];
  keys: SandboxKey[];
}

/** An organization of the sandbox's users (`sandbox serve --org`); its members index is src/sandbox/org.ts. */
export interface SandboxOrganization {
  name: string;
  /** The owner is an admin for every purpose (acting on members' keys). */
  owner: string;
  admins: string[];
  /** Every user of the organization: the owner and the admins included. */
  members: string[];
}

export interface SandboxState {
  version: typeof SANDBOX_STATE_VERSION;
  /** Bumped by every mutation: handlers cache indexes per revision, so two handlers may share a state. */
  revision: number;
  users: SandboxUser[];
  /** Organizations of these users (`sandbox serve --org`); absent in the single-user sandbox. */
  organizations?: SandboxOrganization[];
}

/** Source of random bytes; injectable so tests get predictable tokens. */
export type RandomBytes = (size: number) => Buffer;

export interface CreateSandboxStateOptions {
  username?: string;
  /** The Master key (40 lowercase hex characters in CARTO); random when absent. */
  masterKey?: string;
  /** Extra regular keys named `seed-00001`…, with varied grants (for benchmarks). */
  seedRegularKeys?: number;
  random?: RandomBytes;
  now?: () => Date;
  engine?: boolean;
}

export const SEED_TABLES: readonly SandboxTable[] = [
  { schema: 'public', name: 'world_population' },
  { schema: 'public', name: 'liked_cities' },
  { schema: 'public', name: 'national_incomes' },
];

export const MASTER_APIS: readonly string[] = ['sql', 'maps'];
export const ALL_SERVICES: readonly string[] = ['geocoding', 'routing', 'isolines', 'observatory'];

/** CARTO's master token: a SHA-1-sized hex string. */
export function newMasterToken(random: RandomBytes = randomBytes): string {
  return random(20).toString('hex');
}

/** CARTO's regular token: SecureRandom.urlsafe_base64(16), i.e. 22 URL-safe base64 characters. */
export function newRegularToken(random: RandomBytes = randomBytes): string {
  return random(16).toString('base64url');
}

export type SandboxGrants = Pick<
  SandboxKey,
  'apis' | 'tables' | 'schemas' | 'tableMetadata' | 'services' | 'datasets' | 'userData'
>;

/**
 * Every key is built here, with all fields in one order: objects of one shape stay fast in V8
 * (spreading defaults and then overriding them made seeding 10,000 keys several times slower).
 */
export function makeKey(
  head: Pick<SandboxKey, 'name' | 'type' | 'token' | 'createdAt' | 'updatedAt'>,
  grants: Partial<SandboxGrants> = {},
): SandboxKey {
  return {
    name: head.name,
    type: head.type,
    token: head.token,
    apis: grants.apis ?? [],
    tables: grants.tables ?? [],
    schemas: grants.schemas ?? [],
    tableMetadata: grants.tableMetadata ?? false,
    services: grants.services ?? [],
    datasets: grants.datasets ?? [],
    userData: grants.userData ?? [],
    createdAt: head.createdAt,
    updatedAt: head.updatedAt,
  };
}

export function createSandboxState(opts: CreateSandboxStateOptions = {}): SandboxState {
  const random = opts.random ?? randomBytes;
  const at = (opts.now ?? (() => new Date()))().toISOString();
  const stamp = { createdAt: at, updatedAt: at };
  const user: SandboxUser = {
    username: opts.username ?? DEFAULT_SANDBOX_USERNAME,
    schemas: ['public'],
    tables: SEED_TABLES.map((t) => ({ ...t })),
    keys: [
      makeKey(
        { name: MASTER_KEY_NAME, type: 'master', token: opts.masterKey ?? newMasterToken(random), ...stamp },
        { apis: [...MASTER_APIS], services: [...ALL_SERVICES], userData: ['profile'] },
      ),
      makeKey({ name: DEFAULT_PUBLIC_KEY_NAME, type: 'default', token: DEFAULT_PUBLIC_TOKEN, ...stamp }, { apis: [...MASTER_APIS] }),
    ],
  };
  if (opts.engine === false) user.engine = false;
  const count = opts.seedRegularKeys ?? 0;
  // One draw for every seeded token: ten thousand small draws cost more than the rest of seeding.
  const pool = count > 0 ? random(16 * count) : Buffer.alloc(0);
  for (let i = 1; i <= count; i++) {
    user.keys.push(seedKey(i, Date.parse(at), pool.subarray((i - 1) * 16, i * 16).toString('base64url')));
  }
  return { version: SANDBOX_STATE_VERSION, revision: 0, users: [user] };
}

const SEED_PERMISSIONS: readonly string[][] = [['select'], ['insert', 'select'], ['delete', 'insert', 'select', 'update']];
const SEED_APIS: readonly string[][] = [['sql'], ['maps'], ['sql', 'maps'], []];

/** Deterministic variety without a random source: the benchmark only needs spread, not realism. */
function seedKey(i: number, base: number, token: string): SandboxKey {
  const table = SEED_TABLES[i % SEED_TABLES.length] as SandboxTable;
  // Spread timestamps backwards so `order=updated_at` differs from `order=name`.
  const at = new Date(base - ((i * 7919) % 100_000) * 1000).toISOString();
  return makeKey(
    { name: `seed-${String(i).padStart(5, '0')}`, type: 'regular', token, createdAt: at, updatedAt: at },
    {
      apis: [...(SEED_APIS[i % SEED_APIS.length] as string[])],
      tables: [{ schema: table.schema, name: table.name, permissions: [...(SEED_PERMISSIONS[i % 3] as string[])] }],
      schemas: i % 5 === 0 ? [{ name: 'public', permissions: ['create'] }] : [],
      tableMetadata: i % 4 === 0,
      services: i % 6 === 0 ? ['geocoding'] : [],
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Validation of a state read back from disk: a hand-edited or half-written file must be refused
// with a message that says where it is wrong, never half-used.

export class SandboxStateShapeError extends Error {
  constructor(where: string, expected: string) {
    super(`${where}: expected ${expected}`);
    this.name = 'SandboxStateShapeError';
  }
}

type Json = unknown;

function record(v: Json, where: string): Record<string, unknown> {
  if (!isRecord(v)) throw new SandboxStateShapeError(where, 'an object');
  return v;
}

function str(v: Json, where: string): string {
  if (typeof v !== 'string') throw new SandboxStateShapeError(where, 'a string');
  return v;
}

function arr<T>(v: Json, where: string, item: (x: Json, where: string) => T): T[] {
  if (!Array.isArray(v)) throw new SandboxStateShapeError(where, 'an array');
  return v.map((x, i) => item(x, `${where}[${i}]`));
}

function strings(v: Json, where: string): string[] {
  return arr(v, where, str);
}

function bool(v: Json, where: string): boolean {
  if (typeof v !== 'boolean') throw new SandboxStateShapeError(where, 'true or false');
  return v;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isoDate(v: Json, where: string): string {
  const s = str(v, where);
  if (!ISO_RE.test(s) || Number.isNaN(Date.parse(s))) throw new SandboxStateShapeError(where, 'an ISO-8601 UTC timestamp');
  return s;
}


function keyType(v: Json, where: string): KeyType {
  const s = str(v, where);
  if (!(KEY_TYPES as readonly string[]).includes(s)) throw new SandboxStateShapeError(where, `one of ${KEY_TYPES.join(', ')}`);
  return s as KeyType;
}

function permissionGrant(v: Json, where: string): SandboxSchemaGrant {
  const o = record(v, where);
  return { name: str(o.name, `${where}.name`), permissions: strings(o.permissions, `${where}.permissions`) };
}

function tableGrant(v: Json, where: string): SandboxTableGrant {
  const o = record(v, where);
  return { schema: str(o.schema, `${where}.schema`), ...permissionGrant(o, where) };
}

function table(v: Json, where: string): SandboxTable {
  const o = record(v, where);
  const t: SandboxTable = { schema: str(o.schema, `${where}.schema`), name: str(o.name, `${where}.name`) };
  if (o.ownerKey !== undefined) t.ownerKey = str(o.ownerKey, `${where}.ownerKey`);
  return t;
}

function key(v: Json, where: string): SandboxKey {
  const o = record(v, where);
  const head = {
    name: str(o.name, `${where}.name`),
    type: keyType(o.type, `${where}.type`),
    token: str(o.token, `${where}.token`),
    createdAt: isoDate(o.createdAt, `${where}.createdAt`),
    updatedAt: isoDate(o.updatedAt, `${where}.updatedAt`),
  };
  return makeKey(head, {
    apis: strings(o.apis, `${where}.apis`),
    tables: arr(o.tables, `${where}.tables`, tableGrant),
    schemas: arr(o.schemas, `${where}.schemas`, permissionGrant),
    tableMetadata: bool(o.tableMetadata, `${where}.tableMetadata`),
    services: strings(o.services, `${where}.services`),
    datasets: strings(o.datasets, `${where}.datasets`),
    userData: strings(o.userData, `${where}.userData`),
  });
}

function user(v: Json, where: string): SandboxUser {
  const o = record(v, where);
  const u: SandboxUser = {
    username: str(o.username, `${where}.username`),
    schemas: strings(o.schemas, `${where}.schemas`),
    tables: arr(o.tables, `${where}.tables`, table),
    keys: arr(o.keys, `${where}.keys`, key),
  };
  if (o.engine !== undefined) u.engine = bool(o.engine, `${where}.engine`);
  if (o.email !== undefined) u.email = str(o.email, `${where}.email`);
  checkBuiltInKeys(u, where);
  return u;
}

/** The invariants the handler relies on: one Master, one Default public, unique names and tokens. */
function checkBuiltInKeys(u: SandboxUser, where: string): void {
  const count = (type: KeyType): number => u.keys.filter((k) => k.type === type).length;
  if (count('master') !== 1) throw new SandboxStateShapeError(`${where}.keys`, 'exactly one master key');
  if (count('default') !== 1) throw new SandboxStateShapeError(`${where}.keys`, 'exactly one default key');
  if (new Set(u.keys.map((k) => k.name)).size !== u.keys.length) {
    throw new SandboxStateShapeError(`${where}.keys`, 'unique key names');
  }
  if (new Set(u.keys.map((k) => k.token)).size !== u.keys.length) {
    throw new SandboxStateShapeError(`${where}.keys`, 'unique tokens');
  }
}

/** Checks a parsed JSON value and returns a fresh, well-typed state; throws SandboxStateShapeError. */
export function parseSandboxState(json: unknown): SandboxState {
  const o = record(json, 'state');
  if (o.version !== SANDBOX_STATE_VERSION) {
    throw new SandboxStateShapeError('state.version', String(SANDBOX_STATE_VERSION));
  }
  const revision = o.revision;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
    throw new SandboxStateShapeError('state.revision', 'a non-negative integer');
  }
  const users = arr(o.users, 'state.users', user);
  if (users.length === 0) throw new SandboxStateShapeError('state.users', 'at least one user');
  if (new Set(users.map((u) => u.username)).size !== users.length) {
    throw new SandboxStateShapeError('state.users', 'unique usernames');
  }
  const state: SandboxState = { version: SANDBOX_STATE_VERSION, revision, users };
  if (o.organizations !== undefined) state.organizations = arr(o.organizations, 'state.organizations', (v, w) => organization(v, w, users));
  const memberships = (state.organizations ?? []).flatMap((org) => org.members);
  if (new Set(memberships).size !== memberships.length) {
    throw new SandboxStateShapeError('state.organizations', 'each user in at most one organization');
  }
  return state;
}

function organization(v: Json, where: string, users: SandboxUser[]): SandboxOrganization {
  const o = record(v, where);
  const org: SandboxOrganization = {
    name: str(o.name, `${where}.name`),
    owner: str(o.owner, `${where}.owner`),
    admins: strings(o.admins, `${where}.admins`),
    members: strings(o.members, `${where}.members`),
  };
  const known = new Set(users.map((u) => u.username));
  if (!org.members.every((m) => known.has(m))) throw new SandboxStateShapeError(`${where}.members`, 'usernames of state.users');
  if (!org.members.includes(org.owner)) throw new SandboxStateShapeError(`${where}.owner`, 'one of its members');
  if (!org.admins.every((a) => org.members.includes(a))) throw new SandboxStateShapeError(`${where}.admins`, 'members of it');
  return org;
}
