// carto-keys.yaml: what the parser accepts (YAML and JSON, the shape of docs/keys-as-code.md, `tables` with
// the schema defaulting as for --table), what it refuses (exit 2 with file:line:column and the valid
// values), and properties over generated files (export form round-trips; arbitrary text never crashes).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { validateKeyName } from '../../src/grants/names.js';
import { looksLikeToken, parseKeyFile } from '../../src/keyfile/parse.js';
import { renderKeyFile } from '../../src/keyfile/render.js';
import { grantSet, hostileString, onlyUsageErrors } from '../grants/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ck-keyfile-'));
mkdirSync(join(dir, 'deploy'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const parse = (text: string, defaultSchema = 'public') => parseKeyFile(text, { path: 'carto-keys.yaml', defaultSchema, baseDir: dir });

function refused(text: string): UsageError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`accepted: ${text}`);
}

describe('carto-keys.yaml: what it accepts', () => {
  it('the example of docs/keys-as-code.md, with the schema defaulting as for --table', () => {
    const file = parse(`version: 1
keys:
  web-map:                         # the key's name in CARTO
    apis: [sql, maps]
    tables:
      public.world_population: [select]
      liked_cities: [select, insert]   # schema defaults as for --table
    schemas: { public: [create] }
    table_metadata: true
    services: [geocoding]
    datasets: []
    deploy:
      - env_file: deploy/.env.production
        var: MY_TOKEN
      - env_file: .env
      - cmd: gh secret set CARTO_API_KEY
    rotate_after: 90d
`);
    expect(file.entries).toEqual([
      {
        name: 'web-map',
        line: 3,
        grants: canonicalGrantSet({
          apis: ['sql', 'maps'],
          tables: [
            { schema: 'public', name: 'world_population', permissions: ['select'] },
            { schema: 'public', name: 'liked_cities', permissions: ['select', 'insert'] },
          ],
          schemas: [{ name: 'public', permissions: ['create'] }],
          tableMetadata: true,
          services: ['geocoding'],
        }),
        deploy: [
          { kind: 'env-file', path: join(dir, 'deploy/.env.production'), variable: 'MY_TOKEN' },
          { kind: 'env-file', path: join(dir, '.env'), variable: 'CARTO_API_KEY' },
          { kind: 'command', command: 'gh secret set CARTO_API_KEY' },
        ],
        rotateAfter: { text: '90d', ms: 90 * 86_400_000 },
      },
    ]);
  });

  it('an organization member: a table without schema is in their own schema; `all` and one bare permission work', () => {
    const file = parse('version: 1\nkeys:\n  k:\n    tables:\n      cities: all\n      other.t: insert\n', 'jdoe');
    expect(file.entries[0]?.grants.tables).toEqual([
      { schema: 'jdoe', name: 'cities', permissions: ['select', 'insert', 'update', 'delete'] },
      { schema: 'other', name: 't', permissions: ['insert'] },
    ]);
  });

  it('one env file for several keys, each in its own variable; a Cyrillic name on its own', () => {
    const file = parse('version: 1\nkeys:\n  a:\n    deploy:\n      - env_file: .env\n  b:\n    deploy:\n      - env_file: .env\n        var: B_KEY\n  wеb: {}\n');
    expect(file.entries.map((e) => e.name)).toEqual(['a', 'b', 'wеb']);
  });

  it('JSON as is; an empty key; `keys:` with nothing under it', () => {
    const json = parse('{"version": 1, "keys": {"a": {"apis": ["sql"]}, "b": {}}}');
    expect(json.entries.map((e) => [e.name, e.grants.apis])).toEqual([
      ['a', ['sql']],
      ['b', []],
    ]);
    expect(parse('version: 1\nkeys:\n').entries).toEqual([]);
    expect(parse('version: 1\nkeys: {}\n').entries).toEqual([]);
  });
});

