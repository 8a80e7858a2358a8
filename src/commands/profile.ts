import { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { ConfigData } from '../config/store.js';
import { colors } from '../ui/color.js';
import { info, printJson, printLine, success } from '../ui/output.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { requireYesOrTty } from '../args/flags.js';
import { confirmOrCancel } from '../ui/prompts.js';

export function profileCommand(kit: CommandKit): Command {
  const profile = new Command('profile').description('Manage profiles (one per account)').addHelpText(
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
        return { name, current: name === data.currentProfile, username: p.username, baseUrl: p.baseUrl, sandbox: p.sandbox === true, loggedIn: p.masterKey !== undefined };
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
    const state = p.masterKey ? '' : ' (logged out)';
    printLine(ctx, tty ? `${current ? c.green('*') : ' '} ${name.padEnd(width)}${p.username} @ ${where}${c.dim(state)}` : [name, current ? 'current' : '', p.username, p.baseUrl, p.masterKey ? 'logged-in' : 'logged-out'].join('\t'));
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

export async function profileRemoveRun(ctx: Context, name: string): Promise<void> {
  const store = await ctx.config();
  requireProfile(store.read(), name);
  await confirmOrCancel(ctx, `Remove profile "${name}" and its stored Master key?`);
  await store.update((data) => {
    requireProfile(data, name);
    delete data.profiles[name];
    if (data.currentProfile === name) delete data.currentProfile;
  });
  if (ctx.globals.json) printJson(ctx, { removed: name });
  else success(ctx, `Removed profile "${name}".`);
}
