import { type Command, Option } from 'commander';
import { escapeControl } from '../text/escape.js';
import { findKey } from '../domain/key-resolve.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { colors } from '../ui/color.js';
import { inheritsDefaultPublic, keyDetailLines } from '../ui/key-view.js';
import { info, maskToken, printJson, printLine } from '../ui/output.js';
import { keyJson, masterKeyLocation } from '../ui/key-output.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { addMemberOption, checkTokenOnly } from '../args/flags.js';
import { MASTER_KEY_NAME } from '../api/types.js';
import { registeredCommand } from './registered.js';

export interface ShowOptions {
  name: string;
  reveal: boolean;
  tokenOnly: boolean;
  /** `--user`: an organization member's key. */
  user?: string;
}

export function showCommand(kit: CommandKit): Command {
  const cmd = registeredCommand('show')
    .argument('<key>', 'the key, by its name (quote names with spaces: "Default public") or its token')
    .option('--reveal', 'show the token in full (never for the Master key)')
    .option('--token-only', 'print only the token, for $(...)')
    // The 0.1 spelling, hidden: one flag name per idea (--token-only, as on create, clone, regenerate).
    .addOption(new Option('--token').hideHelp());
  return addMemberOption(cmd)
    .addHelpText(
      'after',
      `
Examples:
  $ carto-keys show app
  $ carto-keys show "Default public" --json
  $ carto-keys show -- "$LEAKED_TOKEN"       # which key is it, and what can it do?
  $ export CARTO_API_KEY=$(carto-keys show app --token-only)
  $ carto-keys show bob-dashboard --user bob   # an organization member's key`,
    )
    .action((name: string, o: { reveal?: boolean; tokenOnly?: boolean; token?: boolean; user?: string }, cmd: Command) => {
      const tokenOnly = o.tokenOnly === true || o.token === true;
      checkTokenOnly(tokenOnly, globalsOf(cmd).json);
      const opts: ShowOptions = { name, reveal: o.reveal === true, tokenOnly, ...(o.user !== undefined && { user: o.user }) };
      kit.run((ctx) => showRun(ctx, opts));
    });
}

export async function showRun(ctx: Context, opts: ShowOptions): Promise<void> {
  // Refuse before any request: the Master token is never printed, and --token asks for nothing else.
  if (opts.tokenOnly && opts.name === MASTER_KEY_NAME) await refuseMaster(ctx, opts.user);
  const api = (await ctx.api()).forUser(opts.user);
  // A name or a token: with a leaked token, what it can do is the first thing to know.
  const { key, byToken } = await findKey(ctx, api, opts.name, 'show', (n) => import('../rotate/lineage.js').then((m) => m.successorOf(ctx, api, n)));
  if (opts.tokenOnly && key.type === 'master') await refuseMaster(ctx, api.targetUser);
  if (byToken && !ctx.globals.json) info(ctx, `That token belongs to the API key "${escapeControl(key.name)}".`);
  // --reveal is a way of looking, as for `list --reveal`: the Master token stays masked, and a note says why.
  const reveal = opts.reveal && key.type !== 'master';
  if (opts.reveal && key.type === 'master') {
    info(ctx, api.targetUser === undefined ? `The Master key is never printed; it is stored in ${await masterKeyLocation(ctx)}.` : `The Master key of ${api.targetUser} is never printed.`);
  }

  if (opts.tokenOnly) {
    printLine(ctx, key.token);
    return;
  }
  if (ctx.globals.json) {
    printJson(ctx, { ...keyJson(key, reveal ? 'full' : 'masked'), inheritsDefaultPublic: inheritsDefaultPublic(key) });
    return;
  }
  const c = colors(ctx.io.colorStdout);
  const shown = reveal ? key.token : maskToken(key.token, key.type);
  // Say how to see the token only when it is hidden and can be shown: not for Master, nor for a token
  // that is public anyway (Default public's).
  const hint = shown !== key.token && key.type !== 'master' ? c.dim('  (--reveal to show)') : '';
  for (const line of keyDetailLines(key, `${shown}${hint}`, c)) printLine(ctx, line);
}

async function refuseMaster(ctx: Context, member: string | undefined): Promise<never> {
  if (member !== undefined) {
    throw new UsageError(`The Master key of ${member} is never printed by carto-keys.`, {
      hint: `It is ${member}'s own secret: ${member} finds it in their CARTO dashboard (Settings > API keys).`,
      code: 'master_never_printed',
    });
  }
  throw new UsageError('The Master key is never printed by carto-keys.', { hint: `It is stored in ${await masterKeyLocation(ctx)}.`, code: 'master_never_printed' });
}
