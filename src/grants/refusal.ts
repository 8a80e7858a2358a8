// CARTO refuses a key's grants with one 422 for the whole request ("Grants can only grant table
// permissions you have"), naming nothing. The culprit is found here by checking the grant set against
// the account: a table or schema that no key of the account reaches (listing is a read) is one CARTO
// does not know, or that is not the caller's; a JSON-schema message carries the path of the value.

import type { WireApiKey } from '../api/types.js';
import { ApiError } from '../errors.js';
import { tableKey, tableLabel } from './canonical.js';
import type { GrantSet } from './model.js';
import { quote } from './text.js';

const TABLES_REFUSED = /can only grant table permissions you have/i;
const SCHEMAS_REFUSED = /can only grant schema permissions you have/i;
// `The property '#/0/tables/1/permissions/0' value "read" did not match …`: indexes into the request's grants.
const SCHEMA_PATH = /#\/(\d+)\/(apis|tables|schemas|services|datasets)\/(\d+)/;

/** Tables and schemas the account's keys reach, as CARTO renders them (owner tables and usage schemas too). */
export function reachable(keys: readonly WireApiKey[]): { tables: Set<string>; schemas: Set<string> } {
  const tables = new Set<string>();
  const schemas = new Set<string>();
  for (const key of keys) {
    for (const grant of key.grants) {
      if (grant.type !== 'database') continue;
      for (const t of grant.tables ?? []) tables.add(tableKey(t));
      for (const s of grant.schemas ?? []) schemas.add(s.name);
    }
  }
  return { tables, schemas };
}

/**
 * The lines that name what CARTO refused, or undefined when the refusal is not about grants. `sent`:
 * the create request's grants array, for the paths of JSON-schema messages.
 */
export function refusedGrants(serverMessage: string, requested: GrantSet, known: ReturnType<typeof reachable>, sent?: readonly unknown[]): string[] | undefined {
  const lines: string[] = [];
  if (TABLES_REFUSED.test(serverMessage)) {
    // A table some key reaches exists and is the account's; of the others, CARTO cannot say which.
    const unknown = requested.tables.filter((t) => !known.tables.has(tableKey(t))).map((t) => quote(tableLabel(t)));
    if (unknown.length === 1) lines.push(`${unknown[0]}: no such table, or not yours`);
    else if (unknown.length > 1) lines.push(`no such table, or not yours: ${unknown.join(' or ')} (no key of the account reaches them)`);
    else lines.push(`a permission you do not have on ${requested.tables.map((t) => quote(tableLabel(t))).join(' or ')}`);
  }
  if (SCHEMAS_REFUSED.test(serverMessage)) {
    const unknown = requested.schemas.filter((s) => !known.schemas.has(s.name)).map((s) => quote(s.name));
    if (unknown.length === 1) lines.push(`schema ${unknown[0]}: no such schema, or not yours`);
    else if (unknown.length > 1) lines.push(`no such schema, or not yours: ${unknown.join(' or ')}`);
    else lines.push(`you may not create tables in schema ${requested.schemas.map((s) => quote(s.name)).join(' or ')}`);
  }
  const path = SCHEMA_PATH.exec(serverMessage);
  if (path && sent) {
    const section = sent[Number(path[1])] as Record<string, unknown> | undefined;
    const item = (section?.[path[2]!] as unknown[] | undefined)?.[Number(path[3])];
    if (item !== undefined) lines.push(`${path[2]}: ${describeItem(path[2]!, item)} was refused`);
  }
  return lines.length > 0 ? lines : undefined;
}

function describeItem(section: string, item: unknown): string {
  if (typeof item === 'string') return `${section === 'apis' ? 'API' : section === 'services' ? 'service' : 'value'} ${quote(item)}`;
  if (item && typeof item === 'object') {
    const o = item as { schema?: unknown; name?: unknown };
    if (section === 'tables' && typeof o.schema === 'string' && typeof o.name === 'string') return `table ${quote(`${o.schema}.${o.name}`)}`;
    if (typeof o.name === 'string') return `schema ${quote(o.name)}`;
  }
  return 'a value';
}

/**
 * Runs a create; a 422 about its grants is answered with a listing of the account (a read, sent only
 * then) and re-thrown naming the table, schema or API CARTO refused.
 */
export async function namingRefusedGrants<T>(create: () => Promise<T>, requested: GrantSet, listKeys: () => Promise<WireApiKey[]>, sent?: readonly unknown[]): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 422 || err.serverMessage === undefined) throw err;
    const serverMessage = err.serverMessage;
    let known: ReturnType<typeof reachable>;
    try {
      known = reachable(await listKeys());
    } catch {
      throw err;
    }
    const lines = refusedGrants(serverMessage, requested, known, sent);
    if (!lines) throw err;
    throw new ApiError('validation', `${err.message}\n  ${lines.join('\n  ')}`, {
      status: 422,
      serverMessage,
      hint: 'Check the names with `carto-keys list --wide` (tables other keys reach) or in your CARTO dashboard; a table of another user needs its schema: --table owner.table.',
      cause: err,
    });
  }
}
