// The client's organization features (docs/auth-api.md §8) against msw replies shaped as CARTO's server
// sends them: `target_user` on every key endpoint, the 403/404 it can bring, and the members index,
// whose `api_key` fields must not survive the parser.

import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClientOptions } from '../../src/api/client.js';
import type { WireApiKey } from '../../src/api/types.js';
import { listAllMembersKeys, memberBaseUrl, orgFromBaseUrl, resolveOrgName } from '../../src/domain/members.js';
import { ApiError, AuthError, UsageError } from '../../src/errors.js';
import { fixtureBody } from '../helpers/fixtures.js';
import { rejectionOf } from './harness.js';

const BASE = 'https://acme.carto.com/u/alice';
const KEYS = `${BASE}/api/v3/api_keys`;
const MEMBERS = `${BASE}/api/v2/organization/acme/users`;
const ALICE_MASTER = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
// Member Master keys as the members index returns them: none may leave the parser.
const MEMBER_KEYS = {
  olivia: '0101010101010101010101010101010101010101',
  alice: ALICE_MASTER,
  bob: 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0',
  dave: 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0',
};
const FORBIDDEN = { errors: "You don't have permission to access that resource", errors_cause: null };

const requests: Request[] = [];
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  requests.length = 0;
});
afterAll(() => server.close());

function serve(...handlers: Parameters<typeof server.use>): void {
  server.use(...handlers);
}

function client(over: Partial<ApiClientOptions> = {}) {
  const trace: string[] = [];
  const c = createApiClient({
    baseUrl: BASE,
    username: 'alice',
    token: ALICE_MASTER,
    fetch: (url, init) => globalThis.fetch(url, init),
    sleep: async () => {},
    debug: (line) => trace.push(line),
    ...over,
  });
  return { client: c, trace };
}

function key(name: string, owner: string): WireApiKey {
  const k = structuredClone(fixtureBody<WireApiKey>('show-regular'));
  return { ...k, name, user: { username: owner } };
}

function member(username: string, admin: boolean) {
  // The EUMAPI shape: many profile fields, and the member's Master key in `api_key`.
  return {
    username,
    email: `${username}@acme.example`,
    name: username,
    last_name: 'Doe',
    org_admin: admin,
    org_user: true,
    viewer: false,
    base_url: `https://acme.carto.com/u/${username}`,
    quota_in_bytes: 1000,
    db_size_in_bytes: 10,
    table_count: 2,
    soft_geocoding_limit: false,
    api_key: MEMBER_KEYS[username as keyof typeof MEMBER_KEYS],
  };
}

describe('target_user', () => {
  it('is sent as a query parameter on all five key endpoints, with the caller\'s own Basic credential', async () => {
    serve(
      http.all(`${KEYS}*`, ({ request }) => {
        requests.push(request);
        const path = new URL(request.url).pathname;
        if (request.method === 'DELETE') return new HttpResponse(null, { status: 204 });
        if (path.endsWith('/api_keys') && request.method === 'GET') {
          return HttpResponse.json({ total: 1, count: 1, result: [key('app', 'bob')] });
        }
        return HttpResponse.json(key('app', 'bob'), { status: request.method === 'POST' && path.endsWith('/api_keys') ? 201 : 200 });
      }),
    );
    const bob = client().client.forUser('bob');
    expect(bob.targetUser).toBe('bob');
    await bob.listKeys();
    await bob.getKey('app');
    await bob.createKey({ name: 'app', grants: [{ type: 'apis', apis: ['sql'] }] });
    await bob.regenerateKey('app');
    await bob.deleteKey('app');
    expect(requests).toHaveLength(5);
    const basic = `Basic ${Buffer.from(`alice:${ALICE_MASTER}`).toString('base64')}`;
    for (const r of requests) {
      const url = new URL(r.url);
      expect(url.pathname.startsWith('/u/alice/api/v3/api_keys')).toBe(true);
      expect(url.searchParams.get('target_user')).toBe('bob');
      expect(r.headers.get('authorization')).toBe(basic);
    }
  });

  it('is not sent for the caller\'s own name, nor by a client without a member', async () => {
    serve(
      http.get(KEYS, ({ request }) => {
        requests.push(request);
        return HttpResponse.json({ total: 0, count: 0, result: [] });
      }),
    );
    await client().client.listKeys();
    await client().client.forUser('alice').listKeys();
    await client().client.forUser('bob').forUser(undefined).listKeys();
    expect(requests.map((r) => new URL(r.url).searchParams.has('target_user'))).toEqual([false, false, false]);
  });

  it('refuses an invalid member name before any request', () => {
    expect(() => client().client.forUser('Bob')).toThrow(UsageError);
    expect(() => client().client.forUser('-x')).toThrow(/Invalid CARTO username/);
  });

  it('turns the 403 of a non-admin into an authentication error (exit 4) that names --user', async () => {
    serve(http.get(KEYS, () => HttpResponse.json(FORBIDDEN, { status: 403 })));
    const err = await rejectionOf(client().client.forUser('bob').listKeys());
    expect(err).toBeInstanceOf(AuthError);
    const e = err as AuthError;
    expect(e.exitCode).toBe(4);
    expect(e.code).toBe('not_org_admin');
    expect(e.status).toBe(403);
    expect(e.message).toContain('list API keys of bob');
    expect(e.message).toContain('only an organization owner or admin');
    expect(e.hint).toContain('--user bob');
  });

  it('keeps the built-in meaning of a 403 on DELETE of Master, even for a member', async () => {
    serve(http.delete(`${KEYS}/Master`, () => HttpResponse.json(FORBIDDEN, { status: 403 })));
    const err = await rejectionOf(client().client.forUser('bob').deleteKey('Master'));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).kind).toBe('forbidden');
  });

  it('turns the 404 for a user outside the organization into a no_member error with CARTO\'s text', async () => {
    const text = "User 'carol' not found in the organization 'acme'";
    serve(http.get(`${KEYS}/app`, () => HttpResponse.json({ errors: text, errors_cause: null }, { status: 404 })));
    const err = await rejectionOf(client().client.forUser('carol').getKey('app'));
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.kind).toBe('no_member');
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(`Could not show API key "app" of carol: CARTO says "${text}" (404)`);
    expect(e.hint).toContain('carto-keys org members');
  });

  it('leaves a missing key of a member as not_found', async () => {
    serve(http.get(`${KEYS}/nope`, () => HttpResponse.json({ errors: 'API key not found: nope', errors_cause: null }, { status: 404 })));
    const e = (await rejectionOf(client().client.forUser('bob').getKey('nope'))) as ApiError;
    expect(e.kind).toBe('not_found');
    expect(e.message).toContain('of bob');
  });
});

