import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { WireApiKey } from '../api/types.js';
import type { GrantSet } from '../grants/model.js';
import { ExitCode, ReportedExit, UsageError } from '../errors.js';
import { requireCredentials } from '../config/settings.js';
import { listAllMembersKeys, membersFailed, ORG_ENV, resolveOrgName, type AllMembersKeys } from '../domain/members.js';
import { parseDuration, type Duration } from '../domain/duration.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { formatOption, outputFormat, type OutputFormat } from '../args/flags.js';
import {
  FAIL_ON_SEVERITIES,
  auditJsonText,
  auditKey,
  isFailOn,
  runAudit,
  summarize,
  summaryLine,
  tableLines,
  tsvLines,
  type AuditKey,
  type DeploymentLookup,
  type FailOnSeverity,
} from '../audit/index.js';
import { colors } from '../ui/color.js';
import { info, printLine, terminalWidth } from '../ui/output.js';
import { registeredCommand } from './registered.js';

export interface AuditOptions {
  maxAge?: Duration;
  failOn?: FailOnSeverity;
  /** `--scan` paths, de-duplicated, in the order given. */
  scan: string[];
  /** `--all-members`: every organization member's keys; `org` from --org (else CARTO_KEYS_ORG or the base URL). */
  allMembers?: { org?: string };
  format: OutputFormat;
}

function parseFailOn(value: string): FailOnSeverity {
  if (!isFailOn(value)) throw new UsageError(`Unknown --fail-on "${value}". Valid severities: ${FAIL_ON_SEVERITIES.join(', ')}`);
  return value;
}

export function auditCommand(kit: CommandKit): Command {
  return registeredCommand('audit')
    .option('--max-age <duration>', 'report keys created longer ago than this: 90d, 12w, 24h…', (v: string) => parseDuration(v, '--max-age'))
    .option('--fail-on <severity>', `exit ${ExitCode.findings} when a finding is at least this severe: ${FAIL_ON_SEVERITIES.join(', ')}`, parseFailOn)
    .option('--scan <paths...>', 'look for the Master key or any live token in these files and folders (as `scan` does)')
    .option('--all-members', "audit every organization member's keys (organization owners and admins)")
    .option('--org <name>', `the organization, for --all-members (default: from the base URL, or ${ORG_ENV})`)
    .addOption(formatOption())
    .addHelpText(
      'after',
      `
Rules (docs/audit.md): master-key-in-file, table-write (high); token-in-file, schema-create,
max-age (medium); identical-grants, default-public-only, never-deployed (low).

Exit codes: 0 nothing reached --fail-on (without it: always 0), ${ExitCode.findings} a finding did; 1, 2, 4 as usual
(with --all-members, 1 after the report when a member's keys could not be listed).

Examples:
  $ carto-keys audit
  $ carto-keys audit --max-age 90d --fail-on high        # in CI
  $ carto-keys audit --scan .env --scan config/app.yml --json
  $ carto-keys audit --all-members --fail-on high        # every member of your organization
  $ carto-keys audit --format markdown >> "$GITHUB_STEP_SUMMARY"
  $ carto-keys audit | awk -F'\\t' '$1 == "high"'          # piped: tab-separated, one finding a line`,
    )
    .action((o: { maxAge?: Duration; failOn?: FailOnSeverity; scan?: string[]; allMembers?: boolean; org?: string; format?: OutputFormat }, cmd: Command) => {
      if (o.org !== undefined && !o.allMembers) throw new UsageError('--org goes with --all-members.');
      const opts: AuditOptions = {
        ...(o.maxAge !== undefined && { maxAge: o.maxAge }),
        ...(o.failOn !== undefined && { failOn: o.failOn }),
        scan: [...new Set(o.scan ?? [])],
        ...(o.allMembers && { allMembers: o.org === undefined ? {} : { org: o.org } }),
        format: outputFormat(o.format, globalsOf(cmd).json),
      };
      kit.run((ctx) => auditRun(ctx, opts));
    });
}

