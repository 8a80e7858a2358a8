import { type Command, Option } from 'commander';
import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import type { Env } from '../env.js';
import { parseDuration } from '../domain/duration.js';
import { UsageError } from '../errors.js';
import { hasGrantChanges, validateKeyName, type GrantChanges } from '../grants/index.js';
import { printJson, printLine, success } from '../ui/output.js';
import { abortRotation, type AbortOptions, type AbortResult } from '../rotate/abort.js';
import { plainTargets, retireAfterOf, type RotationResult } from '../rotate/engine.js';
import { interactiveUi } from '../rotate/interactive.js';
import { resumeRotation, type ResumeOptions } from '../rotate/resume.js';
import { startRotation, type StartOptions } from '../rotate/start.js';
import { commandTarget, envFileTarget, targetJson, type DeployTarget } from '../deploy/targets.js';
import { ciUi } from '../rotate/ui.js';
import { startRollback, type RollbackOptions } from '../rotate/rollback.js';
import { withNotify } from '../deploy/notify.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { addChangeOptions, changesFromFlags, checkChangeSyntax } from '../args/change-flags.js';
import { addMemberOption, collect, requireYesOrTty } from '../args/flags.js';
import { registeredCommand } from './registered.js';

export type RotateOptions =
  | { mode: 'start'; start: StartOptions; printToken: boolean; keepGrants?: boolean }
  | { mode: 'resume'; resume: ResumeOptions; printToken: boolean }
  | { mode: 'abort'; abort: AbortOptions }
  | { mode: 'rollback'; rollback: RollbackOptions };

interface RotateFlags extends GrantChanges {
  name?: string;
  keepGrants?: boolean;
  dryRun?: boolean;
  /** The old spelling of --name, kept (hidden) so scripts written for 0.1 still work. */
  newName?: string;
  deployEnvFile?: string[];
  deployCmd?: string[];
  deleteOld?: boolean;
  keepOld?: boolean;
  printToken?: boolean;
  resume?: string | true;
  abort?: string | true;
  deployTimeout?: string;
  user?: string;
  grace?: string;
  rollback?: string;
  notifyCmd?: string;
  checkCmd?: string;
}

export const DEPLOY_TIMEOUT_ENV = 'CARTO_KEYS_DEPLOY_TIMEOUT';

export function rotateCommand(kit: CommandKit): Command {
  const cmd = registeredCommand('rotate')
    .argument('[name-or-token]', 'the key to replace: its name, or its token')
    .option('--name <name>', 'name of the new key (default: <old>-rYYYYMMDD, unique)')
    .option('--keep-grants', 'the new key gets exactly the old key\'s grants (on a terminal: no grant editor)')
    .option('--dry-run', 'say what the rotation would do (new name, grant changes, targets, the old key); send only reads')
    .addOption(new Option('--new-name <name>').hideHelp());
  addMemberOption(addChangeOptions(cmd))
    .option('--deploy-env-file <path[:VAR]>', 'write the new token into an env file as VAR (default CARTO_API_KEY); repeatable', collect)
    .option('--deploy-cmd <cmd>', 'run a command (sh -c) with the new token in $CARTO_API_KEY and on stdin; repeatable', collect)
    .option('--check-cmd <cmd>', 'test the app after deploy and verify, before any delete: the new token on its stdin, its name in $CARTO_API_KEY_NAME')
    .option('--delete-old', 'delete the old key once the new one is deployed and verified')
    .option('--keep-old', 'keep the old key (revoke it yourself later)')
    .option('--print-token', 'print the new token on stdout (never printed otherwise)')
    .option('--deploy-timeout <duration>', `stop a deploy command that runs longer (e.g. 90s, 30m; default 15m; also: ${DEPLOY_TIMEOUT_ENV})`)
    .option('--resume [name]', 'finish an interrupted rotation (of the old key <name>)')
    .option('--abort [name]', 'undo an interrupted rotation: old token back, new key revoked')
    .option('--grace <duration>', 'keep the old key alive this long after the rotation (e.g. 24h, 7d); `retire` deletes it then')
    .option('--rollback <name>', 'undo a finished --grace rotation while the old key lives: old token back everywhere, new key revoked')
    .option('--notify-cmd <cmd>', 'run a command at the end with a JSON event on stdin (success or failure; never a token)')
    .addHelpText(
      'after',
      `
Steps: clone → modify → save (create) → deploy → verify → check → delete.
The old key is deleted only after the new one is created, deployed to every target and verified (and
--check-cmd passed). With no deploy flag, the new token goes where the old key was recorded as deployed
(carto-keys where <key>). On a terminal each step asks what the flags
did not say; without one, every decision must be a flag (--yes, and --delete-old or --keep-old).
A stopped rotation exits 5 and is kept in a journal: continue it with --resume, undo it with --abort.

Examples:
  $ carto-keys rotate app                                   # interactive
  $ carto-keys rotate app --deploy-env-file .env --delete-old --yes
  $ carto-keys rotate app --remove-api maps --deploy-env-file .env:TOKEN
  $ carto-keys rotate app --deploy-cmd 'gh secret set CARTO_API_KEY' --keep-old
  $ carto-keys rotate --deploy-cmd ./deploy.sh --delete-old --yes -- "$TOKEN"   # a token may start with "-"
  $ carto-keys rotate --resume app
  $ carto-keys rotate --abort app --yes
  $ carto-keys rotate bob-app --user bob --deploy-env-file bob.env --delete-old

  $ carto-keys rotate app --deploy-env-file .env --grace 24h --yes      # old key kept 24 h, then: carto-keys retire
  $ carto-keys rotate --rollback app-r20261122 --yes                   # while the old key lives`,
    )
    .action((arg: string | undefined, o: RotateFlags, cmd: Command) => {
      const yes = globalsOf(cmd).yes;
      const opts = rotateOptions(arg, o, yes, kit.canPrompt(), kit.env);
      const notifyCmd = o.notifyCmd;
      kit.run((ctx) => rotateRun(ctx, opts, notifyCmd));
    });
  return cmd;
}

