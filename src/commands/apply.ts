import { resolve } from 'node:path';
import { escapeControl } from '../text/escape.js';
import { displayPath } from '../ui/paths.js';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { requireCredentials, type Credentials } from '../config/settings.js';
import type { ApiClient } from '../api/client.js';
import { CancelledError, UsageError } from '../errors.js';
import type { ApplyOutcome } from '../keyfile/apply.js';
import { DEFAULT_KEY_FILE } from '../keyfile/model.js';
import type { Journal } from '../records/journal.js';
import { info, printJson, printLine, success, terminalWidth, warn } from '../ui/output.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { addMemberOption } from '../args/flags.js';
import { parseDuration } from '../domain/duration.js';
import { withNotify } from '../deploy/notify.js';
import { unfinishedJournals } from '../rotate/runner.js';
import { commandLine } from '../text/command-line.js';
import { suggestedScope } from '../ui/command-scope.js';
import { registeredCommand } from './registered.js';

export interface ApplyOptions {
  mode: 'apply' | 'resume' | 'abort';
  /** undefined: the default file, or (resume) the file of the unfinished apply. */
  file?: string;
  prune: boolean;
  /** --prune-deployed: --prune deletes keys recorded as deployed too. */
  pruneDeployed?: boolean;
  graceMs?: number;
  notifyCmd?: string;
  /** `--user`: an organization member's keys. */
  user?: string;
}

export function applyCommand(kit: CommandKit): Command {
  return addMemberOption(registeredCommand('apply'))
    .option('-f, --file <path>', `the keys file (default ${DEFAULT_KEY_FILE})`)
    .option('--prune', 'also delete live regular keys the file does not declare (not those recorded as deployed)')
    .option('--prune-deployed', 'with --prune: delete unmanaged keys recorded as deployed or in a grace rotation too')
    .option('--resume', 'finish an apply that stopped (its replacements, deploys, then the rest of the plan)')
    .option('--abort', 'undo what a stopped apply left unfinished (its replacements: old token back, new key revoked)')
    .option('--grace <duration>', 'keep replaced keys alive this long (e.g. 24h, 7d); `carto-keys retire` deletes them then')
    .option('--notify-cmd <cmd>', 'run a command at the end with a JSON event on stdin (success or failure; never a token)')
    .addHelpText(
      'after',
      `
Shows the plan, asks on a terminal (--yes without one), then creates new keys, replaces and rotates
keys through the rotation workflow with each entry's deploy targets (deploy, verify, then delete the
old key; without deploy targets the old key is kept), and with --prune deletes unmanaged keys. Running
it again right after changes nothing. A failure midway exits 5 and says what exists now.

Examples:
  $ carto-keys apply
  $ carto-keys apply -f keys/production.yaml --yes --json     # in CI
  $ carto-keys apply --prune
  $ carto-keys apply --resume --yes
  $ carto-keys apply --abort --yes`,
    )
    .action((o: { file?: string; prune?: boolean; pruneDeployed?: boolean; resume?: boolean; abort?: boolean; grace?: string; notifyCmd?: string; user?: string }, cmd: Command) => {
      const graceMs = o.grace === undefined ? undefined : parseDuration(o.grace, '--grace').ms;
      if (o.resume && o.abort) throw new UsageError('--resume and --abort cannot be used together.');
      if (o.abort && o.prune) throw new UsageError('--abort takes no --prune: it only undoes what a stopped apply left unfinished.');
      if (o.pruneDeployed && !o.prune) throw new UsageError('--prune-deployed goes with --prune: it lets --prune delete keys recorded as deployed.');
      if (o.file !== undefined && o.file.trim() === '') throw new UsageError('-f/--file is empty: expected the keys file.');
      if (!globalsOf(cmd).yes && !kit.canPrompt()) {
        throw new UsageError(`apply ${o.abort ? '--abort revokes keys' : 'creates and deletes keys'}: pass --yes when not running in a terminal.`, {
          hint: 'Review the changes first with `carto-keys plan`.',
        });
      }
      const opts: ApplyOptions = {
        mode: o.resume ? 'resume' : o.abort ? 'abort' : 'apply',
        ...(o.file !== undefined && { file: o.file }),
        prune: o.prune === true,
        pruneDeployed: o.pruneDeployed === true,
        ...(graceMs !== undefined && { graceMs }),
        ...(o.notifyCmd !== undefined && { notifyCmd: o.notifyCmd }),
        ...(o.user !== undefined && { user: o.user }),
      };
      kit.run((ctx) => applyRunNotified(ctx, opts));
    });
}

