// A scan in Markdown, for a CI job summary or a pull request: the summary line, then one table of the
// findings, each with the command that fixes it. Rendered from the `--json` document (the GitHub
// Action renders the one it read), and like every form of the report, never a token: a match is named
// by its fingerprint.

import { code, document, raw, table, text, type Md } from '../ui/markdown.js';
import { summaryLine, type ScanFindingJson, type ScanJson } from './report.js';

function row(f: ScanFindingJson, members: boolean): Md[] {
  const where = f.inCommitMessage ? raw('commit message') : code(`${f.path}:${f.line}`);
  const notes = [f.match === 'embedded' && 'likely: inside a longer word', f.form === 'basic-auth' && 'Authorization: Basic', f.encoding !== 'utf-8' && f.encoding.toUpperCase()].filter(
    (n): n is string => typeof n === 'string',
  );
  return [
    where,
    f.commit === null ? raw('') : code(f.commit.slice(0, 12)),
    ...(members ? [f.member === null ? raw('') : code(f.member)] : []),
    f.type === 'master' ? raw('the Master key') : code(f.key),
    code(f.fingerprint),
    text(notes.join('; ')),
    code(f.fix),
  ];
}

export function scanMarkdown(doc: ScanJson): string {
  const members = doc.summary.organization !== undefined;
  // The summary line is the code's own words and numbers: no data in it.
  const blocks: (string | string[])[] = [raw('## carto-keys scan'), raw(summaryLine(doc.summary.findings, doc.summary))];
  if (doc.findings.length > 0) {
    blocks.push(table(['Where', 'Commit', ...(members ? ['Member'] : []), 'Key', 'Fingerprint', 'Notes', 'Fix'], doc.findings.map((f) => row(f, members))));
  }
  const failed = doc.summary.organization?.failedMembers ?? [];
  if (failed.length > 0) blocks.push(raw('### Not covered'), table(['Member', 'Error'], failed.map((m) => [code(m.member), text(m.message)])));
  return document(blocks);
}
