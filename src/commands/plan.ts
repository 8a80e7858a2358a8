import type { Command } from 'commander';
import { displayPath } from '../ui/paths.js';
import type { Context } from '../context.js';
import { requireCredentials } from '../config/settings.js';
import { ExitCode, ReportedExit } from '../errors.js';
import { DEFAULT_KEY_FILE } from '../keyfile/model.js';
import { printJson, printLine, terminalWidth, warn } from '../ui/output.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { addMemberOption, formatOption, outputFormat, type OutputFormat } from '../args/flags.js';
import { registeredCommand } from './registered.js';

export interface PlanOptions {
  file: string;
  detailedExitcode: boolean;
  prune: boolean;
  format: OutputFormat;
  /** `--user`: an organization member's keys. */
  user?: string;
}

export function planCommand(kit: CommandKit): Command {
  return addMemberOption(registeredCommand('plan'))
    .option('-f, --file <path>', `the keys file (default ${DEFAULT_KEY_FILE})`)
    .option('--detailed-exitcode', 'exit 0 when there is nothing to do, 6 when changes are pending (errors keep their codes)')
    .option('--prune', 'plan the deletion of live keys the file does not declare (as apply --prune would)')
    .addOption(formatOption())
    .addHelpText(
      'after',
      `
A key cannot be edited: a change of grants is a replacement (create the new key, deploy it, verify it,
then delete the old one), shown as a -/+ diff. Nothing is changed: run \`carto-keys apply\` for that.

Examples:
  $ carto-keys plan
  $ carto-keys plan -f keys/production.yaml
  $ carto-keys plan --detailed-exitcode       # in CI: 0 no changes, 6 changes pending
  $ carto-keys plan --json | jq '.keys[] | select(.action != "none")'
  $ carto-keys plan --format markdown >> "$GITHUB_STEP_SUMMARY"`,
    )
    .action((o: { file?: string; detailedExitcode?: boolean; prune?: boolean; format?: OutputFormat; user?: string }, cmd: Command) => {
      const opts: PlanOptions = {
        file: o.file ?? DEFAULT_KEY_FILE,
        detailedExitcode: o.detailedExitcode === true,
        prune: o.prune === true,
        format: outputFormat(o.format, globalsOf(cmd).json),
        ...(o.user !== undefined && { user: o.user }),
      };
      kit.run((ctx) => planRun(ctx, opts));
    });
}

export async function planRun(ctx: Context, opts: PlanOptions): Promise<void> {
  const creds = requireCredentials(await ctx.settings());
  // Loaded here, not at start-up: the YAML parser is only for the keys-as-code commands.
  const { readKeyFile, planFromAccount } = await import('../keyfile/load.js');
  const { formatPlan, planJson } = await import('../keyfile/plan-output.js');
  const { keysInUse } = await import('../rotate/lineage.js');
  const { unfinishedJournals } = await import('../rotate/runner.js');
  const api = (await ctx.api()).forUser(opts.user);
  const member = api.targetUser;
  const loaded = await readKeyFile(opts.file, defaultSchemaFor(creds.baseUrl, member ?? creds.username));
  const { plan } = await planFromAccount(api, loaded, { now: ctx.now(), prune: opts.prune, masterKey: creds.masterKey, inUse: await keysInUse(ctx, creds, member) });
  const unfinished = (await unfinishedJournals(ctx, creds, member)).map((j) => ({ from: j.create === true ? null : j.oldName, to: j.newName }));
  if (ctx.globals.json) printJson(ctx, { ...planJson(plan, opts.file, { prune: opts.prune }), unfinished });
  else if (opts.format === 'markdown') {
    const { planMarkdown } = await import('../keyfile/plan-markdown.js');
    ctx.io.stdout.write(planMarkdown({ ...planJson(plan, opts.file, { prune: opts.prune }), unfinished }, { prune: opts.prune }));
  } else {
    for (const line of formatPlan(plan, { color: ctx.io.colorStdout, prune: opts.prune, showPath: (path) => displayPath(path, ctx.env), width: terminalWidth(ctx) })) printLine(ctx, line);
    // An apply that stopped leaves two live keys for an entry: say why, and what finishes it.
    if (unfinished.length > 0) {
      const what = unfinished.map((u) => (u.from === null ? `deploying "${u.to}"` : `"${u.from}" → "${u.to}"`)).join(', ');
      warn(ctx, `Unfinished from an earlier apply or rotate: ${what}. Finish it with \`carto-keys apply --resume\`, or undo it with \`carto-keys apply --abort\`.`);
    }
  }
  if (opts.detailedExitcode && plan.changesPending) throw new ReportedExit(ExitCode.changesPending, 'changes_pending');
}
