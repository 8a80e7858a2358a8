import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { ConfigData } from '../config/store.js';
import { colors } from '../ui/color.js';
import { info, printJson, printLine, success, warn } from '../ui/output.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { requireYesOrTty } from '../args/flags.js';
import { confirmOrCancel } from '../ui/prompts.js';
import { leftoverWarning, moveKey, parseStorage, removeProfile, type Storage } from '../config/key-store.js';
import { registeredCommand } from './registered.js';

export function profileCommand(kit: CommandKit): Command {
  const profile = registeredCommand('profile').addHelpText(
    'after',
    `
Examples:
  $ carto-keys profile list
  $ carto-keys profile use acme
  $ carto-keys profile remove old --yes`,
  );
  profile
    .command('list')
    .alias('ls')
    .description('List profiles; * marks the current one')
    .addHelpText('after', '\nExamples:\n  $ carto-keys profile list\n  $ carto-keys profile list --json')
    .action(() => kit.run(profileListRun));
  profile
    .command('use')
    .description('Make a profile the current one')
    .argument('<profile>', 'profile name')
    .addHelpText('after', '\nExamples:\n  $ carto-keys profile use acme\n  $ CARTO_KEYS_PROFILE=acme carto-keys list   # one command only')
    .action((name: string) => kit.run((ctx) => profileUseRun(ctx, name)));
  profile
    .command('move-key')
    .description('Move a profile\'s stored Master key between the config file and the OS keychain')
    .argument('<profile>', 'profile name')
    .requiredOption('--to <store>', 'file (the 0600 config file) or keychain (the OS keychain)', (v: string) => parseStorage(v, '--to'))
    .addHelpText(
      'after',
      `
The key is written to its new place first, then the profile is updated, then the old copy is
removed: an interruption never loses it. The key itself is never shown.

Examples:
  $ carto-keys profile move-key default --to keychain
  $ carto-keys profile move-key acme --to file`,
    )
    .action((name: string, o: { to: Storage }) => kit.run((ctx) => profileMoveKeyRun(ctx, name, o.to)));
  profile
    .command('remove')
    .alias('rm')
    .description('Delete a profile and its stored Master key, after confirmation')
    .argument('<profile>', 'profile name')
    .addHelpText('after', '\nExamples:\n  $ carto-keys profile remove old\n  $ carto-keys profile rm old --yes')
    .action((name: string, _o: unknown, cmd: Command) => {
      requireYesOrTty(globalsOf(cmd).yes, kit.canPrompt(), 'Removing a profile');
      kit.run((ctx) => profileRemoveRun(ctx, name));
    });
  return profile;
}

export async function profileListRun(ctx: Context): Promise<void> {
  const data = (await ctx.config()).read();
  const names = Object.keys(data.profiles).sort();
  if (ctx.globals.json) {
    printJson(
      ctx,
      names.map((name) => {
        const p = data.profiles[name]!;
        return { name, current: name === data.currentProfile, username: p.username, baseUrl: p.baseUrl, sandbox: p.sandbox === true, loggedIn: p.masterKey !== undefined || p.keychainAccount !== undefined, storage: p.storage ?? 'file' };
      }),
    );
    return;
  }
  if (names.length === 0) {
    info(ctx, 'No profiles yet. Run `carto-keys login` (or `carto-keys login --sandbox` to try it out).');
    return;
  }
  const c = colors(ctx.io.colorStdout);
  const tty = ctx.io.stdoutIsTTY();
  const width = Math.max(...names.map((n) => n.length)) + 2;
  for (const name of names) {
    const p = data.profiles[name]!;
    const current = name === data.currentProfile;
    const where = p.sandbox ? 'built-in sandbox' : p.baseUrl;
    const loggedIn = p.masterKey !== undefined || p.keychainAccount !== undefined;
    const state = loggedIn ? (p.storage === 'keychain' ? ' (key in the OS keychain)' : '') : ' (logged out)';
    printLine(ctx, tty ? `${current ? c.green('*') : ' '} ${name.padEnd(width)}${p.username} @ ${where}${c.dim(state)}` : [name, current ? 'current' : '', p.username, p.baseUrl, loggedIn ? 'logged-in' : 'logged-out'].join('\t'));
  }
}

function requireProfile(data: ConfigData, name: string): void {
  if (data.profiles[name]) return;
  const known = Object.keys(data.profiles).sort();
  throw new UsageError(`No profile named "${name}".`, {
    hint: known.length ? `Profiles: ${known.join(', ')}.` : 'There are no profiles yet: run `carto-keys login`.',
  });
}

export async function profileUseRun(ctx: Context, name: string): Promise<void> {
  const store = await ctx.config();
  requireProfile(store.read(), name);
  await store.update((data) => {
    requireProfile(data, name);
    data.currentProfile = name;
  });
  if (ctx.globals.json) printJson(ctx, { current: name });
  else success(ctx, `Profile "${name}" is now current.`);
}

export async function profileMoveKeyRun(ctx: Context, name: string, to: Storage): Promise<void> {
  const store = await ctx.config();
  requireProfile(store.read(), name);
  const { moved, leftover } = await moveKey({ store, keychain: ctx.keychain }, name, to);
  const where = to === 'keychain' ? `the OS keychain (${(await ctx.keychain()).backend})` : `the config file ${store.path}`;
  if (ctx.globals.json) printJson(ctx, { profile: name, store: to, moved });
  else if (moved) success(ctx, `Moved the Master key of profile "${name}" to ${where}.`);
  else info(ctx, `The Master key of profile "${name}" is already in ${where}.`);
  if (leftover !== undefined) warn(ctx, leftoverWarning(leftover, name));
}

export async function profileRemoveRun(ctx: Context, name: string): Promise<void> {
  const store = await ctx.config();
  requireProfile(store.read(), name);
  const wasCurrent = store.read().currentProfile === name;
  await confirmOrCancel(ctx, `Remove profile "${name}"${wasCurrent ? ' (the current one)' : ''} and its stored Master key?`);
  // Its keychain entry goes too (first: a keychain that cannot be used leaves the profile as it was).
  if (!(await removeProfile({ store, keychain: ctx.keychain }, name))) requireProfile(store.read(), name);
  const after = store.read();
  const left = Object.keys(after.profiles).sort();
  if (ctx.globals.json) {
    printJson(ctx, { removed: name, current: after.currentProfile ?? null });
    return;
  }
  success(ctx, `Removed profile "${name}".`);
  // The next command would otherwise fail with "not logged in" and no word of why.
  if (wasCurrent) {
    info(
      ctx,
      left.length > 0
        ? `No profile is current now. Pick one: carto-keys profile use <name> (${left.join(', ')}).`
        : 'No profile is left: run `carto-keys login` (or `carto-keys login --sandbox`).',
    );
  }
}
