// The audit rules: pure functions of the keys (and of the deployment registry and scanned files, when
// given). No I/O, no clock of their own: the same input always gives the same findings, whatever the
// order of the keys. docs/audit.md documents every rule; keep the two in step.

import { resolve } from 'node:path';
import { compareStrings, tableLabel } from '../grants/canonical.js';
import type { GrantSet, TableGrant, TablePermission } from '../grants/model.js';
import { quote } from '../grants/text.js';
import { formatDuration } from '../domain/duration.js';
import { commandLine, shellWord, verbatim, type CommandScope, type CommandWords, type Verbatim } from '../text/command-line.js';
import type { AuditKey } from './keys.js';
import { RULE_IDS, RULE_SEVERITY, SEVERITIES, type Finding, type RuleId, type Severity } from './model.js';
import type { Finding as ScanFinding } from '../scan/index.js';

/** One deployment of a key, as the deployment registry records it (only what the audit reads). */
export interface DeploymentRecord {
  kind: string;
  at?: string;
  /** An env file's path, as recorded (absolute). */
  path?: string;
}

/** The registry's answer for one key; the registry itself is undefined when none exists yet. */
export type DeploymentLookup = (keyName: string, member: string | null) => readonly DeploymentRecord[];

export interface AuditInput {
  keys: readonly AuditKey[];
  now: Date;
  /** `--max-age`: without it the age rule does not run. */
  maxAge?: { text: string; ms: number };
  /** undefined: there is no deployment registry to read, and `never-deployed` says so once. */
  deployments?: DeploymentLookup;
  /** What the scanner found in the `--scan` files and folders. */
  secrets?: readonly ScanFinding<AuditKey>[];
  /** Repeated in every fix: the `--profile` of this run. */
  profile?: string;
  /** The username the audit runs as: a fix for another member's key gets `--user <member>`. */
  caller?: string;
}

function finding(
  rule: RuleId,
  key: AuditKey | null,
  reason: string,
  fix: string | null,
  at?: { file: string; line: number; fingerprint: string },
): Finding {
  // One object shape for every finding (no spreads): 20,000 of them are made for a large account.
  return {
    rule,
    severity: RULE_SEVERITY[rule],
    key: key === null ? null : key.name,
    member: key === null ? null : key.member,
    reason,
    fix,
    file: at ? at.file : null,
    line: at ? at.line : null,
    fingerprint: at ? at.fingerprint : null,
  };
}

const fixScopes = new WeakMap<AuditInput, Map<string | null, { ask: CommandScope; yes: CommandScope }>>();

/**
 * Where a fix runs: the audit's --profile, and --user for a member's key in an organization audit;
 * `yes` for a rotation, which must run as printed, asking nothing. The same objects for every key of
 * one member: 20,000 findings need only a handful.
 */
export function fixScopeFor(input: AuditInput, member: string | null, yes = false): CommandScope {
  let byMember = fixScopes.get(input);
  if (!byMember) fixScopes.set(input, (byMember = new Map()));
  let scopes = byMember.get(member);
  if (!scopes) {
    const ask: CommandScope = {
      ...(input.profile !== undefined && { profile: input.profile }),
      ...(input.caller !== undefined && member !== null && member !== input.caller && { user: member }),
    };
    byMember.set(member, (scopes = { ask, yes: { ...ask, yes: true } }));
  }
  return yes ? scopes.yes : scopes.ask;
}

/** `carto-keys <verb> <key> …` that fixes a finding of `key`. */
function fix(input: AuditInput, verb: string, key: AuditKey, options: CommandWords['options'] = [], yes = false): string {
  return commandLine(verb, { args: [key.name], options }, fixScopeFor(input, key.member, yes));
}

const regularOf = new WeakMap<readonly AuditKey[], AuditKey[]>();

/** The regular keys, computed once per key list however many rules ask. */
function regular(input: AuditInput): AuditKey[] {
  let keys = regularOf.get(input.keys);
  if (!keys) regularOf.set(input.keys, (keys = input.keys.filter((k) => k.type === 'regular')));
  return keys;
}

function writesOf(permissions: readonly TablePermission[]): TablePermission[] | undefined {
  let writes: TablePermission[] | undefined;
  for (const p of permissions) if (p !== 'select') (writes ??= []).push(p);
  return writes;
}

/** `table-write`: insert, update or delete on a table — a leaked token can change or destroy data. */
export function tableWriteRule(input: AuditInput): Finding[] {
  return narrowingRule(input, 'table-write', tableWrites);
}

