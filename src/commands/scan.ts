import { dirname } from 'node:path';
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { formatOption, outputFormat, type OutputFormat } from '../args/flags.js';
import { requireCredentials } from '../config/settings.js';
import { membersFailed, ORG_ENV, resolveOrgName } from '../domain/members.js';
import { ExitCode, ReportedExit, UsageError } from '../errors.js';
import { info, printJson, printLine } from '../ui/output.js';
import { registeredCommand } from './registered.js';

export interface ScanOptions {
  /** Files and folders, de-duplicated, in the order given (default: the current folder). */
  paths: string[];
  /** `--git [range]`: the history of the repository holding the first path; range undefined for every ref. */
  git?: { range?: string };
  allMembers?: { org?: string };
  failOnFind: boolean;
  format: OutputFormat;
}

export function scanCommand(kit: CommandKit): Command {
  return registeredCommand('scan')
    .argument('[paths...]', 'files and folders to scan (default: the current folder)')
    .option('--git [range]', 'also scan every version of every file in the git history (all refs, or a range such as main..HEAD)')
    .option('--all-members', "look for every organization member's tokens too (organization owners and admins)")
    .option('--org <name>', `the organization, for --all-members (default: from the base URL, or ${ORG_ENV})`)
    .option('--fail-on-find', `exit ${ExitCode.findings} when a live token is found (for CI)`)
    .addOption(formatOption())
    .addHelpText(
      'after',
      `
Only live tokens are reported, matched exactly: a revoked key's token, or a string that merely looks like
a token, never is. Each finding gives the place (file:line, and the commit for history), the key, its
owner and type, the token's fingerprint (never the token) and the command that fixes it.

Folders are scanned recursively; .git folders, symlinks, binary files and files over 10 MiB are
skipped and counted. Text in UTF-16 or UTF-32 and Authorization: Basic headers are decoded. A token
inside a longer word is reported as likely. Put paths before --git: the word after it is its range.

Exit codes: 0 (with --fail-on-find: nothing found), ${ExitCode.findings} something found with --fail-on-find; 1, 2, 4 as usual.

Examples:
  $ carto-keys scan
  $ carto-keys scan src config/.env
  $ carto-keys scan --git                       # the working tree and every commit of every ref
  $ carto-keys scan --git origin/main..HEAD --fail-on-find   # in CI, the commits of a pull request
  $ carto-keys scan --all-members --json
  $ carto-keys scan --format markdown >> "$GITHUB_STEP_SUMMARY"`,
    )
    .action((paths: string[], o: { git?: string | true; allMembers?: boolean; org?: string; failOnFind?: boolean; format?: OutputFormat }, cmd: Command) => {
      if (o.org !== undefined && !o.allMembers) throw new UsageError('--org goes with --all-members.');
      const opts: ScanOptions = {
        paths: paths.length === 0 ? ['.'] : [...new Set(paths)],
        ...(o.git !== undefined && { git: o.git === true ? {} : { range: o.git } }),
        ...(o.allMembers && { allMembers: o.org === undefined ? {} : { org: o.org } }),
        failOnFind: o.failOnFind === true,
        format: outputFormat(o.format, globalsOf(cmd).json),
      };
      kit.run((ctx) => scanRun(ctx, opts));
    });
}

export async function scanRun(ctx: Context, opts: ScanOptions): Promise<void> {
  const { scan, checkPaths, checkRepository, tokenIndex } = await import('../scan/index.js');
  const { liveTokens } = await import('../scan/live.js');
  const report = await import('../scan/report.js');
  // Everything local first: a missing path or a bad range fails before any request.
  checkPaths(opts.paths);
  const first = opts.paths[0]!;
  const git = opts.git && { cwd: statSync(first).isDirectory() ? first : dirname(first), env: ctx.env, ...(opts.git.range !== undefined && { range: opts.git.range }) };
  if (git) await checkRepository(git);
  const org = opts.allMembers && resolveOrgName(requireCredentials(await ctx.settings()).baseUrl, opts.allMembers.org, ctx.env[ORG_ENV]);

  const api = await ctx.api();
  // The tokens are listed while git reads the history.
  const listing = liveTokens(api, org ? { org } : {});
  const { findings, stats } = await scan({ index: listing.then((l) => tokenIndex(l.tokens)), paths: opts.paths, ...(git && { git }) });
  const live = await listing;

  const rctx = { caller: api.username, ...(ctx.globals.profile !== undefined && { profile: ctx.globals.profile }) };
  const summary = report.summaryLine(findings.length, stats);
  if (ctx.globals.json || opts.format === 'markdown') {
    const doc = report.scanJson(findings, stats, rctx, live.all);
    if (ctx.globals.json) printJson(ctx, doc);
    else ctx.io.stdout.write((await import('../scan/markdown.js')).scanMarkdown(doc));
  } else if (ctx.io.stdoutIsTTY()) {
    for (const line of report.humanLines(findings, rctx)) printLine(ctx, line);
    info(ctx, summary);
  } else {
    if (findings.length > 0) ctx.io.stdout.write(`${report.tsvLines(findings, rctx).join('\n')}\n`);
    info(ctx, summary);
  }
  // A scan that missed a member's tokens is not a clean bill of health.
  if (live.all && live.all.failed.length > 0) throw membersFailed(live.all, 'the scan above');
  if (opts.failOnFind && findings.length > 0) throw new ReportedExit(ExitCode.findings, 'findings');
}
