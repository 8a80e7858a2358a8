// `retire`: delete the old keys whose grace period has passed — each only after checking again, at
// that moment, that its successor still authenticates with the grants intended and that every env
// file the successor was deployed to still holds the successor's token. A key that fails a check is
// kept and reported. Each old key is retired under its rotation lock, so two `retire` runs from cron
// (or a retire racing a rotation of the same key) never both delete it.

import type { Credentials } from '../config/settings.js';
import { fingerprint } from '../config/settings.js';
import type { Context } from '../context.js';
import { ApiError } from '../errors.js';
import type { ApiClient } from '../api/client.js';
import { normalizeRenderedGrants } from '../grants/index.js';
import { findKey, keyProblems } from './engine.js';
import { journalStore, RotationBusyError, rotationLockId } from './journal.js';
import { reasonOf } from './messages.js';
import { describeState, envFileState } from './check.js';
import { registry, type Retirement } from './registry.js';

export type RetireStatus = 'retired' | 'kept' | 'waiting' | 'busy';

export interface RetireOutcome {
  oldName: string;
  newName: string;
  retireAfter: string;
  status: RetireStatus;
  /** Why a key was kept (or busy). */
  problems: string[];
}

/** The retirements of this account whose deadline has passed, and the ones still waiting. */
export function dueRetirements(ctx: Context, creds: Credentials): { due: Retirement[]; waiting: Retirement[] } {
  const now = ctx.now().getTime();
  const all = registry(ctx.paths.config).retirements(creds.baseUrl);
  return {
    due: all.filter((r) => Date.parse(r.retireAfter) <= now),
    waiting: all.filter((r) => Date.parse(r.retireAfter) > now),
  };
}

export async function retireOne(ctx: Context, api: ApiClient, creds: Credentials, r: Retirement): Promise<RetireOutcome> {
  const outcome = (status: RetireStatus, problems: string[] = []): RetireOutcome => ({
    oldName: r.oldName,
    newName: r.newName,
    retireAfter: r.retireAfter,
    status,
    problems,
  });
  const store = journalStore(ctx.paths.config);
  let lock;
  try {
    lock = store.lock(rotationLockId(creds.masterKey, r.oldName), r.oldName);
  } catch (err) {
    if (err instanceof RotationBusyError) return outcome('busy', [err.message]);
    throw err;
  }
  try {
    const reg = registry(ctx.paths.config);
    // Read again under the lock: another retire may have finished it a moment ago.
    const current = reg.retirements(creds.baseUrl).find((x) => x.oldName === r.oldName);
    if (current === undefined) return outcome('busy', ['already handled by another run']);
    const problems = await successorProblems(ctx, api, creds, current);
    if (problems.length > 0) return outcome('kept', problems);
    try {
      await api.deleteKey(current.oldName);
    } catch (err) {
      if (!(err instanceof ApiError && err.kind === 'not_found')) throw err;
    }
    reg.removeRetirement(creds.baseUrl, current.oldName);
    reg.forget(creds.baseUrl, current.oldName);
    return outcome('retired');
  } finally {
    lock.release();
    store.tidy();
  }
}

/** Everything that must hold before the old key may go; empty when it may. */
async function successorProblems(ctx: Context, api: ApiClient, creds: Credentials, r: Retirement): Promise<string[]> {
  const successor = await findKey(api, r.newName);
  if (successor === undefined) return [`its successor "${r.newName}" no longer exists`];
  const problems: string[] = [];
  try {
    const asSuccessor = await ctx.clientFor({ baseUrl: creds.baseUrl, username: creds.username, token: successor.token, sandbox: creds.sandbox });
    const me = await asSuccessor.whoami();
    problems.push(...keyProblems(me, r.newName, normalizeRenderedGrants(r.grants).grants).map((p) => `"${r.newName}": ${p}`));
  } catch (err) {
    problems.push(`the token of "${r.newName}" does not authenticate (${reasonOf(err)})`);
  }
  const expected = fingerprint(successor.token);
  for (const d of registry(ctx.paths.config).deploymentsOf(creds.baseUrl, r.newName)) {
    if (d.kind !== 'env-file') continue;
    const state = envFileState(d.path, d.variable, expected);
    if (state.state !== 'holds') problems.push(`${d.path} (${d.variable}) ${describeState(state, r.newName)}, not the token of "${r.newName}"`);
  }
  return problems;
}
