// `retire`: delete the old keys whose grace period has passed — each only after checking again, at
// that moment, that it is still the key that was rotated (not a later key given its name), that its
// live successor (followed along a chain of grace rotations) authenticates with the grants intended,
// that every env file the successor was deployed to holds the successor's token, that no env file
// recorded for the old key still holds the old token, and that the app check of the rotation (if
// any) passes again. A key that fails a check is kept and reported. The delete is the engine's delete
// step. Each old key is retired under its key's lock — the lock a rollback of the same rotation takes
// — so two `retire` runs, or a retire and a rollback, never both act on it. A member's old key is
// looked up, checked and deleted as that member's.

import type { ApiClient } from '../api/client.js';
import type { WireApiKey } from '../api/types.js';
import type { Credentials } from '../config/settings.js';
import { fingerprint } from '../text/fingerprint.js';
import type { Context } from '../context.js';
import { normalizeRenderedGrants } from '../grants/index.js';
import { reasonOf } from '../deploy/deployer.js';
import { Interrupted, type Interruption } from '../deploy/interrupt.js';
import { describeState, envFileState } from '../deploy/env-check.js';
import { RotationBusyError } from '../records/journal.js';
import { keyRef } from '../records/key-ref.js';
import type { Retirement } from '../records/registry.js';
import { clientAsKey, deleteKeyStep, heldBy, keyProblems, runCheck } from './engine.js';
import { sameCreation, successorChain } from './lineage.js';
import { commandLine } from '../text/command-line.js';

export type RetireStatus = 'retired' | 'kept' | 'waiting' | 'busy' | 'gone';

export interface RetireOutcome {
  member?: string;
  oldName: string;
  newName: string;
  retireAfter: string;
  status: RetireStatus;
  /** Why a key was kept (or busy, or gone). */
  problems: string[];
}

/** The retirements of this account (of every member) whose deadline has passed, and the ones still waiting. */
export async function dueRetirements(ctx: Context, creds: Credentials): Promise<{ due: Retirement[]; waiting: Retirement[] }> {
  const now = ctx.now().getTime();
  const all = (await ctx.records()).registry.retirements(creds.baseUrl);
  return {
    due: all.filter((r) => Date.parse(r.retireAfter) <= now),
    waiting: all.filter((r) => Date.parse(r.retireAfter) > now),
  };
}

/**
 * A stop signal (`interruption`) stops the app check and waits for it, then rejects with the
 * Interrupted before anything is deleted: the old key and its retirement stay as they were.
 */
export async function retireOne(ctx: Context, api: ApiClient, creds: Credentials, r: Retirement, interruption: Interruption): Promise<RetireOutcome> {
  const outcome = (status: RetireStatus, problems: string[] = [], newName = r.newName): RetireOutcome => ({
    ...(r.member !== undefined && { member: r.member }),
    oldName: r.oldName,
    newName,
    retireAfter: r.retireAfter,
    status,
    problems,
  });
  const ref = keyRef(creds.baseUrl, r.member, r.oldName);
  const { journals: store, registry: reg } = await ctx.records();
  let lock;
  try {
    lock = store.lock(ref);
  } catch (err) {
    if (err instanceof RotationBusyError) return outcome('busy', [err.message]);
    throw err;
  }
  try {
    // Read again under the lock: another retire (or a rollback) may have finished it a moment ago.
    const current = reg.retirementOf(ref);
    if (current === undefined) return outcome('busy', ['already handled by another run']);
    const memberApi = api.forUser(r.member);
    const old = await memberApi.findKey(current.oldName);
    if (old === undefined || (current.oldCreatedAt !== undefined && !sameCreation(old.created_at, current.oldCreatedAt))) {
      // Gone already; or the name now belongs to another key, which is not ours to delete.
      reg.removeRetirement(ref);
      if (old === undefined) reg.forget(ref);
      return outcome('gone', [old === undefined ? `"${current.oldName}" was already deleted` : `"${current.oldName}" is now another key (created ${old.created_at}): left alone`]);
    }
    const chain = await successorChain(ctx, ref);
    const last = chain[chain.length - 1] ?? current;
    const { successor, problems } = await successorProblems(ctx, memberApi, creds, last, r.member);
    const held = await heldBy(ctx, memberApi, ref);
    for (const h of held) problems.push(`${h} still holds the token of "${current.oldName}"`);
    if (problems.length === 0 && current.checkCmd !== undefined) {
      try {
        await runCheck(ctx, current.checkCmd, { name: last.newName, token: successor!.token }, { signal: interruption.signal });
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        problems.push(`the app check \`${current.checkCmd}\` failed with "${last.newName}": ${reasonOf(err)}`);
      }
    }
    if (problems.length > 0) return outcome('kept', problems, last.newName);
    interruption.check();
    await deleteKeyStep(ctx, memberApi, ref, { successor: last.newName, grants: last.grants });
    return outcome('retired', [], last.newName);
  } finally {
    lock.release();
    store.tidy();
  }
}

/**
 * Everything about the successor that must hold before the old key may go (empty when it may), and the
 * successor as it was looked up (undefined when it no longer exists): the app check runs with its token.
 */
async function successorProblems(
  ctx: Context,
  api: ApiClient,
  creds: Credentials,
  r: Retirement,
  member: string | undefined,
): Promise<{ successor: WireApiKey | undefined; problems: string[] }> {
  const successor = await api.findKey(r.newName);
  if (successor === undefined) {
    const problems = [`its successor "${r.newName}" no longer exists (if nothing uses "${r.oldName}" any more: ${commandLine('revoke', { args: [r.oldName] }, { user: member })})`];
    return { successor, problems };
  }
  const problems: string[] = [];
  try {
    const asSuccessor = await clientAsKey(ctx, creds, member, successor.token);
    const me = await asSuccessor.whoami();
    problems.push(...keyProblems(me, r.newName, normalizeRenderedGrants(r.grants).grants).map((p) => `"${r.newName}": ${p}`));
  } catch (err) {
    problems.push(`the token of "${r.newName}" does not authenticate (${reasonOf(err)})`);
  }
  const expected = fingerprint(successor.token);
  for (const d of (await ctx.records()).registry.deploymentsOf(keyRef(creds.baseUrl, member, r.newName))) {
    if (d.kind !== 'env-file') continue;
    const state = envFileState(d.path, d.variable, expected);
    if (state.state !== 'holds') problems.push(`${d.path} (${d.variable}) ${describeState(state, r.newName)}, not the token of "${r.newName}"`);
  }
  return { successor, problems };
}
