// The deployer: the only code that puts a token into a target (env file, command, a person). Every
// flow — a rotation, its undoing (--abort), a rollback, apply's creates, respond — deploys through
// `deployOne`, which owns the promises they all make:
// - write-ahead: the target's `attemptedAt` is journaled BEFORE the token is sent, its `deployedAt`
//   (or, when a token is put back, the cleared `attemptedAt`) after; so no interruption can leave a
//   target holding a token the journal does not know about;
// - a command runs in a process group of its own, journaled (`pgid`) while it runs, stopped and
//   waited for on SIGINT/SIGTERM, and stoppable by a later run if carto-keys itself is killed;
// - a finished deploy is recorded in the deployment registry (fingerprint, never the token);
// - a failure is a DeployError (exit 5, a CliError: never "this is a bug").

import type { Context } from '../context.js';
import { CancelledError, CliError, ExitCode } from '../errors.js';
import type { JournalTarget } from '../records/journal.js';
import type { KeyRef } from '../records/key-ref.js';
import type { Registry } from '../records/registry.js';
import { fingerprint } from '../text/fingerprint.js';
import { warn } from '../ui/output.js';
import type { DeployedKey } from './command.js';
import { Interrupted, type Interruption } from './interrupt.js';
import { deployTo, describeTarget, type DeployTarget, type ManualDeploy } from './targets.js';

/** A deploy that failed: what, where and why. Exit 5 when it reaches the user unwrapped. */
export class DeployError extends CliError {
  readonly exitCode = ExitCode.partial;
  readonly code = 'deploy_failed';
  constructor(
    readonly target: DeployTarget,
    readonly reason: string,
    cause: unknown,
  ) {
    super(`deploying to ${describeTarget(target)} failed: ${reason}`, { cause });
  }
}

export function reasonOf(err: unknown): string {
  if (err instanceof CancelledError) return 'cancelled';
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\.$/, '');
}

export interface Deployer {
  ctx: Context;
  interruption: Interruption;
  ui: ManualDeploy;
  /** Writes the journal (a no-op once a stop signal arrived: the next run starts from what was written). */
  save(): void;
  /** How long a command may run; undefined: the default. */
  timeoutMs?: number;
  /** Where finished deploys are recorded; undefined: this run keeps no registry. */
  registry?: Registry;
  /** The account and member whose key is deployed (the key's name comes with the key). */
  owner: Pick<KeyRef, 'account' | 'member'>;
}

/**
 * Puts `key`'s token into `target`. `purpose`: 'deploy' a new token (the target then holds it:
 * `deployedAt`), or 'restore' an old one (an undo: the target no longer holds the new token, so its
 * `deployedAt` is cleared before and its `attemptedAt` after).
 */
export async function deployOne(d: Deployer, target: JournalTarget, key: DeployedKey, purpose: 'deploy' | 'restore' = 'deploy'): Promise<void> {
  d.interruption.check();
  const stamp = d.ctx.now().toISOString();
  if (purpose === 'restore') target.deployedAt = null;
  // Journaled before it starts: if this process dies now, the next run knows the target may hold
  // either token.
  target.attemptedAt ??= stamp;
  d.save();
  try {
    const attempt = deployTo(d.ctx, target, key, d.ui, {
      ...(d.timeoutMs !== undefined && { timeoutMs: d.timeoutMs }),
      signal: d.interruption.signal,
      onStart: (pgid) => {
        target.pgid = pgid;
        d.save();
      },
    });
    // A command stops itself on a signal (and is waited for); a person at a prompt is just left.
    await (target.kind === 'command' ? attempt : d.interruption.race(attempt));
  } catch (err) {
    delete target.pgid;
    if (err instanceof CancelledError || err instanceof Interrupted) throw err;
    target.error = reasonOf(err);
    d.save();
    throw new DeployError(target, target.error, err);
  }
  delete target.pgid;
  delete target.error;
  if (purpose === 'deploy') target.deployedAt = d.ctx.now().toISOString();
  else target.attemptedAt = null;
  d.save();
  record(d, target, key);
}

/** The registry learns where the token went; a registry that cannot be written is reported, and the flow goes on. */
function record(d: Deployer, target: JournalTarget, key: DeployedKey): void {
  if (d.registry === undefined || d.interruption.signal.aborted) return;
  try {
    d.registry.record({ ...d.owner, name: key.name }, placeOf(target), fingerprint(key.token), d.ctx.now());
  } catch (err) {
    warn(d.ctx, `Could not record this deploy in the deployment registry: ${reasonOf(err)}`);
  }
}

/** A target without its progress. */
export function placeOf(t: DeployTarget): DeployTarget {
  switch (t.kind) {
    case 'env-file':
      return { kind: 'env-file', path: t.path, variable: t.variable };
    case 'command':
      return { kind: 'command', command: t.command };
    case 'manual':
      return { kind: 'manual' };
  }
}
