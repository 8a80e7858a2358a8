import { describe, expect, it } from 'vitest';
import type { WireApiKey, WireGrant } from '../../src/api/types.js';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { normalizeRenderedGrants, toCreateGrants } from '../../src/grants/normalize.js';
import { etlWriterFromList, loadFixture, renderLikeServer } from './helpers.js';

const ETL_WRITER_GRANTS = canonicalGrantSet({
  apis: ['sql'],
  tables: [{ schema: 'public', name: 'etl_output', permissions: ['select', 'insert', 'update', 'delete'] }],
  schemas: [{ name: 'public', permissions: ['create'] }],
  tableMetadata: true,
  services: ['geocoding'],
});

describe('normalizeRenderedGrants', () => {
  it('turns the etl_writer key of a list page into create grants, reporting the owner-only permissions', () => {
    const { grants, dropped } = normalizeRenderedGrants(etlWriterFromList().grants);
    expect(grants).toEqual(ETL_WRITER_GRANTS);
    expect(dropped).toEqual([
      'public.etl_output: owner-only permissions references, trigger, truncate cannot be granted to a new key',
    ]);
  });

  it('reads the show fixture of a key that created its own table the same way', () => {
    const key = loadFixture<WireApiKey>('show-creator-with-owned-table.json');
    expect(normalizeRenderedGrants(key.grants).grants).toEqual(ETL_WRITER_GRANTS);
  });

  it('drops usage schemas silently: table grants imply them', () => {
    const rendered: WireGrant[] = [
      { type: 'apis', apis: ['sql'] },
      {
        type: 'database',
        tables: [{ schema: 'public', name: 'liked_cities', owner: false, permissions: ['insert', 'select'] }],
        schemas: [{ name: 'public', permissions: ['usage'] }],
      },
    ];
    expect(normalizeRenderedGrants(rendered)).toEqual({
      grants: canonicalGrantSet({
        apis: ['sql'],
        tables: [{ schema: 'public', name: 'liked_cities', permissions: ['select', 'insert'] }],
      }),
      dropped: [],
    });
  });

  it('leaves out a table with only owner-only permissions, and says so', () => {
    const { grants, dropped } = normalizeRenderedGrants([
      { type: 'apis', apis: [] },
      { type: 'database', tables: [{ schema: 's', name: 't', owner: true, permissions: ['truncate'] }], schemas: [] },
    ]);
    expect(grants.tables).toEqual([]);
    expect(dropped).toEqual(['s.t: owner-only permission truncate cannot be granted to a new key; the table is left out']);
  });

  it('drops unknown values and sections, one line each', () => {
    const { grants, dropped } = normalizeRenderedGrants([
      { type: 'apis', apis: ['sql', 'graphql'] },
      {
        type: 'database',
        tables: [{ schema: 'public', name: 't', permissions: ['select', 'maintain'] }],
        schemas: [{ name: 'x', permissions: ['usage', 'alter'] }],
      },
      { type: 'dataservices', services: ['geocoding', 'teleport'] },
      { type: 'future' } as unknown as WireGrant,
    ]);
    expect(grants).toEqual(
      canonicalGrantSet({
        apis: ['sql'],
        tables: [{ schema: 'public', name: 't', permissions: ['select'] }],
        services: ['geocoding'],
      }),
    );
    expect(dropped).toEqual([
      'API "graphql" is not known to carto-keys and was dropped',
      'public.t: unknown permission "maintain" dropped',
      'schema x: unknown permission "alter" dropped',
      'service "teleport" is not known to carto-keys and was dropped',
      'grant section "future" is not known to carto-keys and was dropped',
    ]);
  });

  it('reads master and default keys (empty database section) as no grants', () => {
    const { grants, dropped } = normalizeRenderedGrants([
      { type: 'apis', apis: ['sql', 'maps'] },
      { type: 'database', tables: [], schemas: [] },
    ]);
    expect(grants).toEqual(canonicalGrantSet({ apis: ['sql', 'maps'] }));
    expect(dropped).toEqual([]);
  });

  it('ignores user grants and keeps datasets', () => {
    const { grants } = normalizeRenderedGrants([
      { type: 'user', data: ['profile'] },
      { type: 'data-observatory', datasets: ['b', 'a'] },
    ]);
    expect(grants).toEqual(canonicalGrantSet({ datasets: ['a', 'b'] }));
  });
});

describe('toCreateGrants', () => {
  it('always sends apis, even empty, and nothing else for an empty set', () => {
    expect(toCreateGrants(canonicalGrantSet())).toEqual([{ type: 'apis', apis: [] }]);
  });

  it('builds the request form of docs/auth-api.md §4', () => {
    const set = canonicalGrantSet({
      apis: ['sql', 'maps'],
      tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }],
      schemas: [{ name: 'public', permissions: ['create'] }],
      tableMetadata: true,
      services: ['geocoding'],
      datasets: ['ds'],
    });
    expect(toCreateGrants(set)).toEqual([
      { type: 'apis', apis: ['sql', 'maps'] },
      {
        type: 'database',
        tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }],
        schemas: [{ name: 'public', permissions: ['create'] }],
        table_metadata: [],
      },
      { type: 'dataservices', services: ['geocoding'] },
      { type: 'data-observatory', datasets: ['ds'] },
    ]);
  });

  it('sends a database section with both arrays when only table metadata is granted', () => {
    expect(toCreateGrants(canonicalGrantSet({ tableMetadata: true }))).toEqual([
      { type: 'apis', apis: [] },
      { type: 'database', tables: [], schemas: [], table_metadata: [] },
    ]);
  });

  it('never sends owner, and copies rather than shares arrays', () => {
    const set = canonicalGrantSet({ tables: [{ schema: 'a', name: 'b', permissions: ['select'] }] });
    const grants = toCreateGrants(set);
    expect(JSON.stringify(grants)).not.toContain('owner');
    const database = grants[1];
    if (database?.type !== 'database') throw new Error('expected a database section');
    database.tables?.[0]?.permissions.push('insert');
    expect(set.tables[0]?.permissions).toEqual(['select']);
  });

  it('round-trips through the server rendering', () => {
    const rendered = renderLikeServer(toCreateGrants(ETL_WRITER_GRANTS));
    expect(normalizeRenderedGrants(rendered)).toEqual({ grants: ETL_WRITER_GRANTS, dropped: [] });
  });
});
