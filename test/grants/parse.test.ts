import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  buildGrantSet,
  parseApis,
  parseDatasets,
  parseSchemaSpec,
  parseServices,
  parseTableRemovalSpec,
  parseTableSpec,
} from '../../src/grants/parse.js';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { expectUsageError } from './helpers.js';

const VALID_TABLE_PERMISSIONS = 'select, insert, update, delete, all';

describe('parseApis', () => {
  it('accepts repeated and comma-separated values, trimmed and case-insensitive, in canonical order', () => {
    expect(parseApis(['maps', ' SQL , do'])).toEqual(['sql', 'maps', 'do']);
    expect(parseApis(['sql', 'sql,Sql'])).toEqual(['sql']);
    expect(parseApis([])).toEqual([]);
  });

  it('refuses an unknown API and lists the valid ones', () => {
    const error = expectUsageError(() => parseApis(['sqll']), 'Unknown API "sqll" in --api. Valid APIs: sql, maps, do');
    expect(error.hint).toBe('Did you mean "sql"?');
    expect(error.code).toBe('invalid_grant');
  });

  it('names the flag it was given', () => {
    expectUsageError(() => parseApis(['x'], '--add-api'), 'in --add-api', 'Valid APIs: sql, maps, do');
  });

  it('refuses empty items (a stray comma, an empty value)', () => {
    expectUsageError(() => parseApis(['sql,']), 'Empty API in --api', 'Valid APIs: sql, maps, do');
    expectUsageError(() => parseApis(['']), 'Empty API');
  });

  it('shows control characters escaped and cuts very long input', () => {
    expectUsageError(() => parseApis(['s\u0007ql']), '"s\\u0007ql"');
    const error = expectUsageError(() => parseApis(['x'.repeat(10_000)]));
    expect(error.message.length).toBeLessThan(200);
  });
});

describe('parseServices', () => {
  it('parses like --api', () => {
    expect(parseServices(['routing,geocoding', 'ISOLINES'])).toEqual(['geocoding', 'routing', 'isolines']);
  });

  it('refuses an unknown service and lists the valid ones', () => {
    expectUsageError(
      () => parseServices(['geocode']),
      'Unknown service "geocode" in --service. Valid services: geocoding, routing, isolines, observatory',
    );
  });
});

describe('parseDatasets', () => {
  it('trims and de-duplicates, keeping commas and case', () => {
    expect(parseDatasets([' carto-do.ags.demographics ', 'carto-do.ags.demographics', 'A,B'])).toEqual([
      'carto-do.ags.demographics',
      'A,B',
    ]);
  });

  it('refuses empty ids and control characters', () => {
    expectUsageError(() => parseDatasets(['  ']), 'Empty --dataset');
    expectUsageError(() => parseDatasets(['a\nb']), 'control character');
  });
});

