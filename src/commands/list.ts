import { Command } from 'commander';
import type { Context } from '../context.js';
import type { KeyType, ListOrder, WireApiKey } from '../api/types.js';
import { UsageError } from '../errors.js';
import { abbreviatePermissions } from '../grants/index.js';
import { KEY_TYPES, type TablePermission } from '../grants/model.js';
import { rememberNames } from '../cache/names.js';
import { colors } from '../ui/color.js';
import { info, maskToken, printJson, printLine } from '../ui/output.js';
import { isoTime, shortLocalTime } from '../ui/time.js';
import { keyJson, positiveInt } from './shared.js';

export interface ListOptions {
  type?: KeyType[];
  order?: ListOrder;
  limit?: number;
  reveal: boolean;
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

export function listCommand(ctx: Context, run = listRun): Command {
  return new Command('list')
    .alias('ls')
    .description('List API keys (every page is fetched)')
    .option('--type <types>', 'only these types: master, default, regular (comma-separated)', parseTypes)
    .option('--order <field>', 'order by name, type or updated_at (built-in keys always come first)', parseOrder)
    .option('--limit <n>', 'stop after n keys', positiveInt('--limit'))
    .option('--reveal', 'show regular tokens in full (the Master token is never shown)')
    .addHelpText(
      'after',
      `
Examples:
  $ carto-keys list
  $ carto-keys list --type regular --order name
  $ carto-keys list --json | jq -r '.[].name'
  $ carto-keys ls | cut -f1            # piped: tab-separated, no header`,
    )
    .action(async (o: { type?: KeyType[]; order?: ListOrder; limit?: number; reveal?: boolean }) => {
      await run(ctx, { ...o, reveal: o.reveal === true });
    });
}

export async function listRun(ctx: Context, opts: ListOptions): Promise<void> {
  const api = await ctx.api();
  const keys = await api.listKeys({
    ...(opts.type && { type: opts.type }),
    ...(opts.order && { order: opts.order }),
    ...(opts.limit !== undefined && { limit: opts.limit }),
  });
  const names = keys.map((k) => k.name);
  await rememberNames(ctx, opts.type || opts.limit !== undefined ? { add: names } : { all: names });

  const token = (k: WireApiKey) => (opts.reveal && k.type !== 'master' ? k.token : maskToken(k.token));
  if (ctx.globals().json) {
    printJson(ctx, keys.map((k) => keyJson(k, opts.reveal ? 'full' : 'masked')));
    return;
  }
  if (!ctx.io.stdoutIsTTY()) {
    // For scripts: one key a line, tab-separated, no header, full values (tokens still masked).
    for (const k of keys) {
      printLine(ctx, [k.name, k.type, apisOf(k).join(','), tablesOf(k, false), token(k), isoTime(k.updated_at) ?? ''].join('\t'));
    }
    return;
  }
  if (keys.length === 0) {
    info(ctx, 'No API keys match.');
    return;
  }
  const { default: Table } = await import('cli-table3');
  const c = colors(ctx.io.colorStdout);
  const table = new Table({
    head: ['NAME', 'TYPE', 'APIS', 'TABLES', 'TOKEN', 'UPDATED'].map((h) => c.bold(h)),
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
    wordWrap: false,
  });
  for (const k of keys) table.push([k.name, k.type, apisOf(k).join(',') || '-', tablesOf(k, true) || '-', token(k), shortLocalTime(k.updated_at)]);
  // cli-table3 pads the last column too: trailing blanks are noise in a terminal copy-paste.
  printLine(ctx, table.toString().replace(/ +$/gm, ''));
  info(ctx, c.dim(`${keys.length} key${keys.length === 1 ? '' : 's'}`));
}

function apisOf(k: WireApiKey): string[] {
  return k.grants.find((g) => g.type === 'apis')?.apis ?? [];
}

/** `liked_cities:si, sales.orders:s` — abbreviated for the table; full permission names in TSV. */
export function tablesOf(k: WireApiKey, abbreviate: boolean): string {
  const tables = k.grants.find((g) => g.type === 'database')?.tables ?? [];
  return tables
    .map((t) => {
      const name = abbreviate && t.schema === 'public' ? t.name : `${t.schema}.${t.name}`;
      const perms = abbreviate
        ? abbreviatePermissions(t.permissions as TablePermission[]) || '-'
        : t.permissions.join('+');
      return `${name}:${perms}`;
    })
    .join(abbreviate ? ', ' : ',');
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '',
};
