// apply: make the account match carto-keys.yaml. Creates first, then every replacement and rotation
// through the rotation engine (create → deploy → verify → delete, journal and all), then, with
// --prune, the deletion of unmanaged keys. An entry with two live keys is left alone (never chosen).
//
// A failure stops the run: exit 5 when something was already changed (what exists now, and the
// commands that continue or undo it), the original error when nothing was.

import type { ApiClient } from '../api/client.js';
import { shellQuote } from '../ui/shell-quote.js';
import type { Credentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { ApiError, CliError, PartialError } from '../errors.js';
import { grantSetsEqual } from '../grants/canonical.js';
import { normalizeRenderedGrants, toCreateGrants } from '../grants/normalize.js';
import { reasonOf } from '../rotate/messages.js';
import { runPlannedRotation } from '../rotate/planned.js';
import { deployTo, describeTarget } from '../rotate/targets.js';
import { ciUi } from '../rotate/ui.js';
import { success, warn } from '../ui/output.js';
import type { ApplyJournal, ApplyJournalStore, PendingCreate } from './apply-journal.js';
import type { Plan, PlanAction, PlannedKey } from './plan.js';

export type OutcomeStatus = 'done' | 'skipped' | 'failed' | 'not-started';

export interface ApplyOutcome {
  name: string;
  action: PlanAction | 'delete';
  from: string | null;
  to: string | null;
  status: OutcomeStatus;
  /** replace/rotate without deploy targets: the old key was kept and still works. */
  keptOld: boolean;
  note?: string;
}

export interface ApplyContext {
  ctx: Context;
  api: ApiClient;
  creds: Credentials;
  journals: ApplyJournalStore;
  journal: ApplyJournal;
  /** How the continue/undo commands must be typed here (-f, --profile). */
  resumeCommand: string;
  abortCommand: string;
  quiet: boolean;
  /** --grace: replaced and rotated keys are kept this long, then `retire` deletes them. */
  graceMs?: number;
}

/** The steps of a plan, in the order they run: creates, replacements and rotations, deletions. */
export function steps(plan: Plan, prune: boolean): PlannedKey[] {
  const of = (a: PlanAction): PlannedKey[] => plan.keys.filter((k) => k.action === a);
  return [...of('create'), ...plan.keys.filter((k) => k.action === 'replace' || k.action === 'rotate'), ...(prune ? of('unmanaged') : [])];
}

export async function applyPlan(a: ApplyContext, plan: Plan, prune: boolean): Promise<ApplyOutcome[]> {
  const todo = steps(plan, prune);
  const outcomes: ApplyOutcome[] = todo.map((k) => ({
    name: k.name,
    action: k.action === 'unmanaged' ? 'delete' : k.action,
    from: k.action === 'unmanaged' ? k.name : (k.from ?? null),
    to: k.to ?? null,
    status: 'not-started',
    keptOld: false,
  }));
  for (const k of plan.keys.filter((p) => p.action === 'ambiguous')) {
    if (!a.quiet) warn(a.ctx, `Left "${k.name}" alone: ${k.live.length > 1 ? `it has ${k.live.length} live keys (${k.live.map((l) => l.name).join(', ')})` : 'another entry may own its key'}. Revoke the one no app uses, then apply again.`);
  }
  let changed = false;
  for (const [i, k] of todo.entries()) {
    const out = outcomes[i]!;
    try {
      if (k.action === 'create') await create(a, k);
      else if (k.action === 'unmanaged') await remove(a, k);
      else out.keptOld = await replace(a, k);
      out.status = 'done';
      changed = true;
    } catch (err) {
      out.status = 'failed';
      out.note = reasonOf(err);
      // Nothing changed yet and this step left nothing behind: the plain error says it all.
      const leftSomething = err instanceof PartialError || a.journal.creates.length > 0;
      if (!changed && !leftSomething) throw err;
      throw stopped(a, outcomes, k, err);
    }
  }
  return outcomes;
}

async function create(a: ApplyContext, k: PlannedKey): Promise<void> {
  const e = k.entry!;
  const pending: PendingCreate | undefined = e.deploy.length > 0 ? { name: e.name, targets: e.deploy.map((t) => ({ ...t, deployedAt: null })) } : undefined;
  if (pending) {
    // Before the request: a crash after it leaves a key whose token --resume must still deploy.
    a.journal.creates.push(pending);
    a.journals.save(a.journal, a.ctx.now());
  }
  const { key, recovered } = await a.api.createKey(
    { name: e.name, grants: toCreateGrants(e.grants) },
    { isOurs: (existing) => existing.type === 'regular' && grantSetsEqual(normalizeRenderedGrants(existing.grants).grants, e.grants) },
  );
  if (recovered) warn(a.ctx, `"${key.name}" was created but the reply was lost or unreadable; recovered it.`);
  if (!a.quiet) success(a.ctx, `Created API key "${key.name}"`);
  if (pending) await deployCreated(a, pending, key.token);
  else if (!a.quiet) a.ctx.io.stderr.write(`  No deploy target: get its token with \`carto-keys show ${shellQuote(key.name)} --token\`.\n`);
}

/** Deploys a created key's token to its targets not yet done; the journal records each one. */
export async function deployCreated(a: Pick<ApplyContext, 'ctx' | 'journal' | 'journals' | 'quiet'>, pending: PendingCreate, token: string): Promise<void> {
  for (const target of pending.targets) {
    if (target.deployedAt !== null) continue;
    try {
      await deployTo(a.ctx, target, { name: pending.name, token }, ciUi(a.ctx));
    } catch (err) {
      target.error = reasonOf(err);
      a.journals.save(a.journal, a.ctx.now());
      throw new Error(`deploying "${pending.name}" to ${describeTarget(target)} failed: ${target.error}`, { cause: err });
    }
    target.deployedAt = a.ctx.now().toISOString();
    delete target.error;
    a.journals.save(a.journal, a.ctx.now());
    if (!a.quiet) success(a.ctx, `Deployed "${pending.name}" to ${describeTarget(target)}`);
  }
  a.journal.creates = a.journal.creates.filter((c) => c !== pending);
  a.journals.save(a.journal, a.ctx.now());
}

/** A replacement or a rotation, by the rotation engine. Returns whether the old key was kept. */
async function replace(a: ApplyContext, k: PlannedKey): Promise<boolean> {
  const e = k.entry!;
  if (!a.quiet) a.ctx.io.stderr.write(`${k.action === 'replace' ? 'Replacing' : 'Rotating'} "${k.from}" → "${k.to}"\n`);
  const deleteOld = e.deploy.length > 0;
  await runPlannedRotation(a.ctx, a.api, a.creds, { oldName: k.from!, newName: k.to!, grants: e.grants, targets: e.deploy, deleteOld, ...(a.graceMs !== undefined && { graceMs: a.graceMs }) });
  return !deleteOld;
}

async function remove(a: ApplyContext, k: PlannedKey): Promise<void> {
  try {
    await a.api.deleteKey(k.name);
  } catch (err) {
    if (!(err instanceof ApiError && err.kind === 'not_found')) throw err;
    warn(a.ctx, `"${k.name}" was already gone.`);
  }
  if (!a.quiet) success(a.ctx, `Deleted the unmanaged key "${k.name}"`);
}

function stopped(a: ApplyContext, outcomes: ApplyOutcome[], at: PlannedKey, err: unknown): PartialError {
  const done = outcomes.filter((o) => o.status === 'done').map(describeOutcome);
  const notStarted = outcomes.filter((o) => o.status === 'not-started').map((o) => `${o.action} ${o.name}`);
  const cause = err instanceof CliError ? `${err.message}${err.hint ? `\n${err.hint}` : ''}` : reasonOf(err);
  const lines = [
    `apply stopped at ${at.action === 'unmanaged' ? 'deleting' : at.action === 'create' ? 'creating' : at.action === 'replace' ? 'replacing' : 'rotating'} "${at.name}": ${cause}`,
    `Done: ${done.length > 0 ? done.join('; ') : 'nothing'}.`,
    ...(notStarted.length > 0 ? [`Not started: ${notStarted.join(', ')}.`] : []),
  ];
  return new PartialError(lines.join('\n'), {
    hint: `Continue: ${a.resumeCommand}\nUndo the unfinished replacement: ${a.abortCommand}`,
    cause: err,
  });
}

export function describeOutcome(o: ApplyOutcome): string {
  switch (o.action) {
    case 'create':
      return `created "${o.name}"`;
    case 'delete':
      return `deleted "${o.name}"`;
    default:
      return `${o.action === 'replace' ? 'replaced' : 'rotated'} "${o.from}" → "${o.to}"${o.keptOld ? ` (old key "${o.from}" kept)` : ''}`;
  }
}
