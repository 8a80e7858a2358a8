// What an audit finds, as data: rule ids, severities and findings. Everything here is stable: ids and
// field names are documented in docs/audit.md and scripts gate CI on them.

export const SEVERITIES = ['info', 'low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The severities `--fail-on` accepts: info never fails a run (it says what the audit could not check). */
export const FAIL_ON_SEVERITIES = ['low', 'medium', 'high'] as const;
export type FailOnSeverity = (typeof FAIL_ON_SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export const RULE_IDS = [
  'master-key-in-file',
  'table-write',
  'token-in-file',
  'schema-create',
  'max-age',
  'identical-grants',
  'default-public-only',
  'never-deployed',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Each rule's severity; `never-deployed` also reports once at `info` when there is no registry to read. */
export const RULE_SEVERITY: Readonly<Record<RuleId, Severity>> = {
  'master-key-in-file': 'high',
  'table-write': 'high',
  'token-in-file': 'medium',
  'schema-create': 'medium',
  'max-age': 'medium',
  'identical-grants': 'low',
  'default-public-only': 'low',
  'never-deployed': 'low',
};

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** The key's name; null for a finding about the account as a whole. */
  key: string | null;
  /** The user the key belongs to (the account's username, or the organization member's). */
  member: string | null;
  /** One line, never a token. */
  reason: string;
  /** A complete carto-keys command line, quoted for a POSIX shell; null when there is nothing to run. */
  fix: string | null;
  /** Scan findings: the file and 1-based line that hold a secret, and the secret's fingerprint. */
  file: string | null;
  line: number | null;
  fingerprint: string | null;
}