describe('carto-keys.yaml: what it refuses, with file:line:column and the valid values', () => {
  const cases: [string, string, string[]][] = [
    ['not YAML', 'version: 1\nkeys: [\n', ['carto-keys.yaml:', 'not valid YAML']],
    ['a tab-indented mess', 'version: 1\nkeys:\n\tweb: {}\n', ['carto-keys.yaml:3:', 'not valid YAML']],
    ['an empty file', '', ['carto-keys.yaml:1:1:', 'empty']],
    ['no version', 'keys: {}\n', ['missing `version: 1`']],
    ['another version', 'version: 2\nkeys: {}\n', ['carto-keys.yaml:1:10:', 'unsupported version']],
    ['an unknown top field', 'version: 1\nkey: {}\n', ['carto-keys.yaml:2:1:', 'unknown field "key"', 'Valid fields: version, keys', 'Did you mean "keys"?']],
    ['an unknown key field', 'version: 1\nkeys:\n  a:\n    tabels: {}\n', ['carto-keys.yaml:4:5:', 'unknown field "tabels" in key "a"', 'Valid fields: apis, tables, schemas, table_metadata, services, datasets, deploy, check, rotate_after']],
    ['an unknown API', 'version: 1\nkeys:\n  a:\n    apis: [sql, mapz]\n', ['carto-keys.yaml:4:17:', 'Unknown API "mapz"', 'Valid APIs: sql, maps, do']],
    ['a bad permission', '{"version":1,\n"keys":{"x":{"tables":{"t":["read"]}}}}', ['carto-keys.yaml:2:29:', 'Unknown permission "read"', 'Valid table permissions: select, insert, update, delete, all']],
    ['a bad schema permission', 'version: 1\nkeys:\n  a:\n    schemas: {public: [drop]}\n', ['carto-keys.yaml:4:24:', 'Valid schema permissions: create']],
    ['a bad service', 'version: 1\nkeys:\n  a:\n    services: [geocode]\n', ['carto-keys.yaml:4:16:', 'Valid services: geocoding, routing, isolines, observatory']],
    ['a duplicate key', 'version: 1\nkeys:\n  a: {}\n  a: {}\n', ['carto-keys.yaml:4:3:', 'not valid YAML', 'unique']],
    ['the same table twice', 'version: 1\nkeys:\n  a:\n    tables:\n      t: [select]\n      public.t: [insert]\n', ['carto-keys.yaml:6:7:', 'the table public.t again']],
    ['a reserved name', 'version: 1\nkeys:\n  Master: {}\n', ['carto-keys.yaml:3:3:', 'reserved']],
    ['Default public', 'version: 1\nkeys:\n  "Default public": {}\n', ['reserved']],
    ['an unaddressable name', 'version: 1\nkeys:\n  a/b: {}\n', ['carto-keys.yaml:3:3:', 'never addressed again']],
    ['a name with blanks around it', 'version: 1\nkeys:\n  " a": {}\n', ['blanks']],
    ['a number as name', 'version: 1\nkeys:\n  12: {}\n', ['expected a string', 'quote it']],
    ['no permissions', 'version: 1\nkeys:\n  a:\n    tables: {t: []}\n', ['no permissions']],
    ['a bad rotate_after', 'version: 1\nkeys:\n  a:\n    rotate_after: 3 months\n', ['carto-keys.yaml:4:19:', 'not a duration', '7d']],
    ['a bad table_metadata', 'version: 1\nkeys:\n  a:\n    table_metadata: yes\n', ['expected true or false']],
    ['a missing deploy folder', 'version: 1\nkeys:\n  a:\n    deploy:\n      - env_file: no/such/folder/.env\n', ['carto-keys.yaml:5:19:', 'does not exist']],
    ['a deploy target of no kind', 'version: 1\nkeys:\n  a:\n    deploy:\n      - path: .env\n', ['needs `env_file` or `cmd`']],
    ['a bad var', 'version: 1\nkeys:\n  a:\n    deploy:\n      - env_file: .env\n        var: 1X\n', ['not a variable name']],
    ['a token as a value', 'version: 1\nkeys:\n  a:\n    datasets: [Xl2Wq3r7tF0oZ0bJp8aS9Q]\n', ['carto-keys.yaml:4:16:', 'looks like an API key token']],
    ['a token in a comment', 'version: 1\n# old: Xl2Wq3r7tF0oZ0bJp8aS9Q\nkeys: {}\n', ['carto-keys.yaml:2:8:', 'looks like an API key token']],
    ['a Master key', `version: 1\nkeys: {}\n# ${'ab12'.repeat(10)}\n`, ['carto-keys.yaml:3:3:', 'token']],
    // Two writers of one variable: the reader app got the writer key's token (issue 24).
    ['two keys deploying to the same env file and variable', 'version: 1\nkeys:\n  reader:\n    deploy:\n      - env_file: .env\n  writer:\n    deploy:\n      - env_file: ./deploy/../.env\n        var: CARTO_API_KEY\n', ['carto-keys.yaml:8:9:', 'is also deployed to by key "reader"', 'its own variable']],
    ['one key deploying twice to the same variable', 'version: 1\nkeys:\n  a:\n    deploy:\n      - env_file: .env\n        var: K\n      - env_file: .env\n        var: K\n', ['carto-keys.yaml:7:9:', 'is also deployed to by this key']],
    // Look-alike names: invisible characters are refused (issue 24).
    ['a zero-width space in a name', 'version: 1\nkeys:\n  "web\u200b2": {}\n', ['carto-keys.yaml:3:3:', 'invisible format character (U+200B)']],
    ['a bidi override in a name', 'version: 1\nkeys:\n  "ab\u202ec": {}\n', ['carto-keys.yaml:3:3:', '(U+202E)', 'ab\\u202ec']],
    ['a BOM inside a name', 'version: 1\nkeys:\n  "w\ufeffeb": {}\n', ['(U+FEFF)']],
  ];
  for (const [what, text, fragments] of cases) {
    it(what, () => {
      const err = refused(text);
      for (const f of fragments) expect(`${err.message}\n${err.hint ?? ''}`).toContain(f);
      expect(err.exitCode).toBe(2);
      // Never the token itself in a message.
      expect(err.message).not.toContain('Xl2Wq3r7tF0oZ0bJp8aS9Q');
    });
  }
});

