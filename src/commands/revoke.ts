import type { Command } from 'commander';
import { escapeControl } from '../text/escape.js';
import type { WireApiKey } from '../api/types.js';
import { findKey } from '../domain/key-resolve.js';
import type { Context } from '../context.js';
import { isBuiltIn } from '../api/types.js';
import { ApiError, UsageError } from '../errors.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { addMemberOption, requireYesOrTty } from '../args/flags.js';
import { info, printJson, success, warn } from '../ui/output.js';
import { requireCredentials } from '../config/settings.js';
import { fingerprint } from '../text/fingerprint.js';
import { envFileState } from '../deploy/env-check.js';
import { registry } from '../records/registry.js';
import { keyRef } from '../records/key-ref.js';
import { confirmOrCancel } from '../ui/prompts.js';
import { commandLine } from '../text/command-line.js';
import { registeredCommand } from './registered.js';

export interface RevokeOptions {
  names: string[];
  /** Say what would be revoked, after the same checks; only reads. */
  dryRun?: boolean;
  /** `--user`: an organization member's keys. */
  user?: string;
}

export function revokeCommand(kit: CommandKit): Command {
  return addMemberOption(
    registeredCommand('revoke')
      .argument('<keys...>', 'the keys, each by its name or its token (a leaked token is revoked at once)')
      .option('--dry-run', 'say what would be revoked (and which recorded env files still hold it); change nothing'),
  )
    .addHelpText(
      'after',
      `
Apps using a revoked key stop working at once. To replace a key without downtime, use \`carto-keys rotate\`.

Examples:
  $ carto-keys revoke old-app
  $ carto-keys rm app-1 app-2 --yes
  $ carto-keys revoke old-app --dry-run
  $ carto-keys revoke bob-old --user bob      # an organization member's key`,
    )
    .action((names: string[], o: { user?: string; dryRun?: boolean }, cmd: Command) => {
      const builtIn = names.find(isBuiltIn);
      if (builtIn !== undefined) {
        throw new UsageError(`"${builtIn}" is a built-in key and cannot be revoked.`, {
          hint: builtIn === 'Master' ? 'To change the Master token, use `carto-keys regenerate Master`.' : undefined,
        });
      }
      // A dry run deletes nothing: nothing to confirm.
      if (o.dryRun !== true) requireYesOrTty(globalsOf(cmd).yes, kit.canPrompt(), 'Revoking API keys');
      const opts: RevokeOptions = { names: [...new Set(names)], ...(o.user !== undefined && { user: o.user }), ...(o.dryRun === true && { dryRun: true }) };
      kit.run((ctx) => revokeRun(ctx, opts));
    });
}

export async function revokeRun(ctx: Context, opts: RevokeOptions): Promise<void> {
  const api = (await ctx.api()).forUser(opts.user);
  const whose = api.targetUser === undefined ? '' : ` of ${api.targetUser}`;
  // Fetch every key first: a typo fails here, before any prompt and before anything is deleted.
  // A name or a token (a leaked one can be killed at once); the same key named twice is revoked once.
  const keys: WireApiKey[] = [];
  for (const name of opts.names) {
    const { key } = await findKey(ctx, api, name, 'revoke', (n) => import('../rotate/lineage.js').then((m) => m.successorOf(ctx, api, n)));
    if (key.type !== 'regular') throw new UsageError(`"${escapeControl(key.name)}" is the ${key.type} key and cannot be revoked.`);
    if (!keys.some((k) => k.name === key.name)) keys.push(key);
  }
  // What breaks: recorded env files that still hold a token about to die (docs/rotate.md).
  const creds = requireCredentials(await ctx.settings());
  const reg = (await ctx.records()).registry;
  const refOf = (name: string) => keyRef(creds.baseUrl, api.targetUser, name);
  for (const key of keys) {
    for (const d of reg.deploymentsOf(refOf(key.name))) {
      if (d.kind === 'env-file' && envFileState(d.path, d.variable, fingerprint(key.token)).state === 'holds') {
        warn(ctx, `"${escapeControl(key.name)}" is still deployed: ${escapeControl(d.path)} (${escapeControl(d.variable)}) holds its token.`);
      }
    }
  }
  const list = keys.map((k) => `"${escapeControl(k.name)}"`).join(', ');
  if (opts.dryRun) {
    if (ctx.globals.json) printJson(ctx, { dryRun: true, revoke: keys.map((k) => k.name) });
    else info(ctx, `Dry run: would revoke ${keys.length === 1 ? 'API key' : `${keys.length} API keys`} ${list}${whose}. Nothing was changed.`);
    return;
  }
  await confirmOrCancel(ctx, `Revoke ${keys.length === 1 ? 'API key' : `${keys.length} API keys`} ${list}${whose}? Apps using ${keys.length === 1 ? 'it' : 'them'} stop working.`);

  const revoked: string[] = [];
  for (const key of keys) {
    try {
      await api.deleteKey(key.name);
    } catch (err) {
      if (revoked.length === 0 || !(err instanceof ApiError)) throw err;
      // Say exactly what happened: some keys are gone, the rest are not.
      throw new ApiError(err.kind, `Revoked ${revoked.map((n) => `"${escapeControl(n)}"`).join(', ')}, but not "${escapeControl(key.name)}": ${err.message}`, {
        hint: `Run \`${commandLine('revoke', { args: keys.slice(revoked.length).map((k) => k.name) }, { user: api.targetUser })}\` to finish.`,
        ...(err.status !== undefined && { status: err.status }),
      });
    }
    revoked.push(key.name);
    reg.forget(refOf(key.name));
    reg.removeRetirement(refOf(key.name));
    if (!ctx.globals.json) success(ctx, `Revoked API key "${escapeControl(key.name)}"${whose}`);
  }
  if (ctx.globals.json) printJson(ctx, { revoked });
}
