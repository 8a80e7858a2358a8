// `rotate --resume [old]`: the engine again, from the journal. Every finished step is skipped; an
// unfinished deploy target runs again (writing an env file or running a deploy command twice with
// the same token is harmless, which is why they may be retried).

import { requireCredentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { info } from '../ui/output.js';
import { runRotation, type RotationResult } from './engine.js';
import { journalStore, type Journal } from './journal.js';
import { pendingJournal } from './pending.js';
import type { RotationUi } from './ui.js';

export interface ResumeOptions {
  /** The old key's name; undefined: the only unfinished rotation. */
  name?: string;
  /** --delete-old / --keep-old: fills in a decision the journal does not have yet. */
  deleteOld?: boolean;
}

export async function resumeRotation(ctx: Context, opts: ResumeOptions, ui: RotationUi): Promise<RotationResult> {
  const creds = requireCredentials(await ctx.settings());
  const store = journalStore(ctx.paths.config);
  const found = pendingJournal(store, creds, opts.name, '--resume');
  const lock = store.lock(found.id, found.oldName);
  try {
    // Read again under the lock: the rotation that held it may have finished meanwhile.
    const journal = store.read(found.id);
    if (journal === undefined) throw new UsageError(`The rotation of "${found.oldName}" was finished meanwhile.`);
    decideDelete(journal, opts.deleteOld, ui.interactive);
    store.save(journal, ctx.now());
    if (!ctx.globals().json) info(ctx, `Resuming the rotation of "${journal.oldName}" → "${journal.newName}" (started ${journal.startedAt}).`);
    const api = await ctx.api();
    return await runRotation({ ctx, api, creds, store, journal, ui, resumed: true });
  } finally {
    lock.release();
  }
}

/** The same rules as at the start (commands/rotate.ts), checked before any request. */
function decideDelete(journal: Journal, flag: boolean | undefined, interactive: boolean): void {
  if (journal.steps.deleted !== null) return;
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
