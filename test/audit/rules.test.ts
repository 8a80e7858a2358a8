// One test (at least) per audit rule, on keys as CARTO renders them.
import { describe, expect, it } from 'vitest';
import {
  defaultPublicOnlyRule,
  identicalGrantsRule,
  maxAgeRule,
  neverDeployedRule,
  runAudit,
  schemaCreateRule,
  secretsInFilesRule,
  tableWriteRule,
  RULE_IDS,
  RULE_SEVERITY,
  severityRank,
  type AuditInput,
} from '../../src/audit/index.js';
import { fingerprint } from '../../src/text/fingerprint.js';
import { MASTER_TOKEN, builtIns, key, secretsIn } from './helpers.js';

const NOW = new Date('2026-11-30T12:00:00Z');

function input(extra: Partial<AuditInput> & Pick<AuditInput, 'keys'>): AuditInput {
  return { now: NOW, ...extra };
}

describe('table-write', () => {
  it('reports insert/update/delete per key, with the rotate that removes exactly those permissions', () => {
    const keys = [
      ...builtIns(),
      key({ name: 'app', apis: ['sql'], tables: [{ name: 'liked_cities', permissions: ['insert', 'select', 'update'] }, { name: 'world_population', permissions: ['select'] }] }),
      key({ name: 'reader', apis: ['sql'], tables: [{ name: 'world_population', permissions: ['select'] }] }),
    ];
    const findings = tableWriteRule(input({ keys }));
    expect(findings).toEqual([
      {
        rule: 'table-write',
        severity: 'high',
        key: 'app',
        member: 'demo',
        reason: 'can change data in public.liked_cities (insert, update)',
        fix: 'carto-keys rotate app --remove-table public.liked_cities:insert,update --keep-old --yes',
        file: null,
        line: null,
        fingerprint: null,
      },
    ]);
  });

  it('names every written table, and ignores owner-only permissions and the built-in keys', () => {
    const keys = [
      key({ name: 'Master', type: 'master', tables: [{ name: 't', permissions: ['delete'] }] }),
      key({ name: 'etl', tables: [{ name: 'a', permissions: ['delete', 'references', 'select', 'trigger', 'truncate'], owner: true }, { schema: 'sales', name: 'b', permissions: ['insert'] }] }),
    ];
    const [f, ...rest] = tableWriteRule(input({ keys }));
    expect(rest).toEqual([]);
    expect(f!.reason).toBe('can change data in 2 tables: public.a (delete), sales.b (insert)');
    expect(f!.fix).toBe('carto-keys rotate etl --remove-table public.a:delete --remove-table sales.b:insert --keep-old --yes');
  });

  it('a fix that runs as printed: a key recorded as deployed is rotated to its recorded targets and its old key deleted; one never deployed keeps it', () => {
    const keys = [
      key({ name: 'web', tables: [{ name: 't', permissions: ['insert'] }] }),
      key({ name: 'etl', tables: [{ name: 't', permissions: ['insert'] }] }),
    ];
    const deployments = (name: string) => (name === 'web' ? [{ kind: 'env-file' }] : []);
    const fixes = tableWriteRule(input({ keys, deployments })).map((f) => f.fix);
    expect(fixes).toEqual([
      'carto-keys rotate web --remove-table public.t:insert --delete-old --yes',
      'carto-keys rotate etl --remove-table public.t:insert --keep-old --yes',
    ]);
  });
});

describe('schema-create', () => {
  it('reports create on a schema (not the usage every table grant brings)', () => {
    const keys = [
      key({ name: 'creator', schemas: [{ name: 'public', permissions: ['create', 'usage'] }] }),
      key({ name: 'reader', tables: [{ name: 't', permissions: ['select'] }] }),
    ];
    const findings = schemaCreateRule(input({ keys }));
    expect(findings.map((f) => [f.key, f.severity, f.reason, f.fix])).toEqual([
      ['creator', 'medium', 'can create tables in schema public', 'carto-keys rotate creator --remove-schema public --keep-old --yes'],
    ]);
  });
});

