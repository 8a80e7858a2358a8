// The human view of one key, the one layout of a key for show, create, clone and regenerate. It is
// built from the grants exactly as CARTO rendered them (owner tables, usage schemas included): a key
// is shown as it is, not as it was asked for. Grants use the flags' notation (src/grants/format.ts).

import type { WireApiKey } from '../api/types.js';
import { formatPermissions, formatSchemaSpec, formatTableSpec, formatWords, labelled, splitImplied } from '../grants/format.js';
import { tableLabel } from '../grants/canonical.js';
import type { Colors } from './color.js';
import { escapeControl as e } from '../text/escape.js';
import { humanTime } from './time.js';

/** Every regular key also reads what the Default public key reads: every public dataset. */
export function inheritsDefaultPublic(key: Pick<WireApiKey, 'type'>): boolean {
  return key.type === 'regular';
}

export const INHERITS_LINE = 'every public dataset, through the Default public key';

export function keyDetailLines(key: WireApiKey, token: string, c: Colors): string[] {
  const db = key.grants.find((g) => g.type === 'database');
  const apis = key.grants.find((g) => g.type === 'apis')?.apis ?? [];
  const services = key.grants.find((g) => g.type === 'dataservices')?.services ?? [];
  const datasets = key.grants.find((g) => g.type === 'data-observatory')?.datasets ?? [];
  const none = c.dim('none');
  // Grants in the flags' notation (what --table and --schema take); what CARTO adds to them and no
  // key can be given (usage on a schema, an owner's extra privileges) on a line of its own.
  const tables = (db?.tables ?? []).map((t) => ({ t, ...splitImplied(t.permissions, 'table') }));
  const schemas = (db?.schemas ?? []).map((s) => ({ s, ...splitImplied(s.permissions, 'schema') }));
  const implied = [
    ...schemas.filter((x) => x.implied.length).map((x) => `${formatPermissions(x.implied)} on schema ${e(x.s.name)}`),
    ...tables.filter((x) => x.implied.length).map((x) => `${formatPermissions(x.implied)} on ${e(tableLabel(x.t))}${x.t.owner ? ' (its owner)' : ''}`),
  ];
  const row = (label: string, values: readonly string[]) => labelled(label, values.length ? values : [none], c.bold);
  return [
    ...row('Name', [e(key.name)]),
    ...row('Type', [e(key.type)]),
    ...row('Token', [token]),
    ...row('APIs', apis.length ? [e(formatWords(apis))] : []),
    ...row('Tables', tables.filter((x) => x.granted.length).map((x) => `${e(formatTableSpec({ ...x.t, permissions: x.granted }))}${x.t.owner ? c.dim(' (owner)') : ''}`)),
    ...row('Schemas', schemas.filter((x) => x.granted.length).map((x) => e(formatSchemaSpec({ ...x.s, permissions: x.granted })))),
    ...(implied.length ? row('Implied', implied.map((line) => c.dim(line))) : []),
    ...row('Metadata', [db?.table_metadata !== undefined ? 'yes' : 'no']),
    ...row('Services', services.length ? [e(formatWords(services))] : []),
    ...(datasets.length ? row('Datasets', datasets.map(e)) : []),
    // CARTO's easily missed rule (docs/audit.md): a regular key's role is a member of the public role.
    ...(inheritsDefaultPublic(key) ? row('Also reads', [INHERITS_LINE]) : []),
    ...row('Created', [humanTime(key.created_at)]),
    ...row('Updated', [humanTime(key.updated_at)]),
  ];
}