describe('carto-keys.yaml: properties', () => {
  const keyName = fc
    .oneof(fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }))
    .filter((n) => {
      try {
        return validateKeyName(n) === n && !(n.match(/[A-Za-z0-9_-]+/g) ?? []).some(looksLikeToken);
      } catch {
        return false;
      }
    });

  it('the export form parses back to the same keys and grants', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ name: keyName, grants: grantSet }), { selector: (k) => k.name, maxLength: 5 }), (keys) => {
        const text = renderKeyFile(keys);
        const back = parse(text, 'elsewhere');
        expect(back.entries.map((e) => ({ name: e.name, grants: e.grants }))).toEqual(keys);
      }),
    );
    // A hundred YAML documents: allow for a machine busy with other test files.
  }, 120_000);

  it('a key named __proto__ survives export and parse (a fast-check counterexample)', () => {
    const keys = [{ name: '__proto__', grants: { apis: [], tables: [], schemas: [], tableMetadata: false, services: [], datasets: [] } }];
    const file = parseKeyFile(renderKeyFile(keys as never), { path: 'f.yaml', defaultSchema: 'public', checkFolders: false });
    expect(file.entries.map((e) => e.name)).toEqual(['__proto__']);
  });

  it('arbitrary text fails only with a UsageError', () => {
    fc.assert(fc.property(hostileString, (text) => onlyUsageErrors(() => parse(text))));
  });

  it('arbitrary values in every field fail only with a UsageError', () => {
    const value = fc.oneof(hostileString.map((s) => JSON.stringify(s)), fc.constantFrom('[]', '{}', 'null', 'true', '1', '[1, {a: b}]', '{x: [y]}'));
    fc.assert(
      fc.property(fc.constantFrom('apis', 'tables', 'schemas', 'table_metadata', 'services', 'datasets', 'deploy', 'rotate_after'), value, value, (field, v, w) => {
        onlyUsageErrors(() => parse(`version: 1\nkeys:\n  a:\n    ${field}: ${v}\n`));
        onlyUsageErrors(() => parse(`version: 1\nkeys:\n  a:\n    ${field}: {${v}: ${w}}\n`));
        onlyUsageErrors(() => parse(`version: 1\nkeys:\n  a:\n    deploy: [{env_file: ${v}, var: ${w}}, {cmd: ${w}}]\n`));
      }),
    );
  });
});
