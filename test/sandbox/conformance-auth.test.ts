// docs/auth-api.md §1 (URLs) and §2 (authentication and who may do what), one test per rule.

import { describe, expect, it } from 'vitest';
import { createSandboxHandler, createSandboxState } from '../../src/sandbox/index.js';
import { BASE, basic, errorsOf, listOf, makeSandbox, MASTER, SQL_ONLY } from './harness.js';

const ROOT = 'http://sandbox.test';

describe('§1 URL forms', () => {
  it('serves the on-premises form /user/{user}/api/v3/api_keys', async () => {
    const res = await makeSandbox().call('GET', `${ROOT}/user/demo/api/v3/api_keys`);
    expect(res.status).toBe(200);
    expect((await listOf(res)).total).toBe(2);
  });

  it('serves the organization form /u/{user}/api/v3/api_keys and links under it', async () => {
    const res = await makeSandbox().call('GET', 'https://acme.carto.com/u/demo/api/v3/api_keys');
    expect(res.status).toBe(200);
    const page = await listOf(res);
    expect(page.result[0]?._links?.self).toBe('https://acme.carto.com/u/demo/api/v3/api_keys/Master');
  });

  it('serves the subdomain form {user}.{domain}/api/v3/api_keys', async () => {
    const res = await makeSandbox().call('GET', 'https://demo.carto.com/api/v3/api_keys');
    expect(res.status).toBe(200);
    expect((await listOf(res)).result[1]?._links?.self).toBe('https://demo.carto.com/api/v3/api_keys/Default+public');
  });

  it('takes the subdomain of a two-label host with a port (demo.localhost:8080)', async () => {
    const res = await makeSandbox().call('GET', 'http://demo.localhost:8080/api/v3/api_keys');
    expect(res.status).toBe(200);
  });

  it('does not read a user from an IP address or a single-label host', async () => {
    const sandbox = makeSandbox();
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) {
      const res = await sandbox.call('GET', `http://${host}/api/v3/api_keys`);
      expect(res.status, host).toBe(404);
    }
  });

  it('tolerates a trailing slash on the collection', async () => {
    const sandbox = makeSandbox();
    expect((await sandbox.call('GET', `${BASE}/`)).status).toBe(200);
    expect((await sandbox.call('POST', `${BASE}/`, { body: { name: 'k', grants: SQL_ONLY } })).status).toBe(201);
  });

  it('answers 404 for an unknown user, in every form', async () => {
    const sandbox = makeSandbox();
    for (const url of [`${ROOT}/user/nosuch/api/v3/api_keys`, `${ROOT}/u/nosuch/api/v3/api_keys`, 'https://nosuch.carto.com/api/v3/api_keys']) {
      expect((await sandbox.call('GET', url)).status, url).toBe(404);
    }
  });

  it('answers 404 (Rails’ HTML page, not the API error shape) for an unknown path or method', async () => {
    const sandbox = makeSandbox();
    const cases: [string, string][] = [
      ['GET', `${ROOT}/user/demo/api/v2/api_keys`],
      ['GET', `${BASE}/Master/token`],
      ['GET', `${BASE}/Master/token/regenerate`],
      ['PUT', `${BASE}/Master`],
      ['PATCH', BASE],
      ['DELETE', BASE],
    ];
    for (const [method, url] of cases) {
      const res = await sandbox.call(method, url);
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await makeSandbox().call('HEAD', BASE);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('answers 400 for a path whose percent-encoding is broken', async () => {
    const res = await makeSandbox().call('GET', `${BASE}/%E0%A4%A`);
    expect(res.status).toBe(400);
  });
});

describe('§2 authentication', () => {
  it('answers 401 with an empty body without credentials, on every endpoint', async () => {
    const sandbox = makeSandbox();
    const calls: [string, string][] = [
      ['GET', BASE],
      ['POST', BASE],
      ['GET', `${BASE}/Master`],
      ['DELETE', `${BASE}/Master`],
      ['POST', `${BASE}/Master/token/regenerate`],
    ];
    for (const [method, url] of calls) {
      const res = await sandbox.call(method, url, { token: null });
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(await res.text()).toBe('');
    }
  });

  it('answers 401 for a token the user does not have', async () => {
    const res = await makeSandbox().call('GET', BASE, { token: 'f'.repeat(40) });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');
  });

  it('accepts Basic username:token', async () => {
    const res = await makeSandbox().call('GET', BASE, { token: MASTER });
    expect(res.status).toBe(200);
  });

  it('refuses Basic whose username is not the URL’s user, with no fallback to api_key', async () => {
    const sandbox = makeSandbox();
    const res = await sandbox.call('GET', `${BASE}?api_key=${MASTER}`, { token: null, headers: basic(MASTER, 'someone') });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');
  });

  it('prefers Basic over the api_key parameter', async () => {
    const res = await makeSandbox().call('GET', `${BASE}?api_key=default_public`, { token: MASTER });
    expect((await listOf(res)).total).toBe(2); // the Master key's view, not Default public's
  });

  it('accepts api_key in the query string', async () => {
    const res = await makeSandbox().call('GET', `${BASE}?api_key=${MASTER}`, { token: null });
    expect(res.status).toBe(200);
  });

  it('accepts api_key in the JSON body', async () => {
    const res = await makeSandbox().call('POST', BASE, { token: null, body: { api_key: MASTER, name: 'k', grants: SQL_ONLY } });
    expect(res.status).toBe(201);
  });

  it('reads api_key from the query string before the body', async () => {
    const sandbox = makeSandbox();
    const res = await sandbox.call('POST', `${BASE}?api_key=default_public`, {
      token: null,
      body: { api_key: MASTER, name: 'k', grants: SQL_ONLY },
    });
    expect(res.status).toBe(401); // Default public may not create
  });

  it('ignores an Authorization header that is not Basic and falls back to api_key', async () => {
    const res = await makeSandbox().call('GET', `${BASE}?api_key=${MASTER}`, { token: null, headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(200);
  });

  it('does not accept another user’s token', async () => {
    const state = createSandboxState({ masterKey: MASTER });
    const other = createSandboxState({ username: 'other', masterKey: 'e'.repeat(40) });
    state.users.push(...other.users);
    const handler = createSandboxHandler(state);
    const res = await handler(new Request(`${BASE}`, { headers: basic('e'.repeat(40)) }));
    expect(res.status).toBe(401);
  });
});

describe('§2 what each kind of key may do', () => {
  it('lets the Master key list every key', async () => {
    const sandbox = makeSandbox();
    await sandbox.create('a');
    expect((await listOf(await sandbox.call('GET', BASE))).total).toBe(3);
  });

  it('lists only itself for a regular key (total 1)', async () => {
    const sandbox = makeSandbox();
    const key = await sandbox.create('a');
    await sandbox.create('b');
    const page = await listOf(await sandbox.call('GET', BASE, { token: key.token }));
    expect(page.total).toBe(1);
    expect(page.result.map((k) => k.name)).toEqual(['a']);
  });

  it('lists only itself for the Default public key (total 1)', async () => {
    const page = await listOf(await makeSandbox().call('GET', `${BASE}?api_key=default_public`, { token: null }));
    expect(page.total).toBe(1);
    expect(page.result[0]?.type).toBe('default');
  });

  it('shows a regular key its own name', async () => {
    const sandbox = makeSandbox();
    const key = await sandbox.create('mine');
    const res = await sandbox.call('GET', `${BASE}/mine`, { token: key.token });
    expect(res.status).toBe(200);
  });

  it('answers 404 "API key not found" when a regular key shows another name', async () => {
    const sandbox = makeSandbox();
    const key = await sandbox.create('mine');
    await sandbox.create('theirs');
    for (const name of ['theirs', 'Master']) {
      const res = await sandbox.call('GET', `${BASE}/${name}`, { token: key.token });
      expect(res.status).toBe(404);
      expect(await errorsOf(res)).toBe(`API key not found: ${name}`);
    }
  });

  it('answers 401 with an empty body when a regular or Default public key writes', async () => {
    const sandbox = makeSandbox();
    const key = await sandbox.create('mine');
    for (const token of [key.token, 'default_public']) {
      const writes: [string, string, unknown][] = [
        ['POST', BASE, { name: 'x', grants: SQL_ONLY }],
        ['DELETE', `${BASE}/mine`, undefined],
        ['POST', `${BASE}/mine/token/regenerate`, undefined],
      ];
      for (const [method, url, body] of writes) {
        const res = await sandbox.call(method, url, { token, body });
        expect(res.status, `${method} ${url} as ${token}`).toBe(401);
        expect(await res.text()).toBe('');
      }
    }
    expect(sandbox.changes).toBe(1);
  });
});
