// Validation of `POST /api_keys` exactly as CARTO's model does it (docs/auth-api.md §4, §6):
//   1. ApiKeyGrantsValidator: grants is an array; exactly one apis section; at most one of the others;
//   2. the grants JSON schema (json-schema gem messages, ` in schema <uuid>` suffix included);
//   3. name: presence, uniqueness, not a reserved name;
//   4. check_permissions: only when the grants had no error so far — tables, then schemas.
// Rails groups full messages by attribute in first-touched order, so every `Grants …` message comes
// before every `Name …` one, even the permission checks that run last.

import { DEFAULT_PUBLIC_KEY_NAME, MASTER_KEY_NAME } from '../api/types.js';
import { userSchemas } from './render.js';
import type { SandboxGrants, SandboxSchemaGrant, SandboxTableGrant, SandboxUser } from './state.js';
import { isRecord } from '../json.js';

/** The id the json-schema gem gives CARTO's grants schema (it has no `id` of its own). */
export const GRANTS_SCHEMA_UUID = '2a4e6b8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d';

export const GRANT_TYPES = ['apis', 'database', 'dataservices', 'user', 'data-observatory'] as const;
export const APIS = ['sql', 'maps', 'do'] as const;
export const TABLE_PERMISSIONS = ['insert', 'select', 'update', 'delete'] as const;
export const SCHEMA_PERMISSIONS = ['create'] as const;
export const SERVICES = ['geocoding', 'routing', 'isolines', 'observatory'] as const;
export const USER_DATA = ['profile'] as const;

// A small subset of JSON schema, enough for the grants schema and for the gem's messages.
type Schema =
  | { kind: 'any' }
  | { kind: 'string'; enum?: readonly string[] }
  | { kind: 'array'; items: Schema }
  | { kind: 'object'; properties: Record<string, Schema>; required: readonly string[] };

const any: Schema = { kind: 'any' };
const string = (values?: readonly string[]): Schema => (values ? { kind: 'string', enum: values } : { kind: 'string' });
const array = (items: Schema): Schema => ({ kind: 'array', items });
const object = (properties: Record<string, Schema>, required: readonly string[]): Schema => ({
  kind: 'object',
  properties,
  required,
});

const TABLE_ENTRY = object(
  // `owner` appears in rendered keys; accepting it lets a client re-submit a rendered table entry.
  { schema: string(), name: string(), permissions: array(string(TABLE_PERMISSIONS)), owner: any },
  ['schema', 'name', 'permissions'],
);
const SCHEMA_ENTRY = object({ name: string(), permissions: array(string(SCHEMA_PERMISSIONS)) }, ['name', 'permissions']);

/** One schema per grant type, each closed (`additionalProperties: false`); `type` is checked first. */
const GRANT_SCHEMAS: Record<(typeof GRANT_TYPES)[number], Schema> = {
  apis: object({ type: any, apis: array(string(APIS)) }, ['type', 'apis']),
  database: object({ type: any, tables: array(TABLE_ENTRY), schemas: array(SCHEMA_ENTRY), table_metadata: array(any) }, [
    'type',
  ]),
  dataservices: object({ type: any, services: array(string(SERVICES)) }, ['type', 'services']),
  user: object({ type: any, data: array(string(USER_DATA)) }, ['type', 'data']),
  'data-observatory': object({ type: any, datasets: array(string()) }, ['type', 'datasets']),
};
const GRANT_TYPE = string(GRANT_TYPES);

/** The json-schema gem's type names. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Ruby's #inspect for what JSON can hold: close enough to JSON for strings, arrays and numbers. */
function inspect(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inspect).join(', ')}]`;
  return v === null ? 'nil' : JSON.stringify(v);
}

const fragment = (path: readonly (string | number)[]): string => `#/${path.join('/')}`;

class SchemaErrors {
  readonly messages: string[] = [];
  add(message: string): void {
    this.messages.push(`${message} in schema ${GRANTS_SCHEMA_UUID}`);
  }
}

function validate(value: unknown, schema: Schema, path: (string | number)[], errors: SchemaErrors): void {
  switch (schema.kind) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') typeMismatch(value, 'string', path, errors);
      if (schema.enum && !schema.enum.includes(value as string)) {
        errors.add(`The property '${fragment(path)}' value ${inspect(value)} did not match one of the following values: ${schema.enum.join(', ')}`);
      }
      return;
    case 'array':
      if (!Array.isArray(value)) return typeMismatch(value, 'array', path, errors);
      value.forEach((item, i) => validate(item, schema.items, [...path, i], errors));
      return;
    case 'object':
      return validateObject(value, schema, path, errors);
  }
}

function typeMismatch(value: unknown, expected: string, path: (string | number)[], errors: SchemaErrors): void {
  errors.add(`The property '${fragment(path)}' of type ${typeName(value)} did not match the following type: ${expected}`);
}

function validateObject(
  value: unknown,
  schema: Extract<Schema, { kind: 'object' }>,
  path: (string | number)[],
  errors: SchemaErrors,
): void {
  if (!isRecord(value)) return typeMismatch(value, 'object', path, errors);
  for (const p of schema.required) {
    if (!(p in value)) errors.add(`The property '${fragment(path)}' did not contain a required property of '${p}'`);
  }
  for (const [p, s] of Object.entries(schema.properties)) {
    if (p in value) validate(value[p], s, [...path, p], errors);
  }
  const extra = Object.keys(value).filter((p) => !(p in schema.properties));
  if (extra.length > 0) {
    errors.add(`The property '${fragment(path)}' contains additional properties ${inspect(extra)} outside of the schema when none are allowed`);
  }
}

