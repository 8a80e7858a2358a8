// An audit in Markdown, for a CI job summary or a pull request: the summary line, then a table per
// severity, most severe first, each finding with the command that fixes it. Findings never hold a
// token (a file's secret is named by its fingerprint).

import { code, document, raw, table, text, type Md } from '../ui/markdown.js';
import { SEVERITIES, type Finding, type Severity } from './model.js';
import { summaryLine, type AuditSummary } from './report.js';

const HEADINGS: Record<Severity, string> = { high: 'High', medium: 'Medium', low: 'Low', info: 'Info' };

function row(f: Finding, members: boolean): Md[] {
  const where = f.file === null ? raw('') : code(f.line === null ? f.file : `${f.file}:${f.line}`);
  return [
    code(f.rule),
    ...(members ? [f.member === null ? raw('') : code(f.member)] : []),
    f.key === null ? raw('') : code(f.key),
    where,
    text(f.reason),
    f.fix === null ? raw('') : code(f.fix),
  ];
}

export function auditMarkdown(findings: readonly Finding[], summary: AuditSummary): string {
  const members = summary.organization !== undefined;
  const blocks: (string | string[])[] = [raw('## carto-keys audit'), raw(summaryLine(summary))];
  for (const severity of [...SEVERITIES].reverse()) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    blocks.push(
      raw(`### ${HEADINGS[severity]} (${group.length})`),
      table(['Rule', ...(members ? ['Member'] : []), 'Key', 'Where', 'Why', 'Fix'], group.map((f) => row(f, members))),
    );
  }
  const failed = summary.organization?.failedMembers ?? [];
  if (failed.length > 0) {
    blocks.push(
      raw('### Not covered'),
      table(['Member', 'Error'], failed.map((m) => [code(m.member), text(m.message)])),
    );
  }
  return document(blocks);
}
