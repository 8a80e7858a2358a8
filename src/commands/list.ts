import { Command } from 'commander';
import type { Context } from '../context.js';
import type { KeyType, ListOrder, WireApiKey } from '../api/types.js';
import { UsageError } from '../errors.js';
import { abbreviatePermissions } from '../grants/index.js';
import { KEY_TYPES, type TablePermission } from '../grants/model.js';
import { colors } from '../ui/color.js';
import { info, maskToken, printLine } from '../ui/output.js';
import { isoTime, shortLocalTime } from '../ui/time.js';
import type { CommandKit } from '../args/kit.js';
import { positiveInt } from '../args/flags.js';
import { keyJson } from '../ui/key-output.js';

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

export function listCommand(kit: CommandKit): Command {
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
    .action((o: { type?: KeyType[]; order?: ListOrder; limit?: number; reveal?: boolean }) => {
      const opts: ListOptions = {
        ...(o.type && { type: o.type }),
        ...(o.order && { order: o.order }),
        ...(o.limit !== undefined && { limit: o.limit }),
        reveal: o.reveal === true,
      };
      kit.run((ctx) => listRun(ctx, opts));
    });
}

export async function listRun(ctx: Context, opts: ListOptions): Promise<void> {
  const api = await ctx.api();
  const token = (k: WireApiKey) => (opts.reveal && k.type !== 'master' ? k.token : maskToken(k.token));
  const json = ctx.globals.json;
  // JSON and tab-separated output are rendered page by page while the other pages are still on their
  // way: for 10,000 keys that is most of the work, and it then overlaps with the server's.
  const mode = opts.reveal ? 'full' : 'masked';
  const paged = json
    ? pagedRender((ks) => JSON.stringify(ks.map((k) => keyJson(k, mode)), null, 2).slice(2, -2), ',\n')
    : ctx.io.stdoutIsTTY()
      ? undefined
      : pagedRender((ks) => ks.map((k) => tsvLine(k, token(k))).join('\n'), '\n');
  const keys = await api.listKeys({
    ...(opts.type && { type: opts.type }),
    ...(opts.order && { order: opts.order }),
    ...(opts.limit !== undefined && { limit: opts.limit }),
    ...(paged && { onPage: paged.onPage }),
  });

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

function tsvLine(k: WireApiKey, token: string): string {
  return [k.name, k.type, apisOf(k).join(','), tablesOf(k, false), token, isoTime(k.updated_at) ?? ''].join('\t');
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
