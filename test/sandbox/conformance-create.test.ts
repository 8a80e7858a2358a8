// docs/auth-api.md §4 and §6: creating a key — the 201, and every validation failure with CARTO's text.

import { describe, expect, it } from 'vitest';
import type { WireApiKey } from '../../src/api/types.js';
import { BASE, errorsOf, makeSandbox, SQL_ONLY } from './harness.js';

const UUID = '2a4e6b8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d';
const apis = (list: unknown) => ({ type: 'apis', apis: list });
const table = (name: string, permissions: unknown, schema = 'public') => ({ schema, name, permissions });

/** POSTs a create and expects a 422 with exactly `message` after "Validation failed: ". */
async function refused(body: unknown): Promise<string> {
  const sandbox = makeSandbox();
  const res = await sandbox.call('POST', BASE, { body });
  expect(res.status).toBe(422);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(sandbox.changes).toBe(0);
  const errors = await errorsOf(res);
  expect(errors.startsWith('Validation failed: ')).toBe(true);
  return errors.slice('Validation failed: '.length);
}

describe('§4 create: success', () => {
  it('answers 201 with the rendered key', async () => {
    const sandbox = makeSandbox();
    const res = await sandbox.call('POST', BASE, {
      body: { name: 'world_pop_reader', grants: [apis(['sql', 'maps']), { type: 'database', tables: [table('world_population', ['select'])] }] },
    });
    expect(res.status).toBe(201);
    const key = (await res.json()) as WireApiKey;
    expect(key).toMatchObject({ name: 'world_pop_reader', type: 'regular', user: { username: 'demo' } });
    expect(sandbox.changes).toBe(1);
  });

  it('creates the key for real: show finds it and its token authenticates', async () => {
    const sandbox = makeSandbox();
    const key = await sandbox.create('k');
    expect((await sandbox.call('GET', `${BASE}/k`)).status).toBe(200);
    expect((await sandbox.call('GET', BASE, { token: key.token })).status).toBe(200);
  });

  it('accepts an empty apis list', async () => {
    expect((await makeSandbox().create('k', [apis([])])).grants[0]).toEqual(apis([]));
  });

  it('accepts every allowed value of every section', async () => {
    const key = await makeSandbox().create('all', [
      apis(['sql', 'maps', 'do']),
      {
        type: 'database',
        tables: [table('liked_cities', ['select', 'insert', 'update', 'delete'])],
        schemas: [{ name: 'public', permissions: ['create'] }],
        table_metadata: [],
      },
      { type: 'dataservices', services: ['geocoding', 'routing', 'isolines', 'observatory'] },
      { type: 'user', data: ['profile'] },
      { type: 'data-observatory', datasets: ['carto-do.x'] },
    ]);
    expect(key.grants.map((g) => g.type)).toEqual(['apis', 'database', 'dataservices', 'data-observatory']);
  });

  it('tolerates and ignores owner in a table entry', async () => {
    const key = await makeSandbox().create('k', [apis(['sql']), { type: 'database', tables: [{ ...table('liked_cities', ['select']), owner: true }] }]);
    expect(key.grants[1]).toMatchObject({ tables: [{ name: 'liked_cities', owner: false }] });
  });

  it('grants an existing table with permissions [] nothing, without refusing it', async () => {
    const key = await makeSandbox().create('k', [apis(['sql']), { type: 'database', tables: [table('liked_cities', [])] }]);
    expect(key.grants[1]).toMatchObject({ tables: [] });
  });

  it('accepts a name with any characters (no length or character rules on the server)', async () => {
    const sandbox = makeSandbox();
    const name = 'my key ünïcode +&?#%';
    await sandbox.create(name);
    expect((await sandbox.call('GET', `${BASE}/${encodeURIComponent(name)}`)).status).toBe(200);
  });

  it('lets a name containing / be created but never addressed again', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('a/b');
    expect((await sandbox.call('GET', `${BASE}/a%2Fb`)).status).toBe(404);
    expect((await sandbox.call('GET', `${BASE}/a/b`)).status).toBe(404);
  });

  it('treats names case-sensitively', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('app');
    await expect(sandbox.create('App')).resolves.toMatchObject({ name: 'App' });
  });

  it('is not idempotent: the same create again answers 422 Name has already been taken', async () => {
    const sandbox = makeSandbox();
    const body = { name: 'k', grants: SQL_ONLY };
    expect((await sandbox.call('POST', BASE, { body })).status).toBe(201);
    const again = await sandbox.call('POST', BASE, { body });
    expect(again.status).toBe(422);
    expect(await errorsOf(again)).toBe('Validation failed: Name has already been taken');
  });
});

describe('§6 create: name validation (422)', () => {
  it('refuses a missing name', async () => {
    expect(await refused({ grants: SQL_ONLY })).toBe("Name can't be blank");
  });

  it('refuses an empty or blank name', async () => {
    expect(await refused({ name: '', grants: SQL_ONLY })).toBe("Name can't be blank");
    expect(await refused({ name: '   ', grants: SQL_ONLY })).toBe("Name can't be blank");
  });

  it('refuses Master as a name (taken, and reserved)', async () => {
    expect(await refused({ name: 'Master', grants: SQL_ONLY })).toBe(
      'Name has already been taken, Name api_key name cannot be Master nor Default public',
    );
  });

  it('refuses Default public as a name (taken, and reserved)', async () => {
    expect(await refused({ name: 'Default public', grants: SQL_ONLY })).toBe(
      'Name has already been taken, Name api_key name cannot be Master nor Default public',
    );
  });
});

