// Grants for people (summary lines, a compact list column) and for scripts (stable JSON, flag specs).

import { canonicalGrantSet, tableLabel } from './canonical.js';
import { SCHEMA_PERMISSIONS, TABLE_PERMISSIONS, type GrantSet, type TableGrant } from './model.js';

/**
 * One notation for grants wherever a person reads them — list, TSV, show, create, clone's diff,
 * rotate — and it is the flags' own: `liked_cities:select,insert` is what `--table` takes, and
 * `sql,maps` what `--api` takes, so what you see is what you type.
 */

/** Width of the label column of a key's details (show, create, clone, regenerate, rotate). */
export const LABEL_WIDTH = 12;

/** `Tables    a` then `          b`: the first value beside the label, the others under it. */
export function labelled(label: string, values: readonly string[], boldLabel: (s: string) => string = (s) => s): string[] {
  const [first = 'none', ...rest] = values;
  return [`${boldLabel(label)}${' '.repeat(Math.max(1, LABEL_WIDTH - label.length))}${first}`, ...rest.map((value) => `${' '.repeat(LABEL_WIDTH)}${value}`)];
}

/**
 * `select,insert`: the table permissions in the order select, insert, update, delete, then any other
 * privilege CARTO renders (an owner's truncate, references, trigger; a schema's create, usage) in
 * alphabetical order. `-` for none.
 */
export function formatPermissions(permissions: readonly string[]): string {
  const known = TABLE_PERMISSIONS.filter((permission) => permissions.includes(permission));
  const others = [...new Set(permissions.filter((permission) => !(TABLE_PERMISSIONS as readonly string[]).includes(permission)))].sort();
  return [...known, ...others].join(',') || '-';
}

/**
 * Splits what CARTO renders into what a key can be given (`--table`/`--schema` take it) and what comes
 * with it and cannot be asked for: `usage` on a schema (implied by any table grant), an owner's
 * `references,trigger,truncate`. Views show the first as the grant and the second apart, so that what
 * `show` prints is what `create` accepts.
 */
export function splitImplied(permissions: readonly string[], kind: 'table' | 'schema'): { granted: string[]; implied: string[] } {
  const grantable: readonly string[] = kind === 'table' ? TABLE_PERMISSIONS : SCHEMA_PERMISSIONS;
  return {
    granted: permissions.filter((p) => grantable.includes(p)),
    implied: [...new Set(permissions.filter((p) => !grantable.includes(p)))].sort(),
  };
}

/** `[schema.]table:perms`, as `--table` takes it; the schema is left out when it is `defaultSchema`. */
export function formatTableSpec(table: { schema: string; name: string; permissions: readonly string[] }, opts: { defaultSchema?: string } = {}): string {
  const name = opts.defaultSchema !== undefined && table.schema === opts.defaultSchema ? table.name : tableLabel(table);
  return `${name}:${formatPermissions(table.permissions)}`;
}

/** `name:perms`, as `--schema` takes it. */
export function formatSchemaSpec(schema: { name: string; permissions: readonly string[] }): string {
  return `${schema.name}:${formatPermissions(schema.permissions)}`;
}

/** Closed lists (APIs, services) as their flags take them: `sql,maps`. */
export function formatWords(values: readonly string[]): string {
  return values.join(',');
}

/**
 * The tables of a key on one line (list, the rotate editor's menu): `liked_cities:select,insert
 * world_population:select`, separated by spaces, since commas are taken by the permissions. An empty
 * string when the key has no tables.
 */
export function formatTables(tables: readonly { schema: string; name: string; permissions: readonly string[] }[], opts: { defaultSchema?: string } = {}): string {
  return tables.map((table) => formatTableSpec(table, opts)).join(' ');
}

/**
 * The grants of a key about to be made (rotate, clone), in the same lines and notation as the details
 * of a live key (src/ui/key-view.ts). Short closed lists share a line; tables, schemas and datasets get a
 * line each because a key may have dozens of them.
 */
export function formatGrantSummary(set: GrantSet): string[] {
  return [
    ...labelled('APIs', [formatWords(set.apis) || 'none']),
    ...labelled('Tables', set.tables.map((table) => formatTableSpec(table))),
    ...labelled('Schemas', set.schemas.map(formatSchemaSpec)),
    ...labelled('Metadata', [set.tableMetadata ? 'yes' : 'no']),
    ...labelled('Services', [formatWords(set.services) || 'none']),
    ...labelled('Datasets', set.datasets),
  ];
}

/** The `--json` shape of grants; spelled out so that a change to the model cannot silently change it. */
export interface GrantSetJson {
  apis: string[];
  tables: { schema: string; name: string; permissions: string[] }[];
  schemas: { name: string; permissions: string[] }[];
  tableMetadata: boolean;
  services: string[];
  datasets: string[];
}

export function grantSetToJson(set: GrantSet): GrantSetJson {
  const canonical = canonicalGrantSet(set);
  return {
    apis: canonical.apis,
    tables: canonical.tables.map(({ schema, name, permissions }) => ({ schema, name, permissions })),
    schemas: canonical.schemas.map(({ name, permissions }) => ({ name, permissions })),
    tableMetadata: canonical.tableMetadata,
    services: canonical.services,
    datasets: canonical.datasets,
  };
}
