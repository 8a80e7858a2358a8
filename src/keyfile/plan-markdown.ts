// A plan in Markdown, for a pull-request comment or a CI job summary: the summary line, then a table
// per section (changes, entries that need attention, keys the file does not declare, unfinished
// work). Rendered from the `--json` document, so the two can never tell different stories. A plan
// holds no token: names, grants and deploy targets only.

import { code, document, join, raw, table, text, type Md } from '../ui/markdown.js';
import { summaryLine, type PlanJson, type PlanKeyJson } from './plan-output.js';

export interface Unfinished {
  from: string | null;
  to: string;
}

const ACTION: Record<string, string> = { create: 'create', replace: 'replace', rotate: 'rotate', unmanaged: 'delete' };

function target(t: Record<string, string>): Md {
  if (t.kind === 'env-file') return join([code(t.path ?? ''), raw(' ('), text(t.variable ?? ''), raw(')')]);
  if (t.kind === 'command') return join([raw('command '), code(t.command ?? '')]);
  return raw('shown on screen');
}

const list = (items: readonly Md[]): Md => (items.length === 0 ? raw('') : join(items, raw('<br>')));

function changeRow(k: PlanKeyJson): Md[] {
  const grants = k.changes.map((c) => code(`${c.sign} ${c.path.join(' ')}`));
  const notes = k.action === 'unmanaged' ? [raw('not in the file (--prune)')] : k.reasons.map(text);
  const noDeploy = k.deploy.length === 0 && (k.action === 'replace' || k.action === 'rotate') && k.from !== null;
  return [
    raw(ACTION[k.action] ?? k.action),
    code(k.name),
    k.from === null || k.action === 'create' ? raw('') : code(k.from),
    k.to === null || k.action === 'unmanaged' ? raw('') : code(k.to),
    list(grants),
    noDeploy ? join([raw('none: '), code(k.from!), raw(' is kept; revoke it once unused')]) : list(k.deploy.map(target)),
    list(notes),
  ];
}

export function planMarkdown(doc: PlanJson & { unfinished: readonly Unfinished[] }, opts: { prune: boolean }): string {
  const changes = doc.keys.filter((k) => k.action === 'create' || k.action === 'replace' || k.action === 'rotate' || (opts.prune && k.action === 'unmanaged'));
  const ambiguous = doc.keys.filter((k) => k.action === 'ambiguous');
  const unmanaged = opts.prune ? [] : doc.keys.filter((k) => k.action === 'unmanaged');
  const blocks: (string | string[])[] = [
    raw(`## carto-keys plan`),
    join([raw('Keys file '), code(doc.file), raw(`: **${summaryLine(doc.summary, opts.prune)}**`)]),
  ];
  if (changes.length > 0) {
    blocks.push(raw('### Changes'), table(['Action', 'Key', 'Replaces', 'New key', 'Grants changed', 'Deploy to', 'Notes'], changes.map(changeRow)));
  } else {
    blocks.push(raw(`${doc.summary.unchanged} ${doc.summary.unchanged === 1 ? 'key is' : 'keys are'} as declared.`));
  }
  if (ambiguous.length > 0) {
    blocks.push(
      raw('### Needs attention'),
      raw('Apply leaves these entries alone: revoke the live key no app uses (`carto-keys revoke <name>`), then plan again.'),
      table(['Entry', 'Live keys', 'Why'], ambiguous.map((k) => [code(k.name), list(k.liveKeys.map((l) => code(l.name))), list(k.reasons.map(text))])),
    );
  }
  if (unmanaged.length > 0) {
    blocks.push(
      raw('### Not in the file'),
      raw('Unmanaged: `apply --prune` would delete them.'),
      table(['Key', 'Created'], unmanaged.map((k) => [code(k.name), text(k.liveKeys[0]?.createdAt ?? '')])),
    );
  }
  if (doc.unfinished.length > 0) {
    blocks.push(
      raw('### Unfinished'),
      raw('From an earlier apply or rotate: finish it with `carto-keys apply --resume`, or undo it with `carto-keys apply --abort`.'),
      table(['Old key', 'New key'], doc.unfinished.map((u) => [u.from === null ? raw('(created)') : code(u.from), code(u.to)])),
    );
  }
  return document(blocks);
}
