import type { Context } from '../context.js';
import type { CommandScope } from '../text/command-line.js';

/**
 * The scope of a command this run tells the person to run next (resume, abort): the profile if it was
 * named on the command line, the member, and --yes where nobody could answer a prompt now either.
 */
export async function suggestedScope(ctx: Context, member: string | undefined): Promise<CommandScope> {
  const s = await ctx.settings();
  return {
    ...(s.profileSource === 'flag' && { profile: s.profile }),
    ...(member !== undefined && { user: member }),
    ...(!ctx.io.canPrompt() && { yes: true }),
  };
}