/** applyRun, then the --notify-cmd (if any) with the outcome. */
export async function applyRunNotified(ctx: Context, opts: ApplyOptions): Promise<void> {
  const file = opts.file ?? DEFAULT_KEY_FILE;
  await withNotify(ctx, opts.notifyCmd, 'apply', () => ({ keys: [], targets: [], file }), () => applyRun(ctx, opts));
}

export async function applyRun(ctx: Context, opts: ApplyOptions): Promise<void> {
  const creds = requireCredentials(await ctx.settings());
  const api = (await ctx.api()).forUser(opts.user);
  const member = api.targetUser;
  // What an earlier apply (or rotate) left unfinished: the journals of this account's keys. Each is
  // locked by the runner while it is resumed or undone.
  const unfinished = await unfinishedJournals(ctx, creds, member);
  if (opts.mode === 'abort') return abortApply(ctx, member, unfinished);
  if (opts.mode === 'apply' && unfinished.length > 0) {
    throw new UsageError(`An earlier apply (or rotate) stopped before finishing ${describeUnfinished(unfinished)}.`, {
      code: 'apply_pending',
      hint: `Finish it: ${await continueCommand(ctx, 'resume', member, opts.file)}\nOr undo it: ${await continueCommand(ctx, 'abort', member)}`,
    });
  }
  const files = [...new Set(unfinished.flatMap((j) => (j.keysFile === undefined ? [] : [j.keysFile])))];
  const file = opts.file ?? (opts.mode === 'resume' && files.length === 1 ? files[0]! : DEFAULT_KEY_FILE);
  await applyFile(ctx, creds, api, { ...opts, file }, opts.mode === 'resume' ? unfinished : undefined);
}

function describeUnfinished(js: Journal[]): string {
  return js.map((j) => (j.create === true ? `deploying "${j.newName}"` : `the replacement of "${j.oldName}" → "${j.newName}"`)).join(', ');
}

async function applyFile(ctx: Context, creds: Credentials, api: ApiClient, opts: ApplyOptions & { file: string }, resume: Journal[] | undefined): Promise<void> {
  const { readKeyFile, planFromAccount } = await import('../keyfile/load.js');
  const { formatPlan, planJson } = await import('../keyfile/plan-output.js');
  const { applyPlan, describeOutcome, steps, keptFromPrune } = await import('../keyfile/apply.js');
  const { keysInUse } = await import('../rotate/lineage.js');
  const json = ctx.globals.json;
  const member = api.targetUser;
  // Every file error before any request (and before a resume changes anything).
  const loaded = await readKeyFile(opts.file, defaultSchemaFor(creds.baseUrl, member ?? creds.username));
  const a = {
    ctx,
    api,
    creds,
    ...(member !== undefined && { member }),
    keysFile: resolve(opts.file),
    pruneDeployed: opts.pruneDeployed === true,
    quiet: json,
    ...(opts.graceMs !== undefined && { graceMs: opts.graceMs }),
    resumeCommand: await continueCommand(ctx, 'resume', member, opts.file === DEFAULT_KEY_FILE ? undefined : opts.file),
    abortCommand: await continueCommand(ctx, 'abort', member),
  };
  const resumed: ApplyOutcome[] = resume ? await finishUnfinished(ctx, a, member, resume) : [];

  const { plan } = await planFromAccount(api, loaded, { now: ctx.now(), prune: opts.prune, masterKey: creds.masterKey, inUse: await keysInUse(ctx, creds, member) });
  const kept = new Set(keptFromPrune(plan, opts.prune, a.pruneDeployed));
  const todo = steps(plan, opts.prune).filter((k) => !kept.has(k));
  if (!json) for (const line of formatPlan(plan, { color: ctx.io.colorStderr, prune: opts.prune, showPath: (path) => displayPath(path, ctx.env), width: terminalWidth(ctx) })) info(ctx, line);
  if (todo.length === 0) {
    if (json) printJson(ctx, { file: opts.file, plan: planJson(plan, opts.file, { prune: opts.prune }), results: resumed, changed: resumed.length > 0 });
    else printLine(ctx, resumed.length > 0 ? `Apply complete: ${resumed.map(describeOutcome).join('; ')}.` : 'Nothing to apply.');
    return;
  }
  if (!ctx.globals.yes) {
    info(ctx, '');
    if (!(await ctx.prompter.confirm(`Apply these changes to ${member ?? creds.username} (${creds.baseUrl})?`, { default: false }))) {
      throw new CancelledError('Nothing was changed.');
    }
  }
  const outcomes = [...resumed, ...(await applyPlan(a, plan, opts.prune))];
  const keptOld = outcomes.filter((o) => o.keptOld && o.from !== null).map((o) => o.from!);
  if (json) {
    printJson(ctx, { file: opts.file, plan: planJson(plan, opts.file, { prune: opts.prune }), results: outcomes, changed: true });
    return;
  }
  for (const old of keptOld) {
    warn(ctx, `"${escapeControl(old)}" was kept (its entry has no deploy target): once no app uses it, revoke it: \`${commandLine('revoke', { args: [old] }, { user: member, yes: true })}\`.`);
  }
  const count = (action: string): number => outcomes.filter((o) => o.action === action && o.status === 'done').length;
  printLine(ctx, `Apply complete: ${count('create')} created, ${count('replace')} replaced, ${count('rotate')} rotated, ${count('delete')} deleted.`);
}

