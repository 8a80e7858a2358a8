import type { Command } from 'commander';
import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import { requireCredentials } from '../config/settings.js';
import { CancelledError, CliError, ExitCode, PartialError } from '../errors.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { requireYesOrTty } from '../args/flags.js';
import { describeRef } from '../records/key-ref.js';
import { dueRetirements, retireOne, type RetireOutcome } from '../rotate/retire.js';
import { withNotify } from '../deploy/notify.js';
import { Interrupted, watchInterruptions } from '../deploy/interrupt.js';
import { commandLine } from '../text/command-line.js';
import { suggestedScope } from '../ui/command-scope.js';
import { info, printJson, printLine, success, warn } from '../ui/output.js';
import { humanTimeFrom } from '../ui/time.js';
import { registeredCommand } from './registered.js';

export interface RetireOptions {
  /** Say which old keys would be retired and which wait; send nothing, delete nothing. */
  dryRun?: boolean;
  notifyCmd?: string;
}

export function retireCommand(kit: CommandKit): Command {
  return registeredCommand('retire')
    .option('--notify-cmd <cmd>', 'run a command at the end with a JSON event on stdin (success or failure)')
    .option('--dry-run', 'say which old keys are due (and which wait); check nothing, delete nothing')
    .addHelpText(
      'after',
      `
Each old key is deleted only after checking again that its successor's token works with the grants
intended and that every env file it was deployed to holds the successor's token. A key that fails a
check is kept and reported (exit 1). Safe to run from cron or a scheduled CI job, as often as you like.

Examples:
  $ carto-keys retire
  $ carto-keys retire --dry-run
  $ carto-keys retire --yes --json                      # from cron / a scheduled CI job
  $ carto-keys retire --yes --notify-cmd ./alert.sh     # alert.sh reads the JSON event on stdin`,
    )
    .action((o: { notifyCmd?: string; dryRun?: boolean }, cmd: Command) => {
      if (o.dryRun !== true) requireYesOrTty(globalsOf(cmd).yes, kit.canPrompt(), 'Retiring old keys (it deletes them)');
      const opts: RetireOptions = { ...(o.notifyCmd !== undefined && { notifyCmd: o.notifyCmd }), ...(o.dryRun === true && { dryRun: true }) };
      kit.run((ctx) => retireRun(ctx, opts));
    });
}

/** Some old keys were kept: the report was printed, only the exit code is left to give. */
class KeptKeys extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code = 'retire_kept';
  constructor(n: number) {
    super(`${n} old key${n === 1 ? ' was' : 's were'} kept: see why above, fix it, then run retire again.`);
  }
}

export async function retireRun(ctx: Context, opts: RetireOptions): Promise<void> {
  if (opts.dryRun) return retireDryRun(ctx);
  const outcomes: RetireOutcome[] = [];
  await withNotify(
    ctx,
    opts.notifyCmd,
    'retire',
    () => ({ keys: outcomes.map((o) => ({ old: o.oldName, new: o.newName, status: o.status })), targets: [] }),
    async () => {
      const creds = requireCredentials(await ctx.settings());
      const { due, waiting } = await dueRetirements(ctx, creds);
      for (const r of waiting) outcomes.push({ ...(r.member !== undefined && { member: r.member }), oldName: r.oldName, newName: r.newName, retireAfter: r.retireAfter, status: 'waiting', problems: [] });
      if (due.length > 0 && !ctx.globals.yes) {
        const names = due.map(describeOld).join(', ');
        if (!(await ctx.prompter.confirm(`Delete ${names} (grace period over), after checking their successors?`, { default: false }))) {
          throw new CancelledError('Nothing was changed.');
        }
      }
      const api = due.length > 0 ? await ctx.api() : undefined;
      // From here a stop signal stops the app check being run (and waits for it) and ends the run
      // before the next delete, rather than killing carto-keys and leaving the check running.
      const interruption = watchInterruptions(ctx);
      for (const r of due) {
        let o: RetireOutcome;
        try {
          o = await retireOne(ctx, api!, creds, r, interruption);
        } catch (err) {
          if (err instanceof Interrupted) throw await stopped(ctx, err, r, outcomes);
          throw err;
        }
        outcomes.push(o);
        if (ctx.globals.json) continue;
        const old = escapeControl(describeOld(o));
        if (o.status === 'retired') success(ctx, `Retired ${old} (its successor "${escapeControl(o.newName)}" is in place)`);
        else if (o.status === 'busy') warn(ctx, `Skipped ${old}: ${o.problems.join('; ')}`);
        else if (o.status === 'gone') info(ctx, `Forgot ${old}: ${o.problems.join('; ')}`);
        else warn(ctx, `Kept ${old}: ${o.problems.join('; ')}`);
      }
      report(ctx, outcomes);
      const kept = outcomes.filter((o) => o.status === 'kept').length;
      if (kept > 0) throw new KeptKeys(kept);
    },
  );
}

