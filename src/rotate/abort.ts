// `rotate --abort [old]`: back to where the rotation started. Targets that already got the new
// token get the old one back first (revoking the new key under apps that use it would break them),
// then the new key is revoked and the journal removed. Refused once the old key is gone: there is
// nothing to go back to, and revoking the new key would leave no key at all.

import type { ApiClient } from '../api/client.js';
import type { Context } from '../context.js';
import { ApiError, CancelledError, UsageError } from '../errors.js';
import { success, warn } from '../ui/output.js';
import { findKey, isRotationKey } from './engine.js';
import type { Journal } from './journal.js';
import { Interrupted, watchInterruptions } from './interrupt.js';
import { rotationCommands, stoppedError } from './messages.js';
import { withPendingJournal } from './pending.js';
import { deployTo, describeTarget, type DeployTarget } from './targets.js';
import type { RotationUi } from './ui.js';

export interface AbortOptions {
  name?: string;
  /** Skip the confirmation. */
  yes: boolean;
  /** --deploy-timeout given now: replaces the one the rotation started with. */
  deployTimeoutMs?: number;
  /** `--user`: the rotation of this organization member's key. */
  member?: string;
}

export interface AbortResult {
  journal: Journal;
  /** The new key existed and was revoked. */
  revoked: boolean;
  /** Targets that got the old token back. */
  restored: DeployTarget[];
}

export async function abortRotation(ctx: Context, opts: AbortOptions, ui: RotationUi): Promise<AbortResult> {
  return withPendingJournal(ctx, opts.name, '--abort', async (j, store) => {
    const cmd = await rotationCommands(ctx, j.oldName, j.member);
    if (j.steps.deleted !== null) {
      throw new UsageError(`The old key "${j.oldName}" was already deleted: there is nothing to go back to.`, {
        hint: `"${j.newName}" is the key in use now. Finish the rotation with: ${cmd.resume}`,
      });
    }
    const interruption = watchInterruptions(ctx);
    const api = (await ctx.api()).forUser(j.member);
    let old: Awaited<ReturnType<typeof findKey>>;
    try {
      old = await interruption.race(findKey(api, j.oldName));
    } catch (err) {
      if (err instanceof Interrupted) throw await stoppedError(ctx, j, err, 'undo');
      throw err;
    }
    if (old === undefined) {
      throw new UsageError(`The old key "${j.oldName}" no longer exists (deleted outside this rotation): undoing would leave no key.`, {
        hint: `Finish the rotation instead: ${cmd.resume}`,
      });
    }
    if (!opts.yes && !(await ui.confirmAbort(j))) throw new CancelledError('Nothing was changed.');
    if (opts.deployTimeoutMs !== undefined) j.deployTimeoutMs = opts.deployTimeoutMs;

    const quiet = ctx.globals.json;
    const restored: DeployTarget[] = [];
    let revoked = false;
    // Nothing is written after a stop signal: the next run starts from what was journaled.
    const save = (): void => {
      if (!interruption.signal.aborted) store.save(j, ctx.now());
    };
    try {
      // Every target the new token was sent to, finished or not: a cut-short attempt may have written it.
      for (const target of j.targets.filter((t) => t.deployedAt !== null || t.attemptedAt)) {
        interruption.check();
        // Journaled BEFORE the old token goes back: if this is cut short, the target may hold either
        // token, so a later --resume deploys the new one again instead of trusting "deployed".
        target.deployedAt = null;
        target.attemptedAt ??= ctx.now().toISOString();
        save();
        if (target.kind === 'manual' && !ui.interactive) {
          warn(ctx, `The new token of "${j.newName}" was deployed by hand: put the old one back there (carto-keys show ${j.oldName} --token-only${j.member === undefined ? '' : ` --user ${j.member}`}).`);
        } else {
          const attempt = deployTo(ctx, target, { name: old.name, token: old.token }, ui, {
            ...(j.deployTimeoutMs !== undefined && { timeoutMs: j.deployTimeoutMs }),
            signal: interruption.signal,
            onStart: (pgid) => {
              target.pgid = pgid;
              save();
            },
          });
          try {
            await (target.kind === 'command' ? attempt : interruption.race(attempt));
          } finally {
            delete target.pgid;
          }
          restored.push(target);
          if (!quiet) success(ctx, `Put the old token back: ${describeTarget(target)}`);
        }
        // The old token is back: nothing to undo here any more.
        target.attemptedAt = null;
        save();
      }
      interruption.check();
      // A rollback's "new" key is the original key: undoing the rollback keeps it (the rotation stands).
      const created = j.rollback === true ? false : await interruption.race(ourNewKey(ctx, j, api));
      if (created) {
        try {
          await interruption.race(api.deleteKey(j.newName));
        } catch (err) {
          if (!(err instanceof ApiError && err.kind === 'not_found')) throw err;
        }
        revoked = true;
        if (!quiet) success(ctx, `Revoked the new key "${j.newName}"`);
      }
    } catch (err) {
      throw await stoppedError(ctx, j, err, 'undo');
    }
    store.remove(j.id);
    return { journal: j, revoked, restored };
  }, opts.member);
}

/**
 * Whether the new key is this rotation's. When the journal does not say it was created, a key of that
 * name is revoked only if it grants exactly what the rotation asked for: never someone else's key.
 */
async function ourNewKey(ctx: Context, j: Journal, api: ApiClient): Promise<boolean> {
  if (j.steps.created !== null) return true;
  const key = await findKey(api, j.newName);
  if (key === undefined) return false;
  const ours = isRotationKey(j)(key);
  if (!ours) ctx.debug(`"${j.newName}" exists but is not this rotation's key: left alone`);
  return ours;
}
