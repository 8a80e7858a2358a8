import { describe, expect, it } from 'vitest';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { copyName, defaultKeyName, rotationName, uniqueName, validateKeyName } from '../../src/grants/names.js';
import { expectUsageError } from './helpers.js';

const NOW = new Date('2026-11-22T19:30:45Z');

describe('validateKeyName', () => {
  it('accepts ordinary names, trimmed', () => {
    expect(validateKeyName('app')).toBe('app');
    expect(validateKeyName('  liked cities app ')).toBe('liked cities app');
    expect(validateKeyName('master')).toBe('master');
    expect(validateKeyName('é'.repeat(255))).toBe('é'.repeat(255));
  });

  it('refuses empty and whitespace-only names', () => {
    const error = expectUsageError(() => validateKeyName(''), '--name is empty');
    expect(error.code).toBe('invalid_key_name');
    expectUsageError(() => validateKeyName(' \t', '--new-name'), '--new-name is empty');
  });

  it('refuses "/" and says why', () => {
    expectUsageError(() => validateKeyName('a/b'), 'Invalid --name "a/b"', 'can be created but never addressed again');
  });

  it('refuses the reserved names', () => {
    expectUsageError(() => validateKeyName('Master'), 'reserved', 'Master, Default public');
    expectUsageError(() => validateKeyName(' Default public '), 'reserved');
  });

  it('refuses control characters and names over 255 characters', () => {
    expectUsageError(() => validateKeyName('a\u001bb'), '"a\\u001bb"', 'control character');
    expectUsageError(() => validateKeyName('a'.repeat(256)), '256 characters long; the limit is 255');
  });
});

describe('defaultKeyName', () => {
  it('names a key from its APIs, its table and the UTC time', () => {
    const set = canonicalGrantSet({ apis: ['sql'], tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }] });
    expect(defaultKeyName(set, NOW)).toBe('sql-world_population-20261122-1930');
  });

  it('counts several tables and copes with no APIs or no tables', () => {
    const tables = [
      { schema: 'public', name: 'a', permissions: ['select' as const] },
      { schema: 'public', name: 'b', permissions: ['select' as const] },
    ];
    expect(defaultKeyName(canonicalGrantSet({ apis: ['sql', 'maps'], tables }), NOW)).toBe('sql-maps-2-tables-20261122-1930');
    expect(defaultKeyName(canonicalGrantSet({ apis: ['maps'] }), NOW)).toBe('maps-20261122-1930');
    expect(defaultKeyName(canonicalGrantSet(), new Date('2026-01-02T03:04:05Z'))).toBe('key-20260102-0304');
    expect(defaultKeyName(canonicalGrantSet({ tables: tables.slice(0, 1) }), NOW)).toBe('a-20261122-1930');
  });

  it('keeps only [a-z0-9_-] and at most 64 characters', () => {
    const set = canonicalGrantSet({
      apis: ['sql', 'maps', 'do'],
      tables: [{ schema: 'public', name: `Données Été/${'x'.repeat(100)}`, permissions: ['select'] }],
    });
    const name = defaultKeyName(set, NOW);
    expect(name).toMatch(/^[a-z0-9_-]+$/);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name.startsWith('sql-maps-do-donnees_ete_xxx')).toBe(true);
    expect(name.endsWith('-20261122-1930')).toBe(true);
  });

  it('skips a table name with nothing usable in it', () => {
    const set = canonicalGrantSet({ apis: ['sql'], tables: [{ schema: 'public', name: '表', permissions: ['select'] }] });
    expect(defaultKeyName(set, NOW)).toBe('sql-20261122-1930');
  });
});

describe('uniqueName', () => {
  it('returns the base when it is free, else the first free -N', () => {
    expect(uniqueName('app', new Set())).toBe('app');
    expect(uniqueName('app', new Set(['app', 'app-2']))).toBe('app-3');
  });

  it('treats the reserved names as taken', () => {
    expect(uniqueName('Master', new Set())).toBe('Master-2');
  });

  it('stays within 255 characters', () => {
    const long = 'a'.repeat(255);
    const name = uniqueName(long, new Set([long]));
    expect(name).toHaveLength(255);
    expect(name.endsWith('-2')).toBe(true);
  });
});

describe('copyName', () => {
  it('appends -copy, made unique', () => {
    expect(copyName('app', new Set(['app']))).toBe('app-copy');
    expect(copyName('app', new Set(['app', 'app-copy']))).toBe('app-copy-2');
  });
});

describe('rotationName', () => {
  it('appends the UTC date as -rYYYYMMDD', () => {
    expect(rotationName('app', NOW, new Set(['app']))).toBe('app-r20261122');
  });

  it('replaces a previous rotation suffix instead of stacking', () => {
    expect(rotationName('app-r20261022', NOW, new Set())).toBe('app-r20261122');
    expect(rotationName('app-r20261022-3', NOW, new Set())).toBe('app-r20261122');
  });

  it('is unique when rotated twice the same day', () => {
    expect(rotationName('app-r20261122', NOW, new Set(['app-r20261122']))).toBe('app-r20261122-2');
    expect(rotationName('app-r20261122-2', NOW, new Set(['app-r20261122', 'app-r20261122-2']))).toBe('app-r20261122-3');
  });

  it('keeps a name that is nothing but a suffix', () => {
    expect(rotationName('-r20261022', NOW, new Set())).toBe('-r20261022-r20261122');
  });
});