describe('§6 create: grants structure (422)', () => {
  it('refuses grants that are not an array (missing, object, string)', async () => {
    for (const grants of [undefined, { type: 'apis', apis: [] }, 'sql']) {
      expect(await refused({ name: 'k', grants })).toBe('Grants grants has to be an array');
    }
  });

  it('refuses two apis sections', async () => {
    expect(await refused({ name: 'k', grants: [apis(['sql']), apis(['maps'])] })).toBe('Grants only one apis section is allowed');
  });

  it('refuses a missing apis section, with the same message (CARTO checks count == 1)', async () => {
    expect(await refused({ name: 'k', grants: [{ type: 'database' }] })).toBe('Grants only one apis section is allowed');
    expect(await refused({ name: 'k', grants: [] })).toBe('Grants only one apis section is allowed');
  });

  it('refuses two database sections', async () => {
    expect(await refused({ name: 'k', grants: [apis(['sql']), { type: 'database' }, { type: 'database' }] })).toBe(
      'Grants only one database section is allowed',
    );
  });

  it('refuses two of any other section', async () => {
    const twice = (g: unknown) => [apis(['sql']), g, g];
    expect(await refused({ name: 'k', grants: twice({ type: 'dataservices', services: [] }) })).toBe('Grants only one dataservices section is allowed');
    expect(await refused({ name: 'k', grants: twice({ type: 'user', data: [] }) })).toBe('Grants only one user section is allowed');
    expect(await refused({ name: 'k', grants: twice({ type: 'data-observatory', datasets: [] }) })).toBe(
      'Grants only one data-observatory section is allowed',
    );
  });

  it('lists every Grants message before every Name message', async () => {
    expect(await refused({ name: '', grants: [apis(['sql']), apis(['sql'])] })).toBe(
      "Grants only one apis section is allowed, Name can't be blank",
    );
  });
});

describe('§6 create: JSON schema messages (422)', () => {
  it('refuses a table permission outside the enum, with the index path of the grant (fixture text)', async () => {
    const body = { name: 'k', grants: [apis(['sql']), { type: 'database', tables: [table('liked_cities', ['read'])] }] };
    expect(await refused(body)).toBe(
      `Grants The property '#/1/tables/0/permissions/0' value "read" did not match one of the following values: insert, select, update, delete in schema ${UUID}`,
    );
  });

  it('refuses an unknown api', async () => {
    expect(await refused({ name: 'k', grants: [apis(['sql', 'graphql'])] })).toBe(
      `Grants The property '#/0/apis/1' value "graphql" did not match one of the following values: sql, maps, do in schema ${UUID}`,
    );
  });

  it('refuses an unknown data service', async () => {
    expect(await refused({ name: 'k', grants: [apis([]), { type: 'dataservices', services: ['teleport'] }] })).toBe(
      `Grants The property '#/1/services/0' value "teleport" did not match one of the following values: geocoding, routing, isolines, observatory in schema ${UUID}`,
    );
  });

  it('refuses unknown user data', async () => {
    expect(await refused({ name: 'k', grants: [apis([]), { type: 'user', data: ['email'] }] })).toBe(
      `Grants The property '#/1/data/0' value "email" did not match one of the following values: profile in schema ${UUID}`,
    );
  });

  it('refuses a schema permission other than create', async () => {
    expect(await refused({ name: 'k', grants: [apis([]), { type: 'database', schemas: [{ name: 'public', permissions: ['usage'] }] }] })).toBe(
      `Grants The property '#/1/schemas/0/permissions/0' value "usage" did not match one of the following values: create in schema ${UUID}`,
    );
  });

  it('refuses an unknown grant type', async () => {
    expect(await refused({ name: 'k', grants: [apis([]), { type: 'everything' }] })).toBe(
      `Grants The property '#/1/type' value "everything" did not match one of the following values: apis, database, dataservices, user, data-observatory in schema ${UUID}`,
    );
  });

  it('refuses a grant without a type', async () => {
    expect(await refused({ name: 'k', grants: [apis([]), { apis: [] }] })).toBe(
      `Grants The property '#/1' did not contain a required property of 'type' in schema ${UUID}`,
    );
  });

  it('refuses a grant that is not an object', async () => {
    expect(await refused({ name: 'k', grants: [apis([]), 'database'] })).toBe(
      `Grants The property '#/1' of type string did not match the following type: object in schema ${UUID}`,
    );
  });

  it('refuses a section whose list is not an array', async () => {
    expect(await refused({ name: 'k', grants: [apis('sql')] })).toBe(
      `Grants The property '#/0/apis' of type string did not match the following type: array in schema ${UUID}`,
    );
  });

  it('refuses a section missing its list', async () => {
    expect(await refused({ name: 'k', grants: [{ type: 'apis' }] })).toBe(
      `Grants The property '#/0' did not contain a required property of 'apis' in schema ${UUID}`,
    );
  });

  it('refuses a table entry missing a required property', async () => {
    expect(await refused({ name: 'k', grants: [apis([]), { type: 'database', tables: [{ schema: 'public', name: 'liked_cities' }] }] })).toBe(
      `Grants The property '#/1/tables/0' did not contain a required property of 'permissions' in schema ${UUID}`,
    );
  });

  it('refuses properties another grant type has (additionalProperties: false per type)', async () => {
    expect(await refused({ name: 'k', grants: [{ type: 'apis', apis: [], services: ['routing'] }] })).toBe(
      `Grants The property '#/0' contains additional properties ["services"] outside of the schema when none are allowed in schema ${UUID}`,
    );
  });

  it('refuses unknown properties in a database section and in a table entry', async () => {
    const grants = [apis([]), { type: 'database', views: [], tables: [{ ...table('liked_cities', ['select']), columns: ['a'] }] }];
    expect(await refused({ name: 'k', grants })).toBe(
      [
        `Grants The property '#/1/tables/0' contains additional properties ["columns"] outside of the schema when none are allowed in schema ${UUID}`,
        `Grants The property '#/1' contains additional properties ["views"] outside of the schema when none are allowed in schema ${UUID}`,
      ].join(', '),
    );
  });
});

