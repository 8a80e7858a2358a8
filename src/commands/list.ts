import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { KeyType, ListOrder, WireApiKey } from '../api/types.js';
import { UsageError } from '../errors.js';
import { requireCredentials } from '../config/settings.js';
import { listAllMembersKeys, membersFailed, ORG_ENV, resolveOrgName } from '../domain/members.js';
import { formatTables, formatWords, parseApis, parseTableRemovalSpec } from '../grants/index.js';
import { KEY_TYPES } from '../api/types.js';
import type { Api, TablePermission } from '../grants/model.js';
import { colors } from '../ui/color.js';
import { escapeControl } from '../text/escape.js';
import { apisOf, layoutKeyList, tablesOf } from '../ui/key-list.js';
import { info, maskToken, printJson, printLine, terminalWidth, warn } from '../ui/output.js';
import { isoTime } from '../ui/time.js';
import type { CommandKit } from '../args/kit.js';
import { addMemberOption, collect, positiveInt } from '../args/flags.js';
import { keyJson, masterKeyLocation } from '../ui/key-output.js';
import { registeredCommand } from './registered.js';

export interface ListOptions {
  type?: KeyType[];
  order?: ListOrder;
  limit?: number;
  reveal: boolean;
  /** Every cell in full on a terminal, however wide. */
  wide?: boolean;
  filter?: KeyFilter;
  /** `--user`: this organization member's keys. */
  user?: string;
  /** `--all-members`: every member's keys; `org` from --org (else CARTO_KEYS_ORG or the base URL). */
  allMembers?: { org?: string };
}

interface ListFlags {
  type?: KeyType[];
  order?: ListOrder;
  limit?: number;
  reveal?: boolean;
  wide?: boolean;
  api?: string[];
  table?: string[];
  user?: string;
  allMembers?: boolean;
  org?: string;
}

/** What `list` keeps, beyond --type (which the server filters). Every part given must match. */
export interface KeyFilter {
  /** A name, or a glob with `*` and `?`. */
  pattern?: string;
  /** The key grants every one of these APIs. */
  apis?: Api[];
  /** The key grants these tables (with at least these permissions, when given). */
  tables?: { schema: string; name: string; permissions?: TablePermission[] }[];
}

export const ORDERS: ListOrder[] = ['name', 'type', 'updated_at'];

export function parseTypes(value: string): KeyType[] {
  const types = value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const bad = types.find((t) => !(KEY_TYPES as readonly string[]).includes(t));
  if (bad !== undefined || types.length === 0) {
    throw new UsageError(`Unknown key type "${bad ?? value}" in --type. Valid types: ${KEY_TYPES.join(', ')}`);
  }
  return [...new Set(types)] as KeyType[];
}

function parseOrder(value: string): ListOrder {
  if (!(ORDERS as string[]).includes(value)) throw new UsageError(`Unknown --order "${value}". Valid orders: ${ORDERS.join(', ')}`);
  return value as ListOrder;
}

export function listCommand(kit: CommandKit): Command {
  const cmd = registeredCommand('list')
    .argument('[pattern]', "only the keys whose name matches: a name, or a glob such as 'app-*'")
    .option('--type <types>', 'only these types: master, default, regular (comma-separated)', parseTypes)
    .option('--api <apis>', 'only keys granting these APIs: sql, maps, do (repeatable or comma-separated)', collect)
    .option('--table <spec>', 'only keys granting this table: [schema.]table[:perms] (repeatable)', collect)
    .option('--order <field>', 'order by name, type or updated_at (built-in keys always come first)', parseOrder)
    .option('--limit <n>', 'stop after n keys', positiveInt('--limit'))
    .option('--reveal', 'show regular tokens in full (the Master token is never shown)')
    .option('--wide', 'on a terminal, show every name and grant in full instead of fitting the width');
  return addMemberOption(cmd)
    .option('--all-members', "every organization member's keys, with a member column (owners and admins)")
    .option('--org <name>', `the organization, for --all-members (default: from the base URL, or ${ORG_ENV})`)
    .addHelpText(
      'after',
      `
Examples:
  $ carto-keys list
  $ carto-keys list --type regular --order name
  $ carto-keys list 'app-*' --api maps
  $ carto-keys list --table liked_cities:insert --wide
  $ carto-keys list --json | jq -r '.[].name'
  $ carto-keys ls | cut -f1            # piped: tab-separated, no header
  $ carto-keys list --user bob         # an organization member's keys
  $ carto-keys list --all-members --type regular`,
    )
    .action((pattern: string | undefined, o: ListFlags) => {
      const opts = listOptions(pattern, o);
      kit.run((ctx) => listRun(ctx, opts));
    });
}