/** A rule whose fix rotates the key with fewer grants: each grant set judged once. */
function narrowingRule(input: AuditInput, rule: RuleId, judge: (grants: GrantSet) => Judgement | null): Finding[] {
  const out: Finding[] = [];
  // Judged once per grant set (keys that grant alike share one: see auditKey).
  const judged = new Map<GrantSet, Judgement | null>();
  for (const key of regular(input)) {
    let j = judged.get(key.grants);
    if (j === undefined) judged.set(key.grants, (j = judge(key.grants)));
    if (j !== null) out.push(finding(rule, key, j.reason, fix(input, 'rotate', key, [j.options, rotationEnd(input, key)], true)));
  }
  return out;
}

/** What a rule says about a grant set: the reason of its finding and the options of its fix, quoted once. */
interface Judgement {
  reason: string;
  options: Verbatim;
}

function tableWrites(grants: GrantSet): Judgement | null {
  // Most keys write nothing: no array is made for them.
  let writes: { table: TableGrant; perms: TablePermission[] }[] | undefined;
  for (const table of grants.tables) {
    const perms = writesOf(table.permissions);
    if (perms) (writes ??= []).push({ table, perms });
  }
  if (!writes) return null;
  const what = writes.map((w) => `${tableLabel(w.table)} (${w.perms.join(', ')})`).join(', ');
  const options = writes.flatMap((w) => ['--remove-table', `${tableLabel(w.table)}:${w.perms.join(',')}`]);
  return {
    reason: writes.length === 1 ? `can change data in ${what}` : `can change data in ${writes.length} tables: ${what}`,
    options: verbatim(options.map(shellWord).join(' ')),
  };
}

/**
 * How a rotation fix ends, so that it runs as printed (on a terminal or not, asking nothing): a key
 * recorded as deployed is rotated to its recorded targets and its old key deleted; one that is not
 * keeps its old key (nothing would get the new token), and the rotation says how to revoke it later.
 */
function rotationEnd(input: AuditInput, key: AuditKey): string {
  const deployed = input.deployments !== undefined && input.deployments(key.name, key.member).length > 0;
  return deployed ? '--delete-old' : '--keep-old';
}

/** `schema-create`: the key may create tables (and owns, alters and drops what it creates). */
export function schemaCreateRule(input: AuditInput): Finding[] {
  return narrowingRule(input, 'schema-create', schemaCreates);
}

function schemaCreates(grants: GrantSet): Judgement | null {
  const schemas = grants.schemas.filter((s) => s.permissions.includes('create')).map((s) => s.name);
  if (schemas.length === 0) return null;
  return {
    reason: `can create tables in schema${schemas.length === 1 ? '' : 's'} ${schemas.join(', ')}`,
    options: verbatim(schemas.flatMap((s) => ['--remove-schema', s]).map(shellWord).join(' ')),
  };
}

const DAY_MS = 86_400_000;

/**
 * `max-age`: created longer ago than `--max-age`. Only regular keys: rotation replaces them with a new
 * key (a new creation time), while the Master key's creation time is the account's and regenerate
 * does not change it.
 */
export function maxAgeRule(input: AuditInput): Finding[] {
  const maxAge = input.maxAge;
  if (!maxAge) return [];
  const out: Finding[] = [];
  const now = input.now.getTime();
  for (const key of regular(input)) {
    if (key.createdMs === undefined) continue;
    const age = now - key.createdMs;
    if (age <= maxAge.ms) continue;
    const shown = age >= DAY_MS ? `${Math.floor(age / DAY_MS)}d` : formatDuration(Math.floor(age / 1000) * 1000);
    out.push(
      finding('max-age', key, `created ${shown} ago, older than --max-age ${maxAge.text}`, fix(input, 'rotate', key, [rotationEnd(input, key)], true)),
    );
  }
  return out;
}

/**
 * An identity for a canonical GrantSet: equal for equal grants, different otherwise. API and service
 * names are fixed words; every name a user chose is JSON-quoted, so no separator can be forged.
 */
export function grantsId(grants: GrantSet): string {
  let id = `${grants.apis.join(',')}|${grants.tableMetadata ? 'm' : ''}|${grants.services.join(',')}`;
  for (const t of grants.tables) id += `|t${JSON.stringify(t.schema)}${JSON.stringify(t.name)}${t.permissions.join(',')}`;
  for (const s of grants.schemas) id += `|s${JSON.stringify(s.name)}${s.permissions.join(',')}`;
  for (const d of grants.datasets) id += `|d${JSON.stringify(d)}`;
  return id;
}