describe('max-age', () => {
  const keys = [
    ...builtIns(),
    key({ name: 'old', createdAt: '2026-08-01 12:00:00 +0000' }),
    key({ name: 'new', createdAt: '2026-11-29 12:00:00 +0000' }),
    key({ name: 'edge', createdAt: '2026-09-01 12:00:00 +0000' }),
  ];

  it('reports regular keys created longer ago than --max-age (not exactly at it), from created_at', () => {
    const findings = maxAgeRule(input({ keys, maxAge: { text: '90d', ms: 90 * 86_400_000 } }));
    expect(findings.map((f) => [f.key, f.severity, f.reason, f.fix])).toEqual([
      ['old', 'medium', 'created 121d ago, older than --max-age 90d', 'carto-keys rotate old --keep-old --yes'],
    ]);
    // 2026-09-01 → 2026-11-30 is exactly 90 days: not older.
    expect(maxAgeRule(input({ keys, maxAge: { text: '89d', ms: 89 * 86_400_000 } })).map((f) => f.key)).toEqual(['old', 'edge']);
  });

  it('does not run without --max-age, and skips a creation time it cannot read', () => {
    expect(maxAgeRule(input({ keys }))).toEqual([]);
    expect(maxAgeRule(input({ keys: [key({ name: 'x', createdAt: 'yesterday-ish' })], maxAge: { text: '1s', ms: 1000 } }))).toEqual([]);
  });
});

describe('identical-grants', () => {
  it('keeps the newest of keys with the same grants and proposes revoking the others', () => {
    const grants = { apis: ['sql'], tables: [{ name: 'world_population', permissions: ['select'] }] };
    const keys = [
      ...builtIns(),
      key({ name: 'a', ...grants, createdAt: '2026-10-01 00:00:00 +0000' }),
      key({ name: 'b', ...grants, createdAt: '2026-11-01 00:00:00 +0000' }),
      key({ name: 'c', ...grants, createdAt: '2026-09-01 00:00:00 +0000' }),
      key({ name: 'd', apis: ['sql', 'maps'], tables: grants.tables }),
    ];
    const findings = identicalGrantsRule(input({ keys }));
    expect(findings.map((f) => [f.key, f.severity, f.reason, f.fix])).toEqual([
      ['a', 'low', 'grants exactly what "b" and 1 other key grant: if they serve the same app, keep one', 'carto-keys revoke a'],
      ['c', 'low', 'grants exactly what "b" and 1 other key grant: if they serve the same app, keep one', 'carto-keys revoke c'],
    ]);
  });

  it('compares the grants, not how CARTO rendered them, and only within one member', () => {
    const keys = [
      key({ name: 'x', apis: ['maps', 'sql'], tables: [{ name: 't', permissions: ['select', 'insert'] }] }),
      key({ name: 'y', apis: ['sql', 'maps'], tables: [{ name: 't', permissions: ['insert', 'select'] }], schemas: [{ name: 'public', permissions: ['usage'] }] }),
      key({ name: 'z', member: 'bob', apis: ['sql', 'maps'], tables: [{ name: 't', permissions: ['insert', 'select'] }] }),
    ];
    const findings = identicalGrantsRule(input({ keys }));
    expect(findings.map((f) => [f.key, f.reason])).toEqual([['y', 'grants exactly what "x" grants: if they serve the same app, keep one']]);
  });
});

describe('default-public-only', () => {
  it('reports keys that grant nothing beyond the Default public key as listed', () => {
    const keys = [
      ...builtIns(),
      key({ name: 'maps-only', apis: ['maps'] }),
      key({ name: 'nothing' }),
      key({ name: 'with-table', apis: ['sql'], tables: [{ name: 't', permissions: ['select'] }] }),
      key({ name: 'with-do', apis: ['do'] }),
      key({ name: 'geocoder', apis: ['sql'], services: ['geocoding'] }),
      key({ name: 'metadata', apis: ['sql'], tableMetadata: true }),
    ];
    const findings = defaultPublicOnlyRule(input({ keys }));
    expect(findings.map((f) => [f.key, f.severity, f.fix])).toEqual([
      ['maps-only', 'low', 'carto-keys revoke maps-only'],
      ['nothing', 'low', 'carto-keys revoke nothing'],
    ]);
    expect(findings[0]!.reason).toBe(
      'grants nothing the Default public key (APIs sql, maps, every public dataset) does not: apps can use the token default_public',
    );
  });

  it('says nothing when the Default public key is not in the listing', () => {
    expect(defaultPublicOnlyRule(input({ keys: [key({ name: 'maps-only', apis: ['maps'] })] }))).toEqual([]);
  });
});

