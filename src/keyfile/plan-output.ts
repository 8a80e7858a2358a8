// A plan for people (read like `terraform plan`: one block per key that changes, a summary line at the
// end) and for scripts (`--json`: the stable document of docs/keys-as-code.md).

import { diffGrants, formatDiff } from '../grants/diff.js';
import { grantSetToJson, type GrantSetJson } from '../grants/format.js';
import { emptyGrantSet, type GrantSet } from '../grants/model.js';
import { describeTarget, targetJson, type DeployTarget } from '../deploy/targets.js';
import { colors, type Colors } from '../ui/color.js';
import { escapeControl } from '../text/escape.js';
import { looksAlike } from '../text/lookalike.js';
import { wrapWords } from '../ui/help-text.js';
import type { GrantChange, Plan, PlanAction, PlannedKey, PlanSummary } from './plan.js';

export const PLAN_JSON_VERSION = 1;

export interface PlanJson {
  version: typeof PLAN_JSON_VERSION;
  file: string;
  changesPending: boolean;
  summary: PlanSummary;
  keys: PlanKeyJson[];
}

export interface PlanKeyJson {
  name: string;
  action: PlanAction;
  /** The live keys this entry matched, oldest first as CARTO lists them. */
  liveKeys: { name: string; createdAt: string | null }[];
  from: string | null;
  to: string | null;
  reasons: string[];
  /** The grant paths that force a replacement: [{sign: "+", path: ["tables", "public.cities", "insert"]}]. */
  changes: GrantChange[];
  /** What the file declares (null for an unmanaged key). */
  grants: GrantSetJson | null;
  deploy: Record<string, string>[];
}

/**
 * Keys to create whose name looks like a key that is not in the file (which `--prune` deletes): `wеb`
 * with a Cyrillic е next to the real `web`. Each is flagged, in text and in --json's reasons.
 */
function lookalikes(plan: Plan): Map<string, string> {
  const unmanaged = plan.keys.filter((k) => k.action === 'unmanaged').map((k) => k.name);
  const out = new Map<string, string>();
  for (const k of plan.keys) {
    if (k.action !== 'create') continue;
    const other = unmanaged.find((u) => looksAlike(k.name, u));
    if (other !== undefined) out.set(k.name, other);
  }
  return out;
}

function lookalikeNote(name: string, other: string, prune: boolean): string {
  const odd = [...new Set([...name].filter((ch) => ch.codePointAt(0)! > 0x7e))].map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  return (
    `looks like "${escapeControl(other)}", which ${prune ? 'this --prune deletes' : 'is not in the file (`apply --prune` would delete it)'}: ` +
    `they are different names${odd.length > 0 ? ` (this one has ${odd.join(', ')})` : ''}; check which one the file means`
  );
}

export function planJson(plan: Plan, file: string, opts: { prune?: boolean } = {}): PlanJson {
  const alike = lookalikes(plan);
  return {
    version: PLAN_JSON_VERSION,
    file,
    changesPending: plan.changesPending,
    summary: plan.summary,
    keys: plan.keys.map((k) => ({
      name: k.name,
      action: k.action,
      liveKeys: k.live.map((l) => ({ name: l.name, createdAt: l.createdAt })),
      from: k.from ?? null,
      to: k.to ?? null,
      reasons: alike.has(k.name) ? [...k.reasons, lookalikeNote(k.name, alike.get(k.name)!, opts.prune === true)] : k.reasons,
      changes: k.changes,
      grants: k.entry ? grantSetToJson(k.entry.grants) : null,
      deploy: (k.entry?.deploy ?? []).map(targetJson),
    })),
  };
}

const INDENT = '      ';

const grantsNothing = (g: GrantSet): boolean => diffGrants(emptyGrantSet(), g).length === 0;

