// The table `list` prints on a terminal: one key a line, fitted to the terminal's width (names and
// tables cut with `…`, the update time left out when there is no room), or in full with --wide.

import type { WireApiKey } from '../api/types.js';
import { formatTables, formatWords, splitImplied } from '../grants/format.js';
import { escapeControl } from '../text/escape.js';
import { layoutTable, type Layout } from './table-layout.js';
import { humanTime } from './time.js';

export function apisOf(k: WireApiKey): string[] {
  return k.grants.find((g) => g.type === 'apis')?.apis ?? [];
}

/** A key's tables with the permissions a key can be given (an owner's truncate etc. left out, as --table takes them). */
export function tablesOf(k: WireApiKey): { schema: string; name: string; permissions: string[] }[] {
  return (k.grants.find((g) => g.type === 'database')?.tables ?? [])
    .map((t) => ({ schema: t.schema, name: t.name, permissions: splitImplied(t.permissions, 'table').granted }))
    .filter((t) => t.permissions.length > 0);
}

export interface KeyListOptions {
  /** The terminal's width; undefined for every cell in full (--wide). */
  width?: number;
  /** The token as shown (masked unless --reveal). */
  token: (k: WireApiKey) => string;
  bold?: (s: string) => string;
  /** `list --all-members`: each key's member, shown first (one per key, in the same order). */
  members?: readonly string[];
}

export function layoutKeyList(keys: readonly WireApiKey[], opts: KeyListOptions): Layout {
  return layoutTable(
    [
      // Names and grants come from the server: control characters in them are shown escaped.
      ...(opts.members ? [{ header: 'MEMBER', cells: opts.members.map(escapeControl) }] : []),
      { header: 'NAME', cells: keys.map((k) => escapeControl(k.name)), shrink: { min: 16, middle: true } },
      { header: 'TYPE', cells: keys.map((k) => escapeControl(k.type)) },
      { header: 'APIS', cells: keys.map((k) => escapeControl(formatWords(apisOf(k))) || '-') },
      // The account's own schema is left out, as --table lets you leave it out.
      { header: 'TABLES', cells: keys.map((k) => escapeControl(formatTables(tablesOf(k), { defaultSchema: 'public' })) || '-'), shrink: { min: 16 } },
      { header: 'TOKEN', cells: keys.map((k) => escapeControl(opts.token(k))) },
      { header: 'UPDATED', cells: keys.map((k) => humanTime(k.updated_at)), drop: 1 },
    ],
    { ...(opts.width !== undefined && { width: opts.width }), ...(opts.bold && { bold: opts.bold }) },
  );
}
