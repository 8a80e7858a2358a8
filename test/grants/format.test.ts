import { describe, expect, it } from 'vitest';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import {
  abbreviatePermissions,
  abbreviateTables,
  formatGrantSummary,
  grantSetToJson,
  grantsSpecForTable,
} from '../../src/grants/format.js';
import { parseTableSpec } from '../../src/grants/parse.js';

const FULL = canonicalGrantSet({
  apis: ['sql', 'maps'],
  tables: [
    { schema: 'public', name: 'world_population', permissions: ['select'] },
    { schema: 'public', name: 'liked_cities', permissions: ['select', 'insert'] },
    { schema: 'analytics', name: 'events', permissions: ['select', 'insert', 'update', 'delete'] },
  ],
  schemas: [{ name: 'public', permissions: ['create'] }],
  tableMetadata: true,
  services: ['geocoding'],
  datasets: ['ds1', 'ds2'],
});

describe('formatGrantSummary', () => {
  it('prints aligned lines, one per table, schema and dataset', () => {
    expect(formatGrantSummary(FULL)).toEqual([
      'APIs:       sql, maps',
      'Tables:     analytics.events (select, insert, update, delete)',
      '            public.liked_cities (select, insert)',
      '            public.world_population (select)',
      'Schemas:    public (create)',
      'Metadata:   yes',
      'Services:   geocoding',
      'Datasets:   ds1',
      '            ds2',
    ]);
  });

  it('says none where there is nothing', () => {
    expect(formatGrantSummary(canonicalGrantSet())).toEqual([
      'APIs:       none',
      'Tables:     none',
      'Schemas:    none',
      'Metadata:   no',
      'Services:   none',
      'Datasets:   none',
    ]);
  });
});

describe('abbreviateTables', () => {
  it('uses permission letters, all for the four, and omits the public schema', () => {
    expect(abbreviateTables(FULL)).toBe('analytics.events:all, liked_cities:si, world_population:s');
  });

  it('omits another default schema (an organization member)', () => {
    const set = canonicalGrantSet({ tables: [{ schema: 'jdoe', name: 't', permissions: ['update', 'delete'] }] });
    expect(abbreviateTables(set, { defaultSchema: 'jdoe' })).toBe('t:ud');
    expect(abbreviateTables(set)).toBe('jdoe.t:ud');
  });

  it('is empty for a key without tables', () => {
    expect(abbreviateTables(canonicalGrantSet())).toBe('');
  });

  it('abbreviates permission lists', () => {
    expect(abbreviatePermissions(['select', 'delete'])).toBe('sd');
    expect(abbreviatePermissions([])).toBe('');
  });
});

describe('grantSetToJson', () => {
  it('gives camelCase JSON with stable key order', () => {
    expect(JSON.stringify(grantSetToJson(canonicalGrantSet({ apis: ['maps', 'sql'], tableMetadata: true })))).toBe(
      '{"apis":["sql","maps"],"tables":[],"schemas":[],"tableMetadata":true,"services":[],"datasets":[]}',
    );
  });

  it('is canonical and detached from its input', () => {
    const json = grantSetToJson(FULL);
    expect(json.tables[0]).toEqual({ schema: 'analytics', name: 'events', permissions: ['select', 'insert', 'update', 'delete'] });
    json.tables[0]?.permissions.pop();
    expect(FULL.tables[0]?.permissions).toHaveLength(4);
  });
});

describe('grantsSpecForTable', () => {
  it('gives the --table spec, schema explicit', () => {
    const table = { schema: 'public', name: 'liked_cities', permissions: ['select' as const, 'insert' as const] };
    expect(grantsSpecForTable(table)).toBe('public.liked_cities:select,insert');
    expect(parseTableSpec(grantsSpecForTable(table), 'elsewhere')).toEqual(table);
  });
});
