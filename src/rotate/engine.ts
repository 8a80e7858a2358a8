// The rotation engine: create → deploy → verify → delete, each step recorded in the journal before
// the next one starts, and each skipped when the journal says it is done. A fresh rotation and
// `--resume` run the same code; only where the journal comes from differs.
//
// The one safety rule it exists for: the old key is deleted only after the new key was created,
// deployed to every target and verified. Anything that stops it after the new key may exist is a
// PartialError (exit 5) naming both keys and the commands to continue or undo; a failure before
// anything was created is the original error, with no journal left behind.

import type { ApiClient } from '../api/client.js';
import { withHint } from '../api/failures.js';
import type { WireApiKey } from '../api/types.js';
import type { Credentials } from '../config/settings.js';
import { fingerprint } from '../text/fingerprint.js';
import type { Context } from '../context.js';
import { ApiError, UsageError } from '../errors.js';
import { diffGrants, grantSetsEqual, normalizeRenderedGrants } from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { warn } from '../ui/output.js';
import { DEFAULT_DEPLOY_TIMEOUT_MS, type DeployedKey } from '../deploy/command.js';
import { DeployError, deployOne, placeOf, reasonOf, type Deployer } from '../deploy/deployer.js';
import { envFileState } from '../deploy/env-check.js';
import { Interrupted, type Interruption } from '../deploy/interrupt.js';
import { describeTarget, type DeployTarget } from '../deploy/targets.js';
import { journalRef, type Journal, type JournalStore, type JournalTarget } from '../records/journal.js';
import { keyRef, type KeyRef } from '../records/key-ref.js';
import { registryKept } from '../records/registry.js';
import { memberBaseUrl } from '../domain/members.js';
import { renderEvent, type Reporter } from './events.js';
import { stoppedError } from './messages.js';
import type { RotationUi } from './ui.js';
import { commandLine } from '../text/command-line.js';

export interface Rotation {
  ctx: Context;
  /** Authenticated with the Master key. */
  api: ApiClient;
  creds: Credentials;
  store: JournalStore;
  journal: Journal;
  ui: RotationUi;
  /** A resumed rotation may have created its key without the journal knowing: look before creating. */
  resumed: boolean;
  /** Ctrl-C/SIGTERM: stops the step in progress (a deploy command: stopped and waited for). */
  interruption: Interruption;
  /** Progress events; default: the commands' lines on stderr. */
  report?: Reporter;
}

export interface RotationResult {
  journal: Journal;
  token: string;
}

/** A create refusal that proves nothing was created: the rotation ends with no journal. */
class NothingCreated extends Error {
  constructor(readonly original: unknown) {
    super('nothing was created');
  }
}

export function intendedGrants(j: Journal): GrantSet {
  // The journal keeps the create form; normalizing it is the identity on what it grants.
  return normalizeRenderedGrants(j.grants).grants;
}

/** Whether `k` is the key this rotation creates: a retried or resumed create must not adopt another. */
export function isRotationKey(j: Journal): (k: WireApiKey) => boolean {
  const intended = intendedGrants(j);
  return (k) => k.name === j.newName && k.type === 'regular' && grantSetsEqual(normalizeRenderedGrants(k.grants).grants, intended);
}

export async function runRotation(r: Rotation): Promise<RotationResult> {
  const j = r.journal;
  try {
    r.interruption.check();
    const key = await create(r);
    await deploy(r, key);
    await verify(r, key);
    await check(r, key);
    await finishOld(r);
    r.store.remove(j.id);
    return { journal: j, token: key.token };
  } catch (err) {
    if (err instanceof NothingCreated) {
      r.store.remove(j.id);
      throw err.original;
    }
    throw await stoppedError(r.ctx, j, err);
  }
}

/**
 * Writes a flow's journal, unless a stop signal arrived: then it stays as it was, since a step still
 * finishing in the background must not write over what --resume or --abort, started the moment this
 * process reports, will do.
 */
export function saveJournal(ctx: Context, store: JournalStore, j: Journal, interruption: Interruption): void {
  if (interruption.signal.aborted) return;
  store.save(j, ctx.now());
}

function save(r: Rotation): void {
  saveJournal(r.ctx, r.store, r.journal, r.interruption);
}

function report(r: Rotation): Reporter {
  return r.report ?? renderEvent(r.ctx);
}

/** An API call of a step: given up (the process is about to report and exit) on a stop signal. */
function call<T>(r: Rotation, p: Promise<T>): Promise<T> {
  return r.interruption.race(p);
}

function stamp(r: Rotation): string {
  return r.ctx.now().toISOString();
}

