// apply: make the account match carto-keys.yaml. Creates first (a create with deploy targets is a
// journaled flow of the rotation engine with no old key: create → deploy → verify), then every
// replacement and rotation through the rotation engine (create → deploy → verify → delete, journal and
// all), then, with --prune, the deletion of unmanaged keys (never of one recorded as deployed or taking
// part in a grace rotation, unless --prune-deployed). An entry with two live keys is left alone.
//
// A failure stops the run: exit 5 when something was already changed (what exists now, and the
// commands that continue or undo it), the original error when nothing was.

import type { ApiClient } from '../api/client.js';
import type { Credentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { CliError, PartialError } from '../errors.js';
import { grantSetsEqual } from '../grants/canonical.js';
import { normalizeRenderedGrants, toCreateGrants } from '../grants/normalize.js';
import { reasonOf } from '../deploy/deployer.js';
import type { Reporter } from '../rotate/events.js';
import { runPlannedCreate, runPlannedRotation } from '../rotate/planned.js';
import { renderEvent, targetForPeople } from '../rotate/events.js';
import { success, warn } from '../ui/output.js';
import type { Plan, PlanAction, PlannedKey } from './plan.js';
import { commandLine } from '../text/command-line.js';

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
  /** `--user`: the organization member whose keys these are. */
  member?: string;
  /** The keys file (absolute): journals name it, so `apply --resume` applies it again. */
  keysFile: string;
  /** --prune-deployed: --prune may delete keys recorded as deployed. */
  pruneDeployed: boolean;
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

/** The keys --prune would delete but keeps: recorded as deployed, or part of a grace rotation. */
export function keptFromPrune(plan: Plan, prune: boolean, pruneDeployed: boolean): PlannedKey[] {
  return prune && !pruneDeployed ? plan.keys.filter((k) => k.action === 'unmanaged' && k.inUse !== undefined) : [];
}

export async function applyPlan(a: ApplyContext, plan: Plan, prune: boolean): Promise<ApplyOutcome[]> {
  const keep = new Set(keptFromPrune(plan, prune, a.pruneDeployed));
  const todo = steps(plan, prune).filter((k) => !keep.has(k));
  for (const k of keep) {
    if (!a.quiet) warn(a.ctx, `Kept the unmanaged key "${k.name}": ${k.inUse}. Delete it with --prune-deployed, or \`${commandLine('revoke', { args: [k.name] }, { user: a.member })}\`.`);
  }
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
      const leftSomething = err instanceof PartialError;
      if (!changed && !leftSomething) throw err;
      throw stopped(a, outcomes, k, err);
    }
  }
  return outcomes;
}

/** Apply's own lines for the engine's events: the key named in each, as apply always said it. */
function applyReporter(a: ApplyContext): Reporter {
  const render = renderEvent(a.ctx);
  return (e) => {
    if (e.type === 'deployed') {
      if (!a.quiet) success(a.ctx, `Deployed "${e.name}" to ${targetForPeople(a.ctx, e.target)}`);
      return;
    }
    render(e);
  };
}

async function create(a: ApplyContext, k: PlannedKey): Promise<void> {
  const e = k.entry!;
  if (e.deploy.length > 0) {
    // Journaled before the request, deployed through the deployer: an interruption is resumable.
    await runPlannedCreate(a.ctx, a.api, a.creds, {
      name: e.name,
      grants: e.grants,
      targets: e.deploy,
      ...(a.member !== undefined && { member: a.member }),
      ...(e.check !== undefined && { checkCmd: e.check }),
      keysFile: a.keysFile,
      report: applyReporter(a),
    });
    return;
  }
  const { key, recovered } = await a.api.createKey(
    { name: e.name, grants: toCreateGrants(e.grants) },
    { isOurs: (existing) => existing.type === 'regular' && grantSetsEqual(normalizeRenderedGrants(existing.grants).grants, e.grants) },
  );
  if (recovered) warn(a.ctx, `"${key.name}" was created but the reply was lost or unreadable; recovered it.`);
  if (!a.quiet) success(a.ctx, `Created API key "${key.name}"`);
  if (!a.quiet) a.ctx.io.stderr.write(`  No deploy target: get its token with \`${commandLine('show', { args: [key.name], options: ['--token-only'] }, { user: a.member })}\`.\n`);
}

/** A replacement or a rotation, by the rotation engine. Returns whether the old key was kept. */
async function replace(a: ApplyContext, k: PlannedKey): Promise<boolean> {
  const e = k.entry!;
  if (!a.quiet) a.ctx.io.stderr.write(`${k.action === 'replace' ? 'Replacing' : 'Rotating'} "${k.from}" → "${k.to}"\n`);
  const deleteOld = e.deploy.length > 0;
  const old = k.live.find((l) => l.name === k.from);
  await runPlannedRotation(a.ctx, a.api, a.creds, {
    oldName: k.from!,
    newName: k.to!,
    grants: e.grants,
    targets: e.deploy,
    deleteOld,
    ...(a.graceMs !== undefined && { graceMs: a.graceMs }),
    ...(a.member !== undefined && { member: a.member }),
    ...(e.check !== undefined && { checkCmd: e.check }),
    ...(old?.createdAt != null && { oldCreatedAt: old.createdAt }),
    keysFile: a.keysFile,
    report: applyReporter(a),
  });
  return !deleteOld;
}

async function remove(a: ApplyContext, k: PlannedKey): Promise<void> {
  if (!(await a.api.deleteIfExists(k.name))) warn(a.ctx, `"${k.name}" was already gone.`);
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
