import type { Command } from 'commander';
import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { requireCredentials } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { defaultKeyName, grantSetsEqual, normalizeRenderedGrants, toCreateGrants, uniqueName, validateKeyName } from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { namingRefusedGrants } from '../grants/refusal.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { checkTokenOnly } from '../args/flags.js';
import { addGrantOptions, checkGrantFlags, grantFlagValues, grantsFromInput, hasGrantFlags, readGrantFlags, type GrantFlagValues } from '../args/grant-flags.js';
import { printCreatedKey } from '../ui/key-output.js';
import { addMemberOption } from '../args/flags.js';
import { info, warn } from '../ui/output.js';
import { promptKeyName } from '../ui/prompts.js';
import { registeredCommand } from './registered.js';

export interface CreateOptions {
  name?: string;
  /** Checked flag values; --grants-file is read by the run layer. */
  grants: GrantFlagValues;
  tokenOnly: boolean;
  /** `--user`: create the key for this organization member. */
  user?: string;
}

export function createCommand(kit: CommandKit): Command {
  const cmd = registeredCommand('create')
    .option('--name <name>', 'name of the new key (default: made from the grants and the time)');
  addMemberOption(addGrantOptions(cmd))
    .option('--token-only', 'print only the token, for $(...)')
    .addHelpText(
      'after',
      `
Examples:
  $ carto-keys create --api sql --table world_population:select
  $ carto-keys create --name app --api sql --table liked_cities:select,insert
  $ carto-keys create --name etl --api sql --schema public:create
  $ carto-keys create --name geo --api sql --service geocoding,routing
  $ carto-keys create --name app --grants-file grants.json --json
  $ carto-keys create --api sql --table national_incomes --token-only
  $ carto-keys create --user bob --name bob-app --api sql --table sales   # bob.sales`,
    )
    .action((o: GrantFlagValues & { name?: string; tokenOnly?: boolean; user?: string }, cmd: Command) => {
      checkTokenOnly(o.tokenOnly === true, globalsOf(cmd).json);
      const opts = parseCreate(o);
      kit.run((ctx) => createRun(ctx, opts));
    });
  return cmd;
}

export function parseCreate(o: GrantFlagValues & { name?: string; tokenOnly?: boolean; user?: string }): CreateOptions {
  if (!hasGrantFlags(o)) {
    throw new UsageError('Nothing to grant.', {
      hint: 'Pass at least one of --api, --table, --schema, --table-metadata, --service, --dataset or --grants-file.',
    });
  }
  const name = o.name === undefined ? undefined : validateKeyName(o.name);
  const grants = grantFlagValues(o);
  checkGrantFlags(grants);
  return { ...(name !== undefined && { name }), grants, tokenOnly: o.tokenOnly === true, ...(o.user !== undefined && { user: o.user }) };
}

export async function createRun(ctx: Context, opts: CreateOptions): Promise<void> {
  // The file first: a bad --grants-file is a usage error, reported before credentials are looked at.
  const input = await readGrantFlags(ctx.io, opts.grants);
  // The default schema depends on the account's URL form; settings are local, no request yet.
  const s = requireCredentials(await ctx.settings());
  // A member's tables live in their own schema, so the default follows the member (--user).
  const grants = grantsFromInput(input, defaultSchemaFor(s.baseUrl, opts.user ?? s.username));
  const api = (await ctx.api()).forUser(opts.user);
  const name = opts.name ?? (await chooseName(ctx, grants, async () => new Set((await api.listKeys()).map((k) => k.name))));
  const sent = toCreateGrants(grants);
  const { key, recovered } = await namingRefusedGrants(
    () =>
      api.createKey(
        { name, grants: sent },
        // After a lost reply, "Name has already been taken" means our own key if it grants what we asked.
        { isOurs: (existing) => grantSetsEqual(normalizeRenderedGrants(existing.grants).grants, grants) },
      ),
    grants,
    () => api.listKeys(),
    sent,
  );
  if (recovered) warn(ctx, 'The key was created but the reply was lost or unreadable; recovered it.');
  printCreatedKey(ctx, key, opts.tokenOnly, 'Created', api.targetUser);
}

/** The generated name is the default of a prompt on a TTY, used as is otherwise, and always shown. */
async function chooseName(ctx: Context, grants: GrantSet, takenNames: () => Promise<Set<string>>): Promise<string> {
  const taken = await takenNames();
  const suggested = uniqueName(defaultKeyName(grants, ctx.now()), taken);
  if (!ctx.io.canPrompt() || ctx.globals.yes) {
    info(ctx, `No --name given: naming the key "${escapeControl(suggested)}".`);
    return suggested;
  }
  return promptKeyName(ctx, suggested, taken);
}