/** The deployer of a journaled flow: its journal, its interruption, its registry. */
export async function deployerOf(ctx: Context, creds: Credentials, j: Journal, ui: RotationUi, interruption: Interruption, saveJournal: () => void): Promise<Deployer> {
  return {
    ctx,
    interruption,
    ui,
    save: saveJournal,
    ...(j.deployTimeoutMs !== undefined && { timeoutMs: j.deployTimeoutMs }),
    ...(registryKept(ctx.env, creds) && { registry: (await ctx.records()).registry }),
    owner: { account: journalRef(j).account, ...(j.member !== undefined && { member: j.member }) },
  };
}

async function create(r: Rotation): Promise<DeployedKey> {
  const j = r.journal;
  if (j.steps.created !== null) {
    // The token is not in the journal on purpose: the Master key can always fetch it again.
    const key = await call(r, r.api.getKey(j.newName));
    return { name: key.name, token: key.token };
  }
  const isOurs = isRotationKey(j);
  let key = r.resumed ? await call(r, r.api.findKey(j.newName)) : undefined;
  if (key !== undefined && !isOurs(key)) {
    throw new NothingCreated(
      new UsageError(`An API key named "${j.newName}" exists but is not the one this rotation would create.`, {
        hint: `Start the rotation again with another --name.`,
      }),
    );
  }
  let recovered = false;
  if (key === undefined) {
    try {
      const made = await call(r, r.api.createKey({ name: j.newName, grants: j.grants }, { isOurs }));
      key = made.key;
      recovered = made.recovered;
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      key = await call(r, afterCreateFailure(r, err, isOurs));
    }
  }
  j.steps.created = stamp(r);
  save(r);
  report(r)({ type: 'created', name: j.newName, recovered });
  return { name: key.name, token: key.token };
}

/** The create failed: did it happen anyway? Throws NothingCreated only when sure it did not. */
async function afterCreateFailure(r: Rotation, err: unknown, isOurs: (k: WireApiKey) => boolean): Promise<WireApiKey> {
  if (!(err instanceof ApiError) || err.delivery !== 'ambiguous') throw new NothingCreated(err);
  // If this lookup fails too, the journal stays: --resume looks again, --abort cleans up.
  const name = r.journal.newName;
  const existing = await r.api.findKey(name);
  if (existing !== undefined && isOurs(existing)) return existing;
  // The client's hint ("may have been created anyway: check with show") is answered now: say what
  // the look found instead.
  const hint =
    existing === undefined
      ? `No API key named "${name}" exists: nothing was created, so running the rotation again is safe`
      : `An API key named "${name}" exists but is not the one this rotation creates: check it with \`${commandLine('show', { args: [name] }, { user: r.journal.member })}\`, then start the rotation again with another --name`;
  throw new NothingCreated(withHint(err, hint));
}

async function deploy(r: Rotation, key: DeployedKey): Promise<void> {
  const j = r.journal;
  const d = await deployerOf(r.ctx, r.creds, j, r.ui, r.interruption, () => save(r));
  // A copy: a target the person drops after a failure leaves the list while we walk it.
  for (const target of [...j.targets]) {
    if (target.deployedAt === null) await deployWithChoice(r, d, target, key);
  }
  r.interruption.check();
  if (!j.addingTargets) return;
  if (r.ui.interactive) {
    for (let next = await r.ui.nextTarget(); next !== undefined; next = await r.ui.nextTarget()) {
      const target: JournalTarget = { ...next, deployedAt: null, attemptedAt: null };
      j.targets.push(target);
      save(r);
      await deployWithChoice(r, d, target, key);
    }
  }
  // Without a terminal nobody can add more: the targets recorded are all there will be.
  j.addingTargets = false;
  save(r);
}

/** One target through the deployer; after a failure the person (on a terminal) may retry or drop it. */
async function deployWithChoice(r: Rotation, d: Deployer, target: JournalTarget, key: DeployedKey): Promise<void> {
  const j = r.journal;
  for (;;) {
    try {
      await deployOne(d, target, key);
      report(r)({ type: 'deployed', target: placeOf(target), name: key.name });
      return;
    } catch (err) {
      if (!(err instanceof DeployError)) throw err;
      const choice = await r.ui.afterDeployFailure(target, err.reason);
      if (choice === 'retry') continue;
      if (choice === 'drop') {
        j.targets.splice(j.targets.indexOf(target), 1);
        save(r);
        report(r)({ type: 'dropped', target: placeOf(target) });
        return;
      }
      throw err;
    }
  }
}

/**
 * What is wrong with the key a token authenticates as (`me`), for the key `name` that must grant exactly
 * `intended`; empty when nothing is. Verify checks a new key with it, and `retire` checks a successor
 * again before the old key goes.
 */
