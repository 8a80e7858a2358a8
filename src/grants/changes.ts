// The change flags of clone and rotate applied to an existing key's grants.

import { UsageError } from '../errors.js';
import { canonicalGrantSet, tableKey, tableLabel } from './canonical.js';
import type { Api, GrantSet, SchemaGrant, Service, TableGrant } from './model.js';
import { parseApis, parseSchemaSpec, parseServices, parseTableRemovalSpec, parseTableSpec } from './parse.js';
import { GrantErrorCode, listValues, quote } from './text.js';
import { formatPermissions } from './format.js';

/** Raw flag strings as commander hands them over; parsed (and validated) by applyGrantChanges. */
export interface GrantChanges {
  addApi?: string[];
  removeApi?: string[];
  addTable?: string[];
  removeTable?: string[];
  addSchema?: string[];
  removeSchema?: string[];
  addService?: string[];
  removeService?: string[];
  /** undefined = unchanged; true/false from --table-metadata / --no-table-metadata. */
  tableMetadata?: boolean;
}

const CHANGE_LISTS = [
  'addApi',
  'removeApi',
  'addTable',
  'removeTable',
  'addSchema',
  'removeSchema',
  'addService',
  'removeService',
] as const satisfies readonly (keyof GrantChanges)[];

export function hasGrantChanges(changes: GrantChanges): boolean {
  return changes.tableMetadata !== undefined || CHANGE_LISTS.some((key) => (changes[key]?.length ?? 0) > 0);
}

// Removing what the key does not have is most likely a typo in the name: fail, and show what it has.
function notHeld(what: string, flag: string, has: readonly string[], hasLabel = 'It has'): UsageError {
  return new UsageError(`The API key has no ${what} to remove (${flag}). ${hasLabel}: ${listValues(has)}`, {
    code: GrantErrorCode.grantNotHeld,
  });
}

function removeWords<T extends string>(current: readonly T[], removed: readonly T[], noun: string, flag: string): T[] {
  for (const word of removed) {
    if (!current.includes(word)) throw notHeld(`${noun} ${quote(word)}`, flag, current);
  }
  return current.filter((word) => !removed.includes(word));
}

/** `current` with `item` replaced by `rest`, or without it when `rest` grants nothing. */
function replaceOrDrop<T extends { permissions: readonly string[] }>(current: readonly T[], item: T, rest: T): T[] {
  return rest.permissions.length > 0
    ? current.map((candidate) => (candidate === item ? rest : candidate))
    : current.filter((candidate) => candidate !== item);
}

function removeTables(tables: readonly TableGrant[], specs: readonly string[], defaultSchema: string): TableGrant[] {
  let result = [...tables];
  for (const spec of specs) {
    const removal = parseTableRemovalSpec(spec, defaultSchema);
    const flag = `--remove-table ${quote(spec)}`;
    const table = result.find((candidate) => tableKey(candidate) === tableKey(removal));
    if (table === undefined) throw notHeld(`table ${tableLabel(removal)}`, flag, result.map(tableLabel));
    const removed = removal.permissions ?? table.permissions;
    const missing = removed.filter((permission) => !table.permissions.includes(permission));
    if (missing.length > 0) {
      const label = tableLabel(table);
      const what = `${missing.join(', ')} permission on table ${label}`;
      throw notHeld(what, flag, [formatPermissions(table.permissions)], `On ${label} it has`);
    }
    const permissions = table.permissions.filter((permission) => !removed.includes(permission));
    result = replaceOrDrop(result, table, { ...table, permissions });
  }
  return result;
}

function removeSchemas(schemas: readonly SchemaGrant[], specs: readonly string[]): SchemaGrant[] {
  let result = [...schemas];
  for (const spec of specs) {
    const removal = parseSchemaSpec(spec, '--remove-schema');
    const flag = `--remove-schema ${quote(spec)}`;
    const schema = result.find((candidate) => candidate.name === removal.name);
    const has = result.map((candidate) => `${candidate.name} (${candidate.permissions.join(', ')})`);
    if (schema === undefined) throw notHeld(`schema ${quote(removal.name)}`, flag, has);
    const missing = removal.permissions.filter((permission) => !schema.permissions.includes(permission));
    if (missing.length > 0) {
      throw notHeld(`${missing.join(', ')} permission on schema ${quote(schema.name)}`, flag, has);
    }
    const permissions = schema.permissions.filter((permission) => !removal.permissions.includes(permission));
    result = replaceOrDrop(result, schema, { ...schema, permissions });
  }
  return result;
}

/**
 * Removals apply first (checked against what the key has), then additions: so
 * `--remove-table t --add-table t:select` replaces t's permissions with exactly `select`.
 */
export function applyGrantChanges(set: GrantSet, changes: GrantChanges, opts: { defaultSchema: string }): GrantSet {
  const apis: Api[] = removeWords(set.apis, parseApis(changes.removeApi ?? [], '--remove-api'), 'API', '--remove-api');
  const services: Service[] = removeWords(
    set.services,
    parseServices(changes.removeService ?? [], '--remove-service'),
    'service',
    '--remove-service',
  );
  const tables = removeTables(set.tables, changes.removeTable ?? [], opts.defaultSchema);
  const schemas = removeSchemas(set.schemas, changes.removeSchema ?? []);
  return canonicalGrantSet({
    apis: [...apis, ...parseApis(changes.addApi ?? [], '--add-api')],
    tables: [
      ...tables,
      ...(changes.addTable ?? []).map((spec) => parseTableSpec(spec, opts.defaultSchema, '--add-table')),
    ],
    schemas: [...schemas, ...(changes.addSchema ?? []).map((spec) => parseSchemaSpec(spec, '--add-schema'))],
    tableMetadata: changes.tableMetadata ?? set.tableMetadata,
    services: [...services, ...parseServices(changes.addService ?? [], '--add-service')],
    datasets: set.datasets,
  });
}
