import { Command } from 'commander';
import type { Context } from '../context.js';
import type { ApiClient } from '../api/client.js';
import { requireCredentials } from '../config/settings.js';
import { rememberNames } from '../cache/names.js';
import {
  applyGrantChanges,
  copyName,
  diffGrants,
  formatDiff,
  grantSetsEqual,
  normalizeRenderedGrants,
  toCreateGrants,
  validateKeyName,
  type GrantChanges,
  type GrantDiffLine,
} from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { resolveSourceKey } from '../rotate/source.js';
import { info, printJson, printLine, warn } from '../ui/output.js';
import { addChangeOptions, changesFromFlags, checkChangeSyntax } from './change-flags.js';
import { printCreatedKey } from './create.js';
import { defaultSchemaFor, keyJson, promptKeyName } from './shared.js';

export interface CloneOptions {
  source: string;
  name?: string;
  changes: GrantChanges;
  defaultSchema: string;
  dryRun: boolean;
  tokenOnly: boolean;
}

export function cloneCommand(ctx: Context, run = cloneRun): Command {
  const cmd = new Command('clone')
    .description("Copy a key's grants into a new key, with changes (keys cannot be edited)")
    .argument('<name-or-token>', 'the key to copy: its name, or its token')
    .option('--name <name>', 'name of the new key (default: prompt on a TTY, else <old>-copy)');
  addChangeOptions(cmd)
    .option('--dry-run', 'print the diff and the request body; create nothing')
    .option('--token-only', 'print only the new token, for $(...)')
    .addHelpText(
      'after',
      `
The old key is left as it is. To also deploy the new key and delete the old one, use \`carto-keys rotate\`.

Examples:
  $ carto-keys clone app --name app-v2 --add-table national_incomes:select
  $ carto-keys clone app --remove-table liked_cities:insert --remove-api maps --dry-run
  $ carto-keys clone "$LEAKED_TOKEN" --name app-new --json`,
    )
    .action(async (source: string, o: GrantChanges & { name?: string; dryRun?: boolean; tokenOnly?: boolean }) => {
      const name = o.name === undefined ? undefined : validateKeyName(o.name);
      const changes = changesFromFlags(o);
      const creds = requireCredentials(await ctx.settings());
      const defaultSchema = defaultSchemaFor(creds.baseUrl, creds.username);
      checkChangeSyntax(changes, defaultSchema);
      await run(ctx, {
        source,
        ...(name !== undefined && { name }),
        changes,
        defaultSchema,
        dryRun: o.dryRun === true,
        tokenOnly: o.tokenOnly === true,
      });
    });
  return cmd;
}

export interface ClonePlan {
  from: string;
  before: GrantSet;
  after: GrantSet;
  diff: GrantDiffLine[];
  dropped: string[];
}

/** Loads the source key and applies the changes: shared by clone and rotate. */
export async function planClone(ctx: Context, api: ApiClient, source: string, changes: GrantChanges, defaultSchema: string): Promise<ClonePlan> {
  const src = await resolveSourceKey(ctx, api, source);
  const after = applyGrantChanges(src.grants, changes, { defaultSchema });
  return { from: src.key.name, before: src.grants, after, diff: diffGrants(src.grants, after), dropped: src.dropped };
}

export async function cloneRun(ctx: Context, opts: CloneOptions): Promise<void> {
  const api = await ctx.api();
  const plan = await planClone(ctx, api, opts.source, opts.changes, opts.defaultSchema);
  const json = ctx.globals().json;
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
  const { key, recovered } = await api.createKey(request, {
    isOurs: (existing) => grantSetsEqual(normalizeRenderedGrants(existing.grants).grants, plan.after),
  });
  await rememberNames(ctx, { add: [key.name] });
  if (recovered) warn(ctx, 'The key was created but the reply was lost or unreadable; recovered it.');
  if (json && !opts.tokenOnly) {
    printJson(ctx, { ...keyJson(key, 'full'), clonedFrom: plan.from, diff: plan.diff });
    return;
  }
  printCreatedKey(ctx, key, plan.after, opts.tokenOnly, `Cloned "${plan.from}" into`);
}

async function chooseCloneName(ctx: Context, from: string, taken: Set<string>, dryRun: boolean): Promise<string> {
  const suggested = copyName(from, taken);
  if (dryRun || !ctx.io.canPrompt() || ctx.globals().yes) return suggested;
  return promptKeyName(ctx, suggested, taken);
}