describe('parseTableSpec', () => {
  it('defaults the schema and the permission', () => {
    expect(parseTableSpec('world_population', 'public')).toEqual({ schema: 'public', name: 'world_population', permissions: ['select'] });
    expect(parseTableSpec('t', 'jdoe')).toEqual({ schema: 'jdoe', name: 't', permissions: ['select'] });
  });

  it('reads an explicit schema and permissions, in canonical order', () => {
    expect(parseTableSpec('public.liked_cities:insert,select', 'x')).toEqual({
      schema: 'public',
      name: 'liked_cities',
      permissions: ['select', 'insert'],
    });
    expect(parseTableSpec(' t:Select , DELETE ', 'public')).toEqual({
      schema: 'public',
      name: 't',
      permissions: ['select', 'delete'],
    });
  });

  it('expands all', () => {
    expect(parseTableSpec('t:all', 'public').permissions).toEqual(['select', 'insert', 'update', 'delete']);
    expect(parseTableSpec('t:select,all', 'public').permissions).toEqual(['select', 'insert', 'update', 'delete']);
  });

  it.each([
    ['world_population=select', '"="', 'Did you mean "world_population:select"?'],
    ['t;drop', '";"', undefined],
    ["o'brien", `"'"`, undefined],
    ['public.t(1)', '"("', undefined],
  ])('refuses a stray character in %j before anything is sent', (spec, stray, hint) => {
    let caught: unknown;
    try {
      parseTableSpec(spec, 'public');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toContain(`${stray} cannot be part of a table name`);
    expect((caught as UsageError).hint).toBe(hint);
  });

  it('keeps identifiers as given (quoted identifiers exist)', () => {
    expect(parseTableSpec('Sales.MixedCase', 'public')).toMatchObject({ schema: 'Sales', name: 'MixedCase' });
    expect(parseTableSpec('données', 'public').name).toBe('données');
  });

  it.each([
    ['', 'empty value'],
    ['   ', 'empty value'],
    ['.t', 'empty schema name'],
    ['public.', 'empty table name'],
    [':select', 'empty table name'],
    ['t:', 'no permissions after ":"'],
    ['t: ', 'no permissions after ":"'],
    ['a.b.c', 'more than one "."'],
    ['a/b', 'contains "/"'],
    ['public.a/b:select', 'contains "/"'],
    ['my table', 'contains whitespace'],
    ['public .t', 'contains whitespace'],
    ['t\u0000', 'control character'],
    ['t\n:select', 'control character'],
  ])('refuses %j (%s) and shows the expected form', (spec, problem) => {
    const error = expectUsageError(() => parseTableSpec(spec, 'public'), problem, VALID_TABLE_PERMISSIONS);
    expect(error.message).toContain('[schema.]table[:perm,perm...]');
  });

  it('refuses an unknown permission and lists the valid ones', () => {
    const error = expectUsageError(
      () => parseTableSpec('t:read', 'public'),
      `Unknown permission "read" in --table "t:read". Valid table permissions: ${VALID_TABLE_PERMISSIONS}`,
    );
    expect(error.hint).toBeUndefined();
    expect(expectUsageError(() => parseTableSpec('t:selct', 'public')).hint).toBe('Did you mean "select"?');
    expectUsageError(() => parseTableSpec('t:select,,insert', 'public'), 'Empty permission');
    expectUsageError(() => parseTableSpec('t:truncate', 'public', '--add-table'), 'in --add-table "t:truncate"');
  });
});

describe('parseTableRemovalSpec', () => {
  it('means the whole table without permissions', () => {
    const removal = parseTableRemovalSpec('liked_cities', 'public');
    expect(removal).toEqual({ schema: 'public', name: 'liked_cities' });
    expect('permissions' in removal).toBe(false);
  });

  it('reads the permissions to remove', () => {
    expect(parseTableRemovalSpec('other.t:insert,update', 'public')).toEqual({
      schema: 'other',
      name: 't',
      permissions: ['insert', 'update'],
    });
  });

  it('refuses what parseTableSpec refuses, naming --remove-table', () => {
    expectUsageError(() => parseTableRemovalSpec('t:', 'public'), '--remove-table "t:"', 'no permissions');
    expectUsageError(() => parseTableRemovalSpec('t:drop', 'public'), 'Unknown permission "drop"', VALID_TABLE_PERMISSIONS);
  });
});

describe('parseSchemaSpec', () => {
  it('means create when there is no permission', () => {
    expect(parseSchemaSpec('public')).toEqual({ name: 'public', permissions: ['create'] });
    expect(parseSchemaSpec('public:CREATE')).toEqual({ name: 'public', permissions: ['create'] });
  });

  it('refuses an unknown permission and lists create', () => {
    expectUsageError(
      () => parseSchemaSpec('public:drop'),
      'Unknown permission "drop" in --schema "public:drop". Valid schema permissions: create',
    );
  });

  it('refuses usage, which show lists apart as implied, and says why (show prints public:create,usage no more)', () => {
    expectUsageError(() => parseSchemaSpec('public:create,usage'), 'Invalid --schema "public:create,usage": "usage" cannot be given, it comes with every table grant in the schema. Expected name[:create]');
  });

  it.each([
    ['', 'empty value'],
    [':create', 'empty schema name'],
    ['public:', 'no permissions after ":"'],
    ['a/b', 'contains "/"'],
    ['a b', 'contains whitespace'],
    ['public.t', 'has no "."'],
    ['p\u0001', 'control character'],
  ])('refuses %j (%s) and shows the expected form', (spec, problem) => {
    expectUsageError(() => parseSchemaSpec(spec), problem, 'name[:create]');
  });
});

describe('buildGrantSet', () => {
  it('builds a canonical set from the flags', () => {
    const set = buildGrantSet(
      {
        api: ['maps,sql'],
        table: ['public.liked_cities:select,insert', 'world_population'],
        schema: ['public'],
        tableMetadata: true,
        service: ['geocoding'],
        dataset: ['ds1'],
      },
      { defaultSchema: 'public' },
    );
    expect(set).toEqual({
      apis: ['sql', 'maps'],
      tables: [
        { schema: 'public', name: 'liked_cities', permissions: ['select', 'insert'] },
        { schema: 'public', name: 'world_population', permissions: ['select'] },
      ],
      schemas: [{ name: 'public', permissions: ['create'] }],
      tableMetadata: true,
      services: ['geocoding'],
      datasets: ['ds1'],
    });
  });

  it('gives an empty set for no flags', () => {
    expect(buildGrantSet({}, { defaultSchema: 'public' })).toEqual(canonicalGrantSet());
  });

  it('merges the grants file with the flags, widening a table named in both', () => {
    const fromFile = canonicalGrantSet({
      apis: ['maps'],
      tables: [{ schema: 'public', name: 't', permissions: ['insert'] }],
      tableMetadata: true,
      services: ['routing'],
      datasets: ['b'],
    });
    const set = buildGrantSet({ fromFile, api: ['sql'], table: ['t'], service: ['routing'], dataset: ['a'] }, { defaultSchema: 'public' });
    expect(set).toEqual(
      canonicalGrantSet({
        apis: ['sql', 'maps'],
        tables: [{ schema: 'public', name: 't', permissions: ['select', 'insert'] }],
        tableMetadata: true,
        services: ['routing'],
        datasets: ['a', 'b'],
      }),
    );
  });

  it('uses the default schema (an organization member has their own)', () => {
    expect(buildGrantSet({ table: ['t'] }, { defaultSchema: 'jdoe' }).tables).toEqual([
      { schema: 'jdoe', name: 't', permissions: ['select'] },
    ]);
  });

  it('fails on the first bad flag with a UsageError', () => {
    expect(() => buildGrantSet({ table: ['t:nope'] }, { defaultSchema: 'public' })).toThrow(UsageError);
  });
});