describe('never-deployed', () => {
  const keys = [...builtIns(), key({ name: 'shipped' }), key({ name: 'forgotten' })];

  it('without a registry: one info finding that says there is nothing to go on', () => {
    expect(neverDeployedRule(input({ keys }))).toEqual([
      {
        rule: 'never-deployed',
        severity: 'info',
        key: null,
        member: null,
        reason: 'no deployment registry to read: cannot tell which keys were never deployed',
        fix: null,
        file: null,
        line: null,
        fingerprint: null,
      },
    ]);
  });

  it('with a registry: each regular key without a recorded deployment', () => {
    const asked: [string, string | null][] = [];
    const deployments = (name: string, member: string | null) => {
      asked.push([name, member]);
      return name === 'shipped' ? [{ kind: 'env_file', at: '2026-11-02T00:00:00.000Z' }] : [];
    };
    const findings = neverDeployedRule(input({ keys, deployments }));
    expect(findings.map((f) => [f.key, f.severity, f.fix])).toEqual([['forgotten', 'low', 'carto-keys revoke forgotten']]);
    expect(asked).toEqual([['shipped', 'demo'], ['forgotten', 'demo']]);
  });
});

describe('master-key-in-file, token-in-file', () => {
  it('reports each secret by file and line with its fingerprint, never the secret itself', () => {
    const keys = [...builtIns(), key({ name: 'app', token: 'Xl2Wq3r7tF0oZ0bJp8aS9Q' })];
    const scans = [
      { path: '.env', text: `# comment\nCARTO_API_KEY=Xl2Wq3r7tF0oZ0bJp8aS9Q\nPUBLIC=default_public\r\nMASTER="${MASTER_TOKEN}" # again ${MASTER_TOKEN}\n` },
      { path: 'config/app.json', text: `{"url": "https://x/api?api_key=Xl2Wq3r7tF0oZ0bJp8aS9Q&a=1", "near": "Xl2Wq3r7tF0oZ0bJp8aS9Qx"}` },
    ];
    const findings = secretsInFilesRule(input({ keys, secrets: secretsIn(scans, keys) }));
    expect(findings.map((f) => [f.rule, f.severity, f.key, f.file, f.line, f.fingerprint, f.fix])).toEqual([
      ['token-in-file', 'medium', 'app', '.env', 2, fingerprint('Xl2Wq3r7tF0oZ0bJp8aS9Q'), 'carto-keys rotate app --keep-old --yes'],
      ['master-key-in-file', 'high', 'Master', '.env', 4, fingerprint(MASTER_TOKEN), 'carto-keys regenerate Master'],
      ['token-in-file', 'medium', 'app', 'config/app.json', 1, fingerprint('Xl2Wq3r7tF0oZ0bJp8aS9Q'), 'carto-keys rotate app --keep-old --yes'],
    ]);
    expect(findings[1]!.reason).toBe(`.env:4 holds the Master key (${fingerprint(MASTER_TOKEN)}): anyone who reads the file owns the account`);
    const text = JSON.stringify(findings);
    expect(text).not.toContain('Xl2Wq3r7tF0oZ0bJp8aS9Q');
    expect(text).not.toContain(MASTER_TOKEN);
  });

  it('runs only with --scan files', () => {
    expect(secretsInFilesRule(input({ keys: builtIns() }))).toEqual([]);
  });
});

describe('runAudit', () => {
  it('orders findings most severe first, then by rule and key; fixes carry --profile and --user', () => {
    const keys = [
      ...builtIns(),
      key({ name: 'z-writer', tables: [{ name: 't', permissions: ['insert'] }] }),
      key({ name: 'a-writer', tables: [{ name: 't', permissions: ['insert'] }] }),
      key({ name: "bob's key", member: 'bob', schemas: [{ name: 'bob', permissions: ['create'] }] }),
    ];
    const findings = runAudit(input({ keys, profile: 'acme', caller: 'demo' }));
    expect(findings.map((f) => `${f.severity} ${f.rule} ${f.key}`)).toEqual([
      'high table-write a-writer',
      'high table-write z-writer',
      'medium schema-create bob\'s key',
      'low identical-grants z-writer', // same creation time: the first name is kept
      'info never-deployed null',
    ]);
    expect(findings[0]!.fix).toBe('carto-keys rotate a-writer --profile acme --remove-table public.t:insert --keep-old --yes');
    expect(findings[2]!.fix).toBe(`carto-keys rotate 'bob'\\''s key' --profile acme --user bob --remove-schema bob --keep-old --yes`);
  });
});

describe('rule ids', () => {
  it('are listed most severe first, which is the order of the report', () => {
    const ranks = RULE_IDS.map((id) => severityRank(RULE_SEVERITY[id]));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });
});
