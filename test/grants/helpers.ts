// Shared by the grants tests: the server's rendering of grants, generators of valid grants, fixtures.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { WireApiKey, WireGrant, WireSchema, WireTable } from '../../src/api/types.js';
import { UsageError } from '../../src/errors.js';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { formatTableSpec } from '../../src/grants/format.js';
import { APIS, SERVICES, TABLE_PERMISSIONS, type GrantSet, type TableGrant } from '../../src/grants/model.js';

/** Runs `fn`, expects a UsageError whose message contains every fragment; returns it for more checks. */
export function expectUsageError(fn: () => unknown, ...fragments: string[]): UsageError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(UsageError);
  const error = thrown as UsageError;
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

/** For properties: any outcome but a crash that is not a UsageError. */
export function onlyUsageErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
  }
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What CARTO shows for a key created with `grants` (docs/auth-api.md §3.1): the database section always,
 * `owner: false`, permissions alphabetical, `usage` on every schema the key can reach.
 */
export function renderLikeServer(grants: readonly WireGrant[]): WireGrant[] {
  const rendered: WireGrant[] = [];
  const apis = grants.find((grant) => grant.type === 'apis');
  rendered.push({ type: 'apis', apis: apis?.type === 'apis' ? [...apis.apis] : [] });
  const database = grants.find((grant) => grant.type === 'database');
  const requested = database?.type === 'database' ? database : { type: 'database' as const };
  const tables: WireTable[] = (requested.tables ?? []).map((table) => ({
    schema: table.schema,
    name: table.name,
    owner: false,
    permissions: [...table.permissions].sort(byString),
  }));
  const schemaPermissions = new Map<string, Set<string>>();
  const grantOn = (name: string, ...permissions: string[]): void => {
    const set = schemaPermissions.get(name) ?? new Set<string>();
    for (const permission of permissions) set.add(permission);
    schemaPermissions.set(name, set);
  };
  for (const table of tables) grantOn(table.schema, 'usage');
  for (const schema of requested.schemas ?? []) grantOn(schema.name, 'usage', ...schema.permissions);
  const schemas: WireSchema[] = [...schemaPermissions]
    .sort(([a], [b]) => byString(a, b))
    .map(([name, permissions]) => ({ name, permissions: [...permissions].sort(byString) }));
  rendered.push({
    type: 'database',
    tables,
    schemas,
    ...(requested.table_metadata === undefined ? {} : { table_metadata: [] }),
  });
  for (const grant of grants) {
    if (grant.type === 'dataservices' && grant.services.length > 0) rendered.push(grant);
    if (grant.type === 'data-observatory' && grant.datasets.length > 0) rendered.push(grant);
  }
  return rendered;
}

/** A name a flag spec can carry: no ASCII punctuation but `_ $ -`, whitespace or control characters; any script. */
export const specIdentifier = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((name) => !/[!-#%-,./:;<=>?@[\\\]^`{|}~\s\p{Cc}]/u.test(name));

/** Mostly realistic lower-case names, sometimes anything a spec can carry. */
export const identifier = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/) },
  { weight: 1, arbitrary: specIdentifier },
);

export const tableGrant: fc.Arbitrary<TableGrant> = fc.record({
  schema: identifier,
  name: identifier,
  permissions: fc.subarray([...TABLE_PERMISSIONS], { minLength: 1 }),
});

export const grantSet: fc.Arbitrary<GrantSet> = fc
  .record({
    apis: fc.subarray([...APIS]),
    tables: fc.array(tableGrant, { maxLength: 5 }),
    schemas: fc.array(fc.record({ name: identifier, permissions: fc.constant<['create']>(['create']) }), { maxLength: 3 }),
    tableMetadata: fc.boolean(),
    services: fc.subarray([...SERVICES]),
    datasets: fc.array(fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}$/), { maxLength: 3 }),
  })
  .map((partial) => canonicalGrantSet(partial));

/** Strings meant to break parsers: unicode, control characters, separators, and very long ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('/', ' ', '.', ':', ',', '\u0000', '\n', '\t', '\u200b', 'é', '𝕏', 'sql', 'select', 'all', 'public', 'create', '"', '\\'),
    maxLength: 30,
  }),
  fc.string({ maxLength: 5000 }),
);

interface Fixture<T> {
  status: number;
  body: T;
}

export function loadFixture<T>(name: string): T {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return (JSON.parse(text) as Fixture<T>).body;
}

export function etlWriterFromList(): WireApiKey {
  const page = loadFixture<{ result: WireApiKey[] }>('list-page2-of-2.json');
  const key = page.result.find((candidate) => candidate.name === 'etl_writer');
  if (key === undefined) throw new Error('fixture list-page2-of-2.json has no etl_writer');
  return key;
}

/** A key's grants in create form, for tests of changes and diffs: every section is non-empty. */
export function sampleGrants(datasets: string[]): GrantSet {
  return canonicalGrantSet({
    apis: ['sql'],
    tables: [
      { schema: 'public', name: 'liked_cities', permissions: ['select', 'insert'] },
      { schema: 'public', name: 'world_population', permissions: ['select'] },
    ],
    schemas: [{ name: 'public', permissions: ['create'] }],
    services: ['geocoding'],
    datasets,
  });
}

/** The `--table` spec of a table grant, schema always explicit so it means the same for every profile. */
export function grantsSpecForTable(table: TableGrant): string {
  return formatTableSpec(table);
}
