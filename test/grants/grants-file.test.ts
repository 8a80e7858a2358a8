import { describe, expect, it } from 'vitest';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import { parseGrantsFile, readGrantsFile } from '../../src/grants/grants-file.js';
import { toCreateGrants } from '../../src/grants/normalize.js';
import { etlWriterFromList, expectUsageError } from './helpers.js';

const parse = (value: unknown): ReturnType<typeof parseGrantsFile> => parseGrantsFile(JSON.stringify(value), 'grants.json');
const parseError = (value: unknown, ...fragments: string[]) =>
  expectUsageError(() => parseGrantsFile(typeof value === 'string' ? value : JSON.stringify(value), 'grants.json'), ...fragments);

const EXAMPLE = [
  { type: 'apis', apis: ['sql', 'maps'] },
  {
    type: 'database',
    tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }],
    schemas: [{ name: 'public', permissions: ['create'] }],
    table_metadata: [],
  },
  { type: 'dataservices', services: ['geocoding'] },
];
const EXAMPLE_SET = canonicalGrantSet({
  apis: ['sql', 'maps'],
  tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }],
  schemas: [{ name: 'public', permissions: ['create'] }],
  tableMetadata: true,
  services: ['geocoding'],
});

describe('parseGrantsFile: accepted forms', () => {
  it('reads the create-request example of docs/auth-api.md §4', () => {
    expect(parse(EXAMPLE)).toEqual(EXAMPLE_SET);
  });

  it('reads an object with a grants array (a whole request body or key object)', () => {
    expect(parse({ name: 'world_pop_reader', grants: EXAMPLE })).toEqual(EXAMPLE_SET);
  });

  it('reads its own output (toCreateGrants) back', () => {
    expect(parse(toCreateGrants(EXAMPLE_SET))).toEqual(EXAMPLE_SET);
  });

  it('reads the rendered form leniently, normalizing it and noting what was dropped', () => {
    const key = etlWriterFromList();
    const { grants, notes } = readGrantsFile(JSON.stringify(key), 'key.json');
    expect(grants.tables).toEqual([{ schema: 'public', name: 'etl_output', permissions: ['select', 'insert', 'update', 'delete'] }]);
    expect(grants.schemas).toEqual([{ name: 'public', permissions: ['create'] }]);
    expect(notes).toEqual([
      'public.etl_output: owner-only permissions references, trigger, truncate cannot be granted to a new key',
    ]);
  });

  it('accepts a user grant without error, and notes that it is ignored', () => {
    const { grants, notes } = readGrantsFile(JSON.stringify([{ type: 'user', data: ['profile'] }]), 'g.json');
    expect(grants).toEqual(canonicalGrantSet());
    expect(notes).toEqual(['grants[0]: the "user" grant is ignored (carto-keys does not manage it)']);
  });

  it('accepts an empty array, optional database arrays, a BOM and surrounding whitespace', () => {
    expect(parse([])).toEqual(canonicalGrantSet());
    expect(parse([{ type: 'database' }])).toEqual(canonicalGrantSet());
    expect(parseGrantsFile('\uFEFF\n [ {"type": "apis", "apis": ["do"]} ]\n', 'g.json')).toEqual(canonicalGrantSet({ apis: ['do'] }));
  });

  it('merges duplicated tables and keeps identifiers exactly (quoted names may contain spaces)', () => {
    const set = parse([
      {
        type: 'database',
        tables: [
          { schema: 'public', name: 'My Table', permissions: ['select'] },
          { schema: 'public', name: 'My Table', permissions: ['update'] },
        ],
      },
    ]);
    expect(set.tables).toEqual([{ schema: 'public', name: 'My Table', permissions: ['select', 'update'] }]);
  });
});

