// `rotate --resume [old]`: the engine again, from the journal. Every finished step is skipped; an
// unfinished deploy target runs again (writing an env file or running a deploy command twice with
// the same token is harmless, which is why they may be retried).

import type { Context } from '../context.js';
import { humanTime, humanTimeFrom } from '../ui/time.js';
import { UsageError } from '../errors.js';
import { info } from '../ui/output.js';
import { runRotation, type RotationResult } from './engine.js';
import type { Journal } from '../records/journal.js';
import { describeTarget } from '../deploy/targets.js';
import { withPendingJournal } from './runner.js';
import type { RotationUi } from './ui.js';

export interface ResumeOptions {
  /** The old key's name; undefined: the only unfinished rotation. */
  name?: string;
  /** --delete-old / --keep-old: fills in a decision the journal does not have yet. */
  deleteOld?: boolean;
  /** --deploy-timeout given now: replaces the one the rotation started with. */
  deployTimeoutMs?: number;
  /** `--user`: the rotation of this organization member's key. */
  member?: string;
}

export async function resumeRotation(ctx: Context, opts: ResumeOptions, ui: RotationUi): Promise<RotationResult> {
  return withPendingJournal(ctx, opts.name, '--resume', async ({ journal, store, creds, interruption }) => {
    decideDelete(journal, opts.deleteOld, ui.interactive);
    if (opts.deployTimeoutMs !== undefined) journal.deployTimeoutMs = opts.deployTimeoutMs;
    store.save(journal, ctx.now());
    if (!ctx.globals.json) {
      const what = journal.create === true ? `the creation of "${journal.newName}"` : `the rotation of "${journal.oldName}" → "${journal.newName}"`;
      info(ctx, `Resuming ${what} (started ${humanTimeFrom(new Date(journal.startedAt), ctx.now())}).`);
      for (const line of recap(journal)) info(ctx, `  ${line}`);
    }
    const api = (await ctx.api()).forUser(journal.member);
    return runRotation({ ctx, api, creds, store, journal, ui, resumed: true, interruption });
  }, opts.member);
}

/** What was done already, and what is left: the person resuming may not be the one who started. */
export function recap(j: Journal): string[] {
  const lines = [j.steps.created === null ? `"${j.newName}": not known to be created yet (looked up first)` : `"${j.newName}": created ${humanTime(new Date(j.steps.created))}`];
  for (const t of j.targets) {
    const state =
      t.deployedAt !== null
        ? `deployed ${humanTime(new Date(t.deployedAt))}`
        : t.attemptedAt
          ? `interrupted or failed${t.error ? ` (${t.error})` : ''}: deployed again`
          : 'not deployed yet';
    lines.push(`${describeTarget(t)}: ${state}`);
  }
  if (j.steps.verified !== null) lines.push(`verified ${j.steps.verified}`);
  return lines;
}

/** The same rules as at the start (commands/rotate.ts), checked before any request. */
function decideDelete(journal: Journal, flag: boolean | undefined, interactive: boolean): void {
  if (journal.steps.deleted !== null || journal.create === true) return;
  if (flag !== undefined) {
    if (journal.deleteOld !== null && journal.deleteOld !== flag) {
      throw new UsageError(`This rotation was started with ${journal.deleteOld ? '--delete-old' : '--keep-old'}.`, {
        hint: 'To change that, undo it with --abort and start again.',
      });
    }
    journal.deleteOld = flag;
  }
  if (interactive) return;
  if (journal.deleteOld === null) {
    throw new UsageError('Pass --delete-old or --keep-old: this rotation was to ask at the end whether to delete the old key, and there is no terminal to ask.');
  }
  if (journal.deleteOld && flag === true && journal.targets.length === 0) {
    throw new UsageError('--delete-old needs a deploy target, and this rotation has none: nothing would use the new key.', {
      hint: 'Resume with --keep-old, or undo it with --abort and start again with --deploy-env-file or --deploy-cmd.',
    });
  }
}