export function keyProblems(me: WireApiKey, name: string, intended: GrantSet): string[] {
  const actual = normalizeRenderedGrants(me.grants).grants;
  const problems: string[] = [];
  if (me.name !== name) problems.push(`the token belongs to "${me.name}"`);
  if (me.type !== 'regular') problems.push(`it is a ${me.type} key`);
  if (!grantSetsEqual(actual, intended)) {
    const diff = diffGrants(intended, actual).map((d) => `${d.sign} ${d.text}`);
    problems.push(`its grants differ from the intended ones (${diff.join(', ')})`);
  }
  return problems;
}

/** A client authenticated with `token`, a key of `member` (or of the caller): on the member's own URL. */
export async function clientAsKey(ctx: Context, creds: Credentials, member: string | undefined, token: string): Promise<ApiClient> {
  const baseUrl = member === undefined ? creds.baseUrl : memberBaseUrl(creds.baseUrl, member) ?? creds.baseUrl;
  return ctx.clientFor({ baseUrl, username: member ?? creds.username, token, sandbox: creds.sandbox });
}

async function verify(r: Rotation, key: DeployedKey): Promise<void> {
  const j = r.journal;
  if (j.steps.verified !== null) return;
  r.interruption.check();
  const asNewKey = await clientAsKey(r.ctx, r.creds, j.member, key.token);
  let me: WireApiKey;
  try {
    me = await call(r, asNewKey.whoami());
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    throw new Error(`verifying "${j.newName}" failed: its token does not work (${reasonOf(err)})`, { cause: err });
  }
  const problems = keyProblems(me, j.newName, intendedGrants(j));
  if (problems.length > 0) throw new Error(`verifying "${j.newName}" failed: ${problems.join('; ')}`);
  j.steps.verified = stamp(r);
  save(r);
  report(r)({ type: 'verified', name: j.newName });
}

/**
 * The app check (--check-cmd, `check:`): the app works with the new key. Run after deploy and verify,
 * before any delete, with the key's name in CARTO_API_KEY_NAME and its token on stdin only.
 */
async function check(r: Rotation, key: DeployedKey): Promise<void> {
  const j = r.journal;
  if (j.checkCmd === undefined || (j.steps.checked ?? null) !== null) return;
  r.interruption.check();
  try {
    await runCheck(r.ctx, j.checkCmd, key, { signal: r.interruption.signal, ...(j.deployTimeoutMs !== undefined && { timeoutMs: j.deployTimeoutMs }) });
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    throw new Error(`the app check \`${j.checkCmd}\` failed with "${j.newName}": ${reasonOf(err)} (fix the app, then continue; or undo to put the old token back)`, { cause: err });
  }
  j.steps.checked = stamp(r);
  save(r);
  report(r)({ type: 'checked', name: j.newName, command: j.checkCmd });
}

export async function runCheck(ctx: Context, command: string, key: DeployedKey, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  return (await ctx.shell()).run(command, key, {
    timeoutMs: opts.timeoutMs ?? DEFAULT_DEPLOY_TIMEOUT_MS,
    stdinOnly: true,
    ...(opts.signal !== undefined && { signal: opts.signal }),
  });
}

async function finishOld(r: Rotation): Promise<void> {
  const j = r.journal;
  if (j.steps.deleted !== null || j.create === true) return;
  const ref = journalRef(j);
  const revoke = commandLine('revoke', { args: [j.oldName] }, { user: j.member });
  if (j.deleteOld === null) {
    j.deleteOld = await call(r, r.ui.decideDelete(j));
    save(r);
  }
  if (j.deleteOld && j.graceMs !== undefined) {
    await scheduleRetirement(r);
    return;
  }
  if (!j.deleteOld) {
    report(r)({ type: 'kept', name: j.oldName, revoke });
    return;
  }
  // The one irreversible step: only when every target is known to hold the new token.
  const unsure = j.targets.filter((t) => t.deployedAt === null);
  if (unsure.length > 0) throw new Error(`not deleting the old key: ${unsure.map(describeTarget).join(', ')} may not hold the new token`);
  r.interruption.check();
  // Nor while an env file recorded for the old key still holds its token: on a terminal the person may
  // decide it goes anyway, knowing what breaks; otherwise it is kept.
  const holders = await call(r, heldBy(r.ctx, r.api, ref));
  if (holders.length > 0 && !(r.ui.interactive && (await call(r, r.ui.confirmDeleteHeld(j.oldName, holders))))) {
    j.deleteOld = false;
    save(r);
    report(r)({ type: 'kept-held', name: j.oldName, holders, revoke });
    return;
  }
  let alreadyGone: boolean;
  try {
    alreadyGone = await call(r, deleteKeyStep(r.ctx, r.api, ref, { successor: j.newName, grants: j.grants, ...(j.rollback === true && { rollback: true }) }));
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    throw new Error(`deleting the old key "${j.oldName}" failed: ${reasonOf(err)}`, { cause: err });
  }
  j.steps.deleted = stamp(r);
  save(r);
  // A rollback's successor is deleted: the original key waits for no retirement any more.
  if (j.rollback === true) await forgetRetirement(r.ctx, keyRef(j.baseUrl, j.member, j.newName));
  report(r)({ type: 'deleted', name: j.oldName, alreadyGone });
}

