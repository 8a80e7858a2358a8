// docs/auth-api.md §1, §6, §7: show, delete, regenerate, target_user, quota and accounts without engine.

import { describe, expect, it } from 'vitest';
import type { WireApiKey } from '../../src/api/types.js';
import { createSandboxState } from '../../src/sandbox/index.js';
import { BASE, counterRandom, errorsOf, listOf, makeSandbox, MASTER, SQL_ONLY, START } from './harness.js';

const FORBIDDEN = "You don't have permission to access that resource";

describe('show', () => {
  it('percent-decodes the name (Default%20public)', async () => {
    const res = await makeSandbox().call('GET', `${BASE}/Default%20public`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as WireApiKey).name).toBe('Default public');
  });

  it('does not decode + to a space', async () => {
    const res = await makeSandbox().call('GET', `${BASE}/Default+public`);
    expect(res.status).toBe(404);
    expect(await errorsOf(res)).toBe('API key not found: Default+public');
  });

  it('answers 404 "API key not found: {name}" for an unknown name', async () => {
    const res = await makeSandbox().call('GET', `${BASE}/nosuch`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ errors: 'API key not found: nosuch', errors_cause: null });
  });
});

describe('delete', () => {
  it('answers 204 with an empty body and removes the key', async () => {
    const sandbox = makeSandbox();
    const key = await sandbox.create('k');
    const res = await sandbox.call('DELETE', `${BASE}/k`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await sandbox.call('GET', `${BASE}/k`)).status).toBe(404);
    expect((await sandbox.call('GET', BASE, { token: key.token })).status).toBe(401);
    expect((await listOf(await sandbox.call('GET', BASE))).total).toBe(2);
    expect(sandbox.changes).toBe(2);
  });

  it('answers 403 for Master and for Default public', async () => {
    const sandbox = makeSandbox();
    for (const name of ['Master', 'Default%20public']) {
      const res = await sandbox.call('DELETE', `${BASE}/${name}`);
      expect(res.status).toBe(403);
      expect(await errorsOf(res)).toBe(FORBIDDEN);
    }
    expect(sandbox.changes).toBe(0);
  });

  it('answers 404 for an unknown name', async () => {
    const res = await makeSandbox().call('DELETE', `${BASE}/nosuch`);
    expect(res.status).toBe(404);
    expect(await errorsOf(res)).toBe('API key not found: nosuch');
  });

  it('hands the tables the key created to the account', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('etl', [...SQL_ONLY, { type: 'database', schemas: [{ name: 'public', permissions: ['create'] }] }]);
    sandbox.state.users[0]!.tables.push({ schema: 'public', name: 'etl_output', ownerKey: 'etl' });
    await sandbox.call('DELETE', `${BASE}/etl`);
    expect(sandbox.state.users[0]!.tables.find((t) => t.name === 'etl_output')).toEqual({ schema: 'public', name: 'etl_output' });
  });
});

