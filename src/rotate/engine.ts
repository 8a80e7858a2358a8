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
import { shellQuote } from '../ui/shell-quote.js';
import type { Credentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { ApiError, CancelledError, UsageError } from '../errors.js';
import { diffGrants, grantSetsEqual, normalizeRenderedGrants } from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { info, success, warn } from '../ui/output.js';
import type { DeployedKey } from './deploy-command.js';
import type { Journal, JournalStore, JournalTarget } from './journal.js';
import { reasonOf, stoppedError } from './messages.js';
import { Interrupted, type Interruption } from './interrupt.js';
import { deployTo, describeTarget, type DeployTarget } from './targets.js';
import type { RotationUi } from './ui.js';
import { memberBaseUrl } from '../domain/members.js';
import { fingerprint } from '../config/settings.js';
import { registry, registryKept } from './registry.js';

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

/** API failures after which the create may have happened anyway (the reply was lost). */
const MAYBE_APPLIED = new Set(['network', 'timeout', 'server', 'bad_response', 'http']);

export function intendedGrants(j: Journal): GrantSet {
  // The journal keeps the create form; normalizing it is the identity on what it grants.
  return normalizeRenderedGrants(j.grants).grants;
}

/** Whether `k` is the key this rotation creates: a retried or resumed create must not adopt another. */
export function isRotationKey(j: Journal): (k: WireApiKey) => boolean {
  const intended = intendedGrants(j);
  return (k) => k.name === j.newName && k.type === 'regular' && grantSetsEqual(normalizeRenderedGrants(k.grants).grants, intended);
}

export async function findKey(api: ApiClient, name: string): Promise<WireApiKey | undefined> {
  try {
    return await api.getKey(name);
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not_found') return undefined;
    throw err;
  }
}

export async function runRotation(r: Rotation): Promise<RotationResult> {
  const j = r.journal;
  try {
    r.interruption.check();
    const key = await create(r);
    await deploy(r, key);
    await verify(r, key);
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

function save(r: Rotation): void {
  // After a stop signal the journal stays as it was: a step still finishing in the background must not
  // write over what --resume or --abort, started the moment this process reports, will do.
  if (r.interruption.signal.aborted) return;
  r.store.save(r.journal, r.ctx.now());
}

/** An API call of a step: given up (the process is about to report and exit) on a stop signal. */
function call<T>(r: Rotation, p: Promise<T>): Promise<T> {
  return r.interruption.race(p);
}

function stamp(r: Rotation): string {
  return r.ctx.now().toISOString();
}

function quiet(r: Rotation): boolean {
  return r.ctx.globals.json;
}

async function create(r: Rotation): Promise<DeployedKey> {
  const j = r.journal;
  if (j.steps.created !== null) {
    // The token is not in the journal on purpose: the Master key can always fetch it again.
    const key = await call(r, r.api.getKey(j.newName));
    return { name: key.name, token: key.token };
  }
  const isOurs = isRotationKey(j);
  let key = r.resumed ? await call(r, findKey(r.api, j.newName)) : undefined;
  if (key !== undefined && !isOurs(key)) {
    throw new NothingCreated(
      new UsageError(`An API key named "${j.newName}" exists but is not the one this rotation would create.`, {
        hint: `Start the rotation again with another --name.`,
      }),
    );
  }
  if (key === undefined) {
    try {
      const made = await call(r, r.api.createKey({ name: j.newName, grants: j.grants }, { isOurs }));
      key = made.key;
      if (made.recovered) warn(r.ctx, 'The key was created but the reply was lost or unreadable; recovered it.');
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      key = await call(r, afterCreateFailure(r, err, isOurs));
    }
  }
  j.steps.created = stamp(r);
  save(r);
  if (!quiet(r)) success(r.ctx, `Created API key "${j.newName}"`);
  return { name: key.name, token: key.token };
}

/** The create failed: did it happen anyway? Throws NothingCreated only when sure it did not. */
async function afterCreateFailure(r: Rotation, err: unknown, isOurs: (k: WireApiKey) => boolean): Promise<WireApiKey> {
  if (!(err instanceof ApiError) || !MAYBE_APPLIED.has(err.kind)) throw new NothingCreated(err);
  // If this lookup fails too, the journal stays: --resume looks again, --abort cleans up.
  const name = r.journal.newName;
  const existing = await findKey(r.api, name);
  if (existing !== undefined && isOurs(existing)) return existing;
  // The client's hint ("may have been created anyway: check with show") is answered now: say what
  // the look found instead.
  const hint =
    existing === undefined
      ? `No API key named "${name}" exists: nothing was created, so running the rotation again is safe`
      : `An API key named "${name}" exists but is not the one this rotation creates: check it with \`carto-keys show "${name}"\`, then start the rotation again with another --name`;
  throw new NothingCreated(withHint(err, hint));
}

async function deploy(r: Rotation, key: DeployedKey): Promise<void> {
  const j = r.journal;
  // A copy: a target the person drops after a failure leaves the list while we walk it.
  for (const target of [...j.targets]) {
    if (target.deployedAt === null) await deployOne(r, target, key);
  }
  r.interruption.check();
  if (!j.addingTargets) return;
  if (r.ui.interactive) {
    for (let next = await r.ui.nextTarget(); next !== undefined; next = await r.ui.nextTarget()) {
      const target: JournalTarget = { ...next, deployedAt: null, attemptedAt: null };
      j.targets.push(target);
      save(r);
      await deployOne(r, target, key);
    }
  }
  // Without a terminal nobody can add more: the targets recorded are all there will be.
  j.addingTargets = false;
  save(r);
}

async function deployOne(r: Rotation, target: JournalTarget, key: DeployedKey): Promise<void> {
  const j = r.journal;
  const what = describeTarget(target);
  for (;;) {
    r.interruption.check();
    // Journaled before it starts: if this process dies now, --abort knows to put the old token back
    // here, and --resume knows the target may hold either token.
    target.attemptedAt ??= stamp(r);
    save(r);
    try {
      const attempt = deployTo(r.ctx, target, key, r.ui, {
        ...(j.deployTimeoutMs !== undefined && { timeoutMs: j.deployTimeoutMs }),
        signal: r.interruption.signal,
        onStart: (pgid) => {
          target.pgid = pgid;
          save(r);
        },
      });
      // A command stops itself on a signal (and is waited for); a person at a prompt is just left.
      await (target.kind === 'command' ? attempt : call(r, attempt));
    } catch (err) {
      delete target.pgid;
      if (err instanceof CancelledError || err instanceof Interrupted) throw err;
      target.error = reasonOf(err);
      save(r);
      const choice = await r.ui.afterDeployFailure(target, target.error);
      if (choice === 'retry') continue;
      if (choice === 'drop') {
        j.targets.splice(j.targets.indexOf(target), 1);
        save(r);
        warn(r.ctx, `Dropped the deploy target ${what}.`);
        return;
      }
      throw new Error(`deploying to ${what} failed: ${target.error}`, { cause: err });
    }
    delete target.pgid;
    target.deployedAt = stamp(r);
    delete target.error;
    save(r);
    recordDeployment(r, target, key);
    if (!quiet(r)) success(r.ctx, `Deployed to ${what}`);
    return;
  }
}

/**
 * The deployment registry learns where the token went (its fingerprint, never the token): `where`,
 * `retire`, `revoke` and `audit` read it. After the journal, which stays the source of truth for the
 * rotation itself; a registry that cannot be written is reported, and the rotation goes on.
 */
function recordDeployment(r: Rotation, target: JournalTarget, key: DeployedKey): void {
  if (r.interruption.signal.aborted || !registryKept(r.ctx.env, r.creds)) return;
  const { deployedAt: _d, attemptedAt: _a, pgid: _p, error: _e, ...place } = target;
  try {
    registry(r.ctx.paths.config).record(r.journal.baseUrl, key.name, place as DeployTarget, fingerprint(key.token), r.ctx.now());
  } catch (err) {
    warn(r.ctx, `Could not record this deploy in the deployment registry: ${reasonOf(err)}`);
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

async function verify(r: Rotation, key: DeployedKey): Promise<void> {
  const j = r.journal;
  if (j.steps.verified !== null) return;
  r.interruption.check();
  const { sandbox } = r.creds;
  // A member's new token authenticates only as that member, on their own URL (start checked it exists).
  const baseUrl = j.member === undefined ? r.creds.baseUrl : memberBaseUrl(r.creds.baseUrl, j.member) ?? r.creds.baseUrl;
  const username = j.member ?? r.creds.username;
  const asNewKey = await r.ctx.clientFor({ baseUrl, username, token: key.token, sandbox });
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
  if (!quiet(r)) success(r.ctx, `Verified "${j.newName}": its token works and grants what was intended`);
}

async function finishOld(r: Rotation): Promise<void> {
  const j = r.journal;
  if (j.steps.deleted !== null) return;
  if (j.deleteOld === null) {
    j.deleteOld = await call(r, r.ui.decideDelete(j));
    save(r);
  }
  if (j.deleteOld && j.graceMs !== undefined) {
    scheduleRetirement(r);
    return;
  }
  if (!j.deleteOld) {
    if (!quiet(r)) info(r.ctx, `Kept the old key "${j.oldName}". Revoke it when nothing uses it any more: carto-keys revoke ${shellQuote(j.oldName)}${j.member === undefined ? '' : ` --user ${j.member}`}`);
    return;
  }
  // The one irreversible step: only when every target is known to hold the new token.
  const unsure = j.targets.filter((t) => t.deployedAt === null);
  if (unsure.length > 0) throw new Error(`not deleting the old key: ${unsure.map(describeTarget).join(', ')} may not hold the new token`);
  r.interruption.check();
  try {
    await call(r, r.api.deleteKey(j.oldName));
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    if (!(err instanceof ApiError && err.kind === 'not_found')) {
      throw new Error(`deleting the old key "${j.oldName}" failed: ${reasonOf(err)}`, { cause: err });
    }
    warn(r.ctx, `The old key "${j.oldName}" was already gone.`);
  }
  j.steps.deleted = stamp(r);
  save(r);
  forgetDeployments(r.ctx, j.baseUrl, j.oldName);
  if (j.rollback === true) registry(r.ctx.paths.config).removeRetirement(j.baseUrl, j.newName);
  if (!quiet(r)) success(r.ctx, `Deleted the old key "${j.oldName}"`);
}

/** --grace: the old key lives on until the deadline; `retire` deletes it after checking again. */
function scheduleRetirement(r: Rotation): void {
  const j = r.journal;
  const retireAfter = retireAfterOf(j, r.ctx.now());
  // Idempotent (keyed by the old key's name): a resumed rotation that gets here again changes nothing.
  registry(r.ctx.paths.config).scheduleRetirement(j.baseUrl, {
    oldName: j.oldName,
    newName: j.newName,
    retireAfter: retireAfter.toISOString(),
    grants: j.grants,
    rotatedAt: stamp(r),
  });
  if (!quiet(r)) {
    info(r.ctx, `Kept the old key "${j.oldName}" until ${retireAfter.toISOString()} (grace period). Then \`carto-keys retire\` deletes it, after checking every target holds "${j.newName}".`);
    info(r.ctx, `Changed your mind while it lives? Undo the rotation: carto-keys rotate --rollback ${shellQuote(j.newName)}`);
  }
}

/** The grace counts from the end of the rotation (verify), so a slow deploy does not eat into it. */
export function retireAfterOf(j: Journal, now: Date): Date {
  const from = j.steps.verified !== null ? new Date(j.steps.verified) : now;
  return new Date(from.getTime() + (j.graceMs ?? 0));
}

export function forgetDeployments(ctx: Context, account: string, keyName: string): void {
  try {
    registry(ctx.paths.config).forget(account, keyName);
  } catch (err) {
    warn(ctx, `Could not update the deployment registry: ${reasonOf(err)}`);
  }
}

/** The deploy targets of a journal, without their progress: for summaries. */
export function plainTargets(j: Journal): DeployTarget[] {
  return j.targets.map(({ deployedAt: _d, error: _e, attemptedAt: _a, pgid: _p, ...target }) => target as DeployTarget);
}
