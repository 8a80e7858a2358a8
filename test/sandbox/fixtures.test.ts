// The sandbox against replies of the real service (/work/shared/fixtures/auth-api): the same account
// (user jdoe, its two regular keys and the table one of them created) must give the same bodies.

import { describe, expect, it } from 'vitest';
import { createSandboxHandler, createSandboxState, type SandboxState } from '../../src/sandbox/index.js';
import { makeKey } from '../../src/sandbox/state.js';
import { basic, fixture } from './harness.js';

const JDOE_MASTER = '4b7d1c0e9f2a8b3c6d5e4f708192a3b4c5d6e7f8';
const API = 'https://jdoe.carto.com/api/v3/api_keys';

/** The account the fixtures were taken from. */
function jdoe(): SandboxState {
  const state = createSandboxState({ username: 'jdoe', masterKey: JDOE_MASTER, now: () => new Date('2018-02-08T14:24:41.000Z') });
  const user = state.users[0]!;
  user.tables.push({ schema: 'public', name: 'etl_output', ownerKey: 'etl_writer' });
  user.keys.push(
    makeKey(
      { name: 'liked_cities_app', type: 'regular', token: 'Xl2Wq3r7tF0oZ0bJp8aS9Q', createdAt: '2026-11-02T09:12:03.000Z', updatedAt: '2026-11-02T09:12:03.000Z' },
      {
        apis: ['sql'],
        tables: [
          { schema: 'public', name: 'liked_cities', permissions: ['select', 'insert'] },
          { schema: 'public', name: 'world_population', permissions: ['select'] },
        ],
      },
    ),
    makeKey(
      { name: 'etl_writer', type: 'regular', token: 'pQ7_rT2uV9wX1yZ3aB5cDe', createdAt: '2026-10-01T08:00:00.000Z', updatedAt: '2026-11-20T17:45:10.000Z' },
      { apis: ['sql'], schemas: [{ name: 'public', permissions: ['create'] }], tableMetadata: true, services: ['geocoding'] },
    ),
  );
  return state;
}

async function call(url: string, init: RequestInit = {}, state = jdoe()): Promise<Response> {
  return createSandboxHandler(state)(new Request(url, { headers: basic(JDOE_MASTER, 'jdoe'), ...init }));
}

function create(body: unknown): Promise<Response> {
  return call(API, { method: 'POST', headers: { ...basic(JDOE_MASTER, 'jdoe'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function expectSameReply(res: Response, name: string): Promise<void> {
  const f = fixture(name);
  expect(res.status).toBe(f.status);
  expect(res.headers.get('content-type') ?? undefined).toBe(f.headers['content-type']);
  const text = await res.text();
  if (f.body === null) expect(text).toBe(f.raw);
  else expect(JSON.parse(text)).toEqual(f.body);
}

/** Every key path of a JSON value, array items merged: "same shape" whatever the values. */
function shape(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => shape(v, `${path}[]`)))].sort();
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [`${path}.${k}`, ...shape(v, `${path}.${k}`)]).sort();
  }
  return [];
}

describe('replies identical to the real service’s', () => {
  it('list, page 1 of 2', async () => {
    await expectSameReply(await call(`${API}?per_page=2`), 'list-page1-of-2');
  });

  it('list, page 2 of 2', async () => {
    await expectSameReply(await call(`${API}?page=2&per_page=2`), 'list-page2-of-2');
  });

  it('list with the Default public key in the query string', async () => {
    await expectSameReply(await call(`${API}?api_key=default_public`, { headers: {} }), 'list-as-public-key');
  });

  it('show a regular key', async () => {
    await expectSameReply(await call(`${API}/liked_cities_app`), 'show-regular');
  });

  it('show a key that created a table', async () => {
    await expectSameReply(await call(`${API}/etl_writer`), 'show-creator-with-owned-table');
  });

  it('not found', async () => {
    await expectSameReply(await call(`${API}/nosuch`), 'not-found-404');
  });

  it('delete', async () => {
    await expectSameReply(await call(`${API}/etl_writer`, { method: 'DELETE' }), 'delete-204');
  });

  it('delete Master', async () => {
    await expectSameReply(await call(`${API}/Master`, { method: 'DELETE' }), 'delete-master-403');
  });

  it('unauthorized', async () => {
    await expectSameReply(await call(API, { headers: basic('wrong', 'jdoe') }), 'unauthorized-401');
  });

  it('bad page', async () => {
    await expectSameReply(await call(`${API}?page=0`), 'list-bad-page-400');
  });

  it('no engine', async () => {
    const state = jdoe();
    state.users[0]!.engine = false;
    await expectSameReply(await call(API, {}, state), 'no-engine-404');
  });

  it('quota', async () => {
    const state = jdoe();
    const body = JSON.stringify({ name: 'x', grants: [{ type: 'apis', apis: ['sql'] }] });
    const headers = { ...basic(JDOE_MASTER, 'jdoe'), 'content-type': 'application/json' };
    const res = await createSandboxHandler(state, { quota: 2 })(new Request(API, { method: 'POST', headers, body }));
    await expectSameReply(res, 'quota-403');
  });

  it('create with a bad permission', async () => {
    const grants = [{ type: 'apis', apis: ['sql'] }, { type: 'database', tables: [{ schema: 'public', name: 'liked_cities', permissions: ['read'] }] }];
    await expectSameReply(await create({ name: 'x', grants }), 'create-bad-permission-422');
  });

  it('create with a taken name', async () => {
    await expectSameReply(await create({ name: 'etl_writer', grants: [{ type: 'apis', apis: ['sql'] }] }), 'create-duplicate-422');
  });

  it('create with an unknown table', async () => {
    const grants = [{ type: 'apis', apis: ['sql'] }, { type: 'database', tables: [{ schema: 'public', name: 'nosuch', permissions: ['select'] }] }];
    await expectSameReply(await create({ name: 'x', grants }), 'create-unknown-table-422');
  });
});

describe('replies shaped like the real service’s', () => {
  it('create 201: same fields, same grants as the fixture for the same request', async () => {
    const grants = [
      { type: 'apis', apis: ['sql'] },
      {
        type: 'database',
        tables: [
          { schema: 'public', name: 'liked_cities', permissions: ['insert', 'select'] },
          { schema: 'public', name: 'world_population', permissions: ['select'] },
        ],
      },
    ];
    const res = await create({ name: 'liked_cities_app2', grants });
    const f = fixture('create-201');
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(f.status);
    expect(shape(body)).toEqual(shape(f.body));
    expect(body.grants).toEqual((f.body as Record<string, unknown>).grants);
  });

  it('regenerate 200: same fields as the fixture, a new token', async () => {
    const res = await call(`${API}/liked_cities_app/token/regenerate`, { method: 'POST' });
    const f = fixture('regenerate-200');
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(shape(body)).toEqual(shape(f.body));
    expect(body.token).not.toBe('Xl2Wq3r7tF0oZ0bJp8aS9Q');
  });

  it('list items: the same keys as the fixture’s, _links.self included', async () => {
    const page = (await (await call(API)).json()) as { result: unknown[] };
    const f = fixture('list-page2-of-2').body as { result: unknown[] };
    expect(shape(page.result[2])).toEqual(shape(f.result[0]));
  });

  it('errors: {errors: string, errors_cause: null} with the JSON content type', async () => {
    const res = await call(`${API}?order=size`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe(fixture('list-bad-page-400').headers['content-type']);
    expect(shape(await res.json())).toEqual(shape(fixture('list-bad-page-400').body));
  });
});