/** Newest first (the one a rotation made last, most likely the one in use), then by name. */
function keepFirst(a: AuditKey, b: AuditKey): number {
  const at = (k: AuditKey) => k.createdMs ?? -Infinity;
  return at(b) - at(a) || compareStrings(a.name, b.name);
}

/**
 * `identical-grants`: two or more keys of one user grant exactly the same. The newest is kept; each
 * other one is a finding whose fix revokes it. One key per app is CARTO's advice, so this is low:
 * the reason says when it matters (the keys serve the same app).
 */
export function identicalGrantsRule(input: AuditInput): Finding[] {
  // One pass groups the keys (per member, then by grants), remembering each key's group; a second,
  // in the order of the keys, reports all but the newest of each group: no sorting afterwards.
  const keys = regular(input);
  const byMember = new Map<string | null, Map<string, SameGrants>>();
  const groupOf: SameGrants[] = new Array<SameGrants>(keys.length);
  const ids = new Map<GrantSet, string>();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    let groups = byMember.get(key.member);
    if (!groups) byMember.set(key.member, (groups = new Map()));
    let id = ids.get(key.grants);
    if (id === undefined) ids.set(key.grants, (id = grantsId(key.grants)));
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { keys: [], keep: undefined, reason: undefined }));
    group.keys.push(key);
    groupOf[i] = group;
  }
  const out: Finding[] = [];
  for (let i = 0; i < keys.length; i++) {
    const group = groupOf[i]!;
    if (group.keys.length < 2) continue;
    if (group.keep === undefined) {
      let best = group.keys[0]!;
      for (const k of group.keys) if (keepFirst(k, best) < 0) best = k;
      group.keep = best;
      // One reason per group.
      const others = group.keys.length - 2;
      const more = others > 0 ? ` and ${others} other key${others === 1 ? '' : 's'}` : '';
      group.reason = `grants exactly what ${quote(best.name)}${more} grant${more ? '' : 's'}: if they serve the same app, keep one`;
    }
    const key = keys[i]!;
    if (group.keep !== key) out.push(finding('identical-grants', key, group.reason!, fix(input, 'revoke', key)));
  }
  return out;
}

interface SameGrants {
  keys: AuditKey[];
  /** The key kept, and the reason given for the others, once the group is first reported. */
  keep: AuditKey | undefined;
  reason: string | undefined;
}

function subset<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.every((x) => b.includes(x));
}

/** Everything `key` grants is also granted by `base`. */
export function grantsWithin(key: GrantSet, base: GrantSet): boolean {
  return (
    subset(key.apis, base.apis) &&
    key.tables.every((t) => base.tables.some((b) => b.schema === t.schema && b.name === t.name && subset(t.permissions, b.permissions))) &&
    key.schemas.every((s) => base.schemas.some((b) => b.name === s.name && subset(s.permissions, b.permissions))) &&
    (!key.tableMetadata || base.tableMetadata) &&
    subset(key.services, base.services) &&
    subset(key.datasets, base.datasets)
  );
}

/**
 * `default-public-only`: the key grants nothing beyond the account's Default public key (compared with
 * its grants as listed). Every regular key inherits those anyway, and apps can use the public token
 * `default_public` instead. Without the Default public key in the input, the rule cannot judge.
 */
export function defaultPublicOnlyRule(input: AuditInput): Finding[] {
  const defaults = new Map<string | null, GrantSet>();
  for (const key of input.keys) if (key.type === 'default') defaults.set(key.member, key.grants);
  const out: Finding[] = [];
  const within = new Map<GrantSet, Map<GrantSet, boolean>>();
  for (const key of regular(input)) {
    const base = defaults.get(key.member);
    if (!base) continue;
    let judged = within.get(base);
    if (!judged) within.set(base, (judged = new Map()));
    let inside = judged.get(key.grants);
    if (inside === undefined) judged.set(key.grants, (inside = grantsWithin(key.grants, base)));
    if (!inside) continue;
    const apis = base.apis.length ? `APIs ${base.apis.join(', ')}` : 'no API';
    out.push(
      finding(
        'default-public-only',
        key,
        `grants nothing the Default public key (${apis}, every public dataset) does not: apps can use the token default_public`,
        fix(input, 'revoke', key),
      ),
    );
  }
  return out;
}

