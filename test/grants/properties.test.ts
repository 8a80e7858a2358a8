// Properties of the grants domain over generated input: parsers of user input fail only with a
// UsageError, and the conversions between forms lose nothing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalGrantSet, grantSetsEqual, tableKey } from '../../src/grants/canonical.js';
import { applyGrantChanges } from '../../src/grants/changes.js';
import { diffGrants, type GrantDiffLine } from '../../src/grants/diff.js';
import { GRANT_TYPES, parseGrantsFile } from '../../src/grants/grants-file.js';
import { defaultKeyName, rotationName, uniqueName, validateKeyName } from '../../src/grants/names.js';
import { normalizeRenderedGrants, toCreateGrants } from '../../src/grants/normalize.js';
import {
  parseApis,
  parseDatasets,
  parseSchemaSpec,
  parseServices,
  parseTableRemovalSpec,
  parseTableSpec,
} from '../../src/grants/parse.js';
import { grantSet, grantsSpecForTable, hostileString, onlyUsageErrors, renderLikeServer, tableGrant } from './helpers.js';

describe('parsers of user input fail only with a UsageError', () => {
  it('parseTableSpec, parseTableRemovalSpec, parseSchemaSpec', () => {
    fc.assert(
      fc.property(hostileString, hostileString, (spec, defaultSchema) => {
        onlyUsageErrors(() => parseTableSpec(spec, defaultSchema));
        onlyUsageErrors(() => parseTableRemovalSpec(spec, defaultSchema));
        onlyUsageErrors(() => parseSchemaSpec(spec));
      }),
    );
  });

  it('parseApis, parseServices, parseDatasets', () => {
    fc.assert(
      fc.property(fc.array(hostileString, { maxLength: 4 }), (values) => {
        onlyUsageErrors(() => parseApis(values));
        onlyUsageErrors(() => parseServices(values));
        onlyUsageErrors(() => parseDatasets(values));
      }),
    );
  });

  it('validateKeyName, and what it accepts is usable', () => {
    fc.assert(
      fc.property(hostileString, (name) => {
        onlyUsageErrors(() => {
          const valid = validateKeyName(name);
          expect(valid).not.toContain('/');
          expect(valid.trim()).toBe(valid);
          expect(valid).not.toBe('');
        });
      }),
    );
  });

  it('parseGrantsFile on arbitrary text', () => {
    fc.assert(fc.property(hostileString, (text) => onlyUsageErrors(() => parseGrantsFile(text, 'g.json'))));
  });

  it('parseGrantsFile on arbitrary JSON', () => {
    fc.assert(fc.property(fc.json(), (text) => onlyUsageErrors(() => parseGrantsFile(text, 'g.json'))));
  });

  it('parseGrantsFile on almost-valid grants (right types and keys, any values)', () => {
    const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('sql', 'select', 'usage', 'truncate', 'create', 'geocoding'));
    const almostArray = fc.oneof(fc.array(anyValue, { maxLength: 3 }), anyValue);
    const tableLike = fc.dictionary(fc.constantFrom('schema', 'name', 'permissions', 'owner', 'x'), fc.oneof(almostArray, fc.string()));
    const grantLike = fc.record(
      {
        type: fc.oneof(fc.constantFrom(...GRANT_TYPES), anyValue),
        apis: almostArray,
        tables: fc.oneof(fc.array(tableLike, { maxLength: 3 }), anyValue),
        schemas: fc.oneof(fc.array(tableLike, { maxLength: 3 }), anyValue),
        table_metadata: almostArray,
        services: almostArray,
        datasets: almostArray,
        data: almostArray,
      },
      { requiredKeys: ['type'] },
    );
    const document = fc.oneof(fc.array(grantLike, { maxLength: 4 }), fc.record({ grants: fc.array(grantLike, { maxLength: 4 }) }));
    fc.assert(fc.property(document, (value) => onlyUsageErrors(() => parseGrantsFile(JSON.stringify(value), 'g.json'))));
  });
});

