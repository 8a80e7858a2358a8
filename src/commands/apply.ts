import { resolve } from 'node:path';
import { displayPath } from '../ui/paths.js';
import { Command } from 'commander';
import type { Context } from '../context.js';
import { requireCredentials, type Credentials } from '../config/settings.js';
import { CancelledError, UsageError } from '../errors.js';
import type { ApplyJournal, ApplyJournalStore } from '../keyfile/apply-journal.js';
import type { ApplyOutcome } from '../keyfile/apply.js';
import { DEFAULT_KEY_FILE } from '../keyfile/model.js';
import type { Journal } from '../rotate/journal.js';
import { info, printJson, printLine, success, warn } from '../ui/output.js';
import { shellQuote } from '../ui/shell-quote.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { parseDuration } from '../domain/duration.js';
import { withNotify } from '../rotate/notify.js';

export interface ApplyOptions {
  mode: 'apply' | 'resume' | 'abort';
  /** undefined: the default file, or (resume) the file of the unfinished apply. */
  file?: string;
  prune: boolean;
  yes: boolean;
  graceMs?: number;
  notifyCmd?: string;
}

export function applyCommand(kit: CommandKit): Command {
  return new Command('apply')
    .description('Make the account match carto-keys.yaml: create, replace (create-before-delete), rotate, and --prune')
    .option('-f, --file <path>', `the keys file (default ${DEFAULT_KEY_FILE})`)
    .option('--prune', 'also delete live regular keys the file does not declare')
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
    .action((o: { file?: string; prune?: boolean; resume?: boolean; abort?: boolean; grace?: string; notifyCmd?: string }, cmd: Command) => {
      const graceMs = o.grace === undefined ? undefined : parseDuration(o.grace, '--grace').ms;
      if (o.resume && o.abort) throw new UsageError('--resume and --abort cannot be used together.');
      if (o.abort && o.prune) throw new UsageError('--abort takes no --prune: it only undoes what a stopped apply left unfinished.');
      if (o.file !== undefined && o.file.trim() === '') throw new UsageError('-f/--file is empty: expected the keys file.');
      const { yes } = globalsOf(cmd);
      if (!yes && !kit.canPrompt()) {
        throw new UsageError(`apply ${o.abort ? '--abort revokes keys' : 'creates and deletes keys'}: pass --yes when not running in a terminal.`, {
          hint: 'Review the changes first with `carto-keys plan`.',
        });
      }
      const opts: ApplyOptions = { mode: o.resume ? 'resume' : o.abort ? 'abort' : 'apply', ...(o.file !== undefined && { file: o.file }), prune: o.prune === true, yes, ...(graceMs !== undefined && { graceMs }), ...(o.notifyCmd !== undefined && { notifyCmd: o.notifyCmd }) };
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
  const { applyJournalStore } = await import('../keyfile/apply-journal.js');
  const { journalStore } = await import('../rotate/journal.js');
  const journals = applyJournalStore(ctx.paths.config, creds);
  const lock = journals.lock();
  try {
    const unfinished = journals.read();
    const rotations = journalStore(ctx.paths.config)
      .list()
      .filter((j) => j.profile === creds.profile && j.baseUrl === creds.baseUrl && j.username === creds.username);
    if (opts.mode === 'abort') return await abortApply(ctx, creds, journals, unfinished, rotations);
    if (opts.mode === 'apply' && (unfinished !== undefined || rotations.length > 0)) {
      const what = rotations.length > 0 ? `the replacement of ${rotations.map((r) => `"${r.oldName}" → "${r.newName}"`).join(', ')}` : `deploying ${unfinished!.creates.map((c) => `"${c.name}"`).join(', ')}`;
      throw new UsageError(`An earlier apply (or rotate) stopped before finishing ${what}.`, {
        code: 'apply_pending',
        hint: `Finish it: ${await commandLine(ctx, 'resume', opts.file)}\nOr undo it: ${await commandLine(ctx, 'abort')}`,
      });
    }
    const file = opts.file ?? (unfinished !== undefined ? unfinished.file : DEFAULT_KEY_FILE);
    await applyFile(ctx, creds, journals, { ...opts, file }, opts.mode === 'resume' ? { unfinished, rotations } : undefined);
  } finally {
    lock.release();
  }
}

async function applyFile(
  ctx: Context,
  creds: Credentials,
  journals: ApplyJournalStore,
  opts: ApplyOptions & { file: string },
  resume: { unfinished: ApplyJournal | undefined; rotations: Journal[] } | undefined,
): Promise<void> {
  const { readKeyFile, planFromAccount } = await import('../keyfile/load.js');
  const { formatPlan, planJson } = await import('../keyfile/plan-output.js');
  const { applyPlan, describeOutcome, steps } = await import('../keyfile/apply.js');
  const json = ctx.globals.json;
  // Every file error before any request (and before a resume changes anything).
  const loaded = await readKeyFile(opts.file, defaultSchemaFor(creds.baseUrl, creds.username));
  const api = await ctx.api();
  const journal: ApplyJournal = resume?.unfinished ?? {
    version: 1,
    profile: creds.profile,
    baseUrl: creds.baseUrl,
    username: creds.username,
    file: resolve(opts.file),
    creates: [],
    startedAt: ctx.now().toISOString(),
    updatedAt: ctx.now().toISOString(),
  };
  const a = {
    ctx,
    api,
    creds,
    journals,
    journal,
    quiet: json,
    ...(opts.graceMs !== undefined && { graceMs: opts.graceMs }),
    resumeCommand: await commandLine(ctx, 'resume', opts.file === DEFAULT_KEY_FILE ? undefined : opts.file),
    abortCommand: await commandLine(ctx, 'abort'),
  };
  const resumed: ApplyOutcome[] = resume ? await finishUnfinished(a, resume) : [];

  const { plan } = await planFromAccount(api, loaded, { now: ctx.now(), prune: opts.prune, masterKey: creds.masterKey });
  const todo = steps(plan, opts.prune);
  if (!json) for (const line of formatPlan(plan, { color: ctx.io.colorStderr, prune: opts.prune, showPath: (path) => displayPath(path, ctx.env) })) info(ctx, line);
  if (todo.length === 0) {
    journals.remove();
    if (json) printJson(ctx, { file: opts.file, plan: planJson(plan, opts.file, { prune: opts.prune }), results: resumed, changed: resumed.length > 0 });
    else printLine(ctx, resumed.length > 0 ? `Apply complete: ${resumed.map(describeOutcome).join('; ')}.` : 'Nothing to apply.');
    return;
  }
  if (!opts.yes) {
    info(ctx, '');
    if (!(await ctx.prompter.confirm(`Apply these changes to ${creds.username} (${creds.baseUrl})?`, { default: false }))) {
      throw new CancelledError('Nothing was changed.');
    }
  }
  journals.save(journal, ctx.now());
  const outcomes = [...resumed, ...(await applyPlan(a, plan, opts.prune))];
  journals.remove();
  const kept = outcomes.filter((o) => o.keptOld && o.from !== null).map((o) => o.from!);
  if (json) {
    printJson(ctx, { file: opts.file, plan: planJson(plan, opts.file, { prune: opts.prune }), results: outcomes, changed: true });
    return;
  }
  for (const old of kept) {
    warn(ctx, `"${old}" was kept (its entry has no deploy target): once no app uses it, retire it with \`carto-keys revoke ${shellQuote(old)} --yes\`.`);
  }
  const count = (action: string): number => outcomes.filter((o) => o.action === action && o.status === 'done').length;
  printLine(ctx, `Apply complete: ${count('create')} created, ${count('replace')} replaced, ${count('rotate')} rotated, ${count('delete')} deleted.`);
}

/** --resume: the replacements that stopped (rotation engine), then the deploys of created keys. */
async function finishUnfinished(
  a: { ctx: Context; api: import('../api/client.js').ApiClient; journals: ApplyJournalStore; journal: ApplyJournal; quiet: boolean; resumeCommand: string; abortCommand: string },
  resume: { unfinished: ApplyJournal | undefined; rotations: Journal[] },
): Promise<ApplyOutcome[]> {
  const { resumeRotation } = await import('../rotate/resume.js');
  const { ciUi } = await import('../rotate/ui.js');
  const { deployCreated } = await import('../keyfile/apply.js');
  const { findKey } = await import('../rotate/engine.js');
  const { PartialError } = await import('../errors.js');
  const out: ApplyOutcome[] = [];
  if (resume.unfinished === undefined && resume.rotations.length === 0) {
    if (!a.quiet) info(a.ctx, 'Nothing unfinished: applying the file.');
  }
  try {
    for (const j of resume.rotations) {
      const r = await resumeRotation(a.ctx, { name: j.oldName }, ciUi(a.ctx));
      out.push({ name: j.oldName, action: 'replace', from: j.oldName, to: j.newName, status: 'done', keptOld: r.journal.steps.deleted === null });
    }
    for (const pending of [...a.journal.creates]) {
      const key = await findKey(a.api, pending.name);
      if (key === undefined) {
        // Never created: the plan below creates it.
        a.journal.creates = a.journal.creates.filter((c) => c !== pending);
        a.journals.save(a.journal, a.ctx.now());
        continue;
      }
      await deployCreated(a, pending, key.token);
      out.push({ name: pending.name, action: 'create', from: null, to: pending.name, status: 'done', keptOld: false });
    }
  } catch (err) {
    if (err instanceof PartialError) throw new PartialError(err.message, { hint: `Continue: ${a.resumeCommand}\nUndo: ${a.abortCommand}`, cause: err });
    throw err;
  }
  return out;
}

async function abortApply(ctx: Context, creds: Credentials, journals: ApplyJournalStore, unfinished: ApplyJournal | undefined, rotations: Journal[]): Promise<void> {
  const { abortRotation } = await import('../rotate/abort.js');
  const { ciUi } = await import('../rotate/ui.js');
  const { findKey } = await import('../rotate/engine.js');
  const json = ctx.globals.json;
  if (unfinished === undefined && rotations.length === 0) {
    throw new UsageError('There is no unfinished apply to undo.', { code: 'no_apply' });
  }
  const undone: { old: string; new: string; revoked: boolean }[] = [];
  for (const j of rotations) {
    const r = await abortRotation(ctx, { name: j.oldName, yes: true }, ciUi(ctx));
    undone.push({ old: j.oldName, new: j.newName, revoked: r.revoked });
  }
  const revoked: string[] = [];
  const kept: string[] = [];
  if (unfinished !== undefined) {
    const api = await ctx.api();
    for (const c of unfinished.creates) {
      if (c.targets.some((t) => t.deployedAt !== null)) {
        // Its token is in some target already: revoking it would break whatever reads it there.
        kept.push(c.name);
        continue;
      }
      if ((await findKey(api, c.name)) !== undefined) {
        await api.deleteKey(c.name);
        revoked.push(c.name);
      }
    }
    journals.remove();
  }
  if (json) {
    printJson(ctx, { aborted: true, rotations: undone, revoked, kept });
    return;
  }
  for (const u of undone) success(ctx, `Undid the replacement of "${u.old}": "${u.old}" is the key in use${u.revoked ? `, "${u.new}" was revoked` : ''}`);
  for (const name of revoked) success(ctx, `Revoked "${name}" (created by the stopped apply, never deployed)`);
  for (const name of kept) warn(ctx, `Kept "${name}": its token was already deployed to some of its targets. Revoke it with \`carto-keys revoke ${shellQuote(name)} --yes\` if nothing should use it.`);
  printLine(ctx, 'Apply undone.');
}

/** `carto-keys apply --resume …` as it must be typed here. */
async function commandLine(ctx: Context, mode: 'resume' | 'abort', file?: string): Promise<string> {
  const s = await ctx.settings();
  const profile = s.profileSource === 'flag' ? ` --profile ${shellQuote(s.profile)}` : '';
  const f = file !== undefined && file !== DEFAULT_KEY_FILE ? ` -f ${shellQuote(file)}` : '';
  const yes = ctx.io.canPrompt() ? '' : ' --yes';
  return `carto-keys apply --${mode}${f}${profile}${yes}`;
}
