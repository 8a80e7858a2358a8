// The decisions a rotation needs from outside. One engine runs every rotation; in CI all decisions
// come from flags (checked before anything is sent, so none of these ever needs to ask), on a
// terminal the interactive layer (interactive.ts) asks for what the flags left open.

import type { Context } from '../context.js';
import type { ClonePlan } from '../domain/clone-plan.js';
import { BugError } from '../errors.js';
import type { GrantSet } from '../grants/model.js';
import { warn } from '../ui/output.js';
import type { Journal } from '../records/journal.js';
import type { DeployTarget, ManualDeploy } from '../deploy/targets.js';

export type DeployFailureChoice = 'retry' | 'drop' | 'stop';

export interface RotationUi extends ManualDeploy {
  readonly interactive: boolean;
  /** Step 1: the key being rotated. */
  showSource(plan: ClonePlan): void;
  /** Step 2, when no change flag was given: the grants of the new key. */
  modify(plan: ClonePlan, defaultSchema: string): Promise<GrantSet>;
  /** Step 3, when --name was not given. */
  chooseName(suggested: string, taken: ReadonlySet<string>): Promise<string>;
  /** Step 3, unless --yes. */
  confirmCreate(name: string): Promise<boolean>;
  /** Step 4, when no deploy flag was given and targets are recorded for the old key: deploy there? */
  useRecorded(oldName: string, targets: readonly DeployTarget[]): Promise<boolean>;
  /** Step 4, when no deploy flag was given: the next target, or undefined when done. */
  nextTarget(): Promise<DeployTarget | undefined>;
  afterDeployFailure(target: DeployTarget, reason: string): Promise<DeployFailureChoice>;
  /** Step 6, when neither --delete-old nor --keep-old was given. */
  decideDelete(journal: Journal): Promise<boolean>;
  /** Step 6: recorded env files still hold the old key's token; delete it anyway? (never without a person) */
  confirmDeleteHeld(oldName: string, holders: readonly string[]): Promise<boolean>;
  /** `--abort`, unless --yes. */
  confirmAbort(journal: Journal): Promise<boolean>;
}

/** The command layer refuses to start without every decision; reaching one of these is a bug. */
function undecided(what: string): never {
  throw new BugError(`${what} was left to a prompt with no terminal: the command should have refused to start.`);
}

export function ciUi(ctx: Context): RotationUi {
  return {
    interactive: false,
    showSource(plan) {
      if (!ctx.globals.json) for (const note of plan.dropped) warn(ctx, note);
    },
    modify: async (plan) => plan.after,
    chooseName: async (suggested) => suggested,
    confirmCreate: async () => true,
    useRecorded: async () => true,
    nextTarget: async () => undefined,
    afterDeployFailure: async () => 'stop',
    decideDelete: async () => undecided('Deciding whether to delete the old key (--delete-old or --keep-old)'),
    confirmDeleteHeld: async () => false,
    confirmAbort: async () => true,
    manualDeploy: async () => undecided('Confirming a manual deployment'),
  };
}
