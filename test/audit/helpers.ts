// Keys for the audit rule tests, built as CARTO renders them (usage schemas included) and then taken
// through auditKey(), the same path the command uses.

import type { KeyType, WireApiKey, WireGrant } from '../../src/api/types.js';
import { auditKey, type AuditKey } from '../../src/audit/index.js';
import { scanFile, tokenIndex, type Finding as ScanFinding } from '../../src/scan/index.js';

export interface KeySpec {
  name: string;
  type?: KeyType;
  member?: string;
  token?: string;
  apis?: string[];
  tables?: { schema?: string; name: string; permissions: string[]; owner?: boolean }[];
  schemas?: { name: string; permissions: string[] }[];
  tableMetadata?: boolean;
  services?: string[];
  datasets?: string[];
  createdAt?: string;
}

let counter = 0;

/** A 22-character URL-safe token, distinct for every key made here. */
export function newToken(): string {
  counter += 1;
  return `tok${String(counter).padStart(6, '0')}AbCdEfGhIjKlM`.slice(0, 22);
}

export function wire(spec: KeySpec): WireApiKey {
  const tables = (spec.tables ?? []).map((t) => ({ schema: t.schema ?? 'public', name: t.name, owner: t.owner ?? false, permissions: t.permissions }));
  const usage = [...new Set(tables.map((t) => t.schema))].map((name) => ({ name, permissions: ['usage'] }));
  const grants: WireGrant[] = [
    { type: 'apis', apis: spec.apis ?? [] },
    {
      type: 'database',
      tables,
      schemas: [...(spec.schemas ?? []), ...usage.filter((u) => !(spec.schemas ?? []).some((s) => s.name === u.name))],
      ...(spec.tableMetadata && { table_metadata: [] }),
    },
    ...(spec.services?.length ? [{ type: 'dataservices' as const, services: spec.services }] : []),
    ...(spec.datasets?.length ? [{ type: 'data-observatory' as const, datasets: spec.datasets }] : []),
  ];
  const at = spec.createdAt ?? '2026-11-01 10:00:00 +0000';
  return {
    name: spec.name,
    user: { username: spec.member ?? 'demo' },
    type: spec.type ?? 'regular',
    token: spec.token ?? newToken(),
    grants,
    created_at: at,
    updated_at: at,
  };
}

export function key(spec: KeySpec): AuditKey {
  return auditKey(wire(spec));
}

export const MASTER_TOKEN = '0123456789abcdef0123456789abcdef01234567';

/** The built-in keys of an account, as the sandbox lists them. */
export function builtIns(member = 'demo'): AuditKey[] {
  return [
    key({ name: 'Master', type: 'master', member, token: member === 'demo' ? MASTER_TOKEN : `${member}`.padEnd(40, '0'), apis: ['sql', 'maps'], services: ['geocoding', 'routing', 'isolines', 'observatory'] }),
    key({ name: 'Default public', type: 'default', member, token: 'default_public', apis: ['sql', 'maps'] }),
  ];
}

/** What the scanner finds in texts (as `audit --scan` hands the audit), for rules tests. */
export function secretsIn(files: readonly { path: string; text: string }[], keys: readonly AuditKey[]): ScanFinding<AuditKey>[] {
  const index = tokenIndex(keys);
  return files.flatMap((f) => scanFile(f.path, Buffer.from(f.text, 'utf8'), index) ?? []);
}
