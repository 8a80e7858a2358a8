import { Command } from 'commander';
import type { Context } from '../context.js';
import { describeKeySource } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { colors } from '../ui/color.js';
import { inheritsDefaultPublic, keyDetailLines } from '../ui/key-view.js';
import { maskToken, printJson, printLine } from '../ui/output.js';
import { keyJson } from '../ui/key-output.js';
import type { CommandKit } from '../args/kit.js';
import { MASTER_KEY_NAME } from '../api/types.js';

export interface ShowOptions {
  name: string;
  reveal: boolean;
  tokenOnly: boolean;
}

export function showCommand(kit: CommandKit): Command {
  return new Command('show')
    .alias('inspect')
    .description('Show one API key with every grant')
    .argument('<name>', 'name of the API key (quote names with spaces: "Default public")')
    .option('--reveal', 'show the token in full (never for the Master key)')
    .option('--token', 'print only the token, for $(...)')
    .addHelpText(
      'after',
      `
Examples:
  $ carto-keys show app
  $ carto-keys show "Default public" --json
  $ export CARTO_API_KEY=$(carto-keys show app --token)`,
    )
    .action((name: string, o: { reveal?: boolean; token?: boolean }) => {
      const opts: ShowOptions = { name, reveal: o.reveal === true, tokenOnly: o.token === true };
      kit.run((ctx) => showRun(ctx, opts));
    });
}

export async function showRun(ctx: Context, opts: ShowOptions): Promise<void> {
  const wantsToken = opts.reveal || opts.tokenOnly;
  // Refuse before any request: the Master token is never printed.
  if (wantsToken && opts.name === MASTER_KEY_NAME) await refuseMaster(ctx);
  const api = await ctx.api();
  const key = await api.getKey(opts.name);
  if (wantsToken && key.type === 'master') await refuseMaster(ctx);

  if (opts.tokenOnly) {
    printLine(ctx, key.token);
    return;
  }
  if (ctx.globals.json) {
    printJson(ctx, { ...keyJson(key, opts.reveal ? 'full' : 'masked'), inheritsDefaultPublic: inheritsDefaultPublic(key) });
    return;
  }
  const c = colors(ctx.io.colorStdout);
  const token = opts.reveal ? key.token : `${maskToken(key.token)}${key.type === 'master' ? '' : c.dim('  (--reveal to show)')}`;
  for (const line of keyDetailLines(key, token, c)) printLine(ctx, line);
}

async function refuseMaster(ctx: Context): Promise<never> {
  const s = await ctx.settings();
  const where = s.keySource ? describeKeySource(s.keySource) : 'your profile';
  throw new UsageError('The Master key is never printed by carto-keys.', { hint: `It is stored in ${where}.`, code: 'master_never_printed' });
}