/** The old key of a retirement as messages name it. */
const describeOld = (r: { oldName: string; member?: string }): string => describeRef({ name: r.oldName, ...(r.member !== undefined && { member: r.member }) });

/**
 * Exit 5: the key being retired when the signal came is kept (its app check, if one was running, was
 * stopped first), and what was retired before it.
 */
async function stopped(ctx: Context, err: Interrupted, r: { oldName: string; member?: string }, outcomes: RetireOutcome[]): Promise<PartialError> {
  const retired = outcomes.filter((o) => o.status === 'retired').length;
  const old = escapeControl(describeOld(r));
  const before = retired === 0 ? '' : `; ${retired} old key${retired === 1 ? ' was' : 's were'} retired before it`;
  return new PartialError(`Retire stopped by ${err.signal} before deleting ${old}: it is kept with its retirement${before}.`, {
    hint: `Run it again: ${commandLine('retire', {}, { ...(await suggestedScope(ctx, undefined)), yes: true })}`,
    cause: err,
  });
}

/** From the registry alone: no request, nothing deleted. */
async function retireDryRun(ctx: Context): Promise<void> {
  const creds = requireCredentials(await ctx.settings());
  const { due, waiting } = await dueRetirements(ctx, creds);
  const item = (r: (typeof due)[number]) => ({ old: r.oldName, new: r.newName, ...(r.member !== undefined && { member: r.member }), retireAfter: r.retireAfter });
  if (ctx.globals.json) {
    printJson(ctx, { dryRun: true, due: due.map(item), waiting: waiting.map(item) });
    return;
  }
  for (const r of due) {
    const old = describeOld(r);
    info(ctx, `Would retire ${escapeControl(old)}: its grace ended ${humanTimeFrom(new Date(r.retireAfter), ctx.now())}; deleted after checking "${escapeControl(r.newName)}".`);
  }
  for (const r of waiting) printLine(ctx, `waiting  ${escapeControl(r.oldName)}  until ${humanTimeFrom(new Date(r.retireAfter), ctx.now())}  (successor ${escapeControl(r.newName)})`);
  info(ctx, `Dry run: ${due.length === 0 ? 'no old key is due' : `${due.length} old key${due.length === 1 ? ' is' : 's are'} due`}. Nothing was checked or deleted.`);
}

function report(ctx: Context, outcomes: RetireOutcome[]): void {
  const by = (s: RetireOutcome['status']) => outcomes.filter((o) => o.status === s);
  if (ctx.globals.json) {
    printJson(ctx, {
      retired: by('retired').map(({ oldName, newName, member }) => ({ old: oldName, new: newName, ...(member !== undefined && { member }) })),
      kept: by('kept').map(({ oldName, newName, member, problems }) => ({ old: oldName, new: newName, ...(member !== undefined && { member }), problems })),
      ...(by('gone').length > 0 && { gone: by('gone').map(({ oldName, member, problems }) => ({ old: oldName, ...(member !== undefined && { member }), problems })) }),
      busy: by('busy').map(({ oldName, newName, problems }) => ({ old: oldName, new: newName, problems })),
      waiting: by('waiting').map(({ oldName, newName, retireAfter }) => ({ old: oldName, new: newName, retireAfter })),
    });
    return;
  }
  for (const o of by('waiting')) printLine(ctx, `waiting  ${escapeControl(o.oldName)}  until ${humanTimeFrom(new Date(o.retireAfter), ctx.now())}  (successor ${escapeControl(o.newName)})`);
  if (outcomes.length === 0) info(ctx, 'No old key is waiting for retirement.');
}
