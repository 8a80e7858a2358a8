// What carto-keys remembers about a key's place in a line of rotations: the targets it was deployed
// to (the default targets of its next rotation), and its successor (a key rotated with --grace lives
// on beside it until `retire`, and must not get a second successor; a key deleted by a rotation is
// named with its successor when someone asks for it).

import type { ApiClient } from '../api/client.js';
import { requireCredentials, type Credentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { DeployTarget } from '../deploy/targets.js';
import { describeRef, keyRef, type KeyRef } from '../records/key-ref.js';
import type { Retirement } from '../records/registry.js';
import { humanTimeFrom } from '../ui/time.js';
import { commandLine } from '../text/command-line.js';

/** The env files and commands the key was deployed to, env files first (a command may ship a file). */
export async function recordedTargets(ctx: Context, ref: KeyRef): Promise<DeployTarget[]> {
  const out: DeployTarget[] = [];
  for (const d of (await ctx.records()).registry.deploymentsOf(ref)) {
    if (d.kind === 'env-file' && !out.some((t) => t.kind === 'env-file' && t.path === d.path && t.variable === d.variable)) {
      out.push({ kind: 'env-file', path: d.path, variable: d.variable });
    } else if (d.kind === 'command' && !out.some((t) => t.kind === 'command' && t.command === d.command)) {
      out.push({ kind: 'command', command: d.command });
    }
  }
  return [...out.filter((t) => t.kind === 'env-file'), ...out.filter((t) => t.kind === 'command')];
}

/**
 * The retirement of `ref` followed to its end: a key rotated twice in grace windows (app → app2 →
 * app3) has app3 as its live successor. Bounded: a hand-edited cycle ends the walk.
 */
export async function successorChain(ctx: Context, ref: KeyRef): Promise<Retirement[]> {
  const reg = (await ctx.records()).registry;
  const chain: Retirement[] = [];
  for (let r = reg.retirementOf(ref); r !== undefined && chain.length < 50; r = reg.retirementOf({ ...ref, name: r.newName })) {
    if (chain.some((c) => c.oldName === r!.oldName)) break;
    chain.push(r);
  }
  return chain;
}

/**
 * Whether carto-keys knows a successor of the key `name` (of `member`): the end of its line of
 * rotations, through grace rotations (the old key waits for `retire`) and finished ones (the old key
 * was deleted), or else an unfinished rotation. Its name, or undefined. No request is made: see
 * successorOf for one that is still true.
 */
export async function knownSuccessor(ctx: Context, creds: Pick<Credentials, 'baseUrl'>, name: string, member?: string): Promise<string | undefined> {
  const ref = keyRef(creds.baseUrl, member, name);
  const { registry: reg, journals } = await ctx.records();
  const next = (n: string): string | undefined => {
    const at = { ...ref, name: n };
    return reg.retirementOf(at)?.newName ?? reg.successionOf(at)?.newName;
  };
  // Bounded: a hand-edited cycle ends the walk.
  const seen = new Set([name]);
  let last: string | undefined;
  for (let n = next(name); n !== undefined && !seen.has(n) && seen.size <= 50; n = next(n)) {
    seen.add(n);
    last = n;
  }
  if (last !== undefined) return last;
  const j = journals.find(ref);
  return j !== undefined && j.create !== true && j.rollback !== true ? j.newName : undefined;
}

/**
 * The successor the "no such key" error names (show, revoke, where, clone, rotate), only while that
 * key exists: a record is a memory, and the successor may have been deleted since. Loaded only when a
 * key is missing: `(name) => import('../rotate/lineage.js').then((m) => m.successorOf(ctx, api, name))`.
 */
export async function successorOf(ctx: Context, api: ApiClient, name: string): Promise<string | undefined> {
  const successor = await knownSuccessor(ctx, requireCredentials(await ctx.settings()), name, api.targetUser);
  return successor !== undefined && (await api.findKey(successor)) !== undefined ? successor : undefined;
}

/** A key that already has a live successor in a grace window is not rotated or cloned again (exit 2). */
export async function refuseSuperseded(ctx: Context, api: ApiClient, ref: KeyRef, verb: 'rotate' | 'clone'): Promise<void> {
  const chain = await successorChain(ctx, ref);
  if (chain.length === 0) return;
  const successor = chain[chain.length - 1]!.newName;
  // A successor deleted outside carto-keys supersedes nothing.
  if ((await api.findKey(successor)) === undefined) return;
  const user = { user: ref.member };
  const first = chain[0]!;
  throw new UsageError(`${describeRef(ref)} was already rotated: its successor "${successor}" is in use, and "${ref.name}" is kept only until ${humanTimeFrom(new Date(first.retireAfter), ctx.now())} (grace period).`, {
    code: 'superseded',
    hint: [
      `Rotate the successor instead: ${commandLine('rotate', { args: [successor] }, user)}`,
      `Undo the rotation:           ${commandLine('rotate', { options: ['--rollback', first.newName] }, user)}`,
      `Delete "${ref.name}" once its grace is over: carto-keys retire`,
      ...(verb === 'clone' ? [`Or clone the successor:      ${commandLine('clone', { args: [successor] }, user)}`] : []),
    ].join('\n'),
  });
}

/** The keys of the account (of `member`) that the registry knows to be in use, and why. */
export async function keysInUse(ctx: Context, creds: Pick<Credentials, 'baseUrl'>, member: string | undefined): Promise<Map<string, string>> {
  const reg = (await ctx.records()).registry;
  return reg.exists() ? reg.inUse(keyRef(creds.baseUrl, member, '').account, member) : new Map();
}

/** Two creation times from the server, however each was spelled. */
export function sameCreation(a: string, b: string): boolean {
  return a === b || (Date.parse(a) === Date.parse(b) && !Number.isNaN(Date.parse(a)));
}