/** Flags → options. Every refusal here is exit 2, with nothing read or sent. */
export function rotateOptions(arg: string | undefined, o: RotateFlags, yes: boolean, canPrompt: boolean, env: Env = {}): RotateOptions {
  if (o.resume !== undefined && o.abort !== undefined) throw new UsageError('--resume and --abort cannot be used together.');
  if (o.dryRun && (o.resume !== undefined || o.abort !== undefined || o.rollback !== undefined)) {
    throw new UsageError('--dry-run is for a new rotation: --resume, --abort and --rollback carry on one already planned.');
  }
  if (o.deleteOld && o.keepOld) throw new UsageError('--delete-old and --keep-old cannot be used together.');
  const graceMs = o.grace === undefined ? undefined : parseDuration(o.grace, '--grace').ms;
  if (graceMs !== undefined && o.keepOld) throw new UsageError('--grace and --keep-old cannot be used together: --grace deletes the old key later (retire), --keep-old never.');
  if (o.rollback !== undefined) {
    const other = o.resume !== undefined ? '--resume' : o.abort !== undefined ? '--abort' : graceMs !== undefined ? '--grace' : arg !== undefined ? 'a key argument' : undefined;
    if (other !== undefined) throw new UsageError(`--rollback cannot be used with ${other}.`);
    const planFlag = plannedFlag(o, changesFromFlags(o));
    if (planFlag !== undefined || o.deleteOld || o.keepOld) {
      throw new UsageError(`${planFlag ?? (o.deleteOld ? '--delete-old' : '--keep-old')} cannot be used with --rollback: it puts the old key back where the new one went, then revokes the new one.`);
    }
    requireYesOrTty(yes, canPrompt, 'Rolling back a rotation (it revokes the new key)');
    const rollbackTimeout = deployTimeout(env, o);
    if (o.checkCmd !== undefined) throw new UsageError('--check-cmd cannot be used with --rollback.');
    return { mode: 'rollback', rollback: { name: o.rollback, yes, ...(rollbackTimeout !== undefined && { deployTimeoutMs: rollbackTimeout }), ...(o.user !== undefined && { member: o.user }) } };
  }
  const deleteOld = o.deleteOld ? true : o.keepOld ? false : undefined;
  const printToken = o.printToken === true;
  const changes = changesFromFlags(o);
  const deployTimeoutMs = deployTimeout(env, o);
  const timeout = deployTimeoutMs === undefined ? {} : { deployTimeoutMs };
  const member = o.user === undefined ? {} : { member: o.user };

  const continuing = o.resume ?? o.abort;
  if (continuing !== undefined) {
    const flag = o.resume !== undefined ? '--resume' : '--abort';
    const planFlag = plannedFlag(o, changes);
    if (planFlag !== undefined) {
      throw new UsageError(`${planFlag} cannot be used with ${flag}: the rotation goes on as it was planned.`, {
        hint: 'To change the plan, undo it with --abort and start again.',
      });
    }
    if (typeof continuing === 'string' && arg !== undefined && arg !== continuing) {
      throw new UsageError(`${flag} ${continuing} and the argument "${arg}" name different keys.`);
    }
    const name = typeof continuing === 'string' ? continuing : arg;
    if (o.resume !== undefined) {
      return { mode: 'resume', resume: { ...(name !== undefined && { name }), ...(deleteOld !== undefined && { deleteOld }), ...member, ...timeout }, printToken };
    }
    if (deleteOld !== undefined || printToken) throw new UsageError('--abort takes no --delete-old, --keep-old or --print-token.');
    requireYesOrTty(yes, canPrompt, 'Aborting a rotation (it revokes the new key)');
    return { mode: 'abort', abort: { ...(name !== undefined && { name }), yes, ...member, ...timeout } };
  }

  if (arg === undefined) {
    throw new UsageError('Which key? carto-keys rotate <name-or-token>', {
      hint: 'Or continue an interrupted rotation with --resume, undo it with --abort.',
    });
  }
  if (o.name !== undefined && o.newName !== undefined && o.name !== o.newName) {
    throw new UsageError('--name and --new-name (its old spelling) name different keys: pass --name only.');
  }
  const nameFlag = o.name !== undefined ? '--name' : '--new-name';
  const given = o.name ?? o.newName;
  const newName = given === undefined ? undefined : validateKeyName(given, nameFlag);
  const targets: DeployTarget[] = [
    // Env files first, then commands: a command may ship the file that was just written.
    ...(o.deployEnvFile ?? []).map((spec) => envFileTarget(spec)),
    ...(o.deployCmd ?? []).map((command) => commandTarget(command)),
  ];
  if (o.keepGrants && hasGrantChanges(changes)) {
    throw new UsageError('--keep-grants and a change flag (--add-*, --remove-*, --table-metadata) say different things: pass one or the other.');
  }
  // --yes means nothing is asked, on a terminal too: every decision is a flag or its documented default
  // (grants: the old key's plus the change flags; name: <old>-rYYYYMMDD; targets: the deploy flags, else
  // the recorded ones). Whether to delete the old key has no safe default: it must be said.
  // A dry run asks nothing and changes nothing: it needs no decision.
  if (!o.dryRun && (!canPrompt || yes)) {
    if (!yes) throw new UsageError('rotate creates and deletes keys: pass --yes when not running in a terminal.');
    if (deleteOld === undefined && graceMs === undefined) {
      throw new UsageError(
        canPrompt
          ? 'Pass --delete-old, --keep-old or --grace: with --yes, rotate asks nothing, not even whether to delete the old key.'
          : 'Pass --delete-old, --keep-old or --grace: without a terminal, rotate cannot ask whether to delete the old key.',
      );
    }
    // With no deploy flag, the targets recorded for the key are used: checked once they are read.
  }
  if (o.checkCmd !== undefined && o.checkCmd.trim() === '') throw new UsageError('--check-cmd is empty: expected a shell command that tests the app.');
  checkChangeSyntax(changes);
  return {
    mode: 'start',
    start: {
      source: arg,
      changes,
      ...(newName !== undefined && { newName }),
      targets,
      ...(graceMs !== undefined ? { deleteOld: true, graceMs } : deleteOld !== undefined && { deleteOld }),
      yes,
      ...(o.dryRun === true && { dryRun: true }),
      ...timeout,
      ...member,
      ...(o.checkCmd !== undefined && { checkCmd: o.checkCmd }),
    },
    printToken,
    ...(o.keepGrants === true && { keepGrants: true }),
  };
}

