import type { Command } from 'commander';
import type { Context } from '../context.js';
import { CliError, ExitCode, ReportedExit } from '../errors.js';
import { statSync } from 'node:fs';
import { displayPath } from '../ui/paths.js';
import { describeKeySource, requireCredentials, type KeySource, type ResolvedSettings } from '../config/settings.js';
import { fingerprint } from '../text/fingerprint.js';
import { colors } from '../ui/color.js';
import type { CommandKit } from '../args/kit.js';
import { printJson, printLine } from '../ui/output.js';
import { registeredCommand } from './registered.js';

export function statusCommand(kit: CommandKit): Command {
  return registeredCommand('status')
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

type Store =
  | { kind: 'environment'; variable: string }
  | { kind: 'file'; path: string; mode: string | null }
  | { kind: 'keychain'; backend: string; account: string }
  /** A credential helper: the key rests in whatever the command reads (a secret manager), not here. */
  | { kind: 'command'; command: string; variable: string | null };

/** Where the key rests: the store named by status (SECURITY.md). */
function storeOf(s: ResolvedSettings): Store | null {
  const src = s.keySource;
  if (src === undefined) return null;
  if (src.kind === 'env') return { kind: 'environment', variable: src.variable };
  if (src.kind === 'keychain') return { kind: 'keychain', backend: src.backend, account: src.account };
  if (src.kind === 'command') return { kind: 'command', command: src.command, variable: 'variable' in src.origin ? src.origin.variable : null };
  let mode: string | null = null;
  try {
    mode = `0${(statSync(src.path).mode & 0o777).toString(8)}`;
  } catch {
    // Gone since it was read: the mode is unknown, the path still says where.
  }
  return { kind: 'file', path: src.path, mode };
}

function keySourceText(src: KeySource): string {
  if (src.kind === 'env') return `env:${src.variable}`;
  if (src.kind === 'keychain') return `keychain:${src.backend}`;
  if (src.kind === 'command') return `command:${'variable' in src.origin ? src.origin.variable : src.origin.path}`;
  return src.path;
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
  const store = storeOf(s);
  const report = {
    // Key and account both from the environment: no profile is involved, and status says so.
    profile: s.fromEnvironment ? null : s.profile,
    credentials: s.fromEnvironment ? 'environment' : 'profile',
    username: s.username ?? null,
    baseUrl: s.baseUrl ?? null,
    sandbox: s.sandbox,
    keySource: s.keySource ? keySourceText(s.keySource) : null,
    store,
    fingerprint: s.masterKey ? fingerprint(s.masterKey) : null,
    api: { ok: check.ok, message: check.message, ...(check.code && { code: check.code }), ...(check.hint !== undefined && { hint: check.hint }) },
  };
  if (ctx.globals.json) {
    printJson(ctx, report);
  } else {
    const c = colors(ctx.io.colorStdout);
    const rows: [string, string][] = [
      ['Profile', s.fromEnvironment ? c.dim('none: key and account come from the environment') : s.profile],
      ['User', s.username ?? c.dim('not set')],
      ['Base URL', s.sandbox ? `${s.baseUrl} ${c.dim('(built-in sandbox)')}` : s.baseUrl ?? c.dim('not set')],
      ['Key from', s.keySource ? `${describeKeySource(s.keySource.kind === 'config' ? { ...s.keySource, path: displayPath(s.keySource.path, ctx.env, { homeFirst: true }) } : s.keySource)}${store?.kind === 'file' ? ` (mode ${store.mode})` : ''}` : c.dim('nowhere (not logged in)')],
      ['Key', report.fingerprint ?? c.dim('none')],
      ['API', check.ok ? c.green(`✓ ${check.message}`) : c.red(`✗ ${check.message}`)],
    ];
    // The way out of a failed check: the same hint the command's own error would give.
    if (check.hint !== undefined) rows.push(['', c.dim(check.hint)]);
    for (const [label, value] of rows) printLine(ctx, `${c.bold(label.padEnd(10))}${value}`);
  }
  if (!check.ok) throw new ReportedExit(check.exit, 'status');
}
