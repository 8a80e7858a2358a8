// What a stopped rotation tells the person: what failed, what exists now (both keys by name), and
// the exact commands that continue or undo it. One place, so every failure says it the same way.

import type { Context } from '../context.js';
import { CancelledError, CliError, PartialError } from '../errors.js';
import type { Journal } from '../records/journal.js';
import { describeTarget } from '../deploy/targets.js';
import { reasonOf } from '../deploy/deployer.js';
import { commandLine } from '../text/command-line.js';
import { suggestedScope } from '../ui/command-scope.js';

export interface RotationCommands {
  resume: string;
  abort: string;
}

/** The commands as they must be typed here: with the --profile flag if one was used, --yes for abort in CI. */
export async function rotationCommands(ctx: Context, oldName: string, member?: string): Promise<RotationCommands> {
  const scope = await suggestedScope(ctx, member);
  return {
    resume: commandLine('rotate --resume', { args: [oldName] }, { ...scope, yes: false }),
    abort: commandLine('rotate --abort', { args: [oldName] }, scope),
  };
}

/** "deployed to 1 of 2 targets (not yet: `cmd`), not verified". */
export function progressOf(j: Journal): string {
  const done = j.targets.filter((t) => t.deployedAt !== null);
  const pending = j.targets.filter((t) => t.deployedAt === null);
  const deployed =
    j.targets.length === 0
      ? 'not deployed anywhere'
      : `deployed to ${done.length} of ${j.targets.length} ${j.targets.length === 1 ? 'target' : 'targets'}` +
        (pending.length > 0 && done.length > 0 ? ` (not yet: ${pending.map(describeTarget).join(', ')})` : '');
  return `${deployed}, ${j.steps.verified === null ? 'not verified' : 'verified'}`;
}

/**
 * The PartialError (exit 5) of a rotation stopped after its new key may exist. `doing` names what
 * stopped: the rotation itself, or its undoing (--abort).
 */
export async function stoppedError(
  ctx: Context,
  j: Journal,
  err: unknown,
  doing: 'rotation' | 'undo' = 'rotation',
): Promise<PartialError> {
  const cmd = await rotationCommands(ctx, j.oldName, j.member);
  const subject = j.create === true ? `the creation of "${j.newName}"` : `the rotation of "${j.oldName}"`;
  const what = doing === 'rotation' ? (j.create === true ? `Creating "${j.newName}"` : `Rotation of "${j.oldName}"`) : `Undoing ${subject}`;
  const newKey =
    j.steps.created === null
      ? `the new key "${j.newName}" may or may not have been created`
      : `the new key "${j.newName}" exists, ${progressOf(j)}`;
  const oldKey =
    j.create === true ? 'there is no old key' : j.steps.deleted === null ? `the old key "${j.oldName}" still exists and works` : `the old key "${j.oldName}" was deleted`;
  const hint =
    j.steps.deleted === null ? `Continue: ${cmd.resume}\nUndo:     ${cmd.abort}` : `Finish:   ${cmd.resume}`;
  const cause = err instanceof CliError && err.hint ? `${reasonOf(err)} (${err.hint.replace(/\.$/, '')})` : reasonOf(err);
  return new PartialError(`${what} stopped: ${cause}.\nNow: ${newKey}; ${oldKey}.`, { hint, cause: err });
}
