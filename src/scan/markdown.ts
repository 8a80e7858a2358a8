// A scan in Markdown, for a CI job summary or a pull request: the summary line, then one table of the
// findings, each with the command that fixes it. Like every form of the report, never a token: a match
// is named by its fingerprint.

import { code, document, raw, table, text, type Md } from '../ui/markdown.js';
import type { Finding, ScanStats } from './index.js';
import { fixFor, summaryLine, type ReportContext } from './report.js';

function row(f: Finding, ctx: ReportContext, members: boolean): Md[] {
  const where = f.message ? raw('commit message') : code(`${f.path}:${f.line}`);
  const notes = [f.match === 'embedded' && 'likely: inside a longer word', f.form === 'basic-auth' && 'Authorization: Basic', f.encoding !== 'utf-8' && f.encoding.toUpperCase()].filter(
    (n): n is string => typeof n === 'string',
  );
  return [
    where,
    f.commit === undefined ? raw('') : code(f.commit.slice(0, 12)),
    ...(members ? [f.key.member === null ? raw('') : code(f.key.member)] : []),
    f.key.type === 'master' ? raw('the Master key') : code(f.key.name),
    code(f.fingerprint),
    text(notes.join('; ')),
    code(fixFor(f, ctx)),
  ];
}

export function scanMarkdown(findings: readonly Finding[], stats: ScanStats, ctx: ReportContext & { members: boolean; failedMembers?: readonly { member: string; message: string }[] }): string {
  // The summary line is the code's own words and numbers: no data in it.
  const blocks: (string | string[])[] = [raw('## carto-keys scan'), raw(summaryLine(findings.length, stats))];
  if (findings.length > 0) {
    blocks.push(
      table(['Where', 'Commit', ...(ctx.members ? ['Member'] : []), 'Key', 'Fingerprint', 'Notes', 'Fix'], findings.map((f) => row(f, ctx, ctx.members))),
    );
  }
  const failed = ctx.failedMembers ?? [];
  if (failed.length > 0) blocks.push(raw('### Not covered'), table(['Member', 'Error'], failed.map((m) => [code(m.member), text(m.message)])));
  return document(blocks);
}
