// The human view of one key, built from the grants exactly as CARTO rendered them (owner tables,
// usage schemas included): `show` is for seeing the truth, not the create form.

import type { WireApiKey } from '../api/types.js';
import type { Colors } from './color.js';
import { shortLocalTime } from './time.js';

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
  const rows: [string, string[]][] = [
    ['Name', [key.name]],
    ['Type', [key.type]],
    ['Token', [token]],
    ['APIs', [apis.length ? apis.join(', ') : none]],
    ['Tables', aligned((db?.tables ?? []).map((t) => [`${t.schema}.${t.name}${t.owner ? c.dim(' (owner)') : ''}`, t.permissions.join(', ')])) || [none]],
    ['Schemas', aligned((db?.schemas ?? []).map((s) => [s.name, s.permissions.join(', ')])) || [none]],
    ['Metadata', [db?.table_metadata !== undefined ? 'yes' : 'no']],
    ['Services', [services.length ? services.join(', ') : none]],
    ...(datasets.length ? ([['Datasets', [datasets.join(', ')]]] as [string, string[]][]) : []),
    // CARTO's easily missed rule (product.md §10): a regular key's role is a member of the public role.
    ...(inheritsDefaultPublic(key) ? ([['Also reads', [INHERITS_LINE]]] as [string, string[]][]) : []),
    ['Created', [shortLocalTime(key.created_at)]],
    ['Updated', [shortLocalTime(key.updated_at)]],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.flatMap(([label, values]) => values.map((v, i) => `${(i === 0 ? c.bold(label) : '').padEnd(i === 0 ? width + c.bold(label).length - label.length : width)}${v}`));
}

function aligned(pairs: [string, string][]): string[] | undefined {
  if (pairs.length === 0) return undefined;
  // Visible width: ignore ANSI codes when padding.
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const w = Math.max(...pairs.map(([a]) => visible(a))) + 2;
  return pairs.map(([a, b]) => `${a}${' '.repeat(w - visible(a))}${b}`);
}