/**
 * `never-deployed`: no deployment of the key was ever recorded. Without a registry there is nothing to
 * go on: one info finding says so, rather than calling every key undeployed.
 */
export function neverDeployedRule(input: AuditInput): Finding[] {
  const lookup = input.deployments;
  if (!lookup) {
    const nothing = finding('never-deployed', null, 'no deployment registry to read: cannot tell which keys were never deployed', null);
    nothing.severity = 'info';
    return [nothing];
  }
  const out: Finding[] = [];
  for (const key of regular(input)) {
    if (lookup(key.name, key.member).length > 0) continue;
    out.push(
      finding(
        'never-deployed',
        key,
        'no deployment recorded (rotate records them): if nothing uses this key, revoke it',
        fix(input, 'revoke', key),
      ),
    );
  }
  return out;
}

/** `master-key-in-file`, `token-in-file`: a live secret in a `--scan` file (by file and line, never the secret). */
export function secretsInFilesRule(input: AuditInput): Finding[] {
  if (!input.secrets?.length) return [];
  // The env file a rotation or apply deployed the key to holds its token on purpose: not a leak.
  return input.secrets.filter((hit) => !deployedTo(input, hit.key, hit.path)).map((hit) => {
    const master = hit.key.type === 'master';
    const where = `${hit.match === 'embedded' ? 'likely: ' : ''}${hit.path}:${hit.line}`;
    return finding(
      master ? 'master-key-in-file' : 'token-in-file',
      hit.key,
      master
        ? `${where} holds the Master key (${hit.fingerprint}): anyone who reads the file owns the account`
        : `${where} holds the token of ${quote(hit.key.name)} (${hit.fingerprint})`,
      master
        ? fix(input, 'regenerate', hit.key)
        : fix(input, 'rotate', hit.key, [rotationEnd(input, hit.key)], true),
      { file: hit.path, line: hit.line, fingerprint: hit.fingerprint },
    );
  });
}

/** `file` is an env file the deployment registry records `key` as deployed to. */
function deployedTo(input: AuditInput, key: AuditKey, file: string): boolean {
  if (input.deployments === undefined || key.type !== 'regular') return false;
  const target = resolve(file);
  return input.deployments(key.name, key.member).some((d) => d.kind === 'env-file' && d.path !== undefined && resolve(d.path) === target);
}

export const RULES: readonly ((input: AuditInput) => Finding[])[] = [
  secretsInFilesRule,
  tableWriteRule,
  schemaCreateRule,
  maxAgeRule,
  identicalGrantsRule,
  defaultPublicOnlyRule,
  neverDeployedRule,
];

const RULE_RANK = Object.fromEntries(RULE_IDS.map((id, i) => [id, i])) as Record<RuleId, number>;
const SEVERITY_RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;

/** Most severe first, then in rule order, member, key, file and line: the same input, the same report. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    RULE_RANK[a.rule] - RULE_RANK[b.rule] ||
    compareStrings(a.member ?? '', b.member ?? '') ||
    compareStrings(a.key ?? '', b.key ?? '') ||
    compareStrings(a.file ?? '', b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0)
  );
}

function compareKeys(a: AuditKey, b: AuditKey): number {
  return compareStrings(a.member ?? '', b.member ?? '') || compareStrings(a.name, b.name);
}

export function runAudit(input: AuditInput): Finding[] {
  // Keys in report order first: the rules then emit their findings in order, and gathering them rule
  // by rule (RULE_IDS is ordered by severity) gives the report order without sorting 20,000 findings
  // (a property test holds runAudit to exactly what sorting them would give).
  const keys = [...input.keys].sort(compareKeys);
  const sorted = { ...input, keys };
  const byRule = new Map<RuleId, Finding[]>();
  for (const rule of RULES) {
    for (const f of rule(sorted)) {
      const list = byRule.get(f.rule);
      if (list) list.push(f);
      else byRule.set(f.rule, [f]);
    }
  }
  let out: Finding[] = [];
  for (const id of RULE_IDS) {
    const list = byRule.get(id);
    if (!list) continue;
    // A scan reports in file order; every other rule already follows the keys' order.
    if (SCAN_RULES.has(id)) list.sort(compareFindings);
    out = out.length === 0 ? list : out.concat(list);
  }
  return out;
}

const SCAN_RULES: ReadonlySet<RuleId> = new Set(['master-key-in-file', 'token-in-file']);
