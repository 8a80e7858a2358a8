import { Command } from 'commander';
import type { Context } from '../context.js';
import { requireCredentials } from '../config/settings.js';
import type { WireApiKey } from '../api/types.js';
import { UsageError } from '../errors.js';
import { rememberNames } from '../cache/names.js';
import {
  defaultKeyName,
  formatGrantSummary,
  grantSetsEqual,
  normalizeRenderedGrants,
  toCreateGrants,
  uniqueName,
  validateKeyName,
} from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { info, printJson, printLine, success, warn } from '../ui/output.js';
import { addGrantOptions, defaultSchemaFor, grantsFromFlags, hasGrantFlags, keyJson, promptKeyName, type GrantFlagValues } from './shared.js';

export interface CreateOptions {
  name?: string;
  grants: GrantSet;
  tokenOnly: boolean;
}

export function createCommand(ctx: Context, run = createRun): Command {
  const cmd = new Command('create')
    .description('Create a regular API key and print its token')
    .option('--name <name>', 'name of the new key (default: made from the grants and the time)');
  addGrantOptions(cmd)
    .option('--token-only', 'print only the token, for $(...)')
    .addHelpText(
      'after',
      `
Examples:
  $ carto-keys create --api sql --table world_population:select
  $ carto-keys create --name app --api sql,maps --table public.liked_cities:select,insert
  $ carto-keys create --name etl --api sql --schema public:create --table-metadata
  $ carto-keys create --name geo --api sql --service geocoding,routing
  $ carto-keys create --name app --grants-file grants.json --json
  $ export CARTO_API_KEY=$(carto-keys create --name ci --api sql --table t --token-only)`,
    )
    .action(async (o: GrantFlagValues & { name?: string; tokenOnly?: boolean }) => {
      if (!hasGrantFlags(o)) {
        throw new UsageError('Nothing to grant.', {
          hint: 'Pass at least one of --api, --table, --schema, --table-metadata, --service, --dataset or --grants-file.',
        });
      }
      const name = o.name === undefined ? undefined : validateKeyName(o.name);
      // The default schema depends on the account's URL form; settings are local, no request yet.
      const s = requireCredentials(await ctx.settings());
      const grants = await grantsFromFlags(ctx, o, defaultSchemaFor(s.baseUrl, s.username));
      await run(ctx, { ...(name !== undefined && { name }), grants, tokenOnly: o.tokenOnly === true });
    });
  return cmd;
}

export async function createRun(ctx: Context, opts: CreateOptions): Promise<void> {
  const api = await ctx.api();
  const name = opts.name ?? (await chooseName(ctx, opts.grants, async () => new Set((await api.listKeys()).map((k) => k.name))));
  const { key, recovered } = await api.createKey(
    { name, grants: toCreateGrants(opts.grants) },
    // After a lost reply, "Name has already been taken" means our own key if it grants what we asked.
    { isOurs: (existing) => grantSetsEqual(normalizeRenderedGrants(existing.grants).grants, opts.grants) },
  );
  await rememberNames(ctx, { add: [key.name] });
  if (recovered) warn(ctx, 'The key was created but the reply was lost or unreadable; recovered it.');
  printCreatedKey(ctx, key, opts.grants, opts.tokenOnly);
}

/** The generated name is the default of a prompt on a TTY, used as is otherwise, and always shown. */
async function chooseName(ctx: Context, grants: GrantSet, takenNames: () => Promise<Set<string>>): Promise<string> {
  const taken = await takenNames();
  const suggested = uniqueName(defaultKeyName(grants, ctx.now()), taken);
  if (!ctx.io.canPrompt() || ctx.globals().yes) {
    info(ctx, `No --name given: naming the key "${suggested}".`);
    return suggested;
  }
  return promptKeyName(ctx, suggested, taken);
}

/** Shared by create, clone and regenerate: a token-making command shows its token. */
export function printCreatedKey(ctx: Context, key: WireApiKey, grants: GrantSet | undefined, tokenOnly: boolean, verb = 'Created'): void {
  if (tokenOnly) {
    printLine(ctx, key.token);
    return;
  }
  if (ctx.globals().json) {
    printJson(ctx, keyJson(key, 'full'));
    return;
  }
  success(ctx, `${verb} API key "${key.name}"`);
  // Same label column as formatGrantSummary, so the block reads as one.
  printLine(ctx, `${'Name:'.padEnd(12)}${key.name}`);
  for (const line of formatGrantSummary(grants ?? normalizeRenderedGrants(key.grants).grants)) printLine(ctx, line);
  printLine(ctx, `${'Token:'.padEnd(12)}${key.token}`);
}