describe('§6 create: what the account has (422)', () => {
  it('refuses a table the user does not have (fixture text)', async () => {
    const body = { name: 'k', grants: [apis(['sql']), { type: 'database', tables: [table('nosuch', ['select'])] }] };
    expect(await refused(body)).toBe('Grants can only grant table permissions you have');
  });

  it('refuses an unknown table even with permissions []', async () => {
    const body = { name: 'k', grants: [apis(['sql']), { type: 'database', tables: [table('nosuch', [])] }] };
    expect(await refused(body)).toBe('Grants can only grant table permissions you have');
  });

  it('refuses a table in another schema of the same name', async () => {
    const body = { name: 'k', grants: [apis(['sql']), { type: 'database', tables: [table('liked_cities', ['select'], 'other')] }] };
    expect(await refused(body)).toBe('Grants can only grant table permissions you have');
  });

  it('refuses a schema the user does not have', async () => {
    const body = { name: 'k', grants: [apis(['sql']), { type: 'database', schemas: [{ name: 'nosuch', permissions: ['create'] }] }] };
    expect(await refused(body)).toBe('Grants can only grant schema permissions you have');
  });

  it('refuses an unknown schema even with permissions []', async () => {
    const body = { name: 'k', grants: [apis(['sql']), { type: 'database', schemas: [{ name: 'nosuch', permissions: [] }] }] };
    expect(await refused(body)).toBe('Grants can only grant schema permissions you have');
  });

  it('checks tables before schemas, and only one of them', async () => {
    const database = { type: 'database', tables: [table('nosuch', ['select'])], schemas: [{ name: 'nosuch', permissions: ['create'] }] };
    expect(await refused({ name: 'k', grants: [apis(['sql']), database] })).toBe('Grants can only grant table permissions you have');
  });

  it('skips the permission checks when the grants already failed', async () => {
    const database = { type: 'database', tables: [table('nosuch', ['select'])] };
    expect(await refused({ name: 'k', grants: [database] })).toBe('Grants only one apis section is allowed');
  });

  it('puts the permission message before the name messages', async () => {
    const body = { name: 'Master', grants: [apis(['sql']), { type: 'database', tables: [table('nosuch', ['select'])] }] };
    expect(await refused(body)).toBe(
      'Grants can only grant table permissions you have, Name has already been taken, Name api_key name cannot be Master nor Default public',
    );
  });
});

describe('§4 create: the request body', () => {
  it('answers 400 (Rails refuses to parse it, so not the API error shape) for malformed JSON', async () => {
    const sandbox = makeSandbox();
    const res = await sandbox.call('POST', BASE, { body: '{"name": "k", "grants": [' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ status: 400, error: 'Bad Request' });
    expect(sandbox.changes).toBe(0);
  });

  it('ignores a JSON body sent without a JSON content type, as Rails does', async () => {
    const res = await makeSandbox().call('POST', BASE, { body: JSON.stringify({ name: 'k', grants: SQL_ONLY }), headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(422);
    expect(await errorsOf(res)).toBe("Validation failed: Grants grants has to be an array, Name can't be blank");
  });

  it('reads a JSON value that is not an object as no parameters', async () => {
    const res = await makeSandbox().call('POST', BASE, { body: [{ name: 'k' }] });
    expect(await errorsOf(res)).toBe("Validation failed: Grants grants has to be an array, Name can't be blank");
  });

  it('reads parameters from a form body too', async () => {
    const res = await makeSandbox().call('POST', BASE, {
      body: 'name=k&grants=sql',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await errorsOf(res)).toBe('Validation failed: Grants grants has to be an array');
  });
});
