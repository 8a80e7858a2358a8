// The change flags of clone and rotate (README.md "Grant flags").

import type { Command } from 'commander';
import { parseApis, parseSchemaSpec, parseServices, parseTableRemovalSpec, parseTableSpec, type GrantChanges } from '../grants/index.js';
import { collect } from './flags.js';

export function addChangeOptions(cmd: Command): Command {
  return cmd
    .option('--add-api <apis>', 'grant APIs: sql, maps, do (repeatable or comma-separated)', collect)
    .option('--remove-api <apis>', 'stop granting APIs', collect)
    .option('--add-table <spec>', 'add a table or widen its permissions: [schema.]table[:perms|all]', collect)
    .option('--remove-table <spec>', 'drop a table, or only some permissions: [schema.]table[:perms]', collect)
    .option('--add-schema <spec>', 'allow creating tables in a schema: name[:create]', collect)
    .option('--remove-schema <spec>', 'stop allowing table creation in a schema', collect)
    .option('--add-service <services>', 'grant data services: geocoding, routing, isolines, observatory', collect)
    .option('--remove-service <services>', 'stop granting data services', collect)
    .option('--table-metadata', 'allow listing table metadata')
    .option('--no-table-metadata', 'stop allowing table metadata');
}

export function changesFromFlags(o: GrantChanges): GrantChanges {
  const changes: GrantChanges = {};
  for (const key of ['addApi', 'removeApi', 'addTable', 'removeTable', 'addSchema', 'removeSchema', 'addService', 'removeService'] as const) {
    if (o[key]?.length) changes[key] = o[key];
  }
  if (o.tableMetadata !== undefined) changes.tableMetadata = o.tableMetadata;
  return changes;
}

/**
 * Syntax only, in the parse layer: a malformed spec exits 2 with nothing read or sent. The default
 * schema (which depends on the account, known only from the settings) changes which table a bare
 * name means, never whether a spec parses, so any schema name serves here. Whether a removal matches
 * what the key has can only be checked once the key is fetched (applyGrantChanges).
 */
export function checkChangeSyntax(changes: GrantChanges, defaultSchema = 'public'): void {
  parseApis(changes.addApi ?? [], '--add-api');
  parseApis(changes.removeApi ?? [], '--remove-api');
  parseServices(changes.addService ?? [], '--add-service');
  parseServices(changes.removeService ?? [], '--remove-service');
  for (const spec of changes.addTable ?? []) parseTableSpec(spec, defaultSchema, '--add-table');
  for (const spec of changes.removeTable ?? []) parseTableRemovalSpec(spec, defaultSchema);
  for (const spec of changes.addSchema ?? []) parseSchemaSpec(spec, '--add-schema');
  for (const spec of changes.removeSchema ?? []) parseSchemaSpec(spec, '--remove-schema');
}
