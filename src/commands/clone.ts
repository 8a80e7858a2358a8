import type { Command } from 'commander';
import { namingRefusedGrants } from '../grants/refusal.js';
import type { Context } from '../context.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { requireCredentials } from '../config/settings.js';
import { copyName, formatDiff, grantSetsEqual, normalizeRenderedGrants, toCreateGrants, validateKeyName, type GrantChanges } from '../grants/index.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { checkTokenOnly } from '../args/flags.js';
import { addChangeOptions, changesFromFlags, checkChangeSyntax } from '../args/change-flags.js';
import { addMemberOption } from '../args/flags.js';
import { planClone } from '../domain/clone-plan.js';
import { keyRef } from '../records/key-ref.js';
import { keyJson, printCreatedKey } from '../ui/key-output.js';
import { info, printJson, printLine, warn } from '../ui/output.js';
import { promptKeyName } from '../ui/prompts.js';
import { registeredCommand } from './registered.js';

export interface CloneOptions {
  source: string;
  name?: string;
  changes: GrantChanges;
  dryRun: boolean;
  tokenOnly: boolean;
  /** `--user`: clone an organization member's key, for them. */
  user?: string;
}

type CloneFlags = GrantChanges & { name?: string; dryRun?: boolean; tokenOnly?: boolean; user?: string };

export function cloneCommand(kit: CommandKit): Command {
  const cmd = registeredCommand('clone')
    .argument('<name-or-token>', 'the key to copy: its name, or its token')
    .option('--name <name>', 'name of the new key (default: prompt on a TTY, else <old>-copy)');
  addMemberOption(addChangeOptions(cmd))
    .option('--dry-run', 'print the diff and the request body; create nothing')
    .option('--token-only', 'print only the new token, for $(...)')
    .addHelpText(
      'after',
      `
The old key is left as it is. To also deploy the new key and delete the old one, use \`carto-keys rotate\`.

Examples:
  $ carto-keys clone app --name app-v2 --add-table national_incomes:select
  $ carto-keys clone app --remove-table liked_cities:insert --dry-run
  $ carto-keys clone "$LEAKED_TOKEN" --name app-new --json
  $ carto-keys clone bob-app --user bob --name bob-app-v2 --add-table customers`,
    )
    .action((source: string, o: CloneFlags, cmd: Command) => {
      checkTokenOnly(o.tokenOnly === true, globalsOf(cmd).json);
      const opts = parseClone(source, o);
      kit.run((ctx) => cloneRun(ctx, opts));
    });
  return cmd;
}

export function parseClone(source: string, o: CloneFlags): CloneOptions {
  const name = o.name === undefined ? undefined : validateKeyName(o.name);
  const changes = changesFromFlags(o);
  checkChangeSyntax(changes);
  return {
    source,
    ...(name !== undefined && { name }),
    changes,
    dryRun: o.dryRun === true,
    tokenOnly: o.tokenOnly === true,
    ...(o.user !== undefined && { user: o.user }),
  };
}

export async function cloneRun(ctx: Context, opts: CloneOptions): Promise<void> {
  const creds = requireCredentials(await ctx.settings());
  const api = (await ctx.api()).forUser(opts.user);
  // A member's tables live in their own schema: the default follows --user.
  // A key that is gone is named with its successor when a rotation made one.
  const plan = await planClone(ctx, api, opts.source, opts.changes, defaultSchemaFor(creds.baseUrl, opts.user ?? creds.username), 'clone', (n) =>
    import('../rotate/lineage.js').then((m) => m.successorOf(ctx, api, n)),
  );
  // A key already replaced by a grace rotation: its successor is the one to clone.
  const { refuseSuperseded } = await import('../rotate/lineage.js');
  await refuseSuperseded(ctx, api, keyRef(creds.baseUrl, api.targetUser, plan.from), 'clone');
  const json = ctx.globals.json;
  if (!json) {
    for (const note of plan.dropped) warn(ctx, note);
    info(ctx, `Grants of the new key, compared with "${plan.from}":`);
    for (const line of formatDiff(plan.diff, { color: ctx.io.colorStderr })) info(ctx, `  ${line}`);
  }
  const taken = new Set((await api.listKeys()).map((k) => k.name));
  const name = opts.name ?? (await chooseCloneName(ctx, plan.from, taken, opts.dryRun));
  const request = { name, grants: toCreateGrants(plan.after) };

  if (opts.dryRun) {
    if (json) printJson(ctx, { dryRun: true, from: plan.from, diff: plan.diff, request });
    else {
      info(ctx, 'Dry run: nothing was created. The request would be:');
      printLine(ctx, JSON.stringify(request, null, 2));
    }
    return;
  }
  const { key, recovered } = await namingRefusedGrants(
    () => api.createKey(request, { isOurs: (existing) => grantSetsEqual(normalizeRenderedGrants(existing.grants).grants, plan.after) }),
    plan.after,
    () => api.listKeys(),
    request.grants,
  );
  if (recovered) warn(ctx, 'The key was created but the reply was lost or unreadable; recovered it.');
  if (json && !opts.tokenOnly) {
    printJson(ctx, { ...keyJson(key, 'full'), clonedFrom: plan.from, diff: plan.diff });
    return;
  }
  printCreatedKey(ctx, key, opts.tokenOnly, `Cloned "${plan.from}" into`, api.targetUser);
}

async function chooseCloneName(ctx: Context, from: string, taken: Set<string>, dryRun: boolean): Promise<string> {
  const suggested = copyName(from, taken);
  if (dryRun || !ctx.io.canPrompt() || ctx.globals.yes) return suggested;
  return promptKeyName(ctx, suggested, taken);
}
