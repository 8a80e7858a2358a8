import { describe, expect, it } from 'vitest';
import { canonicalGrantSet, grantSetsEqual } from '../../src/grants/canonical.js';
import { emptyGrantSet } from '../../src/grants/model.js';

describe('canonicalGrantSet', () => {
  it('fills a partial set with empty values', () => {
    expect(canonicalGrantSet()).toEqual(emptyGrantSet());
    expect(canonicalGrantSet({ apis: ['sql'] })).toEqual({ ...emptyGrantSet(), apis: ['sql'] });
  });

  it('sorts and de-duplicates every list, merging tables and schemas named twice', () => {
    expect(
      canonicalGrantSet({
        apis: ['do', 'sql', 'do'],
        tables: [
          { schema: 'public', name: 'b', permissions: ['delete', 'select'] },
          { schema: 'other', name: 'z', permissions: ['select'] },
          { schema: 'public', name: 'a', permissions: ['insert'] },
          { schema: 'public', name: 'b', permissions: ['insert', 'select'] },
        ],
        schemas: [
          { name: 'b', permissions: ['create'] },
          { name: 'a', permissions: ['create', 'create'] },
        ],
        services: ['observatory', 'geocoding'],
        datasets: ['z', 'a', 'z'],
      }),
    ).toEqual({
      apis: ['sql', 'do'],
      tables: [
        { schema: 'other', name: 'z', permissions: ['select'] },
        { schema: 'public', name: 'a', permissions: ['insert'] },
        { schema: 'public', name: 'b', permissions: ['select', 'insert', 'delete'] },
      ],
      schemas: [
        { name: 'a', permissions: ['create'] },
        { name: 'b', permissions: ['create'] },
      ],
      tableMetadata: false,
      services: ['geocoding', 'observatory'],
      datasets: ['a', 'z'],
    });
  });

  it('drops tables and schemas that grant nothing', () => {
    const set = canonicalGrantSet({ tables: [{ schema: 's', name: 't', permissions: [] }], schemas: [{ name: 's', permissions: [] }] });
    expect(set.tables).toEqual([]);
    expect(set.schemas).toEqual([]);
  });

  it('does not confuse a dotted schema with a dotted table name', () => {
    const set = canonicalGrantSet({
      tables: [
        { schema: 'a.b', name: 'c', permissions: ['select'] },
        { schema: 'a', name: 'b.c', permissions: ['insert'] },
      ],
    });
    expect(set.tables).toHaveLength(2);
  });
});

describe('grantSetsEqual', () => {
  it('compares grants, not order', () => {
    const a = canonicalGrantSet({ apis: ['sql', 'maps'], datasets: ['x', 'y'] });
    const b = { ...a, apis: ['maps' as const, 'sql' as const], datasets: ['y', 'x'] };
    expect(grantSetsEqual(a, b)).toBe(true);
    expect(grantSetsEqual(a, { ...a, tableMetadata: true })).toBe(false);
  });
});