describe('members index (EUMAPI)', () => {
  const everyone = [member('olivia', true), member('alice', true), member('bob', false), member('dave', false)];

  it('lists username, email and admin, and keeps no api_key anywhere', async () => {
    serve(
      http.get(MEMBERS, ({ request }) => {
        requests.push(request);
        return HttpResponse.json(everyone);
      }),
    );
    const { client: c, trace } = client();
    const members = await c.listMembers('acme');
    expect(members).toEqual([
      { username: 'olivia', email: 'olivia@acme.example', admin: true },
      { username: 'alice', email: 'alice@acme.example', admin: true },
      { username: 'bob', email: 'bob@acme.example', admin: false },
      { username: 'dave', email: 'dave@acme.example', admin: false },
    ]);
    const seen = JSON.stringify(members) + trace.join('\n');
    for (const k of Object.values(MEMBER_KEYS)) expect(seen).not.toContain(k);
    expect(new URL(requests[0]!.url).searchParams.has('target_user')).toBe(false);
    expect(requests[0]!.headers.get('authorization')).toMatch(/^Basic /);
  });

  it('percent-encodes the organization name and sends no target_user, even from a member client', async () => {
    serve(
      http.get(`${BASE}/api/v2/organization/:org/users`, ({ request }) => {
        requests.push(request);
        return HttpResponse.json([]);
      }),
    );
    await client().client.forUser('bob').listMembers('a b');
    expect(new URL(requests[0]!.url).pathname).toBe('/u/alice/api/v2/organization/a%20b/users');
    expect(new URL(requests[0]!.url).search).toBe('');
  });

  it('reads 401 {} as "not an owner or admin of that organization" (exit 4)', async () => {
    serve(http.get(MEMBERS, () => HttpResponse.json({}, { status: 401 })));
    const err = (await rejectionOf(client().client.listMembers('acme'))) as AuthError;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('not_org_admin');
    expect(err.message).toContain('organization "acme"');
  });

  it('refuses a reply that is not an array of users without quoting any of it', async () => {
    serve(http.get(MEMBERS, () => HttpResponse.json({ users: everyone })));
    const err = (await rejectionOf(client().client.listMembers('acme'))) as ApiError;
    expect(err.kind).toBe('bad_response');
    for (const k of Object.values(MEMBER_KEYS)) expect(JSON.stringify({ m: err.message, h: err.hint })).not.toContain(k);
  });

  it('never puts a member key into an error, even when a user entry is malformed', async () => {
    serve(http.get(MEMBERS, () => HttpResponse.json([...everyone, { api_key: MEMBER_KEYS.bob, email: 3 }])));
    const err = (await rejectionOf(client().client.listMembers('acme'))) as ApiError;
    expect(err.message).toContain('user 4 has no username');
    expect(err.message).not.toContain(MEMBER_KEYS.bob);
  });

  it('redacts api_key values from a traced error body', async () => {
    serve(http.get(MEMBERS, () => HttpResponse.json([member('bob', false)], { status: 500 })));
    const { client: c, trace } = client({ retries: 0 });
    await rejectionOf(c.listMembers('acme'));
    expect(trace.join('\n')).toContain('"api_key":"***"');
    expect(trace.join('\n')).not.toContain(MEMBER_KEYS.bob);
  });

  it('leaves no part of a member key in the trace when the error body is cut inside it', async () => {
    // The trace keeps 500 characters: place a key across that cut.
    const key = 'e'.repeat(40);
    const head = '[{"username":"m0","bio":"';
    const pad = 'x'.repeat(490 - head.length - '","api_key":"'.length);
    const body = `${head}${pad}","api_key":"${key}"}]`;
    expect(body.indexOf(key)).toBe(490);
    serve(http.get(MEMBERS, () => new HttpResponse(body, { status: 500, headers: { 'content-type': 'application/json' } })));
    const { client: c, trace } = client({ retries: 0 });
    await rejectionOf(c.listMembers('acme'));
    const text = trace.join('\n');
    expect(text).toContain('body: ');
    expect(text).not.toMatch(/e{4}/);
  });
});

