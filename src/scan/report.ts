// What a scan reports, in the three forms of every report: lines for a person, one tab-separated line
// per finding for a pipe, and one JSON document. None of them holds a token: a finding is its place,
// its key and the token's fingerprint. Names and paths come from the server and from the files
// scanned, so every one of them is escaped before it reaches a terminal or a TSV cell.

import { commandLine } from '../text/command-line.js';
import { escapeControl } from '../text/escape.js';
import type { Finding, ScanStats } from './index.js';
import type { LiveToken } from './tokens.js';
import type { AllMembersKeys } from '../domain/members.js';

export interface ReportContext {
  /** The caller: a key of another member gets `--user <member>` in its fix. */
  caller: string;
  /** `--profile` of the run, repeated in the fix. */
  profile?: string;
}

/** The command that takes this leak from found to fixed (respond: rotated to its targets or revoked, at once). */
export function fixFor(f: Finding, ctx: ReportContext): string {
  return commandLine(
    'respond',
    { args: [f.key.name] },
    {
      ...(ctx.profile !== undefined && { profile: ctx.profile }),
      ...(f.key.member !== null && f.key.member !== ctx.caller && { user: f.key.member }),
    },
  );
}

/** `path:line`, and the short commit for history. */
export function placeOf(f: Finding): string {
  const commit = f.commit === undefined ? '' : ` (commit ${f.commit.slice(0, 12)}${f.message ? ' message' : ''})`;
  const path = f.message ? 'commit message' : escapeControl(f.path);
  return `${path}:${f.line}${commit}`;
}

function keyLabel(key: LiveToken, caller: string): string {
  const whose = key.member !== null && key.member !== caller ? ` of ${escapeControl(key.member)}` : '';
  return key.type === 'master' ? `the Master key${whose}` : `key "${escapeControl(key.name)}"${whose}`;
}

function how(f: Finding): string {
  const notes: string[] = [];
  if (f.match === 'embedded') notes.push('likely: inside a longer word');
  if (f.form === 'basic-auth') notes.push('in an Authorization: Basic header');
  if (f.encoding !== 'utf-8') notes.push(f.encoding.toUpperCase());
  return notes.length === 0 ? '' : ` (${notes.join('; ')})`;
}

/** For a person: the place, then what it holds and the fix, indented under it. */
export function humanLines(findings: readonly Finding[], ctx: ReportContext): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(placeOf(f));
    lines.push(`  ${keyLabel(f.key, ctx.caller)} ${f.fingerprint}${how(f)}`);
    lines.push(`  fix: ${fixFor(f, ctx)}`);
  }
  return lines;
}

/** For a pipe: path, line, commit, member, key, type, fingerprint, match, form, fix. */
export function tsvLines(findings: readonly Finding[], ctx: ReportContext): string[] {
  return findings.map((f) =>
    [
      f.message ? '' : f.path,
      String(f.line),
      f.commit ?? '',
      f.key.member ?? '',
      f.key.name,
      f.key.type,
      f.fingerprint,
      f.match,
      f.form,
      fixFor(f, ctx),
    ]
      .map(escapeControl)
      .join('\t'),
  );
}

/** One finding in the `--json` document (docs/scan.md). */
export interface ScanFindingJson {
  path: string | null;
  line: number;
  commit: string | null;
  inCommitMessage: boolean;
  key: string;
  member: string | null;
  type: string;
  fingerprint: string;
  match: Finding['match'];
  form: Finding['form'];
  encoding: Finding['encoding'];
  fix: string;
}

/** The `--json` document; `--format markdown` and the GitHub Action render this same document. */
export interface ScanJson {
  findings: ScanFindingJson[];
  summary: ScanStats & {
    findings: number;
    organization?: { name: string; members: number; failedMembers: { member: string; code: string; message: string }[] };
  };
}

export function scanJson(findings: readonly Finding[], stats: ScanStats, ctx: ReportContext, all?: AllMembersKeys): ScanJson {
  return {
    findings: findings.map((f) => jsonFinding(f, ctx)),
    summary: {
      findings: findings.length,
      ...stats,
      ...(all && {
        organization: {
          name: all.org,
          members: all.members.length,
          failedMembers: all.failed.map((f) => ({ member: f.member.username, code: f.error.code, message: f.error.message })),
        },
      }),
    },
  };
}

export function jsonFinding(f: Finding, ctx: ReportContext): ScanFindingJson {
  return {
    path: f.message ? null : f.path,
    line: f.line,
    commit: f.commit ?? null,
    inCommitMessage: f.message === true,
    key: f.key.name,
    member: f.key.member,
    type: f.key.type,
    fingerprint: f.fingerprint,
    match: f.match,
    form: f.form,
    encoding: f.encoding,
    fix: fixFor(f, ctx),
  };
}

function mb(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** 10,001: by hand, since toLocaleString loads ICU's data (over 100 ms on a cold start). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${thousands(n)} ${n === 1 ? one : many}`;
}

/** One line on stderr: what was found, in what, and what was skipped. */
export function summaryLine(findings: number, stats: ScanStats): string {
  const where = [`${plural(stats.files, 'file')} (${mb(stats.bytes)})`];
  if (stats.history) where.push(`${plural(stats.history.blobs, 'blob')} in ${plural(stats.history.commits, 'commit')} (${mb(stats.history.bytes)})`);
  const head = findings === 0 ? 'No live token found' : `${plural(findings, 'live token')} found`;
  const s = stats.skipped;
  const binary = s.binary + (stats.history?.skipped.binary ?? 0);
  const large = s.tooLarge + (stats.history?.skipped.tooLarge ?? 0);
  const skipped = [
    binary > 0 && `${binary} binary`,
    large > 0 && `${large} over 10 MiB`,
    s.symlinks > 0 && plural(s.symlinks, 'symlink'),
    s.unreadable > 0 && `${s.unreadable} unreadable or not regular`,
  ].filter((x): x is string => typeof x === 'string');
  return `${head} in ${where.join(' and ')}, looking for ${plural(stats.tokens, 'live token')}.${skipped.length ? ` Skipped: ${skipped.join(', ')}.` : ''}`;
}
