// Questions more than one command asks: confirmations and the name of a new key.

import type { Context } from '../context.js';
import { CancelledError } from '../errors.js';
import { validateKeyName } from '../grants/index.js';

/** Asks unless --yes was given; "no" cancels (exit 3) with nothing changed. */
export async function confirmOrCancel(ctx: Context, message: string): Promise<void> {
  if (ctx.globals.yes) return;
  if (!(await ctx.prompter.confirm(message, { default: false }))) throw new CancelledError('Nothing was changed.');
}

/** Asks for a new key's name with a suggestion; re-asks on an invalid or taken name. */
export async function promptKeyName(ctx: Context, suggested: string, taken: ReadonlySet<string>): Promise<string> {
  return ctx.prompter.input('Name of the new API key:', {
    default: suggested,
    validate: (v) => {
      try {
        validateKeyName(v);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      return taken.has(v) ? `A key named "${v}" already exists.` : true;
    },
  });
}
