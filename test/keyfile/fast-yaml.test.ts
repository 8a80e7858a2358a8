// The fast reader of the plain form `export` writes: wherever it answers, it answers exactly what the
// `yaml` package does (values and offsets), and it does answer for what export writes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { fastYaml } from '../../src/keyfile/fast-yaml.js';
import { fromYaml } from '../../src/keyfile/yaml-tree.js';
import { renderKeyFile } from '../../src/keyfile/render.js';
import { grantSet, hostileString } from '../grants/helpers.js';

const full = (text: string) => fromYaml(parseDocument(text, { uniqueKeys: true, strict: true }).contents);

describe('fastYaml', () => {
  it('reads what export writes for plain names, exactly as the yaml package does', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/), grants: grantSet }), { selector: (k) => k.name, maxLength: 6 }), (keys) => {
        const text = renderKeyFile(keys);
        const fast = fastYaml(text);
        // Table names from the generators may need quotes: then the full parser reads the file.
        if (fast === undefined) return;
        expect(fast).toEqual(full(text));
      }),
    );
    const text = renderKeyFile([{ name: 'web-map', grants: { apis: ['sql'], tables: [{ schema: 'public', name: 'cities', permissions: ['select'] }], schemas: [{ name: 'public', permissions: ['create'] }], tableMetadata: true, services: ['routing'], datasets: ['a.b'] } }]);
    expect(fastYaml(text)).toBeDefined();
    expect(fastYaml(text)).toEqual(full(text));
  });

  it('on any text, either declines or agrees with the yaml package', () => {
    const yamlish = fc.array(
      fc.oneof(
        fc.constantFrom('version: 1', 'keys:', '  a:', '    apis: [sql, maps]', '    apis: []', '    x: {}', 'k: v', '  - x', '# c', '', '    t: true', '    n: null', '    n:', '  a: 01', '  b: 12', 'a: [b,c]', 'a: [ b ]', "a: 'q'", 'a: b # c', '  x: ~'),
        hostileString,
      ),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(yamlish, (lines) => {
        const text = lines.join('\n');
        const fast = fastYaml(text);
        if (fast === undefined) return;
        const doc = parseDocument(text, { uniqueKeys: true, strict: true });
        expect(doc.errors).toEqual([]);
        expect(fast).toEqual(fromYaml(doc.contents));
      }),
      { numRuns: 500 },
    );
  });

  it('declines what it does not read: quotes, anchors, tabs, trailing comments, block lists, duplicates, white space other than spaces', () => {
    for (const text of ['a: "b"\n', 'a: &x b\n', 'a:\n\tb: c\n', 'a: b # c\n', 'a:\n  - b\n', 'a: 1\na: 2\n', 'a: 0x1F\n', 'a: 1.5\n', 'a: [1]\n', '"a": b\n', '\u000b\nk: v\n', 'k: v\n\f\n', 'k: v\u00a0\n']) {
      expect(fastYaml(text), text).toBeUndefined();
    }
  });
});
