// `rotate --rollback <name>`: undo a finished rotation while its old key still lives (a --grace
// rotation waiting for `retire`). It is a rotation run backwards, on the same engine and journal: the
// successor is the key being replaced, the original key is the "new" one — it exists already, so the
// create step only fetches its token — every target the successor was deployed to gets the original
// token back (commands re-run with it), the original is verified, then the successor is revoked.
// `--resume` and `--abort` work on it as on any rotation; --abort never revokes the original key.

import type { Context } from '../context.js';
import { requireCredentials } from '../config/settings.js';
import { CancelledError, UsageError } from '../errors.js';
import { normalizeRenderedGrants, toCreateGrants } from '../grants/index.js';
import { registry, type Deployment, type Retirement } from './registry.js';
import { info, warn } from '../ui/output.js';
import { shellQuote } from '../ui/shell-quote.js';
import { findKey, runRotation, type RotationResult } from './engine.js';
import { watchInterruptions } from './interrupt.js';
import { journalStore, newJournal, rotationLockId } from './journal.js';
import { refusePending } from './pending.js';
import type { DeployTarget } from './targets.js';
import type { RotationUi } from './ui.js';

export interface RollbackOptions {
  /** Either key of the rotation: the successor or the original. */
  name: string;
  yes: boolean;
  deployTimeoutMs?: number;
}

export async function startRollback(ctx: Context, opts: RollbackOptions, ui: RotationUi): Promise<RotationResult> {
  const creds = requireCredentials(await ctx.settings());
  const reg = registry(ctx.paths.config);
  const pending = reg.retirements(creds.baseUrl).find((r) => r.newName === opts.name || r.oldName === opts.name);
  if (pending === undefined) {
    throw new UsageError(`No rotation of "${opts.name}" can be rolled back: none is waiting for its grace period to end.`, {
      hint: 'Only a rotation made with --grace keeps its old key alive, and only until `carto-keys retire` deletes it.',
    });
  }
  const store = journalStore(ctx.paths.config);
  await refusePending(ctx, store, creds, pending.newName);
  const api = await ctx.api();
  const original = await findKey(api, pending.oldName);
  if (original === undefined) {
    reg.removeRetirement(creds.baseUrl, pending.oldName);
    throw new UsageError(`The old key "${pending.oldName}" no longer exists: there is nothing to roll back to.`, {
      hint: `"${pending.newName}" stays the key in use.`,
    });
  }
  const targets = rollbackTargets(ctx, reg.deploymentsOf(creds.baseUrl, pending.newName));
  const lock = store.lock(rotationLockId(creds.masterKey, pending.newName), pending.newName);
  try {
    await refusePending(ctx, store, creds, pending.newName);
    describe(ctx, pending, targets);
    if (!opts.yes && !(await ui.confirmCreate(pending.oldName))) throw new CancelledError('Nothing was changed.');
    const journal = {
      ...newJournal({
        profile: creds.profile,
        baseUrl: creds.baseUrl,
        username: creds.username,
        oldName: pending.newName,
        newName: pending.oldName,
        grants: toCreateGrants(normalizeRenderedGrants(original.grants).grants),
        targets,
        addingTargets: false,
        deleteOld: true,
        ...(opts.deployTimeoutMs !== undefined && { deployTimeoutMs: opts.deployTimeoutMs }),
        now: ctx.now(),
      }),
      rollback: true,
    };
    // The original key exists: the engine's create step only fetches its token again.
    journal.steps.created = ctx.now().toISOString();
    const interruption = watchInterruptions(ctx);
    store.save(journal, ctx.now());
    return await runRotation({ ctx, api, creds, store, journal, ui, resumed: true, interruption });
  } finally {
    lock.release();
    store.tidy();
  }
}

/** Where the successor went, as deploy targets; a token shown to a person cannot be taken back by us. */
function rollbackTargets(ctx: Context, deployments: readonly Deployment[]): DeployTarget[] {
  const out: DeployTarget[] = [];
  for (const d of deployments) {
    if (d.kind === 'env-file') out.push({ kind: 'env-file', path: d.path, variable: d.variable });
    else if (d.kind === 'command') out.push({ kind: 'command', command: d.command });
    else warn(ctx, 'The successor was also deployed by hand: put the old token back there yourself (carto-keys show <old> --reveal).');
  }
  // Env files first, then commands, as rotate orders them: a command may ship a file just written.
  return [...out.filter((t) => t.kind === 'env-file'), ...out.filter((t) => t.kind === 'command')];
}

function describe(ctx: Context, r: Retirement, targets: DeployTarget[]): void {
  if (ctx.globals.json) return;
  info(ctx, `Rolling back "${r.oldName}" → "${r.newName}": "${r.oldName}" goes back into ${targets.length} target(s), then "${r.newName}" is revoked.`);
  if (targets.length === 0) info(ctx, `No deploy of "${r.newName}" was recorded: apps that use it stop working (carto-keys where ${shellQuote(r.newName)}).`);
}