/** --resume: every unfinished journal of the account (creates and replacements), by the engine. */
async function finishUnfinished(
  ctx: Context,
  a: { quiet: boolean; resumeCommand: string; abortCommand: string },
  member: string | undefined,
  journals: Journal[],
): Promise<ApplyOutcome[]> {
  const { resumeRotation } = await import('../rotate/resume.js');
  const { ciUi } = await import('../rotate/ui.js');
  const { PartialError } = await import('../errors.js');
  const out: ApplyOutcome[] = [];
  if (journals.length === 0 && !a.quiet) info(ctx, 'Nothing unfinished: applying the file.');
  try {
    for (const j of journals) {
      const r = await resumeRotation(ctx, { name: j.oldName, ...(member !== undefined && { member }) }, ciUi(ctx));
      if (j.create === true) out.push({ name: j.newName, action: 'create', from: null, to: j.newName, status: 'done', keptOld: false });
      else out.push({ name: j.oldName, action: 'replace', from: j.oldName, to: j.newName, status: 'done', keptOld: r.journal.steps.deleted === null });
    }
  } catch (err) {
    if (err instanceof PartialError) throw new PartialError(err.message, { hint: `Continue: ${a.resumeCommand}\nUndo: ${a.abortCommand}`, cause: err });
    throw err;
  }
  return out;
}

async function abortApply(ctx: Context, member: string | undefined, journals: Journal[]): Promise<void> {
  const { abortRotation } = await import('../rotate/abort.js');
  const { ciUi } = await import('../rotate/ui.js');
  const json = ctx.globals.json;
  if (journals.length === 0) throw new UsageError('There is no unfinished apply to undo.', { code: 'no_apply' });
  const undone: { old: string; new: string; revoked: boolean }[] = [];
  const revoked: string[] = [];
  const kept: string[] = [];
  for (const j of journals) {
    const r = await abortRotation(ctx, { name: j.oldName, yes: true, ...(member !== undefined && { member }) }, ciUi(ctx));
    if (j.create !== true) undone.push({ old: j.oldName, new: j.newName, revoked: r.revoked });
    else if (r.keptCreated) kept.push(j.newName);
    else if (r.revoked) revoked.push(j.newName);
  }
  if (json) {
    printJson(ctx, { aborted: true, rotations: undone, revoked, kept });
    return;
  }
  for (const u of undone) success(ctx, `Undid the replacement of "${escapeControl(u.old)}": "${escapeControl(u.old)}" is the key in use${u.revoked ? `, "${escapeControl(u.new)}" was revoked` : ''}`);
  for (const name of revoked) success(ctx, `Revoked "${name}" (created by the stopped apply, never deployed)`);
  printLine(ctx, 'Apply undone.');
}

/** `carto-keys apply --resume …` as it must be typed here. */
async function continueCommand(ctx: Context, mode: 'resume' | 'abort', member: string | undefined, file?: string): Promise<string> {
  const f = file !== undefined && file !== DEFAULT_KEY_FILE ? ['-f', file] : [];
  return commandLine(`apply --${mode}`, { options: f }, await suggestedScope(ctx, member));
}
