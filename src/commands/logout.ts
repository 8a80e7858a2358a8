import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { CommandKit } from '../args/kit.js';
import { printJson, success, warn } from '../ui/output.js';
import { forgetKey } from '../config/key-store.js';
import { keyFromEnvironment, loginCommandFor } from '../config/settings.js';
import { KEY_CMD_ENV } from '../config/key-command.js';
import { registeredCommand } from './registered.js';

export function logoutCommand(kit: CommandKit): Command {
  return registeredCommand('logout')
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
  // A broken credential helper or keychain must not stand in the way of forgetting it.
  const s = await ctx.settings({ readKey: false });
  const store = await ctx.config();
  const stored = s.profileStored ? store.read().profiles[s.profile] : undefined;
  // Idempotent, like `gh auth logout` should be in scripts: logging out twice is not an error. A
  // keychain entry is deleted first (a keychain that cannot be used fails here, before the file changes).
  const removed = stored !== undefined ? await forgetKey({ store, keychain: ctx.keychain }, s.profile) : false;
  const from = stored?.storage === 'keychain' ? `the OS keychain (${(await ctx.keychain()).backend})` : store.path;
  const again = loginCommandFor(s);
  if (ctx.globals.json) {
    printJson(ctx, { profile: s.profile, removed, store: stored?.storage ?? 'file', login: again });
  } else if (removed) {
    success(ctx, `Removed the Master key of profile "${s.profile}" from ${from}. To log in again: ${again}`);
  } else {
    warn(ctx, `Profile "${s.profile}" has no stored Master key: nothing to do. To log in: ${again}`);
  }
  if (s.keySource !== undefined && keyFromEnvironment(s.keySource) && !ctx.globals.json) {
    const variable = s.keySource.kind === 'env' ? s.keySource.variable : KEY_CMD_ENV;
    warn(ctx, `${variable} is still set in the environment and is used while it is.`);
  }
}
