// `rotate --rollback <name>`: undo a finished rotation while its old key still lives (a --grace
// rotation waiting for `retire`). It is a rotation run backwards, on the same engine and journal: the
// successor is the key being replaced, the original key is the "new" one — it exists already, so the
// create step only fetches its token — every target the successor was deployed to gets the original
// token back (commands re-run with it), the original is verified, then the successor is revoked.
// `--resume` and `--abort` work on it as on any rotation; --abort never revokes the original key.
// It holds the locks of both keys: `retire` of the same rotation (the original's lock) waits its turn.

import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import { requireCredentials } from '../config/settings.js';
import { CancelledError, UsageError } from '../errors.js';
import { normalizeRenderedGrants, toCreateGrants } from '../grants/index.js';
import { info, warn } from '../ui/output.js';
import type { DeployTarget } from '../deploy/targets.js';
import { newJournal } from '../records/journal.js';
import { keyRef, memberOf } from '../records/key-ref.js';
import type { Deployment, Retirement } from '../records/registry.js';
import { findKey as findKeyByNameOrToken, isTokenShaped } from '../domain/key-resolve.js';
import { runRotation, type RotationResult } from './engine.js';
import { sameCreation } from './lineage.js';
import { runFlow } from './runner.js';
import type { RotationUi } from './ui.js';
import { commandLine } from '../text/command-line.js';

export interface RollbackOptions {
  /** Either key of the rotation: the successor or the original. */
  name: string;
  yes: boolean;
  deployTimeoutMs?: number;
  /** `--user`: a rotation of this organization member's key. */
  member?: string;
}

export async function startRollback(ctx: Context, opts: RollbackOptions, ui: RotationUi): Promise<RotationResult> {
  const creds = requireCredentials(await ctx.settings());
  const member = memberOf(opts.member, creds.username);
  const reg = (await ctx.records()).registry;
  const api = (await ctx.api()).forUser(member);
  const recorded = (name: string) => {
    const ref = keyRef(creds.baseUrl, member, name);
    return reg.retirementTo(ref) ?? reg.retirementOf(ref);
  };
  // A token (as show and revoke take one) is looked up, never echoed: its key's name is used instead.
  const name = recorded(opts.name) === undefined && isTokenShaped(opts.name) ? (await findKeyByNameOrToken(ctx, api, opts.name, 'rotate')).key.name : opts.name;
  const pending = recorded(name);
  if (pending === undefined) {
    throw new UsageError(`No rotation of "${name}"${member === undefined ? '' : ` of ${member}`} can be rolled back: none is waiting for its grace period to end.`, {
      hint: 'Only a rotation made with --grace keeps its old key alive, and only until `carto-keys retire` deletes it.',
    });
  }
  const originalRef = keyRef(creds.baseUrl, member, pending.oldName);
  const successorRef = keyRef(creds.baseUrl, member, pending.newName);
  return runFlow(ctx, creds, {
    locks: [originalRef, successorRef],
    refuse: [successorRef],
    async journal() {
      // Read again under the locks: a `retire` may have finished it a moment ago.
      const current = reg.retirementOf(originalRef);
      if (current === undefined || current.newName !== pending.newName) {
        throw new UsageError(`The rotation "${pending.oldName}" → "${pending.newName}" was retired or rolled back meanwhile.`);
      }
      const original = await api.findKey(pending.oldName);
      if (original === undefined || (pending.oldCreatedAt !== undefined && !sameCreation(original.created_at, pending.oldCreatedAt))) {
        reg.removeRetirement(originalRef);
        throw new UsageError(`The old key "${pending.oldName}" no longer exists: there is nothing to roll back to.`, {
          hint: `"${pending.newName}" stays the key in use.`,
        });
      }
      const targets = rollbackTargets(ctx, reg.deploymentsOf(successorRef));
      describe(ctx, pending, targets);
      if (!opts.yes && !(await ui.confirmCreate(pending.oldName))) throw new CancelledError('Nothing was changed.');
      const journal = {
        ...newJournal({
          profile: creds.profile,
          baseUrl: creds.baseUrl,
          username: creds.username,
          ...(member !== undefined && { member }),
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
      return { journal, fresh: true };
    },
    run: ({ store, journal, interruption }) => runRotation({ ctx, api, creds, store, journal, ui, resumed: true, interruption }),
  });
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
  info(ctx, `Rolling back "${escapeControl(r.oldName)}" → "${escapeControl(r.newName)}": "${escapeControl(r.oldName)}" goes back into ${targets.length} target(s), then "${escapeControl(r.newName)}" is revoked.`);
  if (targets.length === 0) info(ctx, `No deploy of "${escapeControl(r.newName)}" was recorded: apps that use it stop working (${commandLine('where', { args: [r.newName] }, { user: r.member })}).`);
}
