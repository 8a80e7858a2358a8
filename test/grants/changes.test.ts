import { describe, expect, it } from 'vitest';
import { applyGrantChanges, hasGrantChanges } from '../../src/grants/changes.js';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { expectUsageError, sampleGrants } from './helpers.js';

const opts = { defaultSchema: 'public' };
const KEY = sampleGrants(['ds']);

describe('hasGrantChanges', () => {
  it('is false for no flags or empty lists', () => {
    expect(hasGrantChanges({})).toBe(false);
    expect(hasGrantChanges({ addApi: [], removeTable: [] })).toBe(false);
  });

  it('is true for any flag, including --no-table-metadata', () => {
    expect(hasGrantChanges({ removeService: ['geocoding'] })).toBe(true);
    expect(hasGrantChanges({ tableMetadata: false })).toBe(true);
  });
});

describe('applyGrantChanges', () => {
  it('changes nothing without flags', () => {
    expect(applyGrantChanges(KEY, {}, opts)).toEqual(KEY);
  });

  it('adds and removes APIs and services', () => {
    const after = applyGrantChanges(KEY, { addApi: ['maps,do'], removeApi: ['sql'], addService: ['routing'], removeService: ['geocoding'] }, opts);
    expect(after.apis).toEqual(['maps', 'do']);
    expect(after.services).toEqual(['routing']);
  });

  it('adds a table, or widens one the key has', () => {
    const after = applyGrantChanges(KEY, { addTable: ['liked_cities:update', 'other.t'] }, opts);
    expect(after.tables).toEqual([
      { schema: 'other', name: 't', permissions: ['select'] },
      { schema: 'public', name: 'liked_cities', permissions: ['select', 'insert', 'update'] },
      { schema: 'public', name: 'world_population', permissions: ['select'] },
    ]);
  });

  it('removes a whole table, or only some permissions, dropping a table left with none', () => {
    expect(applyGrantChanges(KEY, { removeTable: ['world_population'] }, opts).tables.map((t) => t.name)).toEqual(['liked_cities']);
    expect(applyGrantChanges(KEY, { removeTable: ['public.liked_cities:insert'] }, opts).tables[0]).toEqual({
      schema: 'public',
      name: 'liked_cities',
      permissions: ['select'],
    });
    expect(applyGrantChanges(KEY, { removeTable: ['world_population:select'] }, opts).tables).toHaveLength(1);
  });

  it('applies removals before additions, so remove + add replaces permissions', () => {
    const after = applyGrantChanges(KEY, { removeTable: ['liked_cities'], addTable: ['liked_cities:delete'] }, opts);
    expect(after.tables[0]).toEqual({ schema: 'public', name: 'liked_cities', permissions: ['delete'] });
  });

  it('adds and removes schemas', () => {
    expect(applyGrantChanges(KEY, { removeSchema: ['public'] }, opts).schemas).toEqual([]);
    expect(applyGrantChanges(KEY, { removeSchema: ['public:create'], addSchema: ['analytics'] }, opts).schemas).toEqual([
      { name: 'analytics', permissions: ['create'] },
    ]);
  });

  it('sets or clears table metadata, leaving it alone when undefined', () => {
    expect(applyGrantChanges(KEY, { tableMetadata: true }, opts).tableMetadata).toBe(true);
    const withMetadata = { ...KEY, tableMetadata: true };
    expect(applyGrantChanges(withMetadata, { tableMetadata: false }, opts).tableMetadata).toBe(false);
    expect(applyGrantChanges(withMetadata, { addApi: ['maps'] }, opts).tableMetadata).toBe(true);
  });

  it('keeps datasets and does not modify its input', () => {
    const before = structuredClone(KEY);
    const after = applyGrantChanges(KEY, { removeTable: ['liked_cities:insert'], addApi: ['maps'] }, opts);
    expect(after.datasets).toEqual(['ds']);
    expect(KEY).toEqual(before);
  });

  it('refuses to remove what the key does not have, and says what it has', () => {
    const error = expectUsageError(
      () => applyGrantChanges(KEY, { removeApi: ['maps'] }, opts),
      'The API key has no API "maps" to remove (--remove-api). It has: sql',
    );
    expect(error.code).toBe('grant_not_held');
    expectUsageError(
      () => applyGrantChanges(KEY, { removeTable: ['liked_city'] }, opts),
      'no table public.liked_city to remove (--remove-table "liked_city"). It has: public.liked_cities, public.world_population',
    );
    expectUsageError(
      () => applyGrantChanges(KEY, { removeTable: ['world_population:insert,select'] }, opts),
      'no insert permission on table public.world_population',
      'On public.world_population it has: select',
    );
    expectUsageError(() => applyGrantChanges(KEY, { removeSchema: ['analytics'] }, opts), 'no schema "analytics"', 'It has: public (create)');
    expectUsageError(() => applyGrantChanges(KEY, { removeService: ['routing'] }, opts), 'no service "routing"', 'It has: geocoding');
    expectUsageError(() => applyGrantChanges(canonicalGrantSet(), { removeApi: ['sql'] }, opts), 'It has: none');
  });

  it('refuses removing the same table twice once it is gone', () => {
    expectUsageError(() => applyGrantChanges(KEY, { removeTable: ['world_population', 'world_population:select'] }, opts), 'no table public.world_population');
  });

  it('validates every flag with the flag name in the message', () => {
    expectUsageError(() => applyGrantChanges(KEY, { addApi: ['sqll'] }, opts), 'in --add-api', 'Valid APIs: sql, maps, do');
    expectUsageError(() => applyGrantChanges(KEY, { removeApi: ['sqll'] }, opts), 'in --remove-api');
    expectUsageError(() => applyGrantChanges(KEY, { addTable: ['t:read'] }, opts), '--add-table "t:read"', 'select, insert, update, delete');
    expectUsageError(() => applyGrantChanges(KEY, { removeTable: ['a.b.c'] }, opts), '--remove-table "a.b.c"');
    expectUsageError(() => applyGrantChanges(KEY, { addSchema: ['p:drop'] }, opts), '--add-schema "p:drop"', 'Valid schema permissions: create');
    expectUsageError(() => applyGrantChanges(KEY, { removeSchema: ['p:usage'] }, opts), '--remove-schema "p:usage"');
    expectUsageError(() => applyGrantChanges(KEY, { addService: ['geo'] }, opts), 'in --add-service', 'Valid services:');
  });
});
