// What a clone or rotation changes, one line per API, table, schema, service, dataset.

import { escapeControl } from '../text/escape.js';
import { canonicalGrantSet, compareSchemas, compareTables, sortedUnique, tableKey, tableLabel } from './canonical.js';
import { APIS, SERVICES, type GrantSet } from './model.js';
import { formatPermissions } from './format.js';

export interface GrantDiffLine {
  sign: '+' | '-';
  kind: 'api' | 'table' | 'schema' | 'service' | 'dataset' | 'table_metadata';
  text: string;
}

/** Tables and schemas: one `-` line with the permissions lost, one `+` line with those gained. */
function permissionLines<T extends { permissions: readonly string[] }>(
  kind: 'table' | 'schema',
  before: readonly T[],
  after: readonly T[],
  identity: { key: (item: T) => string; label: (item: T) => string; compare: (a: T, b: T) => number },
): GrantDiffLine[] {
  const beforeByKey = new Map(before.map((item) => [identity.key(item), item]));
  const afterByKey = new Map(after.map((item) => [identity.key(item), item]));
  const all = [...before, ...after.filter((item) => !beforeByKey.has(identity.key(item)))].sort(identity.compare);
  return all.flatMap((item) => {
    const old = beforeByKey.get(identity.key(item))?.permissions ?? [];
    const now = afterByKey.get(identity.key(item))?.permissions ?? [];
    const lost = old.filter((permission) => !now.includes(permission));
    const gained = now.filter((permission) => !old.includes(permission));
    const label = identity.label(item);
    const line = (sign: '+' | '-', permissions: readonly string[]): GrantDiffLine[] =>
      permissions.length === 0 ? [] : [{ sign, kind, text: `${kind} ${label}:${formatPermissions(permissions)}` }];
    return [...line('-', lost), ...line('+', gained)];
  });
}

function wordLines(
  kind: 'api' | 'service' | 'dataset',
  before: readonly string[],
  after: readonly string[],
  order: readonly string[],
): GrantDiffLine[] {
  return order.flatMap((word): GrantDiffLine[] => {
    const had = before.includes(word);
    const has = after.includes(word);
    return had === has ? [] : [{ sign: has ? '+' : '-', kind, text: `${kind} ${word}` }];
  });
}

/** Stable order: APIs, tables, schemas, table metadata, services, datasets; `-` before `+` for one item. */
export function diffGrants(before: GrantSet, after: GrantSet): GrantDiffLine[] {
  const a = canonicalGrantSet(before);
  const b = canonicalGrantSet(after);
  const metadata: GrantDiffLine[] =
    a.tableMetadata === b.tableMetadata
      ? []
      : [{ sign: b.tableMetadata ? '+' : '-', kind: 'table_metadata', text: 'table metadata' }];
  return [
    ...wordLines('api', a.apis, b.apis, APIS),
    ...permissionLines('table', a.tables, b.tables, { key: tableKey, label: tableLabel, compare: compareTables }),
    ...permissionLines('schema', a.schemas, b.schemas, {
      key: (schema) => schema.name,
      label: (schema) => schema.name,
      compare: compareSchemas,
    }),
    ...metadata,
    ...wordLines('service', a.services, b.services, SERVICES),
    ...wordLines('dataset', a.datasets, b.datasets, sortedUnique([...a.datasets, ...b.datasets])),
  ];
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const RESET_FOREGROUND = '\x1b[39m';

/** `+ …` / `- …` lines for a terminal; `(no changes)` when there is nothing. */
export function formatDiff(lines: readonly GrantDiffLine[], opts: { color: boolean }): string[] {
  if (lines.length === 0) return ['(no changes)'];
  return lines.map((line) => {
    // Table and schema names come from the server: escaped, so they cannot drive the terminal.
    const text = `${line.sign} ${escapeControl(line.text)}`;
    if (!opts.color) return text;
    return `${line.sign === '+' ? GREEN : RED}${text}${RESET_FOREGROUND}`;
  });
}
