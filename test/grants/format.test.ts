import { describe, expect, it } from 'vitest';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import {
  formatGrantSummary,
  formatPermissions,
  formatTables,
  grantSetToJson,
} from '../../src/grants/format.js';
import { grantsSpecForTable } from './helpers.js';
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
      'APIs        sql,maps',
      'Tables      analytics.events:select,insert,update,delete',
      '            public.liked_cities:select,insert',
      '            public.world_population:select',
      'Schemas     public:create',
      'Metadata    yes',
      'Services    geocoding',
      'Datasets    ds1',
      '            ds2',
    ]);
  });

  it('says none where there is nothing', () => {
    expect(formatGrantSummary(canonicalGrantSet())).toEqual([
      'APIs        none',
      'Tables      none',
      'Schemas     none',
      'Metadata    no',
      'Services    none',
      'Datasets    none',
    ]);
  });
});

describe('formatTables: the --table notation, what you see is what you type', () => {
  it('permissions in the order select, insert, update, delete; tables separated by spaces', () => {
    expect(formatTables(FULL.tables)).toBe(
      'analytics.events:select,insert,update,delete public.liked_cities:select,insert public.world_population:select',
    );
  });

  it('leaves out the default schema when told which it is (an organization member has their own)', () => {
    const set = canonicalGrantSet({ tables: [{ schema: 'jdoe', name: 't', permissions: ['update', 'delete'] }] });
    expect(formatTables(set.tables, { defaultSchema: 'jdoe' })).toBe('t:update,delete');
    expect(formatTables(set.tables, { defaultSchema: 'public' })).toBe('jdoe.t:update,delete');
  });

  it('is empty for a key without tables', () => {
    expect(formatTables([])).toBe('');
  });

  it('orders the four first, then what CARTO renders for an owner, alphabetically; - for none', () => {
    expect(formatPermissions(['trigger', 'insert', 'truncate', 'select', 'references'])).toBe('select,insert,references,trigger,truncate');
    expect(formatPermissions(['delete', 'select'])).toBe('select,delete');
    expect(formatPermissions([])).toBe('-');
  });

  it('reads back through the --table parser as the same grant', () => {
    for (const table of FULL.tables) {
      const spec = formatTables([table]);
      expect(parseTableSpec(spec, 'public')).toEqual(table);
    }
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