/** The keys to audit: the account's, or every member's (those whose listing failed are kept aside). */
async function auditedKeys(ctx: Context, opts: AuditOptions): Promise<{ keys: AuditKey[]; caller: string; all?: AllMembersKeys }> {
  if (opts.allMembers) {
    // Which organization is a local matter (flag, environment, base URL): known before any request.
    const creds = requireCredentials(await ctx.settings());
    const org = resolveOrgName(creds.baseUrl, opts.allMembers.org, ctx.env[ORG_ENV]);
    const api = await ctx.api();
    const all = await listAllMembersKeys(api, { org });
    const grantSets = new Map<string, GrantSet>();
    const keys = all.listed.flatMap(({ member, keys }) => keys.map((k) => auditKey(k, member.username, grantSets)));
    return { keys, caller: api.username, all };
  }
  const api = await ctx.api();
  // Each page is turned into audit keys as it arrives, while the other pages are still on their way
  // (for 10,000 keys that is a third of the work); a key seen outside a page is converted at the end.
  const prepared = new Map<WireApiKey, AuditKey>();
  const grantSets = new Map<string, GrantSet>();
  const wire = await api.listKeys({ onPage: (_page, keys) => keys.forEach((k) => prepared.set(k, auditKey(k, undefined, grantSets))) });
  return { keys: wire.map((k) => prepared.get(k) ?? auditKey(k, undefined, grantSets)), caller: api.username };
}

export async function auditRun(ctx: Context, opts: AuditOptions): Promise<void> {
  // Files first: a missing one, or a FIFO, fails before any request.
  const scanner = opts.scan.length > 0 ? await import('../scan/index.js') : undefined;
  scanner?.checkPaths(opts.scan, '--scan');
  const { keys, caller, all } = await auditedKeys(ctx, opts);
  const secrets = scanner && (await scanner.scan({ index: scanner.tokenIndex(keys), paths: opts.scan })).findings;
  const deployments = await deploymentRegistry(ctx);
  const { profile, json } = ctx.globals;
  const findings = runAudit({
    keys,
    now: ctx.now(),
    ...(opts.maxAge && { maxAge: opts.maxAge }),
    ...(deployments && { deployments }),
    ...(secrets && { secrets }),
    ...(profile !== undefined && { profile }),
    caller,
  });
  const summary = summarize(findings, {
    keys: keys.length,
    ...(opts.failOn && { failOn: opts.failOn }),
    ...(opts.maxAge && { maxAge: opts.maxAge.text }),
    scanned: opts.scan,
    deploymentRegistry: deployments !== undefined,
    ...(all && {
      organization: {
        name: all.org,
        members: all.members.length,
        failedMembers: all.failed.map((f) => ({ member: f.member.username, code: f.error.code, message: f.error.message })),
      },
    }),
  });

  if (json) {
    ctx.io.stdout.write(`${auditJsonText(findings, summary)}\n`);
  } else if (opts.format === 'markdown') {
    const { auditMarkdown } = await import('../audit/markdown.js');
    ctx.io.stdout.write(auditMarkdown(findings, summary));
  } else if (ctx.io.stdoutIsTTY()) {
    for (const line of tableLines(findings, colors(ctx.io.colorStdout), { members: all !== undefined, width: terminalWidth(ctx) })) printLine(ctx, line);
    info(ctx, summaryLine(summary));
  } else {
    if (findings.length > 0) ctx.io.stdout.write(`${tsvLines(findings).join('\n')}\n`);
    info(ctx, summaryLine(summary));
  }
  // An audit that missed a member is not a clean bill of health, whatever --fail-on says.
  if (all && all.failed.length > 0) throw membersFailed(all, 'the audit above');
  if (summary.failed) throw new ReportedExit(ExitCode.findings, 'findings');
}

/**
 * The deployment registry of docs/rotate.md (rotate and apply record where each key went). Before the
 * first recorded deploy there is nothing to read, and the never-deployed rule says so once.
 */
async function deploymentRegistry(ctx: Context): Promise<DeploymentLookup | undefined> {
  const { keyRef, memberOf } = await import('../records/key-ref.js');
  const reg = (await ctx.records()).registry;
  if (!reg.exists()) return undefined;
  const { baseUrl, username } = requireCredentials(await ctx.settings());
  return (keyName, member) => reg.deploymentsOf(keyRef(baseUrl, memberOf(member ?? undefined, username), keyName));
}
