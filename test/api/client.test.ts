import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import type { WireApiKey, WireListPage } from '../../src/api/types.js';
import { ApiError, AuthError, UsageError } from '../../src/errors.js';
import { fixtureBody, loadFixture } from '../helpers/fixtures.js';
import { BASE, MASTER_TOKEN, makeClient, rejectionOf, useMockApi } from './harness.js';

const api = useMockApi();

const BASIC = `Basic ${Buffer.from(`jdoe:${MASTER_TOKEN}`).toString('base64')}`;
const REGULAR = fixtureBody<WireApiKey>('show-regular');

function keyNamed(name: string): WireApiKey {
  return { ...structuredClone(REGULAR), name };
}

function listReply(total: number, names: string[]): Response {
  const page: WireListPage = { total, count: names.length, result: names.map(keyNamed) };
  return HttpResponse.json(page);
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

function page(n: number, perPage: number): Record<string, string> {
  return { page: String(n), per_page: String(perPage) };
}

describe('requests', () => {
  it('authenticates with a Basic header and never puts the token in the URL', async () => {
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    await client.getKey('liked_cities_app');

    const [req] = api.requests;
    expect(req?.headers.get('authorization')).toBe(BASIC);
    expect(req?.headers.get('accept')).toBe('application/json');
    expect(req?.url.searchParams.has('api_key')).toBe(false);
    expect(req?.url.href).not.toContain(MASTER_TOKEN);
  });

  it.each([
    ['Default public', '/Default%20public'],
    ['a#b?c', '/a%23b%3Fc'],
    ['c+d&e', '/c%2Bd%26e'],
    ['clé ✓', '/cl%C3%A9%20%E2%9C%93'],
  ])('percent-encodes the name %j in the path', async (name, path) => {
    api.stub('GET', path, () => HttpResponse.json(keyNamed(name)));
    const { client } = makeClient();
    expect((await client.getKey(name)).name).toBe(name);
  });

  it('posts a create as JSON with only name and grants', async () => {
    api.stub('POST', '', 'create-201');
    const { client } = makeClient();
    const grants = REGULAR.grants;
    await client.createKey({ name: 'liked_cities_app', grants });

    const [req] = api.requests;
    expect(req?.headers.get('content-type')).toBe('application/json');
    expect(req?.headers.get('authorization')).toBe(BASIC);
    expect(JSON.parse(req?.body ?? '')).toEqual({ name: 'liked_cities_app', grants });
  });

  it('refuses the Basic user being another user than the base URL', () => {
    expect(() => makeClient({ username: 'someone-else' })).toThrow(UsageError);
  });
});

describe('list', () => {
  it('fetches every page and assembles them in order', async () => {
    api.stub('GET', '', 'list-page1-of-2', page(1, 2));
    api.stub('GET', '', 'list-page2-of-2', page(2, 2));
    const { client } = makeClient({ perPage: 2 });
    const keys = await client.listKeys();
    expect(keys.map((k) => k.name)).toEqual(['Master', 'Default public', 'liked_cities_app', 'etl_writer']);
  });

  it('passes order and type through', async () => {
    api.stub('GET', '', () => listReply(1, ['a']), { ...page(1, 100), order: 'name', type: 'regular,default' });
    const { client } = makeClient();
    await client.listKeys({ order: 'name', type: ['regular', 'default'] });
  });

  it('returns one page as listPage', async () => {
    api.stub('GET', '', 'list-page2-of-2', page(2, 2));
    const { client } = makeClient();
    const result = await client.listPage({ page: 2, perPage: 2 });
    expect(result.total).toBe(4);
    expect(result.result.map((k) => k.name)).toEqual(['liked_cities_app', 'etl_writer']);
  });

  it('fetches the pages after the first concurrently, in a bounded pool, and keeps page order', async () => {
    const events: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let release: () => void = () => {};
    // Every page waits until all four are in flight: a sequential client never gets there (the test times out).
    const allStarted = new Promise<void>((resolve) => (release = resolve));
    // Later pages answer first (5, then 4, 3, 2), so order must come from assembly, not arrival.
    const answered = new Map<number, () => void>();
    const answeredBefore = new Map<number, Promise<void>>();
    for (let n = 2; n <= 5; n++) answeredBefore.set(n, new Promise<void>((resolve) => answered.set(n, resolve)));
    api.stub('GET', '', () => {
      events.push('page 1 answered');
      return listReply(10, ['k1', 'k2']);
    }, page(1, 2));
    for (let n = 2; n <= 5; n++) {
      api.stub('GET', '', async () => {
        events.push(`page ${n} started`);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (inFlight === 4) release();
        await allStarted;
        if (n < 5) await answeredBefore.get(n + 1);
        inFlight--;
        answered.get(n)!();
        return listReply(10, [`k${2 * n - 1}`, `k${2 * n}`]);
      }, page(n, 2));
    }
    const { client } = makeClient({ perPage: 2, concurrency: 6 });
    const keys = await client.listKeys();

    expect(events[0]).toBe('page 1 answered');
    expect(maxInFlight).toBe(4);
    expect(keys.map((k) => k.name)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i + 1}`));
  });

  it('never has more pages in flight than the concurrency', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    api.stub('GET', '', () => listReply(8, ['k1', 'k2']), page(1, 2));
    for (let n = 2; n <= 4; n++) {
      api.stub('GET', '', async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Lets every request already sent reach its handler (msw's interception is promises only).
        for (let turn = 0; turn < 20; turn++) await new Promise((r) => setImmediate(r));
        inFlight--;
        return listReply(8, [`k${2 * n - 1}`, `k${2 * n}`]);
      }, page(n, 2));
    }
    const { client } = makeClient({ perPage: 2, concurrency: 2 });
    expect(await client.listKeys()).toHaveLength(8);
    expect(maxInFlight).toBe(2);
  });

  it('with a limit, fetches only the pages it needs', async () => {
    api.stub('GET', '', 'list-page1-of-2', page(1, 2));
    api.stub('GET', '', 'list-page2-of-2', page(2, 2));
    const { client } = makeClient({ perPage: 2 });
    const keys = await client.listKeys({ limit: 3 });
    expect(keys.map((k) => k.name)).toEqual(['Master', 'Default public', 'liked_cities_app']);
  });

  it('with a limit below the page size, asks for that many in one page', async () => {
    api.stub('GET', '', 'list-as-public-key', page(1, 1));
    const { client } = makeClient();
    expect(await client.listKeys({ limit: 1 })).toHaveLength(1);
  });

  it('sends nothing for a limit of 0', async () => {
    const { client } = makeClient();
    expect(await client.listKeys({ limit: 0 })).toEqual([]);
  });

  it('stops at an empty page when the server overstates total', async () => {
    api.stub('GET', '', () => listReply(1000, ['a', 'b']), page(1, 2));
    api.stub('GET', '', () => listReply(1000, []), page(2, 2));
    // Concurrency 1 makes "no page after the empty one is started" observable: a stray request fails.
    const { client } = makeClient({ perPage: 2, concurrency: 1 });
    expect((await client.listKeys()).map((k) => k.name)).toEqual(['a', 'b']);
  });

  it('keeps the first copy of a key that shifted onto two pages', async () => {
    api.stub('GET', '', () => listReply(4, ['a', 'b']), page(1, 2));
    api.stub('GET', '', () => listReply(4, ['b', 'c']), page(2, 2));
    const { client } = makeClient({ perPage: 2 });
    expect((await client.listKeys()).map((k) => k.name)).toEqual(['a', 'b', 'c']);
  });

  it('fails the whole listing when a page fails', async () => {
    api.stub('GET', '', 'list-page1-of-2', page(1, 2));
    api.stub('GET', '', 'list-bad-page-400', page(2, 2));
    const { client } = makeClient({ perPage: 2 });
    expect((await apiError(client.listKeys())).kind).toBe('bad_request');
  });

  it('reports a bad page parameter (400) with CARTO\'s text', async () => {
    api.stub('GET', '', 'list-bad-page-400', page(0, 2));
    const { client } = makeClient();
    const err = await apiError(client.listPage({ page: 0, perPage: 2 }));
    expect(err.kind).toBe('bad_request');
    expect(err.status).toBe(400);
    expect(err.serverMessage).toBe("Wrong 'page' parameter value.");
    expect(err.message).toContain(`"Wrong 'page' parameter value."`);
  });
});

describe('whoami', () => {
  it('is the one key a public token lists', async () => {
    api.stub('GET', '', 'list-as-public-key', page(1, 1));
    const { client } = makeClient({ token: 'default_public' });
    const key = await client.whoami();
    expect(key.name).toBe('Default public');
    expect(key.type).toBe('default');
  });

  it('is the Master key for a master token (listed first)', async () => {
    api.stub('GET', '', 'list-page1-of-2', page(1, 1));
    const { client } = makeClient();
    expect((await client.whoami()).type).toBe('master');
  });

  it('is a bad response when the list is empty', async () => {
    api.stub('GET', '', () => listReply(0, []), page(1, 1));
    const { client } = makeClient();
    expect((await apiError(client.whoami())).kind).toBe('bad_response');
  });
});

describe('show', () => {
  it('returns the key', async () => {
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    expect(await client.getKey('liked_cities_app')).toEqual(loadFixture('show-regular').body);
  });

  it('returns a key with owned tables and every grant section', async () => {
    api.stub('GET', '/etl_writer', 'show-creator-with-owned-table');
    const { client } = makeClient();
    const key = await client.getKey('etl_writer');
    expect(key.grants.map((g) => g.type)).toEqual(['apis', 'database', 'dataservices']);
  });

  it('tells an unknown key (404 with errors) ...', async () => {
    api.stub('GET', '/nosuch', 'not-found-404');
    const { client } = makeClient();
    const err = await apiError(client.getKey('nosuch'));
    expect(err.kind).toBe('not_found');
    expect(err.status).toBe(404);
    expect(err.serverMessage).toBe('API key not found: nosuch');
    expect(err.message).toBe('Could not show API key "nosuch": CARTO says "API key not found: nosuch" (404)');
  });

  it('findKey: the key, or undefined for an unknown one; a 404 without an Auth API error is still thrown', async () => {
    api.stub('GET', '/liked_cities_app', 'show-regular');
    api.stub('GET', '/nosuch', 'not-found-404');
    api.stub('GET', '/other', 'no-engine-404');
    const { client } = makeClient();
    expect((await client.findKey('liked_cities_app'))?.name).toBe('liked_cities_app');
    expect(await client.findKey('nosuch')).toBeUndefined();
    expect((await apiError(client.findKey('other'))).kind).toBe('no_engine');
  });

  it('... from an account without engine (404, empty body), naming both causes', async () => {
    api.stub('GET', '/nosuch', 'no-engine-404');
    const { client } = makeClient();
    const err = await apiError(client.getKey('nosuch'));
    expect(err.kind).toBe('no_engine');
    expect(err.serverMessage).toBeUndefined();
    expect(err.message).toMatch(/no engine access/);
    expect(err.message).toMatch(/base URL is wrong/);
    expect(err.hint).toContain(BASE);
  });

  it('is an AuthError for a rejected key (401, empty body)', async () => {
    api.stub('GET', '/x', 'unauthorized-401');
    const { client } = makeClient();
    const err = await rejectionOf(client.getKey('x'));
    expect(err).toBeInstanceOf(AuthError);
    const auth = err as AuthError;
    expect(auth.code).toBe('unauthorized');
    expect(auth.status).toBe(401);
    expect(auth.exitCode).toBe(4);
    expect(auth.message).toBe('The API key was rejected (401) by jdoe.carto.com');
    expect(auth.hint).toMatch(/carto-keys login/);
    expect(auth.hint).toMatch(/CARTO_KEYS_MASTER_KEY/);
  });
});

describe('create', () => {
  const request = { name: 'liked_cities_app', grants: REGULAR.grants };

  it('returns the created key (201)', async () => {
    api.stub('POST', '', 'create-201');
    const { client } = makeClient();
    const { key, recovered } = await client.createKey(request);
    expect(recovered).toBe(false);
    expect(key.token).toBe('Xl2Wq3r7tF0oZ0bJp8aS9Q');
  });

  it.each(['create-bad-permission-422', 'create-unknown-table-422', 'create-duplicate-422'] as const)(
    'quotes CARTO in a validation error (%s)',
    async (fixture) => {
      api.stub('POST', '', fixture);
      const { client } = makeClient();
      const err = await apiError(client.createKey(request));
      const errors = (loadFixture(fixture).body as { errors: string }).errors;
      expect(err.kind).toBe('validation');
      expect(err.status).toBe(422);
      expect(err.serverMessage).toBe(errors);
      expect(err.message).toBe(`Could not create API key "liked_cities_app": CARTO says "${errors}" (422)`);
      expect(api.requests).toHaveLength(1); // a 422 is never retried
    },
  );

  it('recovers a key that a lost reply did create: retry answers "already taken"', async () => {
    api.stub('POST', '', () => HttpResponse.error());
    api.stub('POST', '', 'create-duplicate-422');
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    const { key, recovered } = await client.createKey(request);
    expect(recovered).toBe(true);
    expect(key.name).toBe('liked_cities_app');
  });

  it('recovers after a 502 gateway page too (the server may have created it)', async () => {
    api.stub('POST', '', 'proxy-502-html');
    api.stub('POST', '', 'create-duplicate-422');
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    expect((await client.createKey(request)).recovered).toBe(true);
  });

  it('recovers a key whose lost reply used up the quota', async () => {
    api.stub('POST', '', () => new HttpResponse(null, { status: 504 }));
    api.stub('POST', '', 'quota-403');
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    expect((await client.createKey(request)).recovered).toBe(true);
  });

  it('keeps the quota error when no such key exists', async () => {
    api.stub('POST', '', () => new HttpResponse(null, { status: 504 }));
    api.stub('POST', '', 'quota-403');
    api.stub('GET', '/liked_cities_app', () => HttpResponse.json({ errors: 'API key not found: liked_cities_app' }, { status: 404 }));
    const { client } = makeClient();
    expect((await apiError(client.createKey(request))).kind).toBe('quota');
  });

  it('does not claim an existing key that isOurs rejects', async () => {
    api.stub('POST', '', () => HttpResponse.error());
    api.stub('POST', '', 'create-duplicate-422');
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    const err = await apiError(client.createKey(request, { isOurs: () => false }));
    expect(err.kind).toBe('validation');
    expect(err.serverMessage).toBe('Validation failed: Name has already been taken');
    expect(err.hint).toMatch(/already exists/);
  });

  it('treats "already taken" on the first attempt as an error', async () => {
    api.stub('POST', '', 'create-duplicate-422');
    const { client } = makeClient();
    const err = await apiError(client.createKey(request));
    expect(err.kind).toBe('validation');
    expect(err.hint).toMatch(/another name/);
  });

  it('treats "already taken" after a surely-unsent failure (429) as an error', async () => {
    api.stub('POST', '', () => new HttpResponse(null, { status: 429 }));
    api.stub('POST', '', 'create-duplicate-422');
    const { client } = makeClient();
    expect((await apiError(client.createKey(request))).kind).toBe('validation');
  });

  it('retries after a 429 and creates', async () => {
    api.stub('POST', '', () => new HttpResponse(null, { status: 429, headers: { 'retry-after': '1' } }));
    api.stub('POST', '', 'create-201');
    const { client, sleeps } = makeClient();
    expect((await client.createKey(request)).recovered).toBe(false);
    expect(sleeps).toEqual([1000]);
  });

  it('reports the key quota (403)', async () => {
    api.stub('POST', '', 'quota-403');
    const { client } = makeClient();
    const err = await apiError(client.createKey(request));
    expect(err.kind).toBe('quota');
    expect(err.serverMessage).toBe('You have reached the limit of API keys for your plan');
    expect(err.hint).toMatch(/revoke/);
  });

  it.each([
    ['an empty body', () => new HttpResponse('', { status: 201, headers: { 'content-type': 'application/json' } })],
    ['truncated JSON', () => new HttpResponse('{"name": "liked_cities_app", "tok', { status: 201, headers: { 'content-type': 'application/json' } })],
    ['the wrong shape', () => HttpResponse.json({ data: [] }, { status: 201 })],
  ])('recovers the key a 201 with %s did create, by name', async (_what, reply) => {
    api.stub('POST', '', reply);
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    const { key, recovered } = await client.createKey(request);
    expect(recovered).toBe(true);
    expect(key.token).toBe(REGULAR.token);
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1); // never created twice
  });

  it('says nothing was created when an unreadable 2xx left no key behind', async () => {
    api.stub('POST', '', () => new HttpResponse('', { status: 200 }));
    api.stub('GET', '/liked_cities_app', 'not-found-404');
    const { client } = makeClient();
    const err = await apiError(client.createKey(request));
    expect(err.kind).toBe('bad_response');
    expect(err.hint).toMatch(/nothing was created; try again/);
  });

  it('does not claim a key an unreadable 2xx names when isOurs rejects it', async () => {
    api.stub('POST', '', () => new HttpResponse('', { status: 201 }));
    api.stub('GET', '/liked_cities_app', 'show-regular');
    const { client } = makeClient();
    const err = await apiError(client.createKey(request, { isOurs: () => false }));
    expect(err.kind).toBe('bad_response');
    expect(err.hint).toMatch(/does not grant what was requested/);
  });

  it('says the key may exist when retries run out after an ambiguous failure', async () => {
    for (let i = 0; i < 4; i++) api.stub('POST', '', () => new HttpResponse(null, { status: 502 }));
    const { client } = makeClient();
    const err = await apiError(client.createKey(request));
    expect(err.kind).toBe('server');
    expect(err.hint).toMatch(/may have been created anyway: check with `carto-keys show liked_cities_app`/);
  });

  it('quotes the name in that check for a shell: a name with $ or a leading dash is not expanded or read as an option', async () => {
    for (let i = 0; i < 4; i++) api.stub('POST', '', () => new HttpResponse(null, { status: 502 }));
    const { client } = makeClient();
    const err = await apiError(client.createKey({ ...request, name: '-app $HOME' }));
    expect(err.hint).toContain("check with `carto-keys show -- '-app $HOME'` before trying again");
  });

  it('says nothing about a maybe-created key after only surely-unsent failures', async () => {
    for (let i = 0; i < 4; i++) api.stub('POST', '', () => new HttpResponse(null, { status: 429 }));
    const { client } = makeClient();
    const err = await apiError(client.createKey(request));
    expect(err.kind).toBe('rate_limited');
    expect(err.hint).not.toMatch(/may have been created/);
  });

  it('says on the error whether the create may have happened: unsent, ambiguous after a 502 among the attempts, final for a refusal, ambiguous for an unreadable 2xx', async () => {
    const { client } = makeClient();
    for (let i = 0; i < 4; i++) api.stub('POST', '', () => new HttpResponse(null, { status: 503 }));
    expect((await apiError(client.createKey(request))).delivery).toBe('unsent');
    api.stub('POST', '', () => new HttpResponse(null, { status: 502 }));
    for (let i = 0; i < 3; i++) api.stub('POST', '', () => new HttpResponse(null, { status: 503 }));
    expect((await apiError(client.createKey(request))).delivery).toBe('ambiguous');
    api.stub('POST', '', () => HttpResponse.json({ errors: 'Grants are invalid' }, { status: 422 }));
    expect((await apiError(client.createKey(request))).delivery).toBe('final');
    api.stub('POST', '', () => new HttpResponse('', { status: 201 }));
    api.stub('GET', '/liked_cities_app', () => HttpResponse.json({ errors: 'API key not found: liked_cities_app' }, { status: 404 }));
    expect((await apiError(client.createKey(request))).delivery).toBe('ambiguous');
  });

  it('refuses a name with "/" before sending anything', async () => {
    const { client } = makeClient();
    await expect(client.createKey({ name: 'a/b', grants: [] })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('delete', () => {
  it('deletes (204, empty body)', async () => {
    api.stub('DELETE', '/liked_cities_app', 'delete-204');
    const { client } = makeClient();
    await expect(client.deleteKey('liked_cities_app')).resolves.toBeUndefined();
  });

  it('deleteIfExists: true when it deleted the key, false when CARTO says there is none, other refusals thrown', async () => {
    api.stub('DELETE', '/liked_cities_app', 'delete-204');
    api.stub('DELETE', '/liked_cities_app', () => HttpResponse.json({ errors: 'API key not found: liked_cities_app' }, { status: 404 }));
    api.stub('DELETE', '/Master', 'delete-master-403');
    const { client } = makeClient();
    expect(await client.deleteIfExists('liked_cities_app')).toBe(true);
    expect(await client.deleteIfExists('liked_cities_app')).toBe(false);
    expect((await apiError(client.deleteIfExists('Master'))).kind).toBe('forbidden');
  });

  it('reports the Master key as forbidden (403)', async () => {
    api.stub('DELETE', '/Master', 'delete-master-403');
    const { client } = makeClient();
    const err = await apiError(client.deleteKey('Master'));
    expect(err.kind).toBe('forbidden');
    expect(err.serverMessage).toBe("You don't have permission to access that resource");
  });

  it('counts a 404 after an ambiguous attempt as deleted by us', async () => {
    api.stub('DELETE', '/liked_cities_app', () => HttpResponse.error());
    api.stub('DELETE', '/liked_cities_app', () => HttpResponse.json({ errors: 'API key not found: liked_cities_app' }, { status: 404 }));
    const { client } = makeClient();
    await expect(client.deleteKey('liked_cities_app')).resolves.toBeUndefined();
  });

  it('reports a 404 on the first attempt', async () => {
    api.stub('DELETE', '/nosuch', 'not-found-404');
    const { client } = makeClient();
    expect((await apiError(client.deleteKey('nosuch'))).kind).toBe('not_found');
  });

  // CARTO answers 204; anything else is confirmed by looking the key up (issue 12, point 2).
  for (const [label, reply] of [
    ['an empty 200', () => new HttpResponse(null, { status: 200 })],
    ['a gateway page', () => new HttpResponse('<html><body>OK</body></html>', { status: 200, headers: { 'content-type': 'text/html' } })],
    ['a JSON 200 of the wrong shape', () => HttpResponse.json({ ok: true })],
  ] as const) {
    it(`does not count ${label} as deleted while the key still exists`, async () => {
      api.stub('DELETE', '/liked_cities_app', reply);
      api.stub('GET', '/liked_cities_app', 'show-regular');
      const { client } = makeClient();
      const err = await apiError(client.deleteKey('liked_cities_app'));
      expect(err.kind).toBe('bad_response');
      expect(err.message).toMatch(/answered 200 instead of 204, and the key still exists/);
    });
  }

  it('counts a 200 as deleted when the key is gone afterwards', async () => {
    api.stub('DELETE', '/liked_cities_app', () => new HttpResponse(null, { status: 200 }));
    api.stub('GET', '/liked_cities_app', 'not-found-404');
    const { client } = makeClient();
    await expect(client.deleteKey('liked_cities_app')).resolves.toBeUndefined();
  });

  it('does not count a 200 as deleted when the look-up answers the same gateway page', async () => {
    const page = () => new HttpResponse('<html>OK</html>', { status: 200, headers: { 'content-type': 'text/html' } });
    api.stub('DELETE', '/liked_cities_app', page);
    api.stub('GET', '/liked_cities_app', page);
    const { client } = makeClient();
    const err = await apiError(client.deleteKey('liked_cities_app'));
    expect(err.message).toMatch(/it may still exist/);
  });

  it('does not count a no-engine 404 after an ambiguous attempt as deleted', async () => {
    api.stub('DELETE', '/x', () => HttpResponse.error());
    api.stub('DELETE', '/x', 'no-engine-404');
    const { client } = makeClient();
    expect((await apiError(client.deleteKey('x'))).kind).toBe('no_engine');
  });
});

describe('regenerate', () => {
  it('returns the key with its new token', async () => {
    api.stub('POST', '/liked_cities_app/token/regenerate', 'regenerate-200');
    const { client } = makeClient();
    expect((await client.regenerateKey('liked_cities_app')).token).toBe('b8Jk2LmN4pQ6rS8tU0vW2x');
    expect(api.requests[0]?.body).toBe('');
  });

  it('is not retried after an ambiguous failure, and says the token may have changed', async () => {
    api.stub('POST', '/liked_cities_app/token/regenerate', () => HttpResponse.error());
    const { client } = makeClient();
    const err = await apiError(client.regenerateKey('liked_cities_app'));
    expect(err.kind).toBe('network');
    expect(err.hint).toMatch(/may have been regenerated/);
    expect(api.requests).toHaveLength(1);
  });

  it('is not retried after a 500', async () => {
    api.stub('POST', '/x/token/regenerate', () => new HttpResponse(null, { status: 500 }));
    const { client } = makeClient();
    expect((await apiError(client.regenerateKey('x'))).kind).toBe('server');
  });

  it.each([429, 503])('is retried after a %i (surely not processed)', async (status) => {
    api.stub('POST', '/x/token/regenerate', () => new HttpResponse(null, { status }));
    api.stub('POST', '/x/token/regenerate', 'regenerate-200');
    const { client } = makeClient();
    expect((await client.regenerateKey('x')).token).toBe('b8Jk2LmN4pQ6rS8tU0vW2x');
  });

  it('a 503 until retries run out leaves the token surely unchanged (unsent); a lost reply leaves it unknown (ambiguous)', async () => {
    const { client } = makeClient();
    for (let i = 0; i < 4; i++) api.stub('POST', '/x/token/regenerate', () => new HttpResponse(null, { status: 503 }));
    expect((await apiError(client.regenerateKey('x'))).delivery).toBe('unsent');
    api.stub('POST', '/x/token/regenerate', () => HttpResponse.error());
    expect((await apiError(client.regenerateKey('x'))).delivery).toBe('ambiguous');
  });

  it('explains the server crash on Default public', async () => {
    api.stub('POST', '/Default%20public/token/regenerate', () => new HttpResponse(null, { status: 500 }));
    const { client } = makeClient();
    const err = await apiError(client.regenerateKey('Default public'));
    expect(err.kind).toBe('server');
    expect(err.hint).toMatch(/cannot be regenerated/);
  });
});

describe('reply shapes', () => {
  it('names an HTML page from a proxy without quoting it, after retrying (502)', async () => {
    for (let i = 0; i < 4; i++) api.stub('GET', '/x', 'proxy-502-html');
    const { client } = makeClient();
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('server');
    expect(err.status).toBe(502);
    expect(err.message).toBe('Could not show API key "x": jdoe.carto.com answered 502 with an HTML page instead of the Auth API');
    expect(`${err.message} ${err.hint}`).not.toContain('<');
  });

  it('is a bad response for an HTML page with 200 (a captive portal)', async () => {
    const html = loadFixture('proxy-502-html').raw ?? '';
    api.stub('GET', '/x', () => new HttpResponse(html, { status: 200, headers: { 'content-type': 'text/html' } }));
    const { client } = makeClient();
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toMatch(/HTML page instead of the Auth API/);
  });

  it('is a bad response for truncated JSON', async () => {
    const text = JSON.stringify(REGULAR).slice(0, 80);
    api.stub('GET', '/x', () => new HttpResponse(text, { headers: { 'content-type': 'application/json' } }));
    const { client } = makeClient();
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toMatch(/truncated or invalid JSON/);
    expect(err.message).not.toContain(REGULAR.token);
  });

  it('is a bad response for an empty 200', async () => {
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 200 }));
    const { client } = makeClient();
    expect((await apiError(client.getKey('x'))).message).toMatch(/empty body/);
  });

  it.each([
    ['a key without a token', { ...REGULAR, token: undefined }, /has no token/],
    ['a key of an unknown type', { ...REGULAR, type: 'admin' }, /type "admin"/],
    ['a key without grants', { ...REGULAR, grants: 'all' }, /no grants array/],
    ['a list instead of a key', fixtureBody('list-page1-of-2'), /has no name/],
  ])('is a bad response for %s', async (_, body, problem) => {
    api.stub('GET', '/x', () => HttpResponse.json(body));
    const { client } = makeClient();
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toMatch(problem);
  });

  it.each([
    ['no total', { result: [] }, /total/],
    ['a bad item', { total: 1, count: 1, result: [{ name: 'x' }] }, /result\[0\]/],
    ['a key instead of a list', REGULAR, /total/],
  ])('is a bad response for a list page with %s', async (_, body, problem) => {
    api.stub('GET', '', () => HttpResponse.json(body), page(1, 100));
    const { client } = makeClient();
    const err = await apiError(client.listKeys());
    expect(err.kind).toBe('bad_response');
    expect(err.message).toMatch(problem);
  });

  it.each([
    [['Name can\'t be blank', 'Grants only one apis section is allowed'], "Name can't be blank, Grants only one apis section is allowed"],
    [{ name: ['has already been taken'] }, 'name has already been taken'],
  ])('reads `errors` leniently: %j', async (errors, text) => {
    api.stub('POST', '', () => HttpResponse.json({ errors }, { status: 422 }));
    const { client } = makeClient();
    expect((await apiError(client.createKey({ name: 'n', grants: [] }))).serverMessage).toBe(text);
  });

  it('reports a redirect instead of following it with the credential', async () => {
    api.stub('GET', '/x', () => new HttpResponse('<html>Moved</html>', {
      status: 301,
      headers: { location: 'https://elsewhere.example/?api_key=leak', 'content-type': 'text/html' },
    }));
    const { client } = makeClient();
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('http');
    expect(err.message).toMatch(/redirected \(301\) to https:\/\/elsewhere\.example\/\?api_key=\*\*\*/);
  });
});

describe('retries', () => {
  it('honours Retry-After seconds on 429', async () => {
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 429, headers: { 'retry-after': '2' } }));
    api.stub('GET', '/x', 'show-regular');
    const { client, sleeps } = makeClient();
    await client.getKey('x');
    expect(sleeps).toEqual([2000]);
  });

  it('honours a Retry-After HTTP-date, capped at 30 s', async () => {
    const inFive = new Date(Date.now() + 5_000).toUTCString();
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 429, headers: { 'retry-after': inFive } }));
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 429, headers: { 'retry-after': inAnHour } }));
    api.stub('GET', '/x', 'show-regular');
    const { client, sleeps } = makeClient();
    await client.getKey('x');
    expect(sleeps[0]).toBeGreaterThan(3_000);
    expect(sleeps[0]).toBeLessThanOrEqual(5_000);
    expect(sleeps[1]).toBe(30_000);
  });

  it('retries 5xx with exponential backoff and jitter, then succeeds', async () => {
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 500 }));
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 503 }));
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 504 }));
    api.stub('GET', '/x', 'show-regular');
    const { client, sleeps } = makeClient({ random: () => 0.5 });
    expect((await client.getKey('x')).name).toBe('liked_cities_app');
    // Steps 500, 1000, 2000 ms: half fixed plus half times random().
    expect(sleeps).toEqual([375, 750, 1500]);
  });

  it('ends exhausted retries in one error', async () => {
    for (let i = 0; i < 4; i++) api.stub('GET', '/x', () => HttpResponse.json({ errors: 'boom' }, { status: 500 }));
    const { client, sleeps } = makeClient();
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('server');
    expect(err.message).toBe('Could not show API key "x": CARTO says "boom" (500)');
    expect(sleeps).toHaveLength(3);
  });

  it('makes as many extra attempts as `retries`', async () => {
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 502 }));
    const { client } = makeClient({ retries: 0 });
    expect((await apiError(client.getKey('x'))).kind).toBe('server');
  });

  it('retries a connection reset', async () => {
    api.stub('GET', '/x', () => HttpResponse.error());
    api.stub('GET', '/x', 'show-regular');
    const { client } = makeClient();
    expect((await client.getKey('x')).name).toBe('liked_cities_app');
  });

  it('reports a network error once retries are exhausted', async () => {
    for (let i = 0; i < 2; i++) api.stub('GET', '/x', () => HttpResponse.error());
    const { client } = makeClient({ retries: 1 });
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/^Could not show API key "x": cannot reach jdoe\.carto\.com \(/);
  });

  it('times out an attempt that never answers', async () => {
    api.stub('GET', '/x', () => new Promise<Response>(() => {}));
    const { client } = makeClient({ timeoutMs: 20, retries: 0 });
    const err = await apiError(client.getKey('x'));
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('Could not show API key "x": jdoe.carto.com did not answer within 20 ms');
  });

  it('retries after a timeout', async () => {
    api.stub('GET', '/x', () => new Promise<Response>(() => {}));
    api.stub('GET', '/x', 'show-regular');
    const { client } = makeClient({ timeoutMs: 50 });
    expect((await client.getKey('x')).name).toBe('liked_cities_app');
  });

  it('does not retry a 4xx', async () => {
    api.stub('GET', '/x', 'not-found-404');
    const { client, sleeps } = makeClient();
    await rejectionOf(client.getKey('x'));
    expect(sleeps).toEqual([]);
  });
});

describe('--debug trace', () => {
  it('logs each attempt, its outcome, timing and the retry', async () => {
    api.stub('GET', '/Default%20public', () => HttpResponse.json({ errors: 'down' }, { status: 503 }));
    api.stub('GET', '/Default%20public', () => HttpResponse.json(keyNamed('Default public')));
    const { client, trace } = makeClient();
    await client.getKey('Default public');
    const url = `${BASE}/api/v3/api_keys/Default%20public`;
    expect(trace[0]).toBe(`→ GET ${url}`);
    expect(trace[1]).toMatch(new RegExp(`^← 503 GET ${url} \\(\\d+ ms\\)$`));
    expect(trace[2]).toBe('  body: {"errors":"down"}');
    expect(trace[3]).toBe('  503: retrying in 375 ms (attempt 2/4)');
    expect(trace[4]).toBe(`→ GET ${url} (attempt 2/4)`);
    expect(trace[5]).toMatch(/^← 200 GET .* \(\d+ ms\)$/);
  });

  it('shows page numbers of a listing', async () => {
    api.stub('GET', '', 'list-page1-of-2', page(1, 2));
    api.stub('GET', '', 'list-page2-of-2', page(2, 2));
    const { client, trace } = makeClient({ perPage: 2 });
    await client.listKeys();
    expect(trace).toContain(`→ GET ${BASE}/api/v3/api_keys?page=2&per_page=2`);
  });

  it('never contains a token, the Authorization value or a token from an error body', async () => {
    const echoed = { errors: 'oops', token: 'Xl2Wq3r7tF0oZ0bJp8aS9Q', echo: `key ${MASTER_TOKEN}`, auth: BASIC };
    api.stub('GET', '', 'list-page1-of-2', page(1, 2));
    api.stub('GET', '', () => HttpResponse.json(echoed, { status: 500 }), page(2, 2));
    api.stub('GET', '', 'list-page2-of-2', page(2, 2));
    api.stub('POST', '/Master/token/regenerate', () => HttpResponse.error());
    const { client, trace } = makeClient({ perPage: 2 });
    await client.listKeys();
    await rejectionOf(client.regenerateKey('Master'));

    const all = trace.join('\n');
    expect(all).toContain('oops');
    for (const secret of [MASTER_TOKEN, BASIC.slice('Basic '.length), 'Xl2Wq3r7tF0oZ0bJp8aS9Q', 'default_public']) {
      expect(all).not.toContain(secret);
    }
  });

  it('is quiet without a debug sink', async () => {
    api.stub('GET', '/x', () => new HttpResponse(null, { status: 503 }));
    api.stub('GET', '/x', 'show-regular');
    const { client } = makeClient({ debug: undefined });
    await expect(client.getKey('x')).resolves.toBeDefined();
  });
});