describe('listAllMembersKeys', () => {
  it('lists every member through target_user (the caller directly), reports a failing member and keeps the rest', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    serve(
      http.get(MEMBERS, () => HttpResponse.json([member('olivia', true), member('alice', true), member('bob', false), member('dave', false)])),
      http.get(KEYS, async ({ request }) => {
        const target = new URL(request.url).searchParams.get('target_user') ?? 'alice';
        requests.push(request);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        if (target === 'dave') return HttpResponse.json({ errors: 'boom', errors_cause: null }, { status: 400 });
        return HttpResponse.json({ total: 1, count: 1, result: [key(`${target}-app`, target)] });
      }),
    );
    const all = await listAllMembersKeys(client().client, { org: 'acme', memberConcurrency: 2 });
    expect(all.members.map((m) => m.username)).toEqual(['olivia', 'alice', 'bob', 'dave']);
    expect(all.listed.map((m) => [m.member.username, m.keys.map((k) => k.name)])).toEqual([
      ['olivia', ['olivia-app']],
      ['alice', ['alice-app']],
      ['bob', ['bob-app']],
    ]);
    expect(all.failed.map((f) => f.member.username)).toEqual(['dave']);
    expect(all.failed[0]!.error.message).toContain('of dave');
    expect(maxInFlight).toBeLessThanOrEqual(2);
    const targets = requests.map((r) => new URL(r.url).searchParams.get('target_user'));
    expect(targets.sort()).toEqual(['bob', 'dave', 'olivia', null].sort());
  });

  it('stops at a refusal of the login itself (not an admin)', async () => {
    serve(
      http.get(MEMBERS, () => HttpResponse.json([member('alice', true), member('bob', false)])),
      http.get(KEYS, () => HttpResponse.json(FORBIDDEN, { status: 403 })),
    );
    const err = await rejectionOf(listAllMembersKeys(client().client, { org: 'acme' }));
    expect(err).toBeInstanceOf(AuthError);
  });
});

describe('organization names and member URLs', () => {
  it('reads the organization from an organization URL only', () => {
    expect(orgFromBaseUrl('https://acme.carto.com/u/alice')).toBe('acme');
    expect(orgFromBaseUrl('http://acme.sandbox.invalid/u/alice')).toBe('acme');
    expect(orgFromBaseUrl('https://jdoe.carto.com')).toBeUndefined();
    expect(orgFromBaseUrl('https://carto.example.com/user/jdoe')).toBeUndefined();
    expect(orgFromBaseUrl('http://127.0.0.1:8442/u/alice')).toBeUndefined();
  });

  it('prefers --org, then CARTO_KEYS_ORG, then the URL; refuses when none says', () => {
    expect(resolveOrgName('https://acme.carto.com/u/alice', 'zeta', 'env')).toBe('zeta');
    expect(resolveOrgName('https://acme.carto.com/u/alice', undefined, 'env')).toBe('env');
    expect(resolveOrgName('https://acme.carto.com/u/alice', undefined, '  ')).toBe('acme');
    expect(() => resolveOrgName('http://127.0.0.1:1/u/alice', undefined, undefined)).toThrow(/Which organization/);
    expect(() => resolveOrgName('https://acme.carto.com/u/alice', 'a/b', undefined)).toThrow(UsageError);
  });

  it('derives a member\'s own URL from the path forms', () => {
    expect(memberBaseUrl('https://acme.carto.com/u/alice', 'bob')).toBe('https://acme.carto.com/u/bob');
    expect(memberBaseUrl('http://127.0.0.1:9/user/alice', 'bob')).toBe('http://127.0.0.1:9/user/bob');
    expect(memberBaseUrl('https://alice.carto.com', 'bob')).toBeUndefined();
  });
});
