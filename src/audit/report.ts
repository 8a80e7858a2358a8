// The audit's three outputs, from findings: a table grouped by severity (terminal), tab-separated lines
// (pipes: one finding a line, no header) and one JSON document. Pure: the command only prints them.

import type { Colors } from '../ui/color.js';
import { fitCommand, wrapWords } from '../ui/help-text.js';
import { fitMiddle } from '../ui/table-layout.js';
import { escapeField } from '../text/escape.js';
import { FAIL_ON_SEVERITIES, SEVERITIES, severityRank, type FailOnSeverity, type Finding, type Severity } from './model.js';

export interface AuditSummary {
  /** Keys audited (every type). */
  keys: number;
  findings: number;
  bySeverity: Record<Severity, number>;
  failOn: FailOnSeverity | null;
  /** A finding reached `failOn`: the run exits with ExitCode.findings. */
  failed: boolean;
  maxAge: string | null;
  scanned: string[];
  deploymentRegistry: boolean;
  /** `--all-members` only: the organization, how many members it has, and those whose keys could not be listed. */
  organization?: { name: string; members: number; failedMembers: { member: string; code: string; message: string }[] };
}

export function summarize(
  findings: readonly Finding[],
  opts: {
    keys: number;
    failOn?: FailOnSeverity;
    maxAge?: string;
    scanned: readonly string[];
    deploymentRegistry: boolean;
    organization?: AuditSummary['organization'];
  },
): AuditSummary {
  const bySeverity = { high: 0, medium: 0, low: 0, info: 0 } as Record<Severity, number>;
  for (const f of findings) bySeverity[f.severity]++;
  return {
    keys: opts.keys,
    findings: findings.length,
    bySeverity,
    failOn: opts.failOn ?? null,
    failed: opts.failOn !== undefined && reaches(findings, opts.failOn),
    maxAge: opts.maxAge ?? null,
    scanned: [...opts.scanned],
    deploymentRegistry: opts.deploymentRegistry,
    ...(opts.organization && { organization: opts.organization }),
  };
}

/** Some finding is at least as severe as `failOn`. */
export function reaches(findings: readonly Finding[], failOn: FailOnSeverity): boolean {
  const rank = severityRank(failOn);
  return findings.some((f) => severityRank(f.severity) >= rank);
}

export function isFailOn(value: string): value is FailOnSeverity {
  return (FAIL_ON_SEVERITIES as readonly string[]).includes(value);
}

/** The `--json` document (docs/audit.md): every field always present, null when it does not apply. */
export function auditJson(findings: readonly Finding[], summary: AuditSummary): { findings: Finding[]; summary: AuditSummary } {
  return {
    findings: findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      key: f.key,
      member: f.member,
      reason: f.reason,
      fix: f.fix,
      file: f.file,
      line: f.line,
      fingerprint: f.fingerprint,
    })),
    summary,
  };
}

/** The `--json` document as printed: JSON.stringify of auditJson, indented by two. */
export function auditJsonText(findings: readonly Finding[], summary: AuditSummary): string {
  return JSON.stringify(auditJson(findings, summary), null, 2);
}

/** severity, rule, member, key, file, line, reason, fix — empty where a value does not apply. */
export function tsvLines(findings: readonly Finding[]): string[] {
  return findings.map((f) =>
    [f.severity, f.rule, f.member ?? '', f.key ?? '', f.file ?? '', f.line === null ? '' : String(f.line), f.reason, f.fix ?? '']
      .map(escapeField)
      .join('\t'),
  );
}

const HEADINGS: Record<Severity, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' };

/**
 * One block per severity, most severe first: a heading with the count, then per finding a line with
 * its rule, member (when asked) and key, and under it, indented, the reason re-flowed to `width` and
 * the fix. A reason beside a column of long key names started near column 60 and wrapped over three
 * lines on an 80-column terminal; under the key it has the whole width.
 */
export function tableLines(findings: readonly Finding[], c: Colors, opts: { members: boolean; width?: number }): string[] {
  const width = Math.max(40, opts.width ?? 80);
  const tint: Record<Severity, (s: string) => string> = { high: c.red, medium: c.yellow, low: c.cyan, info: c.dim };
  const cell = (s: string | null) => (s === null ? '-' : escapeField(s));
  const rows = findings.map((f) => ({ f, cols: [f.rule, ...(opts.members ? [cell(f.member)] : []), cell(f.key)] }));
  const widths = rows.length ? rows[0]!.cols.slice(0, -1).map((_, i) => Math.max(...rows.map((r) => [...r.cols[i]!].length))) : [];
  const out: string[] = [];
  for (const severity of [...SEVERITIES].reverse()) {
    const group = rows.filter((r) => r.f.severity === severity);
    if (group.length === 0) continue;
    if (out.length > 0) out.push('');
    out.push(tint[severity](c.bold(`${HEADINGS[severity]} (${group.length})`)));
    for (const { f, cols } of group) {
      const lead = cols.slice(0, -1).map((col, i) => col + ' '.repeat(widths[i]! - [...col].length)).join('  ');
      // The key gets what is left of the line, shortened in the middle when it is longer.
      const room = width - 2 - (lead === '' ? 0 : [...lead].length + 2);
      out.push(`  ${lead}${lead === '' ? '' : '  '}${fitMiddle(cols.at(-1)!, Math.max(room, 12))}`);
      out.push(...wrapWords(escapeField(f.reason).split(' '), width, '    ', '    '));
      // A fix is shell-quoted with its control characters already escaped ($'…'): never cut; a long one
      // is continued with ` \` at spaces outside quotes, so that pasted it still runs.
      if (f.fix !== null) {
        const lines = fitCommand('    fix: ', f.fix, width);
        out.push(...lines.map((l, i) => (i === 0 ? l.replace('fix:', c.dim('fix:')) : l)));
      }
    }
  }
  return out;
}

/** The closing line on stderr: counts, and what --fail-on made of them. */
export function summaryLine(summary: AuditSummary): string {
  const counts = [...SEVERITIES]
    .reverse()
    .filter((s) => summary.bySeverity[s] > 0)
    .map((s) => `${summary.bySeverity[s]} ${s}`);
  const head =
    summary.findings === 0
      ? `No findings in ${summary.keys} key${summary.keys === 1 ? '' : 's'}.`
      : `${summary.findings} finding${summary.findings === 1 ? '' : 's'} in ${summary.keys} key${summary.keys === 1 ? '' : 's'}: ${counts.join(', ')}.`;
  if (summary.failOn === null) return head;
  return summary.failed
    ? `${head} Findings at or above --fail-on ${summary.failOn}: exit 7.`
    : `${head} Nothing at or above --fail-on ${summary.failOn}.`;
}
