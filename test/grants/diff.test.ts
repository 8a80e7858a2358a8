import { describe, expect, it } from 'vitest';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { diffGrants, formatDiff } from '../../src/grants/diff.js';
import { sampleGrants } from './helpers.js';

const BEFORE = sampleGrants(['a']);

describe('diffGrants', () => {
  it('is empty for the same grants', () => {
    expect(diffGrants(BEFORE, structuredClone(BEFORE))).toEqual([]);
  });

  it('lists each change once, in a stable order', () => {
    const after = canonicalGrantSet({
      apis: ['sql', 'maps'],
      tables: [
        { schema: 'public', name: 'liked_cities', permissions: ['select', 'update'] },
        { schema: 'public', name: 'x', permissions: ['select', 'insert'] },
      ],
      schemas: [{ name: 'analytics', permissions: ['create'] }],
      tableMetadata: true,
      services: ['routing'],
      datasets: ['b'],
    });
    expect(diffGrants(BEFORE, after).map((line) => `${line.sign} ${line.kind} | ${line.text}`)).toEqual([
      '+ api | api maps',
      '- table | table public.liked_cities:insert',
      '+ table | table public.liked_cities:update',
      '- table | table public.world_population:select',
      '+ table | table public.x:select,insert',
      '+ schema | schema analytics:create',
      '- schema | schema public:create',
      '+ table_metadata | table metadata',
      '- service | service geocoding',
      '+ service | service routing',
      '- dataset | dataset a',
      '+ dataset | dataset b',
    ]);
  });

  it('shows losing table metadata and APIs', () => {
    expect(diffGrants(canonicalGrantSet({ apis: ['do'], tableMetadata: true }), canonicalGrantSet())).toEqual([
      { sign: '-', kind: 'api', text: 'api do' },
      { sign: '-', kind: 'table_metadata', text: 'table metadata' },
    ]);
  });

  it('compares canonical forms, so order and duplicates in the input do not matter', () => {
    const shuffled = { ...BEFORE, tables: [...BEFORE.tables].reverse() };
    expect(diffGrants(BEFORE, shuffled)).toEqual([]);
  });
});

describe('formatDiff', () => {
  const lines = diffGrants(canonicalGrantSet({ apis: ['sql'] }), canonicalGrantSet({ apis: ['maps'] }));

  it('prints sign and text', () => {
    expect(formatDiff(lines, { color: false })).toEqual(['- api sql', '+ api maps']);
  });

  it('colours + green and - red with plain ANSI codes', () => {
    expect(formatDiff(lines, { color: true })).toEqual(['\x1b[31m- api sql\x1b[39m', '\x1b[32m+ api maps\x1b[39m']);
  });

  it('says when there is nothing to change', () => {
    expect(formatDiff([], { color: true })).toEqual(['(no changes)']);
  });
});