describe('conversions lose nothing', () => {
  it('parseTableSpec(grantsSpecForTable(t)) gives t back, whatever the default schema', () => {
    fc.assert(
      fc.property(tableGrant, fc.constantFrom('public', 'jdoe'), (table, defaultSchema) => {
        const canonical = canonicalGrantSet({ tables: [table] }).tables[0];
        expect(parseTableSpec(grantsSpecForTable(table), defaultSchema)).toEqual(canonical);
      }),
    );
  });

  it('normalizeRenderedGrants(server rendering of toCreateGrants(s)) is s, with nothing dropped', () => {
    fc.assert(
      fc.property(grantSet, (set) => {
        expect(normalizeRenderedGrants(renderLikeServer(toCreateGrants(set)))).toEqual({ grants: set, dropped: [] });
      }),
    );
  });

  it('a grants file in the create form or the rendered form reads back as the same set', () => {
    fc.assert(
      fc.property(grantSet, (set) => {
        expect(parseGrantsFile(JSON.stringify(toCreateGrants(set)), 'g.json')).toEqual(set);
        expect(parseGrantsFile(JSON.stringify({ grants: renderLikeServer(toCreateGrants(set)) }), 'g.json')).toEqual(set);
      }),
    );
  });

  it('canonicalGrantSet is idempotent', () => {
    fc.assert(
      fc.property(grantSet, (set) => {
        expect(canonicalGrantSet(set)).toEqual(set);
      }),
    );
  });
});

describe('diff and changes', () => {
  it('diffGrants(s, s) is empty, and a diff is empty only for equal sets', () => {
    fc.assert(
      fc.property(grantSet, grantSet, (a, b) => {
        expect(diffGrants(a, a)).toEqual([]);
        expect(diffGrants(a, b).length === 0).toBe(grantSetsEqual(a, b));
      }),
    );
  });

  it('the diff the other way round has the same lines with opposite signs', () => {
    const flipped = (line: GrantDiffLine): string => `${line.sign === '+' ? '-' : '+'} ${line.text}`;
    const shown = (line: GrantDiffLine): string => `${line.sign} ${line.text}`;
    fc.assert(
      fc.property(grantSet, grantSet, (a, b) => {
        expect(diffGrants(b, a).map(shown).sort()).toEqual(diffGrants(a, b).map(flipped).sort());
      }),
    );
  });

  it('adding a new table then removing it is the identity', () => {
    fc.assert(
      fc.property(grantSet, tableGrant, (set, table) => {
        fc.pre(!set.tables.some((existing) => tableKey(existing) === tableKey(table)));
        const opts = { defaultSchema: 'public' };
        const added = applyGrantChanges(set, { addTable: [grantsSpecForTable(table)] }, opts);
        const removed = applyGrantChanges(added, { removeTable: [`${table.schema}.${table.name}`] }, opts);
        expect(removed).toEqual(set);
      }),
    );
  });

  it('removing what was just added, permission by permission, is the identity too', () => {
    fc.assert(
      fc.property(grantSet, tableGrant, (set, table) => {
        fc.pre(!set.tables.some((existing) => tableKey(existing) === tableKey(table)));
        const opts = { defaultSchema: 'public' };
        const added = applyGrantChanges(set, { addTable: [grantsSpecForTable(table)] }, opts);
        const specs = table.permissions.map((permission) => `${table.schema}.${table.name}:${permission}`);
        expect(applyGrantChanges(added, { removeTable: specs }, opts)).toEqual(set);
      }),
    );
  });
});

describe('names', () => {
  it('defaultKeyName is always a short, valid, lower-case name', () => {
    fc.assert(
      fc.property(grantSet, fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31') }), (set, now) => {
        const name = defaultKeyName(set, now);
        expect(name).toMatch(/^[a-z0-9_-]{1,64}$/);
        expect(validateKeyName(name)).toBe(name);
      }),
    );
  });

  it('uniqueName and rotationName never return a taken name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.array(fc.integer({ min: 2, max: 6 })), (base, suffixes) => {
        const taken = new Set([base, ...suffixes.map((n) => `${base}-${n}`)]);
        expect(taken.has(uniqueName(base, taken))).toBe(false);
        const now = new Date('2026-11-22T00:00:00Z');
        const rotated = rotationName(base, now, taken);
        expect(taken.has(rotated)).toBe(false);
        expect(rotationName(rotated, now, new Set([...taken, rotated]))).toMatch(new RegExp(`^${base}-r20261122-\\d+$`));
      }),
    );
  });
});
