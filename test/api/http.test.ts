// The transports (undici over real sockets, the in-process embedded handler) and the network error
// codes that msw cannot produce. No msw here: undici bypasses it by design.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createApiClient, type ApiClientOptions, type FetchLike } from '../../src/api/client.js';
import { createUndiciFetch, embeddedFetch } from '../../src/api/http.js';
import { loadFixture } from '../helpers/fixtures.js';
import { apiError, MASTER_TOKEN } from './harness.js';
import { closedPort, proxyTo, useLocalServers } from '../helpers/local-server.js';


const { listen } = useLocalServers();

/** A server answering every request with the list fixture, recording what it got. */
async function listServer(seen: IncomingMessage[]): Promise<number> {
  const { status, headers, body } = loadFixture('list-as-public-key');
  return listen(
    createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push(req);
      res.writeHead(status, headers).end(JSON.stringify(body));
    }),
  );
}

function client(fetch: FetchLike, over: Partial<ApiClientOptions> = {}) {
  return createApiClient({
    baseUrl: 'https://jdoe.carto.com',
    username: 'jdoe',
    token: MASTER_TOKEN,
    fetch,
    sleep: async () => {},
    ...over,
  });
}

/** A fetch that fails like undici does: TypeError('fetch failed') caused by a system error. */
function failingFetch(cause: Error): { fetch: FetchLike; calls: () => number } {
  let calls = 0;
  return {
    fetch: async () => {
      calls++;
      throw new TypeError('fetch failed', { cause });
    },
    calls: () => calls,
  };
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('network error codes', () => {
  it('retries a refused connection, then names the code', async () => {
    const { fetch, calls } = failingFetch(systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'));
    const err = await apiError(client(fetch).getKey('x'));
    expect(calls()).toBe(4);
    expect(err.kind).toBe('network');
    expect(err.message).toBe('Could not show API key "x": cannot reach jdoe.carto.com (connect ECONNREFUSED 10.0.0.1:443)');
    expect(err.hint).toMatch(/Nothing is listening/);
  });

  it('retries a refused connection even for regenerate (it surely did not arrive)', async () => {
    const { fetch, calls } = failingFetch(systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'));
    await apiError(client(fetch).regenerateKey('x'));
    expect(calls()).toBe(4);
  });

  it('does not retry an unknown host', async () => {
    const { fetch, calls } = failingFetch(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND jdoe.carto.com'));
    const err = await apiError(client(fetch).getKey('x'));
    expect(calls()).toBe(1);
    expect(err.message).toMatch(/ENOTFOUND/);
    expect(err.hint).toMatch(/host name/);
  });

  it('does not retry a certificate error, and says how to trust a proxy CA', async () => {
    const { fetch, calls } = failingFetch(systemError('CERT_HAS_EXPIRED', 'certificate has expired'));
    const err = await apiError(client(fetch).getKey('x'));
    expect(calls()).toBe(1);
    expect(err.message).toMatch(/CERT_HAS_EXPIRED: certificate has expired/);
    expect(err.hint).toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it('finds the code inside a happy-eyeballs AggregateError', async () => {
    const aggregate = Object.assign(
      new AggregateError([systemError('ECONNREFUSED', 'connect ECONNREFUSED ::1:443')], ''),
      { code: 'ECONNREFUSED' },
    );
    const err = await apiError(client(failingFetch(aggregate).fetch, { retries: 0 }).getKey('x'));
    expect(err.message).toMatch(/\(connect ECONNREFUSED ::1:443\)$/);
  });

  it('retries a reset for GET but not for regenerate', async () => {
    const reset = systemError('ECONNRESET', 'socket hang up');
    const get = failingFetch(reset);
    await apiError(client(get.fetch).getKey('x'));
    expect(get.calls()).toBe(4);
    const regenerate = failingFetch(reset);
    await apiError(client(regenerate.fetch).regenerateKey('x'));
    expect(regenerate.calls()).toBe(1);
  });

  it('keeps the token out of a network error message', async () => {
    const { fetch } = failingFetch(new Error(`bad url https://h/?api_key=${MASTER_TOKEN}`));
    const err = await apiError(client(fetch, { retries: 0 }).getKey('x'));
    expect(err.message).not.toContain(MASTER_TOKEN);
  });
});

describe('embeddedFetch', () => {
  it('hands the handler a real Request with method, URL, headers and body', async () => {
    const seen: { method: string; url: string; auth: string | null; type: string | null; body: string }[] = [];
    const fetch = embeddedFetch(async (req) => {
      seen.push({
        method: req.method,
        url: req.url,
        auth: req.headers.get('authorization'),
        type: req.headers.get('content-type'),
        body: await req.text(),
      });
      const { status, headers, body } = loadFixture('create-201');
      return new Response(JSON.stringify(body), { status, headers });
    });
    const api = client(fetch, { baseUrl: 'http://127.0.0.1:1/user/jdoe' });
    const { key } = await api.createKey({ name: 'liked_cities_app', grants: [] });

    expect(key.name).toBe('liked_cities_app');
    expect(seen).toEqual([
      {
        method: 'POST',
        url: 'http://127.0.0.1:1/user/jdoe/api/v3/api_keys',
        auth: `Basic ${Buffer.from(`jdoe:${MASTER_TOKEN}`).toString('base64')}`,
        type: 'application/json',
        body: '{"name":"liked_cities_app","grants":[]}',
      },
    ]);
  });

  it('is bounded by the timeout even when the handler ignores the signal', async () => {
    const fetch = embeddedFetch(() => new Promise<Response>(() => {}));
    const err = await apiError(client(fetch, { timeoutMs: 10, retries: 0 }).getKey('x'));
    expect(err.kind).toBe('timeout');
  });
});

describe('createUndiciFetch', () => {
  it('talks HTTP over a real socket', async () => {
    const seen: IncomingMessage[] = [];
    const port = await listServer(seen);
    const api = client(await createUndiciFetch(), {
      baseUrl: `http://127.0.0.1:${port}/user/jdoe`,
    });
    const key = await api.whoami();

    expect(key.name).toBe('Default public');
    expect(seen[0]?.url).toBe('/user/jdoe/api/v3/api_keys?page=1&per_page=1');
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`jdoe:${MASTER_TOKEN}`).toString('base64')}`);
  });

  it('reports a closed port as ECONNREFUSED', async () => {
    const port = await closedPort();

    const api = client(await createUndiciFetch(), { baseUrl: `http://127.0.0.1:${port}/user/jdoe`, retries: 0 });
    const err = await apiError(api.whoami());
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('goes through the proxy it is given', async () => {
    const seen: IncomingMessage[] = [];
    const target = await listServer(seen);
    const { port: proxyPort, tunnels } = await proxyTo(listen, target);
    const api = client(await createUndiciFetch({ proxy: `http://127.0.0.1:${proxyPort}` }), {
      baseUrl: `http://carto.test:${target}/user/jdoe`,
      retries: 0,
    });
    expect((await api.whoami()).name).toBe('Default public');
    expect(tunnels).toEqual([`carto.test:${target}`]);
  });
});
