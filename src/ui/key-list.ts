// The table `list` prints on a terminal: one key a line, fitted to the terminal's width (names and
// tables cut with `…`, the update time left out when there is no room), or in full with --wide.

import type { WireApiKey } from '../api/types.js';
import { formatTables, formatWords } from '../grants/format.js';
import { escapeControl } from '../text/escape.js';
import { layoutTable, type Layout } from './table-layout.js';
import { shortLocalTime } from './time.js';

export function apisOf(k: WireApiKey): string[] {
  return k.grants.find((g) => g.type === 'apis')?.apis ?? [];
}

export function tablesOf(k: WireApiKey): { schema: string; name: string; permissions: string[] }[] {
  return k.grants.find((g) => g.type === 'database')?.tables ?? [];
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
      { header: 'NAME', cells: keys.map((k) => escapeControl(k.name)), shrink: { min: 16 } },
      { header: 'TYPE', cells: keys.map((k) => escapeControl(k.type)) },
      { header: 'APIS', cells: keys.map((k) => escapeControl(formatWords(apisOf(k))) || '-') },
      // The account's own schema is left out, as --table lets you leave it out.
      { header: 'TABLES', cells: keys.map((k) => escapeControl(formatTables(tablesOf(k), { defaultSchema: 'public' })) || '-'), shrink: { min: 16 } },
      { header: 'TOKEN', cells: keys.map((k) => escapeControl(opts.token(k))) },
      { header: 'UPDATED', cells: keys.map((k) => shortLocalTime(k.updated_at)), drop: 1 },
    ],
    { ...(opts.width !== undefined && { width: opts.width }), ...(opts.bold && { bold: opts.bold }) },
  );
}
