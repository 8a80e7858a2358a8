// Grants for people (summary lines, a compact list column) and for scripts (stable JSON, flag specs).

import { canonicalGrantSet, tableLabel } from './canonical.js';
import { TABLE_PERMISSIONS, type GrantSet, type TableGrant, type TablePermission } from './model.js';
import { listValues } from './text.js';

const LABEL_WIDTH = 12;

function labelled(label: string, values: readonly string[]): string[] {
  const [first = 'none', ...rest] = values;
  return [`${`${label}:`.padEnd(LABEL_WIDTH)}${first}`, ...rest.map((value) => `${' '.repeat(LABEL_WIDTH)}${value}`)];
}

/**
 * One block of aligned lines. Short closed lists (APIs, services) share a line; tables, schemas and
 * datasets get a line each because a key may have dozens of them.
 */
export function formatGrantSummary(set: GrantSet): string[] {
  return [
    ...labelled('APIs', [listValues(set.apis)]),
    ...labelled('Tables', set.tables.map((table) => `${tableLabel(table)} (${table.permissions.join(', ')})`)),
    ...labelled('Schemas', set.schemas.map((schema) => `${schema.name} (${schema.permissions.join(', ')})`)),
    ...labelled('Metadata', [set.tableMetadata ? 'yes' : 'no']),
    ...labelled('Services', [listValues(set.services)]),
    ...labelled('Datasets', set.datasets),
  ];
}

const PERMISSION_LETTERS: Record<TablePermission, string> = { select: 's', insert: 'i', update: 'u', delete: 'd' };

/** `s`, `si`, … in TABLE_PERMISSIONS order, or `all` when the table has all four. */
export function abbreviatePermissions(permissions: readonly TablePermission[]): string {
  if (TABLE_PERMISSIONS.every((permission) => permissions.includes(permission))) return 'all';
  return TABLE_PERMISSIONS.filter((permission) => permissions.includes(permission))
    .map((permission) => PERMISSION_LETTERS[permission])
    .join('');
}

/**
 * The tables column of `list`: `liked_cities:si, world_population:s, other.t:all`. The schema is left
 * out when it is the account's default (`public`, or the member's own schema in an organization).
 * An empty string when the key has no tables.
 */
export function abbreviateTables(set: GrantSet, opts: { defaultSchema?: string } = {}): string {
  const defaultSchema = opts.defaultSchema ?? 'public';
  return set.tables
    .map((table) => {
      const name = table.schema === defaultSchema ? table.name : tableLabel(table);
      return `${name}:${abbreviatePermissions(table.permissions)}`;
    })
    .join(', ');
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

/** The `--table` spec of a table grant, schema always explicit so it means the same for every profile. */
export function grantsSpecForTable(table: TableGrant): string {
  return `${tableLabel(table)}:${table.permissions.join(',')}`;
}