function block(raw: PlannedKey, c: Colors, color: boolean, prune: boolean, alike: Map<string, string>, showPath: (path: string) => string, width: number): string[] {
  // Names come from the server (and the file): escaped, so a name cannot colour, conceal or forge a
  // line of the plan. Reasons quote names too.
  const k = {
    ...raw,
    name: escapeControl(raw.name),
    from: raw.from === undefined ? undefined : escapeControl(raw.from),
    to: raw.to === undefined ? undefined : escapeControl(raw.to),
    reasons: raw.reasons.map(escapeControl),
  };
  const shown = (t: DeployTarget): DeployTarget => (t.kind === 'env-file' ? { ...t, path: showPath(t.path) } : t);
  const deploy = (k.entry?.deploy ?? []).map((t) => `${INDENT}${c.dim('deploy to')} ${escapeControl(describeTarget(shown(t)))}`);
  // Prose under a key, wrapped to the width (a long key name made it 124 columns), each line dimmed.
  const under = (text: string): string[] => wrapWords(text.split(' '), width, INDENT, INDENT);
  const note = (text: string): string[] => under(text).map((l) => `${INDENT}${c.dim(l.slice(INDENT.length))}`);
  const noDeploy = k.entry && k.entry.deploy.length === 0 ? note(`no deploy target: the old key "${k.from}" is kept; revoke it once unused`) : [];
  // "name will be replaced: "from" → "to"" on one line when it fits, else the names on a line of their own.
  const headline = (mark: string, verb: string): string[] => {
    const names = `"${k.from}" → "${k.to}"`;
    const plain = `${k.name} will be ${verb}: ${names}`;
    return 4 + [...plain].length <= width ? [`${mark} ${c.bold(k.name)} will be ${verb}: ${names}`] : [`${mark} ${c.bold(k.name)} will be ${verb}:`, ...under(names)];
  };
  switch (k.action) {
    case 'create':
      return [
        `  ${c.green('+')} ${c.bold(k.name)} will be created`,
        ...(alike.has(raw.name) ? [`${INDENT}${c.yellow(`! ${lookalikeNote(raw.name, alike.get(raw.name)!, prune)}`)}`] : []),
        ...(grantsNothing(k.entry!.grants) ? [`${INDENT}(grants nothing)`] : formatDiff(diffGrants(emptyGrantSet(), k.entry!.grants), { color })).map((l) => l.startsWith(INDENT) ? l : `${INDENT}${l}`),
        ...deploy,
      ];
    case 'replace':
      return [
        // What happens on a line of its own: the headline alone was 98 columns for short names.
        ...headline(c.yellow('-/+'), 'replaced'),
        `${INDENT}${c.dim('create, deploy, verify, then delete the old key')}`,
        ...formatDiff(k.diff, { color }).map((l) => `${INDENT}${l}`),
        ...k.reasons.slice(1).map((r) => `${INDENT}${c.dim(`note: ${r}`)}`),
        ...deploy,
        ...noDeploy,
      ];
    case 'rotate':
      return [
        ...headline(`  ${c.cyan('~')}`, 'rotated'),
        `${INDENT}${c.dim('same grants, new token')}`,
        ...k.reasons.flatMap(under),
        ...deploy,
        ...noDeploy,
      ];
    case 'unmanaged':
      if (k.inUse !== undefined) {
        return [`  ${c.yellow('!')} ${c.bold(k.name)} is not in the file but in use (apply --prune keeps it)`, ...under(k.inUse)];
      }
      return prune
        ? [`  ${c.red('-')} ${c.bold(k.name)} will be deleted (not in the file; --prune)`]
        : [`  ${c.dim('?')} ${c.bold(k.name)} is not in the file (unmanaged; apply --prune deletes it)`];
    case 'ambiguous':
      return [
        `  ${c.yellow('!')} ${c.bold(k.name)} has ${k.live.length === 1 ? 'a key another entry may own' : `${k.live.length} live keys`}: apply leaves it alone`,
        ...k.reasons.map((r) => `${INDENT}${r}`),
        `${INDENT}${c.dim('revoke the one no app uses (carto-keys revoke <name>), then plan again')}`,
      ];
    case 'none':
      return [];
  }
}

export function summaryLine(s: PlanSummary, prune: boolean): string {
  const pending = s.create + s.replace + s.rotate + (prune ? s.unmanaged : 0);
  const extra = s.ambiguous > 0 ? ` ${s.ambiguous} ${s.ambiguous === 1 ? 'entry needs' : 'entries need'} attention (two live keys).` : '';
  if (pending === 0 && s.unmanaged === 0) return `No changes.${extra}`;
  const last = prune ? `${s.unmanaged} to delete` : `${s.unmanaged} unmanaged`;
  return `Plan: ${s.create} to create, ${s.replace} to replace, ${s.rotate} to rotate, ${last}.${extra}`;
}

/** `showPath`: how an env file's path is shown (relative to the current folder, by the command). */
export function formatPlan(plan: Plan, opts: { color: boolean; prune: boolean; showPath?: (path: string) => string; width?: number }): string[] {
  const c = colors(opts.color);
  const alike = lookalikes(plan);
  const blocks = plan.keys.map((k) => block(k, c, opts.color, opts.prune, alike, opts.showPath ?? ((p) => p), opts.width ?? 80)).filter((b) => b.length > 0);
  const lines: string[] = [];
  for (const b of blocks) lines.push(...b, '');
  if (blocks.length === 0) lines.push(`${plan.summary.unchanged} ${plan.summary.unchanged === 1 ? 'key is' : 'keys are'} as declared.`, '');
  lines.push(c.bold(summaryLine(plan.summary, opts.prune)));
  return lines;
}
