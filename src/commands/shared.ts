// Pieces several commands share: option collectors, the grant flags, key rendering, confirmations.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { WireApiKey } from '../api/types.js';
import { DEFAULT_PUBLIC_KEY_NAME, MASTER_KEY_NAME } from '../api/types.js';
import { CancelledError, UsageError } from '../errors.js';
import { buildGrantSet, parseGrantsFile, validateKeyName, type GrantFlagInput } from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { isoTime } from '../ui/time.js';
import { maskToken } from '../ui/output.js';

/** commander collector for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(`${flag} must be a positive whole number, got "${value}".`);
    }
    return Number(value);
  };
}

export function addGrantOptions(cmd: Command): Command {
  return cmd
    .option('--api <apis>', 'grant APIs: sql, maps, do (repeatable or comma-separated)', collect)
    .option('--table <spec>', 'grant a table: [schema.]table[:select,insert,update,delete|all] (repeatable)', collect)
    .option('--schema <spec>', 'allow creating tables in a schema: name[:create] (repeatable)', collect)
    .option('--table-metadata', 'allow listing table metadata')
    .option('--service <services>', 'grant data services: geocoding, routing, isolines, observatory', collect)
    .option('--dataset <id>', 'grant a Data Observatory dataset (repeatable)', collect)
    .option('--grants-file <path>', 'read grants (JSON, the create-request form) from a file, or - for stdin');
}

/** The grant flags as commander hands them over: the path of --grants-file, not its parsed content. */
export type GrantFlagValues = Omit<GrantFlagInput, 'fromFile'> & { grantsFile?: string };

export function hasGrantFlags(o: GrantFlagValues): boolean {
  return Boolean(o.api?.length || o.table?.length || o.schema?.length || o.tableMetadata || o.service?.length || o.dataset?.length || o.grantsFile);
}

/** Parses and validates every grant flag locally: any error exits 2 before a request is made. */
export async function grantsFromFlags(ctx: Context, o: GrantFlagValues, defaultSchema: string): Promise<GrantSet> {
  const { grantsFile, ...flags } = o;
  const input: GrantFlagInput = grantsFile === undefined ? flags : { ...flags, fromFile: await readGrantsFile(ctx, grantsFile) };
  return buildGrantSet(input, { defaultSchema });
}

async function readGrantsFile(ctx: Context, path: string): Promise<GrantSet> {
  if (path === '-') {
    if (ctx.io.stdin.isTTY) throw new UsageError('--grants-file - reads stdin, but stdin is a terminal.', { hint: 'Pipe the JSON in: carto-keys create --grants-file - < grants.json' });
    return parseGrantsFile(await ctx.io.readStdin(), 'stdin');
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read --grants-file ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}.`);
  }
  return parseGrantsFile(text, path);
}

/** Tables live in `public`, except for an organization member, whose tables live in a schema named after them. */
export function defaultSchemaFor(baseUrl: string, username: string): string {
  return /\/u\/[^/]+$/.test(new URL(baseUrl).pathname) ? username : 'public';
}

export function isBuiltIn(name: string): boolean {
  return name === MASTER_KEY_NAME || name === DEFAULT_PUBLIC_KEY_NAME;
}

/** Destructive commands: refuse without --yes when nobody can be asked; otherwise ask. */
export function requireYesOrTty(ctx: Context, what: string): void {
  if (!ctx.globals().yes && !ctx.io.canPrompt()) {
    throw new UsageError(`${what} needs confirmation: pass --yes when not running in a terminal.`);
  }
}

export async function confirmOrCancel(ctx: Context, message: string): Promise<void> {
  if (ctx.globals().yes) return;
  if (!(await ctx.prompter.confirm(message, { default: false }))) throw new CancelledError('Nothing was changed.');
}

export type RevealMode = 'masked' | 'full';

/** The key object of --json: camelCase, ISO-8601, grants as CARTO rendered them. */
export function keyJson(key: WireApiKey, token: RevealMode | 'omit'): Record<string, unknown> {
  const db = key.grants.find((g) => g.type === 'database');
  const apis = key.grants.find((g) => g.type === 'apis');
  const ds = key.grants.find((g) => g.type === 'dataservices');
  const dobs = key.grants.find((g) => g.type === 'data-observatory');
  return {
    name: key.name,
    type: key.type,
    ...(token !== 'omit' && { token: token === 'full' && key.type !== 'master' ? key.token : maskToken(key.token) }),
    username: key.user?.username ?? null,
    grants: {
      apis: apis?.apis ?? [],
      tables: (db?.tables ?? []).map((t) => ({ schema: t.schema, name: t.name, owner: t.owner === true, permissions: t.permissions })),
      schemas: (db?.schemas ?? []).map((s) => ({ name: s.name, permissions: s.permissions })),
      tableMetadata: db?.table_metadata !== undefined,
      services: ds?.services ?? [],
      datasets: dobs?.datasets ?? [],
    },
    createdAt: isoTime(key.created_at),
    updatedAt: isoTime(key.updated_at),
  };
}

/** Asks for a new key's name with a suggestion; re-asks on an invalid or taken name. */
export async function promptKeyName(ctx: Context, suggested: string, taken: ReadonlySet<string>): Promise<string> {
  return ctx.prompter.input('Name of the new API key:', {
    default: suggested,
    validate: (v) => {
      try {
        validateKeyName(v);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      return taken.has(v) ? `A key named "${v}" already exists.` : true;
    },
  });
}