function listOptions(pattern: string | undefined, o: ListFlags): ListOptions {
  const filter = parseFilter(pattern, o.api, o.table);
  const opts: ListOptions = {
    ...(o.type && { type: o.type }),
    ...(o.order && { order: o.order }),
    ...(o.limit !== undefined && { limit: o.limit }),
    reveal: o.reveal === true,
    wide: o.wide === true,
    ...(filter && { filter }),
    ...(o.user !== undefined && { user: o.user }),
  };
  if (!o.allMembers) {
    if (o.org !== undefined) throw new UsageError('--org goes with --all-members.');
    return opts;
  }
  if (o.user !== undefined) throw new UsageError('--all-members and --user cannot be used together: --all-members lists every member.');
  if (o.limit !== undefined) throw new UsageError('--limit cannot be used with --all-members.', { hint: 'Use --user <member> --limit N for one member.' });
  return { ...opts, allMembers: o.org === undefined ? {} : { org: o.org } };
}

/** The filter flags, checked before anything is sent (a bad API or table spec is exit 2). */
export function parseFilter(pattern: string | undefined, apis: string[] | undefined, tables: string[] | undefined): KeyFilter | undefined {
  if (pattern === undefined && !apis?.length && !tables?.length) return undefined;
  return {
    ...(pattern !== undefined && { pattern }),
    ...(apis?.length && { apis: parseApis(apis) }),
    ...(tables?.length && {
      // Parsed as --remove-table is: no permissions means the table with any, not only `select`.
      tables: tables.map((spec) => parseTableRemovalSpec(spec, 'public', '--table')),
    }),
  };
}

/** `*` any run of characters, `?` one; anything else is itself. */
export function globMatcher(pattern: string): (name: string) => boolean {
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  const re = new RegExp(`^${source}$`, 'su');
  return (name) => re.test(name);
}

export function matchesFilter(filter: KeyFilter): (k: WireApiKey) => boolean {
  const nameOk = filter.pattern === undefined ? () => true : globMatcher(filter.pattern);
  return (k) => {
    if (!nameOk(k.name)) return false;
    const apis = apisOf(k);
    if (filter.apis && !filter.apis.every((a) => apis.includes(a))) return false;
    const tables = tablesOf(k);
    return (filter.tables ?? []).every((want) =>
      tables.some((t) => t.schema === want.schema && t.name === want.name && (want.permissions ?? []).every((p) => t.permissions.includes(p))),
    );
  };
}

export async function listRun(ctx: Context, opts: ListOptions): Promise<void> {
  if (opts.allMembers) return listAllMembersRun(ctx, opts, opts.allMembers.org);
  const api = (await ctx.api()).forUser(opts.user);
  const token = (k: WireApiKey) => (opts.reveal && k.type !== 'master' ? k.token : maskToken(k.token, k.type));
  const json = ctx.globals.json;
  const filter = opts.filter;
  // JSON and tab-separated output are rendered page by page while the other pages are still on their
  // way: for 10,000 keys that is most of the work, and it then overlaps with the server's. A filter
  // decides only once every key is in, so filtered output is rendered at the end.
  const mode = opts.reveal ? 'full' : 'masked';
  const renderJson = (ks: readonly WireApiKey[]) => JSON.stringify(ks.map((k) => keyJson(k, mode)), null, 2).slice(2, -2);
  const renderTsv = (ks: readonly WireApiKey[]) => ks.map((k) => tsvLine(k, token(k))).join('\n');
  const paged = filter ? undefined : json ? pagedRender(renderJson, ',\n') : ctx.io.stdoutIsTTY() ? undefined : pagedRender(renderTsv, '\n');
  let total: number | undefined;
  const fetched = await api.listKeys({
    ...(opts.type && { type: opts.type }),
    ...(opts.order && { order: opts.order }),
    // A filter needs every key: the limit applies to what it keeps.
    ...(opts.limit !== undefined && !filter && { limit: opts.limit }),
    ...(paged && { onPage: paged.onPage }),
    onTotal: (n) => (total = n),
  });
  const matching = filter ? fetched.filter(matchesFilter(filter)) : fetched;
  const keys = filter && opts.limit !== undefined ? matching.slice(0, opts.limit) : matching;
  const available = filter ? matching.length : (total ?? keys.length);
  if (opts.reveal && keys.some((k) => k.type === 'master')) info(ctx, `The Master key is never printed; it is stored in ${await masterKeyLocation(ctx)}.`);
  if (opts.limit !== undefined && available > keys.length && !json) {
    info(ctx, `Showing the first ${keys.length} of ${available} keys (--limit ${opts.limit}).`);
  }

  if (filter) {
    if (json) printJson(ctx, keys.map((k) => keyJson(k, mode)));
    else if (!ctx.io.stdoutIsTTY()) {
      if (keys.length > 0) printLine(ctx, renderTsv(keys));
    } else printTable(ctx, keys, token, opts.wide === true);
    return;
  }
  if (json) {
    // Exactly what printJson(ctx, keys.map(keyJson)) prints.
    if (keys.length === 0) printLine(ctx, '[]');
    else paged!.write(ctx, keys, '[\n', '\n]\n');
    return;
  }
  if (paged) {
    // For scripts: one key a line, tab-separated, no header, full values (tokens still masked).
    if (keys.length > 0) paged.write(ctx, keys, '', '\n');
    return;
  }
  printTable(ctx, keys, token, opts.wide === true);
}

