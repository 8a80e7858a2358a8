import { Command } from 'commander';
import type { Context } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { describeKeySource, fingerprint, requireCredentials } from '../config/settings.js';
import { colors } from '../ui/color.js';
import type { CommandKit } from '../args/kit.js';
import { printJson, printLine } from '../ui/output.js';

export function statusCommand(kit: CommandKit): Command {
  return new Command('status')
    .description('Show the active profile and check that its Master key works')
    .addHelpText(
      'after',
      `
Exits 0 when the key works, 4 when it is missing or rejected, 1 when the API cannot be reached.

Examples:
  $ carto-keys status
  $ carto-keys status --profile acme --json`,
    )
    .action(() => kit.run(statusRun));
}

/** An error whose message was already shown (in the status report): only its exit code matters. */
class ReportedError extends CliError {
  readonly code = 'status';
  constructor(readonly exitCode: ExitCode) {
    super('');
  }
}

export async function statusRun(ctx: Context): Promise<void> {
  const s = await ctx.settings();
  let check: { ok: boolean; message: string; code?: string; hint?: string; exit: ExitCode };
  try {
    requireCredentials(s);
    const me = await (await ctx.api()).whoami();
    check = me.type === 'master'
      ? { ok: true, message: 'the API accepts the Master key', exit: ExitCode.ok }
      : { ok: false, message: `the key is the ${me.type} key "${me.name}", not the Master key`, code: 'not_master_key', exit: ExitCode.auth };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    check = { ok: false, message: err.message, code: err.code, ...(err.hint !== undefined && { hint: err.hint }), exit: err.exitCode };
  }
  const report = {
    profile: s.profile,
    username: s.username ?? null,
    baseUrl: s.baseUrl ?? null,
    sandbox: s.sandbox,
    keySource: s.keySource ? (s.keySource.kind === 'env' ? `env:${s.keySource.variable}` : s.keySource.path) : null,
    fingerprint: s.masterKey ? fingerprint(s.masterKey) : null,
    api: { ok: check.ok, message: check.message, ...(check.code && { code: check.code }), ...(check.hint !== undefined && { hint: check.hint }) },
  };
  if (ctx.globals.json) {
    printJson(ctx, report);
  } else {
    const c = colors(ctx.io.colorStdout);
    const rows: [string, string][] = [
      ['Profile', s.profile],
      ['User', s.username ?? c.dim('not set')],
      ['Base URL', s.sandbox ? `${s.baseUrl} ${c.dim('(built-in sandbox)')}` : s.baseUrl ?? c.dim('not set')],
      ['Key from', s.keySource ? describeKeySource(s.keySource) : c.dim('nowhere (not logged in)')],
      ['Key', report.fingerprint ?? c.dim('none')],
      ['API', check.ok ? c.green(`✓ ${check.message}`) : c.red(`✗ ${check.message}`)],
    ];
    // The way out of a failed check: the same hint the command's own error would give.
    if (check.hint !== undefined) rows.push(['', c.dim(check.hint)]);
    for (const [label, value] of rows) printLine(ctx, `${c.bold(label.padEnd(10))}${value}`);
  }
  if (!check.ok) throw new ReportedError(check.exit);
}