/**
 * The env files recorded for a key that still hold its token: what its deletion would break. No
 * request when nothing is recorded.
 */
export async function heldBy(ctx: Context, api: ApiClient, ref: KeyRef): Promise<string[]> {
  const files = (await ctx.records()).registry.deploymentsOf(ref).filter((d) => d.kind === 'env-file');
  if (files.length === 0) return [];
  const key = await api.findKey(ref.name);
  if (key === undefined) return [];
  const fp = fingerprint(key.token);
  return files.flatMap((d) => (d.kind === 'env-file' && envFileState(d.path, d.variable, fp).state === 'holds' ? [`${d.path} (${d.variable})`] : []));
}

/**
 * The delete step, shared by a rotation and `retire`: the key goes (already gone is fine), its
 * deployments are forgotten, its own retirement too, and a retirement that waited on it as a successor
 * now waits on its successor (`successor`, with its grants) instead, so a chain of rotations in a grace
 * window still ends with the first key retired. The successor is remembered (a later "no such key"
 * names it), except after a rollback, which replaced nothing. Returns whether it was already gone.
 */
export async function deleteKeyStep(
  ctx: Context,
  api: ApiClient,
  ref: KeyRef,
  successor?: { successor: string; grants: Journal['grants']; rollback?: boolean },
): Promise<boolean> {
  const alreadyGone = !(await api.deleteIfExists(ref.name));
  try {
    const reg = (await ctx.records()).registry;
    if (reg.exists()) {
      reg.forget(ref);
      reg.removeRetirement(ref);
      const waiting = reg.retirementTo(ref);
      if (waiting !== undefined && successor !== undefined && waiting.oldName !== successor.successor) {
        reg.scheduleRetirement(ref.account, { ...waiting, newName: successor.successor, grants: successor.grants });
      }
      if (successor !== undefined && successor.rollback !== true) reg.recordSuccession(ref, successor.successor, ctx.now());
    }
  } catch (err) {
    warn(ctx, `Could not update the deployment registry: ${reasonOf(err)}`);
  }
  return alreadyGone;
}

async function forgetRetirement(ctx: Context, ref: KeyRef): Promise<void> {
  try {
    (await ctx.records()).registry.removeRetirement(ref);
  } catch (err) {
    warn(ctx, `Could not update the deployment registry: ${reasonOf(err)}`);
  }
}

/** --grace: the old key lives on until the deadline; `retire` deletes it after checking again. */
async function scheduleRetirement(r: Rotation): Promise<void> {
  const j = r.journal;
  const retireAfter = retireAfterOf(j, r.ctx.now());
  // Idempotent (keyed by the old key): a resumed rotation that gets here again changes nothing.
  (await r.ctx.records()).registry.scheduleRetirement(journalRef(j).account, {
    ...(j.member !== undefined && { member: j.member }),
    oldName: j.oldName,
    ...(j.oldCreatedAt !== undefined && { oldCreatedAt: j.oldCreatedAt }),
    newName: j.newName,
    retireAfter: retireAfter.toISOString(),
    grants: j.grants,
    rotatedAt: stamp(r),
    ...(j.checkCmd !== undefined && { checkCmd: j.checkCmd }),
  });
  report(r)({
    type: 'scheduled',
    oldName: j.oldName,
    newName: j.newName,
    retireAfter: retireAfter.toISOString(),
    rollback: commandLine('rotate', { options: ['--rollback', j.newName] }, { user: j.member }),
  });
}

/** The grace counts from the end of the rotation (verify), so a slow deploy does not eat into it. */
export function retireAfterOf(j: Journal, now: Date): Date {
  const from = j.steps.verified !== null ? new Date(j.steps.verified) : now;
  return new Date(from.getTime() + (j.graceMs ?? 0));
}

/** The deploy targets of a journal, without their progress: for summaries. */
export function plainTargets(j: Journal): DeployTarget[] {
  return j.targets.map(placeOf);
}