/** On a terminal: the table, fitted to its width unless --wide; the count (and how to see more) on stderr. */
function printTable(ctx: Context, keys: readonly WireApiKey[], token: (k: WireApiKey) => string, wide: boolean, members?: string[]): void {
  if (keys.length === 0) {
    info(ctx, 'No API keys match.');
    return;
  }
  const c = colors(ctx.io.colorStdout);
  const layout = layoutKeyList(keys, { token, bold: c.bold, ...(!wide && { width: terminalWidth(ctx) }), ...(members && { members }) });
  for (const line of layout.lines) printLine(ctx, line);
  const count = `${keys.length} key${keys.length === 1 ? '' : 's'}`;
  info(ctx, colors(ctx.io.colorStderr).dim(layout.shortened ? `${count} (shortened to fit: --wide shows everything)` : count));
}

/**
 * `list --all-members`: one table (TSV, JSON) of every member's keys, filters included. A member whose
 * listing failed is reported on stderr and in the JSON; the others are shown, then the command exits 1.
 */
async function listAllMembersRun(ctx: Context, opts: ListOptions, orgFlag: string | undefined): Promise<void> {
  // Which organization is a local matter (flag, environment, base URL): known before any request.
  const creds = requireCredentials(await ctx.settings());
  const org = resolveOrgName(creds.baseUrl, orgFlag, ctx.env[ORG_ENV]);
  const all = await listAllMembersKeys(await ctx.api(), {
    org,
    query: { ...(opts.type && { type: opts.type }), ...(opts.order && { order: opts.order }) },
  });
  const token = (k: WireApiKey) => (opts.reveal && k.type !== 'master' ? k.token : maskToken(k.token, k.type));
  const keep = opts.filter ? matchesFilter(opts.filter) : () => true;
  const rows = all.listed.flatMap(({ member, keys }) => keys.filter(keep).map((key) => ({ member: member.username, key })));
  for (const f of all.failed) warn(ctx, `${f.error.message}${f.error.hint ? ` (${f.error.hint})` : ''}`);

  if (ctx.globals.json) {
    printJson(ctx, {
      organization: org,
      keys: rows.map(({ member, key }) => ({ member, ...keyJson(key, opts.reveal ? 'full' : 'masked') })),
      failedMembers: all.failed.map((f) => ({ member: f.member.username, code: f.error.code, message: f.error.message })),
    });
  } else if (!ctx.io.stdoutIsTTY()) {
    for (const { member, key } of rows) printLine(ctx, `${escapeControl(member)}\t${tsvLine(key, token(key))}`);
  } else {
    printTable(ctx, rows.map((r) => r.key), token, opts.wide === true, rows.map((r) => r.member));
  }
  if (all.failed.length > 0) throw membersFailed(all, 'the list above');
}

/** For scripts: every value in full (tokens masked unless --reveal), in the flags' notation. */
function tsvLine(k: WireApiKey, token: string): string {
  // A tab or line break inside a value would forge a column or a row: every field is escaped.
  return [k.name, k.type, formatWords(apisOf(k)), formatTables(tablesOf(k)), token, isoTime(k.updated_at) ?? ''].map(escapeControl).join('\t');
}

/**
 * Renders each page as it arrives, straight to UTF-8 bytes (outside V8's heap: for 10,000 keys that
 * takes a quarter off the peak memory, and nothing is left to encode at the end). `write` then prints
 * the pages' bytes in order, provided the listing is exactly those pages' keys in order. When it is not
 * (a key seen twice while keys changed during paging, a --limit that cut a page), the keys are
 * rendered afresh: the same output, only slower.
 */
function pagedRender(render: (keys: readonly WireApiKey[]) => string, separator: string) {
  const pages = new Map<number, { keys: readonly WireApiKey[]; bytes: Buffer }>();

  function parts(keys: readonly WireApiKey[]): (string | Buffer)[] {
    const out: Buffer[] = [];
    let i = 0;
    for (const page of [...pages.keys()].sort((a, b) => a - b)) {
      const p = pages.get(page)!;
      for (const k of p.keys) if (keys[i++] !== k) return [render(keys)];
      out.push(p.bytes);
    }
    return i === keys.length ? out : [render(keys)];
  }

  return {
    onPage(page: number, keys: readonly WireApiKey[]): void {
      if (keys.length > 0) pages.set(page, { keys, bytes: Buffer.from(render(keys)) });
    },
    /** `before`, the rendered keys (pages joined by the separator), `after`. */
    write(ctx: Context, keys: readonly WireApiKey[], before: string, after: string): void {
      const chunks = parts(keys);
      pages.clear();
      ctx.io.stdout.write(before);
      chunks.forEach((chunk, i) => {
        if (i > 0) ctx.io.stdout.write(separator);
        ctx.io.stdout.write(chunk);
      });
      ctx.io.stdout.write(after);
    },
  };
}
