// The one place that decides canonical order, so deep-equal on GrantSets means "same grants".

import {
  APIS,
  SCHEMA_PERMISSIONS,
  SERVICES,
  TABLE_PERMISSIONS,
  type GrantSet,
  type SchemaGrant,
  type TableGrant,
} from './model.js';

/** Code-unit order: locale-independent, so output is identical on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The members of `values` that appear in `order`, de-duplicated, in `order`'s order. */
export function inOrder<T extends string>(values: Iterable<T>, order: readonly T[]): T[] {
  const present = new Set<T>(values);
  return order.filter((value) => present.has(value));
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareStrings);
}

/** Display form `schema.name`. Not a map key: `a.b`.`c` and `a`.`b.c` would collide. */
export function tableLabel(table: { schema: string; name: string }): string {
  return `${table.schema}.${table.name}`;
}

export function tableKey(table: { schema: string; name: string }): string {
  return JSON.stringify([table.schema, table.name]);
}

export function compareTables(a: TableGrant, b: TableGrant): number {
  return compareStrings(a.schema, b.schema) || compareStrings(a.name, b.name);
}

export function compareSchemas(a: SchemaGrant, b: SchemaGrant): number {
  return compareStrings(a.name, b.name);
}

export function canonicalTables(tables: readonly TableGrant[]): TableGrant[] {
  const merged = new Map<string, TableGrant>();
  for (const table of tables) {
    const key = tableKey(table);
    const seen = merged.get(key);
    const permissions = [...(seen?.permissions ?? []), ...table.permissions];
    merged.set(key, { schema: table.schema, name: table.name, permissions });
  }
  return [...merged.values()]
    .map((table) => ({ ...table, permissions: inOrder(table.permissions, TABLE_PERMISSIONS) }))
    .filter((table) => table.permissions.length > 0)
    .sort(compareTables);
}

export function canonicalSchemas(schemas: readonly SchemaGrant[]): SchemaGrant[] {
  const merged = new Map<string, SchemaGrant>();
  for (const schema of schemas) {
    const permissions = [...(merged.get(schema.name)?.permissions ?? []), ...schema.permissions];
    merged.set(schema.name, { name: schema.name, permissions });
  }
  return [...merged.values()]
    .map((schema) => ({ ...schema, permissions: inOrder(schema.permissions, SCHEMA_PERMISSIONS) }))
    .filter((schema) => schema.permissions.length > 0)
    .sort(compareSchemas);
}

/** Any (partial, unsorted, duplicated) grant description in canonical form; a fresh object. */
export function canonicalGrantSet(partial: Partial<GrantSet> = {}): GrantSet {
  return {
    apis: inOrder(partial.apis ?? [], APIS),
    tables: canonicalTables(partial.tables ?? []),
    schemas: canonicalSchemas(partial.schemas ?? []),
    tableMetadata: partial.tableMetadata ?? false,
    services: inOrder(partial.services ?? [], SERVICES),
    datasets: sortedUnique(partial.datasets ?? []),
  };
}

export function grantSetsEqual(a: GrantSet, b: GrantSet): boolean {
  // canonicalGrantSet builds every object with the same key order, so the JSON text is a faithful key.
  return JSON.stringify(canonicalGrantSet(a)) === JSON.stringify(canonicalGrantSet(b));
}
