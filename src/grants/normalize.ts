// Rendered grants (what CARTO shows: live privileges) ↔ create grants (what CARTO accepts).
// See docs/auth-api.md §3.1: the rendered form is not a valid create request, so clone and rotate
// must go through normalizeRenderedGrants before re-submitting a key's grants.

import type { WireDatabaseGrant, WireGrant, WireSchema, WireTable } from '../api/types.js';
import { canonicalGrantSet, compareStrings, tableLabel } from './canonical.js';
import {
  APIS,
  SCHEMA_PERMISSIONS,
  SERVICES,
  TABLE_PERMISSIONS,
  type Api,
  type GrantSet,
  type SchemaGrant,
  type Service,
  type TableGrant,
} from './model.js';
import { plural, quote } from './text.js';

/** Privileges a key holds on a table it created; the create schema refuses them. */
export const OWNER_ONLY_TABLE_PERMISSIONS = ['references', 'trigger', 'truncate'] as const;

/** Shown for every schema the key can reach; implied by its table grants, never requested. */
export const RENDERED_ONLY_SCHEMA_PERMISSIONS = ['usage'] as const;

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/** Splits `values` into those in `valid` and the rest (sorted, for a stable message). */
function partition<T extends string>(values: readonly string[], valid: readonly T[]): { kept: T[]; rest: string[] } {
  const kept: T[] = [];
  const rest: string[] = [];
  for (const value of values) {
    if (isOneOf(valid, value)) kept.push(value);
    else rest.push(value);
  }
  return { kept, rest: [...new Set(rest)].sort(compareStrings) };
}

function describeDroppedTablePermissions(rest: readonly string[]): string[] {
  const { kept: ownerOnly, rest: unknown } = partition(rest, OWNER_ONLY_TABLE_PERMISSIONS);
  const parts: string[] = [];
  if (ownerOnly.length > 0) {
    const noun = plural(ownerOnly.length, 'permission');
    parts.push(`owner-only ${noun} ${ownerOnly.join(', ')} cannot be granted to a new key`);
  }
  if (unknown.length > 0) {
    const noun = plural(unknown.length, 'permission');
    parts.push(`unknown ${noun} ${unknown.map(quote).join(', ')} dropped`);
  }
  return parts;
}

function normalizeTable(table: WireTable, dropped: string[]): TableGrant {
  const { kept, rest } = partition(table.permissions, TABLE_PERMISSIONS);
  const parts = describeDroppedTablePermissions(rest);
  if (rest.length > 0 && kept.length === 0) parts.push('the table is left out');
  if (parts.length > 0) dropped.push(`${tableLabel(table)}: ${parts.join('; ')}`);
  return { schema: table.schema, name: table.name, permissions: kept };
}

function normalizeSchema(schema: WireSchema, dropped: string[]): SchemaGrant {
  const { kept, rest } = partition(schema.permissions, SCHEMA_PERMISSIONS);
  // `usage` comes with every table grant; reporting it would be noise on every clone.
  const unknown = rest.filter((permission) => !isOneOf(RENDERED_ONLY_SCHEMA_PERMISSIONS, permission));
  if (unknown.length > 0) {
    const noun = plural(unknown.length, 'permission');
    dropped.push(`schema ${schema.name}: unknown ${noun} ${unknown.map(quote).join(', ')} dropped`);
  }
  return { name: schema.name, permissions: kept };
}

function knownValues<T extends string>(
  values: readonly string[],
  valid: readonly T[],
  noun: string,
  dropped: string[],
): T[] {
  const { kept, rest } = partition(values, valid);
  for (const value of rest) dropped.push(`${noun} ${quote(value)} is not known to carto-keys and was dropped`);
  return kept;
}

/**
 * A key's grants as CARTO renders them, in the form a create request accepts. `dropped` has one line
 * per thing left out that a person may care about (owner-only table permissions, unknown values);
 * the routine removals (`owner`, `usage` schemas, empty sections) are silent.
 */
export function normalizeRenderedGrants(grants: readonly WireGrant[]): { grants: GrantSet; dropped: string[] } {
  const dropped: string[] = [];
  const apis: Api[] = [];
  const tables: TableGrant[] = [];
  const schemas: SchemaGrant[] = [];
  const services: Service[] = [];
  const datasets: string[] = [];
  let tableMetadata = false;
  for (const grant of grants) {
    switch (grant.type) {
      case 'apis':
        pushAll(apis, knownValues(grant.apis, APIS, 'API', dropped));
        break;
      case 'database':
        pushAll(tables, (grant.tables ?? []).map((table) => normalizeTable(table, dropped)));
        pushAll(schemas, (grant.schemas ?? []).map((schema) => normalizeSchema(schema, dropped)));
        tableMetadata ||= grant.table_metadata !== undefined;
        break;
      case 'dataservices':
        pushAll(services, knownValues(grant.services, SERVICES, 'service', dropped));
        break;
      case 'data-observatory':
        pushAll(datasets, grant.datasets);
        break;
      case 'user':
        // Accepted on create but never rendered, and it grants nothing carto-keys manages.
        break;
      default: {
        // A section type added to CARTO after this was written: leave it out, but say so.
        const type: unknown = (grant as { type?: unknown }).type;
        const name = typeof type === 'string' ? quote(type) : '(no type)';
        dropped.push(`grant section ${name} is not known to carto-keys and was dropped`);
      }
    }
  }
  return { grants: canonicalGrantSet({ apis, tables, schemas, tableMetadata, services, datasets }), dropped };
}

/**
 * The grants array of a create request (docs/auth-api.md §4). `apis` is always sent, even empty, because
 * the server requires exactly one apis section; the other sections only when they grant something.
 */
export function toCreateGrants(set: GrantSet): WireGrant[] {
  const grants: WireGrant[] = [{ type: 'apis', apis: [...set.apis] }];
  if (set.tables.length > 0 || set.schemas.length > 0 || set.tableMetadata) {
    const database: WireDatabaseGrant = {
      type: 'database',
      tables: set.tables.map(({ schema, name, permissions }) => ({ schema, name, permissions: [...permissions] })),
      schemas: set.schemas.map(({ name, permissions }) => ({ name, permissions: [...permissions] })),
    };
    if (set.tableMetadata) database.table_metadata = [];
    grants.push(database);
  }
  if (set.services.length > 0) grants.push({ type: 'dataservices', services: [...set.services] });
  if (set.datasets.length > 0) grants.push({ type: 'data-observatory', datasets: [...set.datasets] });
  return grants;
}

/** `target.push(...items)` passes every item as an argument: 300,000 tables overflowed the stack. */
function pushAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