describe('parseGrantsFile: errors name the file and the JSON path', () => {
  it('reports an unknown table permission with the valid ones', () => {
    parseError(
      [{ type: 'apis', apis: [] }, { type: 'database', tables: [{ schema: 'public', name: 't', permissions: ['read'] }] }],
      'grants.json: grants[1].tables[0].permissions[0]: "read" is not a table permission. Valid: select, insert, update, delete',
    );
  });

  it('reports unknown enum values everywhere', () => {
    parseError([{ type: 'apis', apis: ['sql', 'graphql'] }], 'grants[0].apis[1]: "graphql" is not an API. Valid: sql, maps, do');
    parseError(
      [{ type: 'dataservices', services: ['geocode'] }],
      'grants[0].services[0]: "geocode" is not a service. Valid: geocoding, routing, isolines, observatory',
    );
    parseError(
      [{ type: 'database', schemas: [{ name: 'public', permissions: ['drop'] }] }],
      'grants[0].schemas[0].permissions[0]: "drop" is not a schema permission. Valid: create',
    );
    parseError([{ type: 'apis', apis: ['SQL'] }], '"SQL" is not an API');
  });

  it('reports an unknown grant type with the valid ones', () => {
    const error = parseError([{ type: 'api', apis: [] }], 'grants[0].type: "api" is not a grant type. Valid: apis, database, dataservices, data-observatory, user');
    expect(error.hint).toBe('Did you mean "apis"?');
    parseError([{ apis: [] }], 'grants[0]: missing "type"');
    parseError([{ type: 3 }], 'grants[0].type: expected a string, got a number');
  });

  it('reports unknown properties (additionalProperties: false), but tolerates owner in tables', () => {
    parseError([{ type: 'apis', apis: [], extra: 1 }], 'grants[0].extra: unknown property of an "apis" grant. Valid: type, apis');
    parseError([{ type: 'database', table_metdata: [] }], 'grants[0].table_metdata: unknown property', 'table_metadata');
    parseError([{ type: 'database', tables: [{ schema: 's', name: 'n', permissions: [], grant: true }] }], 'grants[0].tables[0].grant');
    parseError([{ type: 'apis', apis: [], 'odd key': 1 }], 'grants[0]["odd key"]: unknown property');
    expect(parse([{ type: 'database', tables: [{ schema: 's', name: 'n', owner: false, permissions: ['select'] }] }]).tables).toHaveLength(1);
    parseError([{ type: 'database', tables: [{ schema: 's', name: 'n', owner: 'yes', permissions: [] }] }], 'tables[0].owner: expected a boolean, got a string');
  });

  it('reports wrong value types and missing properties', () => {
    parseError([{ type: 'apis', apis: 'sql' }], 'grants[0].apis: expected an array, got a string');
    parseError([{ type: 'apis' }], 'grants[0]: missing "apis" (required in an "apis" grant)');
    parseError([{ type: 'apis', apis: [1] }], 'grants[0].apis[0]: expected a string, got a number');
    parseError([{ type: 'database', tables: {} }], 'grants[0].tables: expected an array, got an object');
    parseError([{ type: 'database', tables: [null] }], 'grants[0].tables[0]: expected a table object, got null');
    parseError([{ type: 'database', tables: [{ schema: 's', name: 'n' }] }], 'grants[0].tables[0]: missing "permissions"');
    parseError([{ type: 'database', tables: [{ schema: '', name: 'n', permissions: [] }] }], 'grants[0].tables[0].schema: must not be empty');
    parseError([{ type: 'database', tables: [{ schema: 's', name: 'a\u0000', permissions: [] }] }], 'control character');
    parseError([{ type: 'database', table_metadata: true }], 'grants[0].table_metadata: expected an array, got a boolean');
    parseError([{ type: 'data-observatory', datasets: [''] }], 'grants[0].datasets[0]: must not be empty');
    parseError(['apis'], 'grants[0]: expected a grant object, got a string');
    parseError([[]], 'grants[0]: expected a grant object, got an array');
  });

  it('refuses a second section of a type', () => {
    parseError(
      [{ type: 'apis', apis: [] }, { type: 'dataservices', services: [] }, { type: 'apis', apis: ['sql'] }],
      'grants[2]: a second "apis" section (the first is grants[0]); only one is allowed',
    );
    parseError([{ type: 'database' }, { type: 'database' }], 'a second "database" section');
    parseError([{ type: 'dataservices', services: [] }, { type: 'dataservices', services: [] }], 'a second "dataservices"');
  });

  it('refuses a document that is not a grants array', () => {
    parseError(42, 'grants.json: (top level): expected a JSON array of grants, or an object with a "grants" array; got a number');
    parseError({ name: 'x' }, '(top level)', 'got an object');
    parseError({ grants: {} }, 'grants.json: grants: expected an array, got an object');
    parseError('null', 'got null');
  });

  it('reports invalid JSON with its position', () => {
    const error = parseError('[\n  {"type": "apis",\n   "apis": ["sql" "maps"]}\n]', 'grants.json: invalid JSON at line 3, column 19: expected "," or "]"');
    expect(error.code).toBe('invalid_grants_file');
    expect(error.cause).toBeInstanceOf(SyntaxError);
    parseError('[{"type": "apis",}]', 'line 1, column 18: expected a property name in double quotes');
    parseError('[', 'line 1, column 2: unexpected end of input');
    parseError('', 'grants.json: the file is empty');
    parseError('  \n', 'the file is empty');
  });
});
