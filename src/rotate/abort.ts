// `rotate --abort [old]`: back to where the flow started. Targets that may hold the new token get the
// old one back first, through the deployer (revoking the new key under apps that use it would break
// them), then the new key is revoked and the journal removed. Refused once the old key is gone: there
// is nothing to go back to, and revoking the new key would leave no key at all.
//
// A create (apply's, with no old key) has no old token to put back: its key is revoked only if no
// target may hold its token; otherwise it is kept, and the journal says which targets hold it.

import { escapeControl } from '../text/escape.js';
import type { ApiClient } from '../api/client.js';
import type { WireApiKey } from '../api/types.js';
import type { Context } from '../context.js';
import { CancelledError, UsageError } from '../errors.js';
import { success, warn } from '../ui/output.js';
import { DeployError, deployOne } from '../deploy/deployer.js';
import { describeTarget, type DeployTarget } from '../deploy/targets.js';
import { Interrupted } from '../deploy/interrupt.js';
import { journalRef, type Journal } from '../records/journal.js';
import { deleteKeyStep, deployerOf, isRotationKey, saveJournal } from './engine.js';
import { rotationCommands, stoppedError } from './messages.js';
import { withPendingJournal } from './runner.js';
import type { RotationUi } from './ui.js';
import { commandLine } from '../text/command-line.js';

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
  /** Command targets left alone: their deploy never succeeded, and putting the old token back failed too. */
  skipped: DeployTarget[];
  /** A create whose key was kept: targets may hold its token. */
  keptCreated: boolean;
}

export async function abortRotation(ctx: Context, opts: AbortOptions, ui: RotationUi): Promise<AbortResult> {
  return withPendingJournal(ctx, opts.name, '--abort', async ({ journal: j, store, creds, interruption }) => {
    const cmd = await rotationCommands(ctx, j.oldName, j.member);
    if (j.steps.deleted !== null) {
      throw new UsageError(`The old key "${escapeControl(j.oldName)}" was already deleted: there is nothing to go back to.`, {
        hint: `"${escapeControl(j.newName)}" is the key in use now. Finish the rotation with: ${cmd.resume}`,
      });
    }
    const api = (await ctx.api()).forUser(j.member);
    if (j.create === true) return abortCreate(ctx, j, api, opts, ui, { store, interruption });
    let old: WireApiKey | undefined;
    try {
      old = await interruption.race(api.findKey(j.oldName));
    } catch (err) {
      if (err instanceof Interrupted) throw await stoppedError(ctx, j, err, 'undo');
      throw err;
    }
    if (old === undefined) {
      throw new UsageError(`The old key "${escapeControl(j.oldName)}" no longer exists (deleted outside this rotation): undoing would leave no key.`, {
        hint: `Finish the rotation instead: ${cmd.resume}`,
      });
    }
    if (!opts.yes && !(await ui.confirmAbort(j))) throw new CancelledError('Nothing was changed.');
    if (opts.deployTimeoutMs !== undefined) j.deployTimeoutMs = opts.deployTimeoutMs;

    const quiet = ctx.globals.json;
    const restored: DeployTarget[] = [];
    const skipped: DeployTarget[] = [];
    let revoked = false;
    const save = (): void => saveJournal(ctx, store, j, interruption);
    const d = await deployerOf(ctx, creds, j, ui, interruption, save);
    try {
      // Every target the new token was sent to, finished or not: a cut-short attempt may have written it.
      for (const target of j.targets.filter((t) => t.deployedAt !== null || t.attemptedAt)) {
        interruption.check();
        if (target.kind === 'manual' && !ui.interactive) {
          target.deployedAt = null;
          warn(ctx, `The new token of "${escapeControl(j.newName)}" was deployed by hand: put the old one back there (${commandLine('show', { args: [j.oldName], options: ['--token-only'] }, { user: j.member })}).`);
          target.attemptedAt = null;
          save();
          continue;
        }
        const succeeded = target.deployedAt !== null;
        try {
          await deployOne(d, target, { name: old.name, token: old.token }, 'restore');
        } catch (err) {
          // A command whose deploy never succeeded, failing again now: re-running it forever would keep
          // the rotation stuck. It is left alone, and the person is told to check it.
          if (!(err instanceof DeployError) || succeeded || target.kind !== 'command') throw err;
          warn(ctx, `Skipped ${describeTarget(target)}: its deploy of "${escapeControl(j.newName)}" never succeeded, and putting "${escapeControl(j.oldName)}" back failed too (${err.reason}). Check what it deploys to still holds the token of "${escapeControl(j.oldName)}".`);
          target.attemptedAt = null;
          delete target.error;
          save();
          skipped.push(target);
          continue;
        }
        restored.push(target);
        if (!quiet) success(ctx, `Put the old token back: ${describeTarget(target)}`);
      }
      interruption.check();
      // A rollback's "new" key is the original key: undoing the rollback keeps it (the rotation stands).
      const created = j.rollback === true ? false : await interruption.race(ourNewKey(ctx, j, api));
      if (created) {
        await interruption.race(deleteKeyStep(ctx, api, { ...journalRef(j), name: j.newName }));
        revoked = true;
        if (!quiet) success(ctx, `Revoked the new key "${escapeControl(j.newName)}"`);
      }
    } catch (err) {
      throw await stoppedError(ctx, j, err, 'undo');
    }
    store.remove(j.id);
    return { journal: j, revoked, restored, skipped, keptCreated: false };
  }, opts.member);
}

/**
 * A create stopped before its token reached every target: revoked only when no target may hold its
 * token (a target attempted, even if it failed, may have written it).
 */
async function abortCreate(
  ctx: Context,
  j: Journal,
  api: ApiClient,
  opts: AbortOptions,
  ui: RotationUi,
  f: { store: { remove(id: string): void }; interruption: { race<T>(p: Promise<T>): Promise<T> } },
): Promise<AbortResult> {
  const holding = j.targets.filter((t) => t.deployedAt !== null || t.attemptedAt);
  if (holding.length > 0) {
    warn(ctx, `Kept "${escapeControl(j.newName)}": its token may be in ${holding.map(describeTarget).join(', ')}, and revoking it would leave a dead token there. Revoke it with \`${commandLine('revoke', { args: [j.newName] }, { user: j.member, yes: true })}\` once nothing reads it.`);
    f.store.remove(j.id);
    return { journal: j, revoked: false, restored: [], skipped: [], keptCreated: true };
  }
  if (!opts.yes && !(await ui.confirmAbort(j))) throw new CancelledError('Nothing was changed.');
  let revoked = false;
  try {
    if (await f.interruption.race(ourNewKey(ctx, j, api))) {
      await f.interruption.race(api.deleteIfExists(j.newName));
      revoked = true;
    }
  } catch (err) {
    throw await stoppedError(ctx, j, err, 'undo');
  }
  f.store.remove(j.id);
  return { journal: j, revoked, restored: [], skipped: [], keptCreated: false };
}

/**
 * Whether the new key is this rotation's. When the journal does not say it was created, a key of that
 * name is revoked only if it grants exactly what the rotation asked for: never someone else's key.
 */
async function ourNewKey(ctx: Context, j: Journal, api: ApiClient): Promise<boolean> {
  if (j.steps.created !== null) return true;
  const key = await api.findKey(j.newName);
  if (key === undefined) return false;
  const ours = isRotationKey(j)(key);
  if (!ours) ctx.debug(`"${escapeControl(j.newName)}" exists but is not this rotation's key: left alone`);
  return ours;
}