/** The grant's `type` picks the closed schema the rest of the object is checked against. */
function validateGrantItem(item: unknown, index: number, errors: SchemaErrors): void {
  if (!isRecord(item)) return typeMismatch(item, 'object', [index], errors);
  if (!('type' in item)) return errors.add(`The property '${fragment([index])}' did not contain a required property of 'type'`);
  const before = errors.messages.length;
  validate(item.type, GRANT_TYPE, [index, 'type'], errors);
  if (errors.messages.length > before) return;
  validate(item, GRANT_SCHEMAS[item.type as (typeof GRANT_TYPES)[number]], [index], errors);
}

/** ApiKeyGrantsValidator, then the JSON schema. Messages without the `Grants ` prefix. */
function grantsStructureErrors(grants: unknown): string[] {
  if (!Array.isArray(grants)) return ['grants has to be an array'];
  const messages: string[] = [];
  const count = (type: string): number => grants.filter((g) => isRecord(g) && g.type === type).length;
  // CARTO checks `== 1`, so a missing apis section gets this same message.
  if (count('apis') !== 1) messages.push('only one apis section is allowed');
  for (const section of ['database', 'dataservices', 'user', 'data-observatory']) {
    if (count(section) > 1) messages.push(`only one ${section} section is allowed`);
  }
  const errors = new SchemaErrors();
  grants.forEach((g, i) => validateGrantItem(g, i, errors));
  return [...messages, ...errors.messages];
}

/** A grants array that passed the structure checks, in the stored form. */
export type StoredGrants = SandboxGrants;

interface RawDatabaseGrant {
  tables?: { schema: string; name: string; permissions: string[] }[];
  schemas?: { name: string; permissions: string[] }[];
  table_metadata?: unknown[];
}

/** Duplicate entries merge and permissions are lower-cased, as Carto::TablePermissions#merge! does. */
function mergeEntries<T extends { permissions: string[] }>(entries: T[], id: (e: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const e of entries) {
    const prev = merged.get(id(e));
    const permissions = [...new Set([...(prev?.permissions ?? []), ...e.permissions.map((p) => p.toLowerCase())])];
    merged.set(id(e), { ...e, permissions });
  }
  return [...merged.values()];
}

function storedGrants(grants: Record<string, unknown>[]): StoredGrants {
  const section = (type: string): Record<string, unknown> | undefined => grants.find((g) => g.type === type);
  const db = (section('database') ?? {}) as RawDatabaseGrant;
  return {
    apis: [...((section('apis')?.apis as string[] | undefined) ?? [])],
    tables: mergeEntries<SandboxTableGrant>(
      (db.tables ?? []).map((t) => ({ schema: t.schema, name: t.name, permissions: t.permissions })),
      (t) => `${t.schema}.${t.name}`,
    ),
    schemas: mergeEntries<SandboxSchemaGrant>(
      (db.schemas ?? []).map((s) => ({ name: s.name, permissions: s.permissions })),
      (s) => s.name,
    ),
    tableMetadata: db.table_metadata !== undefined,
    services: [...((section('dataservices')?.services as string[] | undefined) ?? [])],
    datasets: [...((section('data-observatory')?.datasets as string[] | undefined) ?? [])],
    userData: [...((section('user')?.data as string[] | undefined) ?? [])],
  };
}

/**
 * The account owns every table it has (tables created by keys are granted back to it), so a table
 * grant is valid iff the table exists — checked even for `permissions: []`. Schemas: the contract
 * refuses an unknown schema even with no permissions.
 */
function permissionErrors(user: SandboxUser, grants: StoredGrants): string[] {
  const tables = new Set(user.tables.map((t) => `${t.schema}.${t.name}`));
  if (grants.tables.some((t) => !tables.has(`${t.schema}.${t.name}`))) return ['can only grant table permissions you have'];
  const schemas = userSchemas(user);
  if (grants.schemas.some((s) => !schemas.has(s.name))) return ['can only grant schema permissions you have'];
  return [];
}

function nameErrors(user: SandboxUser, name: string | undefined): string[] {
  if (name === undefined || name.trim() === '') return ["can't be blank"];
  const messages: string[] = [];
  if (user.keys.some((k) => k.name === name)) messages.push('has already been taken');
  if (name === MASTER_KEY_NAME || name === DEFAULT_PUBLIC_KEY_NAME) {
    messages.push(`api_key name cannot be ${MASTER_KEY_NAME} nor ${DEFAULT_PUBLIC_KEY_NAME}`);
  }
  return messages;
}

export type CreateValidation = { ok: true; name: string; grants: StoredGrants } | { ok: false; message: string };

/** `name` as Rails would read it from the params (strings; numbers and booleans cast). */
export function validateCreate(user: SandboxUser, name: string | undefined, grants: unknown): CreateValidation {
  let grantMessages = grantsStructureErrors(grants);
  const stored = grantMessages.length === 0 ? storedGrants(grants as Record<string, unknown>[]) : undefined;
  if (stored) grantMessages = permissionErrors(user, stored);
  const messages = [...grantMessages.map((m) => `Grants ${m}`), ...nameErrors(user, name).map((m) => `Name ${m}`)];
  if (messages.length > 0 || stored === undefined || name === undefined) {
    return { ok: false, message: `Validation failed: ${messages.join(', ')}` };
  }
  return { ok: true, name, grants: stored };
}