/** --deploy-timeout, else CARTO_KEYS_DEPLOY_TIMEOUT, else undefined (the default, 15m). */
function deployTimeout(env: Env, o: RotateFlags): number | undefined {
  if (o.deployTimeout !== undefined) return parseDuration(o.deployTimeout, '--deploy-timeout').ms;
  const raw = env[DEPLOY_TIMEOUT_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  return parseDuration(raw, DEPLOY_TIMEOUT_ENV).ms;
}

/** The first flag that plans a new rotation, which --resume and --abort must not be given. */
function plannedFlag(o: RotateFlags, changes: GrantChanges): string | undefined {
  if (o.name !== undefined) return '--name';
  if (o.newName !== undefined) return '--new-name';
  if (o.deployEnvFile?.length) return '--deploy-env-file';
  if (o.deployCmd?.length) return '--deploy-cmd';
  if (o.checkCmd !== undefined) return '--check-cmd';
  if (hasGrantChanges(changes)) return 'A change flag (--add-*, --remove-*, --table-metadata)';
  return undefined;
}

export async function rotateRun(ctx: Context, opts: RotateOptions, notifyCmd?: string): Promise<void> {
  let outcome: { keys: Record<string, unknown>[]; targets: Record<string, unknown>[] } = { keys: [], targets: [] };
  const event = opts.mode === 'rollback' ? 'rollback' : 'rotate';
  await withNotify(ctx, notifyCmd, event, () => outcome, async () => {
    const r = await rotateSteps(ctx, opts);
    if (r !== undefined) outcome = { keys: [{ old: r.journal.oldName, new: r.journal.newName }], targets: plainTargets(r.journal).map(targetJson) };
  });
}

async function rotateSteps(ctx: Context, opts: RotateOptions): Promise<RotationResult | undefined> {
  // --yes: no question at all, on a terminal too (the flags were checked to decide everything).
  const ui = ctx.io.canPrompt() && !ctx.globals.yes ? interactiveUi(ctx) : ciUi(ctx);
  // --keep-grants answers the grant editor's first question.
  if (opts.mode === 'start' && opts.keepGrants) ui.modify = async (plan) => plan.after;
  switch (opts.mode) {
    case 'start': {
      const result = await startRotation(ctx, opts.start, ui);
      return result === undefined ? undefined : printRotation(ctx, result, opts.printToken);
    }
    case 'resume':
      return printRotation(ctx, await resumeRotation(ctx, opts.resume, ui), opts.printToken);
    case 'abort':
      printAbort(ctx, await abortRotation(ctx, opts.abort, ui));
      return undefined;
    case 'rollback':
      return printRotation(ctx, await startRollback(ctx, opts.rollback, ui), false);
  }
}

function printRotation(ctx: Context, result: RotationResult, printToken: boolean): RotationResult {
  const { journal: j, token } = result;
  const deleted = j.steps.deleted !== null;
  const retireAfter = j.graceMs !== undefined && !deleted ? retireAfterOf(j, ctx.now()).toISOString() : undefined;
  if (ctx.globals.json) {
    printJson(ctx, {
      ...(j.rollback === true && { rollback: true }),
      old: j.oldName,
      new: j.newName,
      targets: plainTargets(j).map(targetJson),
      verified: j.steps.verified !== null,
      deleted,
      ...(retireAfter !== undefined && { retireAfter }),
      // The token goes to a CI log only when asked for.
      ...(printToken && { token }),
    });
    return result;
  }
  if (j.rollback === true) success(ctx, `Rolled back: "${escapeControl(j.newName)}" is the key in use again, "${escapeControl(j.oldName)}" was revoked`);
  else if (j.create === true) success(ctx, `Created "${escapeControl(j.newName)}" and deployed it to ${j.targets.length} ${j.targets.length === 1 ? 'target' : 'targets'}`);
  else {
    // The grace period's end and what follows were said just above (once is enough).
    const kept = retireAfter !== undefined ? ` ("${escapeControl(j.oldName)}" kept for its grace period)` : ` (the old key "${escapeControl(j.oldName)}" was kept)`;
    success(ctx, `Rotated "${escapeControl(j.oldName)}" → "${escapeControl(j.newName)}"${deleted ? '' : kept}`);
  }
  if (printToken) printLine(ctx, token);
  return result;
}

function printAbort(ctx: Context, { journal: j, revoked, restored, skipped, keptCreated }: AbortResult): void {
  if (ctx.globals.json) {
    printJson(ctx, { aborted: true, old: j.create === true ? null : j.oldName, new: j.newName, revoked, restored: restored.map(targetJson), ...(skipped.length > 0 && { skipped: skipped.map(targetJson) }), ...(keptCreated && { kept: true }) });
    return;
  }
  if (j.create === true) {
    success(ctx, keptCreated ? `The creation of "${escapeControl(j.newName)}" was stopped; the key was kept` : `The creation of "${escapeControl(j.newName)}" undone${revoked ? `: "${escapeControl(j.newName)}" was revoked` : ''}`);
    return;
  }
  success(ctx, `Rotation of "${escapeControl(j.oldName)}" undone: "${escapeControl(j.oldName)}" is the key in use${revoked ? `, "${escapeControl(j.newName)}" was revoked` : ''}`);
}
