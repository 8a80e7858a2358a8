// docs/auth-api.md §3 and §3.1: the key object and its grants as the server renders them.

import { describe, expect, it } from 'vitest';
import type { WireApiKey, WireDatabaseGrant } from '../../src/api/types.js';
import { BASE, makeSandbox, MASTER, type Sandbox } from './harness.js';

async function show(sandbox: Sandbox, name: string): Promise<WireApiKey> {
  const res = await sandbox.call('GET', `${BASE}/${encodeURIComponent(name)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as WireApiKey;
}

const database = (key: WireApiKey): WireDatabaseGrant => key.grants.find((g) => g.type === 'database') as WireDatabaseGrant;
const types = (key: WireApiKey): string[] => key.grants.map((g) => g.type);

const apis = (list: string[]) => ({ type: 'apis', apis: list });
const db = (extra: Record<string, unknown>) => ({ type: 'database', ...extra });
const table = (name: string, permissions: string[], schema = 'public') => ({ schema, name, permissions });

describe('§3 the key object', () => {
  it('has exactly name, user, type, token, grants, created_at, updated_at (no id)', async () => {
    const key = await makeSandbox().create('k');
    expect(Object.keys(key)).toEqual(['name', 'user', 'type', 'token', 'grants', 'created_at', 'updated_at']);
    expect(key.user).toEqual({ username: 'demo' });
  });

  it('formats timestamps as YYYY-MM-DD HH:MM:SS +0000', async () => {
    const key = await makeSandbox().create('k');
    expect(key.created_at).toBe('2026-11-22 14:24:41 +0000');
    expect(key.updated_at).toBe(key.created_at);
  });

  it('gives regular keys 22 URL-safe base64 characters', async () => {
    const key = await makeSandbox().create('k');
    expect(key.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('has one Master key (40 hex) and one Default public key (token default_public)', async () => {
    const sandbox = makeSandbox();
    const master = await show(sandbox, 'Master');
    const pub = await show(sandbox, 'Default public');
    expect([master.type, master.token]).toEqual(['master', MASTER]);
    expect([pub.type, pub.token]).toEqual(['default', 'default_public']);
  });
});

describe('§3.1 grants as rendered', () => {
  it('renders the Master key: apis sql+maps, an empty database, every data service', async () => {
    const master = await show(makeSandbox(), 'Master');
    expect(master.grants).toEqual([
      apis(['sql', 'maps']),
      { type: 'database', tables: [], schemas: [] },
      { type: 'dataservices', services: ['geocoding', 'routing', 'isolines', 'observatory'] },
    ]);
  });

  it('renders the Default public key: apis sql+maps and an empty database', async () => {
    const pub = await show(makeSandbox(), 'Default public');
    expect(pub.grants).toEqual([apis(['sql', 'maps']), { type: 'database', tables: [], schemas: [] }]);
  });

  it('always renders a database section, even when none was requested', async () => {
    const key = await makeSandbox().create('k', [apis(['sql'])]);
    expect(key.grants).toEqual([apis(['sql']), { type: 'database', tables: [], schemas: [] }]);
  });

  it('keeps apis exactly as stored', async () => {
    const key = await makeSandbox().create('k', [apis(['maps', 'do', 'sql'])]);
    expect(key.grants[0]).toEqual(apis(['maps', 'do', 'sql']));
  });

  it('orders sections apis, database, dataservices, data-observatory whatever the request order', async () => {
    const key = await makeSandbox().create('k', [
      { type: 'data-observatory', datasets: ['carto-do.ds1'] },
      { type: 'dataservices', services: ['routing'] },
      db({}),
      apis(['sql']),
    ]);
    expect(types(key)).toEqual(['apis', 'database', 'dataservices', 'data-observatory']);
  });

  it('renders granted tables with owner false, permissions lower-case and alphabetical', async () => {
    const key = await makeSandbox().create('k', [
      apis(['sql']),
      db({ tables: [table('liked_cities', ['update', 'select', 'insert', 'delete'])] }),
    ]);
    expect(database(key).tables).toEqual([
      { schema: 'public', name: 'liked_cities', owner: false, permissions: ['delete', 'insert', 'select', 'update'] },
    ]);
  });

  it('sorts tables by schema then name', async () => {
    const sandbox = makeSandbox();
    sandbox.state.users[0]!.tables.push({ schema: 'analytics', name: 'zones' });
    const key = await sandbox.create('k', [
      apis(['sql']),
      db({ tables: [table('world_population', ['select']), table('zones', ['select'], 'analytics'), table('liked_cities', ['select'])] }),
    ]);
    expect(database(key).tables?.map((t) => `${t.schema}.${t.name}`)).toEqual([
      'analytics.zones',
      'public.liked_cities',
      'public.world_population',
    ]);
  });

  it('merges a table listed twice', async () => {
    const key = await makeSandbox().create('k', [
      apis(['sql']),
      db({ tables: [table('liked_cities', ['select']), table('liked_cities', ['insert'])] }),
    ]);
    expect(database(key).tables).toEqual([{ schema: 'public', name: 'liked_cities', owner: false, permissions: ['insert', 'select'] }]);
  });

  it('shows usage on the schema of any granted table', async () => {
    const key = await makeSandbox().create('k', [apis(['sql']), db({ tables: [table('liked_cities', ['select'])] })]);
    expect(database(key).schemas).toEqual([{ name: 'public', permissions: ['usage'] }]);
  });

  it('shows create and usage on a schema granted create', async () => {
    const key = await makeSandbox().create('k', [apis(['sql']), db({ schemas: [{ name: 'public', permissions: ['create'] }] })]);
    expect(database(key).schemas).toEqual([{ name: 'public', permissions: ['create', 'usage'] }]);
  });

  it('shows no schema for a key granted no table and no create', async () => {
    const key = await makeSandbox().create('k', [apis(['sql']), db({ schemas: [{ name: 'public', permissions: [] }] })]);
    expect(database(key).schemas).toEqual([]);
  });

  it('does not render a table granted with permissions [] (it grants nothing)', async () => {
    const key = await makeSandbox().create('k', [apis(['sql']), db({ tables: [table('liked_cities', [])] })]);
    expect(database(key).tables).toEqual([]);
  });

  it('renders table_metadata: [] only when the key was created with it', async () => {
    const sandbox = makeSandbox();
    const withIt = await sandbox.create('with', [apis(['sql']), db({ table_metadata: [] })]);
    const without = await sandbox.create('without', [apis(['sql']), db({})]);
    expect(database(withIt)).toEqual({ type: 'database', tables: [], schemas: [], table_metadata: [] });
    expect(database(without)).not.toHaveProperty('table_metadata');
  });

  it('renders dataservices only when non-empty', async () => {
    const sandbox = makeSandbox();
    const some = await sandbox.create('some', [apis(['sql']), { type: 'dataservices', services: ['geocoding'] }]);
    const none = await sandbox.create('none', [apis(['sql']), { type: 'dataservices', services: [] }]);
    expect(some.grants[2]).toEqual({ type: 'dataservices', services: ['geocoding'] });
    expect(types(none)).toEqual(['apis', 'database']);
  });

  it('renders data-observatory only when non-empty', async () => {
    const sandbox = makeSandbox();
    const some = await sandbox.create('some', [apis(['do']), { type: 'data-observatory', datasets: ['carto-do.a'] }]);
    const none = await sandbox.create('none', [apis(['do']), { type: 'data-observatory', datasets: [] }]);
    expect(some.grants[2]).toEqual({ type: 'data-observatory', datasets: ['carto-do.a'] });
    expect(types(none)).toEqual(['apis', 'database']);
  });

  it('accepts a user grant and never shows it', async () => {
    const key = await makeSandbox().create('k', [apis(['sql']), { type: 'user', data: ['profile'] }]);
    expect(types(key)).toEqual(['apis', 'database']);
  });

  it('drops a table that no longer exists (rendering reads live privileges)', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('k', [apis(['sql']), db({ tables: [table('liked_cities', ['select'])] })]);
    const tables = sandbox.state.users[0]!.tables;
    tables.splice(tables.findIndex((t) => t.name === 'liked_cities'), 1);
    expect(database(await show(sandbox, 'k')).tables).toEqual([]);
  });

  it('shows a table the key created with owner true and every privilege', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('etl', [apis(['sql']), db({ schemas: [{ name: 'public', permissions: ['create'] }] })]);
    sandbox.state.users[0]!.tables.push({ schema: 'public', name: 'etl_output', ownerKey: 'etl' });
    expect(database(await show(sandbox, 'etl')).tables).toEqual([
      {
        schema: 'public',
        name: 'etl_output',
        owner: true,
        permissions: ['delete', 'insert', 'references', 'select', 'trigger', 'truncate', 'update'],
      },
    ]);
  });

  it('does not give _links in show, create or regenerate replies', async () => {
    const sandbox = makeSandbox();
    const created = await sandbox.create('k');
    const shown = await show(sandbox, 'k');
    const regenerated = (await (await sandbox.call('POST', `${BASE}/k/token/regenerate`)).json()) as WireApiKey;
    for (const key of [created, shown, regenerated]) expect(key).not.toHaveProperty('_links');
  });
});
