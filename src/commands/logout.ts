import { Command } from 'commander';
import type { Context } from '../context.js';
import type { CommandKit } from '../args/kit.js';
import { printJson, success, warn } from '../ui/output.js';

export function logoutCommand(kit: CommandKit): Command {
  return new Command('logout')
    .description('Forget the stored Master key of the profile (its user and URL are kept)')
    .addHelpText(
      'after',
      `
Examples:
  $ carto-keys logout
  $ carto-keys logout --profile acme`,
    )
    .action(() => kit.run(logoutRun));
}

export async function logoutRun(ctx: Context): Promise<void> {
  const s = await ctx.settings();
  const store = await ctx.config();
  // Idempotent, like `gh auth logout` should be in scripts: logging out twice is not an error.
  const removed = s.profileStored
    ? await store.update((data) => {
        const p = data.profiles[s.profile];
        if (!p?.masterKey) return false;
        delete p.masterKey;
        return true;
      })
    : false;
  if (ctx.globals.json) {
    printJson(ctx, { profile: s.profile, removed });
  } else if (removed) {
    success(ctx, `Removed the Master key of profile "${s.profile}" from ${store.path}.`);
  } else {
    warn(ctx, `Profile "${s.profile}" has no stored Master key: nothing to do.`);
  }
  if (s.keySource?.kind === 'env' && !ctx.globals.json) warn(ctx, 'CARTO_KEYS_MASTER_KEY is still set in the environment and is used while it is.');
}