describe('regenerate', () => {
  it('answers 200 with a new token and the same name, grants and created_at', async () => {
    const sandbox = makeSandbox();
    const before = await sandbox.create('k', [...SQL_ONLY, { type: 'database', tables: [{ schema: 'public', name: 'liked_cities', permissions: ['select'] }] }]);
    sandbox.clock.tick(3600);
    const res = await sandbox.call('POST', `${BASE}/k/token/regenerate`);
    expect(res.status).toBe(200);
    const after = (await res.json()) as WireApiKey;
    expect(after.token).not.toBe(before.token);
    expect(after.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect({ ...after, token: '', updated_at: '' }).toEqual({ ...before, token: '', updated_at: '' });
    expect(after.updated_at).toBe('2026-11-22 15:24:41 +0000');
    expect(sandbox.changes).toBe(2);
  });

  it('stops the old token at once and lets the new one in', async () => {
    const sandbox = makeSandbox();
    const before = await sandbox.create('k');
    const after = (await (await sandbox.call('POST', `${BASE}/k/token/regenerate`)).json()) as WireApiKey;
    expect((await sandbox.call('GET', `${BASE}/k`, { token: before.token })).status).toBe(401);
    expect((await sandbox.call('GET', `${BASE}/k`, { token: after.token })).status).toBe(200);
  });

  it('regenerates Master too: a new 40-hex key, the old one refused at once', async () => {
    const sandbox = makeSandbox();
    const res = await sandbox.call('POST', `${BASE}/Master/token/regenerate`);
    expect(res.status).toBe(200);
    const master = (await res.json()) as WireApiKey;
    expect(master.type).toBe('master');
    expect(master.token).toMatch(/^[0-9a-f]{40}$/);
    expect(master.token).not.toBe(MASTER);
    expect((await sandbox.call('GET', BASE, { token: MASTER })).status).toBe(401);
    expect((await listOf(await sandbox.call('GET', BASE, { token: master.token }))).total).toBe(2);
  });

  it('answers 500 (an unhandled server error, not JSON) for Default public, and changes nothing', async () => {
    const sandbox = makeSandbox();
    const res = await sandbox.call('POST', `${BASE}/Default%20public/token/regenerate`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(sandbox.changes).toBe(0);
    expect((await sandbox.call('GET', BASE, { token: 'default_public' })).status).toBe(200);
  });

  it('answers 404 for an unknown name', async () => {
    const res = await makeSandbox().call('POST', `${BASE}/nosuch/token/regenerate`);
    expect(res.status).toBe(404);
    expect(await errorsOf(res)).toBe('API key not found: nosuch');
  });
});

describe('target_user', () => {
  it('is ignored when it names the URL’s user', async () => {
    const sandbox = makeSandbox();
    expect((await sandbox.call('GET', `${BASE}?target_user=demo`)).status).toBe(200);
    expect((await sandbox.call('POST', `${BASE}?target_user=demo`, { body: { name: 'k', grants: SQL_ONLY } })).status).toBe(201);
  });

  it('answers 403 for any other user, on every endpoint (the sandbox user is no organization admin)', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('k');
    const calls: [string, string, unknown][] = [
      ['GET', BASE, undefined],
      ['POST', BASE, { name: 'x', grants: SQL_ONLY }],
      ['GET', `${BASE}/k`, undefined],
      ['DELETE', `${BASE}/k`, undefined],
      ['POST', `${BASE}/k/token/regenerate`, undefined],
    ];
    for (const [method, url, body] of calls) {
      const res = await sandbox.call(method, `${url}?target_user=someone`, { body });
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(await errorsOf(res)).toBe(FORBIDDEN);
    }
    expect(sandbox.changes).toBe(1);
  });

  it('is read from the JSON body too', async () => {
    const res = await makeSandbox().call('POST', BASE, { body: { name: 'x', grants: SQL_ONLY, target_user: 'someone' } });
    expect(res.status).toBe(403);
  });
});

describe('quota', () => {
  it('answers 403 once the regular keys reach the quota', async () => {
    const sandbox = makeSandbox({ handler: { quota: 2 } });
    await sandbox.create('a');
    await sandbox.create('b');
    const res = await sandbox.call('POST', BASE, { body: { name: 'c', grants: SQL_ONLY } });
    expect(res.status).toBe(403);
    expect(await errorsOf(res)).toBe('You have reached the limit of API keys for your plan');
    expect(sandbox.changes).toBe(2);
  });

  it('is checked before validation', async () => {
    const res = await makeSandbox({ handler: { quota: 0 } }).call('POST', BASE, { body: {} });
    expect(res.status).toBe(403);
  });

  it('frees a place when a key is deleted', async () => {
    const sandbox = makeSandbox({ handler: { quota: 1 } });
    await sandbox.create('a');
    await sandbox.call('DELETE', `${BASE}/a`);
    await expect(sandbox.create('b')).resolves.toMatchObject({ name: 'b' });
  });
});

describe('an account without engine access', () => {
  const noEngine = () => makeSandbox({ state: createSandboxState({ masterKey: MASTER, engine: false, random: counterRandom(), now: () => START }) });

  it('answers 404 with an empty body on every endpoint', async () => {
    const sandbox = noEngine();
    const calls: [string, string, unknown][] = [
      ['GET', BASE, undefined],
      ['POST', BASE, { name: 'x', grants: SQL_ONLY }],
      ['GET', `${BASE}/Master`, undefined],
      ['DELETE', `${BASE}/Master`, undefined],
      ['POST', `${BASE}/Master/token/regenerate`, undefined],
    ];
    for (const [method, url, body] of calls) {
      const res = await sandbox.call(method, url, { body });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(await res.text()).toBe('');
    }
    expect(sandbox.changes).toBe(0);
  });

  it('still answers 401 to bad credentials first, as CARTO authenticates before it checks the engine', async () => {
    expect((await noEngine().call('GET', BASE, { token: null })).status).toBe(401);
  });
});

describe('onChange', () => {
  it('is called after each create, delete and regenerate, and never for reads or failures', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('k');
    await sandbox.call('POST', `${BASE}/k/token/regenerate`);
    await sandbox.call('DELETE', `${BASE}/k`);
    await sandbox.call('GET', BASE);
    await sandbox.call('GET', `${BASE}/Master`);
    await sandbox.call('DELETE', `${BASE}/Master`);
    await sandbox.call('POST', BASE, { body: { name: 'Master', grants: SQL_ONLY } });
    expect(sandbox.changes).toBe(3);
  });

  it('receives the mutated state, ready to be saved', async () => {
    const sandbox = makeSandbox();
    const revision = sandbox.state.revision;
    await sandbox.create('k');
    expect(sandbox.state.revision).toBe(revision + 1);
    expect(sandbox.state.users[0]!.keys.map((k) => k.name)).toContain('k');
  });
});
