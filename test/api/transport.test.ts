// The production transport over real sockets: node:http(s) with keep-alive, directly or through a
// CONNECT tunnel when a proxy variable names one. No msw: the point is the socket code itself.

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiClient, type ApiClientOptions, type FetchLike } from '../../src/api/client.js';
import { createNetworkFetch, createNodeFetch, proxyVariable, type ClosableFetch } from '../../src/api/http.js';
import { loadFixture } from '../helpers/fixtures.js';
import { apiError, MASTER_TOKEN } from './harness.js';
import { closedPort, closingProxy, proxyTo, useLocalServers } from '../helpers/local-server.js';
import { recorder } from '../helpers/recorder.js';

const transports: ClosableFetch[] = [];

const { listen } = useLocalServers();

afterEach(async () => {
  for (const t of transports.splice(0)) await t.close?.();
});

function track<T extends ClosableFetch>(t: T): T {
  transports.push(t);
  return t;
}

const LIST = loadFixture('list-as-public-key');
const LIST_BODY = JSON.stringify(LIST.body);

/** Answers every request with `reply` (the list fixture by default), recording requests and bodies. */
async function server(
  reply: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) =>
    res.writeHead(LIST.status, LIST.headers).end(LIST_BODY),
): Promise<{ port: number; seen: { req: IncomingMessage; body: string }[]; sockets: Set<Socket> }> {
  const seen: { req: IncomingMessage; body: string }[] = [];
  const sockets = new Set<Socket>();
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ req, body });
      reply(req, res, body);
    });
  });
  s.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return { port: await listen(s), seen, sockets };
}

function client(fetch: FetchLike, port: number, over: Partial<ApiClientOptions> = {}) {
  return createApiClient({
    baseUrl: `http://127.0.0.1:${port}/user/jdoe`,
    username: 'jdoe',
    token: MASTER_TOKEN,
    fetch,
    sleep: async () => {},
    ...over,
  });
}

describe('createNodeFetch', () => {
  it('sends the request and reads the reply: method, path, auth, accept-encoding', async () => {
    const { port, seen } = await server();
    const key = await client(track(createNodeFetch()), port).whoami();

    expect(key.name).toBe('Default public');
    expect(seen).toHaveLength(1);
    const { req } = seen[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/user/jdoe/api/v3/api_keys?page=1&per_page=1');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`jdoe:${MASTER_TOKEN}`).toString('base64')}`);
    expect(req.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  it('keeps one connection alive across requests, and close() drops it', async () => {
    const { port, seen, sockets } = await server();
    const fetch = track(createNodeFetch());
    const api = client(fetch, port);
    for (let i = 0; i < 5; i++) await api.whoami();
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((s) => s.req.socket))).toHaveProperty('size', 1);
    expect(sockets.size).toBe(1);

    const [socket] = sockets;
    await fetch.close?.();
    // The server sees the connection closed by the client.
    await once(socket!, 'close');
    expect(sockets.size).toBe(0);
  });

  it('sends a body with its length (create)', async () => {
    const created = loadFixture('create-201');
    const { port, seen } = await server((_req, res) => res.writeHead(created.status, created.headers).end(JSON.stringify(created.body)));
    const { key } = await client(track(createNodeFetch()), port).createKey({ name: 'liked_cities_app', grants: [] });

    expect(key.name).toBe('liked_cities_app');
    const { req, body } = seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(JSON.parse(body)).toEqual({ name: 'liked_cities_app', grants: [] });
  });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['deflate', deflateRawSync],
    ['br', brotliCompressSync],
  ] as const)('decompresses a %s reply', async (coding, compress) => {
    const { port } = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding }).end(compress(Buffer.from(LIST_BODY)));
    });
    expect((await client(track(createNodeFetch()), port).whoami()).name).toBe('Default public');
  });

  it('gives the client status and headers: a redirect is reported, not followed', async () => {
    const { port, seen } = await server((_req, res) => res.writeHead(301, { location: 'https://elsewhere.example/api' }).end());
    const err = await apiError(client(track(createNodeFetch()), port, { retries: 0 }).whoami());
    expect(err.message).toMatch(/redirected \(301\) to https:\/\/elsewhere\.example\/api/);
    expect(seen).toHaveLength(1);
  });

  it('reads an HTML error page as text, and Retry-After as a header', async () => {
    let calls = 0;
    const { port } = await server((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '0', 'content-type': 'text/html' }).end('<html><body>slow down</body></html>');
      else res.writeHead(LIST.status, LIST.headers).end(LIST_BODY);
    });
    expect((await client(track(createNodeFetch()), port).whoami()).name).toBe('Default public');
    expect(calls).toBe(2);
  });

  it('reports a closed port as ECONNREFUSED, retried as unsent', async () => {
    const port = await closedPort();

    const err = await apiError(client(track(createNodeFetch()), port, { retries: 0 }).whoami());
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/cannot reach 127\.0\.0\.1:\d+ \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
    expect(err.hint).toMatch(/Nothing is listening/);
  });

  it('reports a connection reset mid-reply as a network error', async () => {
    const { port } = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      // Destroyed once the first part is handed to the kernel: the client has headers and half a body.
      res.write('{"total": 1, "res', () => res.socket?.destroy());
    });
    const err = await apiError(client(track(createNodeFetch()), port, { retries: 0 }).whoami());
    expect(err.kind).toBe('network');
  });

  it('is bounded by the client timeout, and drops the stalled socket', async () => {
    let arrived!: () => void;
    const there = new Promise<void>((resolve) => (arrived = resolve));
    const { port, sockets } = await server(() => arrived()); // and never answers
    // The client's per-attempt timer is a plain setTimeout: faked, it fires when the test says so,
    // once the request is at the server. (Sockets keep their own, real timers.)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let err: Awaited<ReturnType<typeof apiError>>;
    try {
      const failing = apiError(client(track(createNodeFetch()), port, { retries: 0, timeoutMs: 30_000 }).whoami());
      await there;
      vi.advanceTimersByTime(29_999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(sockets.size).toBe(1); // not yet
      vi.advanceTimersByTime(1);
      err = await failing;
    } finally {
      vi.useRealTimers();
    }
    expect(err.kind).toBe('timeout');
    // The server sees the stalled connection closed by the client.
    await Promise.all([...sockets].map((socket) => once(socket, 'close')));
    expect(sockets.size).toBe(0);
  });

  it('speaks HTTPS, and an untrusted certificate is a final error with the CA hint', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'carto-keys-tls-'));
    try {
      try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
          '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      } catch {
        if (process.env.CI === 'true') throw new Error('openssl is needed for the HTTPS test');
        ctx.skip('openssl is not installed');
      }
      const seen: string[] = [];
      const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
        seen.push(req.url ?? '');
        res.writeHead(LIST.status, LIST.headers).end(LIST_BODY);
      });
      const port = await listen(tls);
      const err = await apiError(
        client(track(createNodeFetch()), port, { baseUrl: `https://127.0.0.1:${port}/user/jdoe`, retries: 3 }).whoami(),
      );
      expect(err.kind).toBe('network');
      expect(err.message).toMatch(/SELF_SIGNED/);
      expect(err.hint).toMatch(/NODE_EXTRA_CA_CERTS/);
      expect(seen).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createNetworkFetch', () => {
  it('names the proxy variable, ignoring empty ones', () => {
    expect(proxyVariable({})).toBeUndefined();
    expect(proxyVariable({ HTTPS_PROXY: '', NO_PROXY: 'x' })).toBeUndefined();
    expect(proxyVariable({ https_proxy: 'http://p:3128' })).toBe('https_proxy');
    expect(proxyVariable({ HTTP_PROXY: 'http://p:3128' })).toBe('HTTP_PROXY');
  });

  it('goes through HTTP_PROXY from the environment it is given', async () => {
    const { port: target } = await server();
    const { port, tunnels } = await proxyTo(listen, target);
    const fetch = track(await createNetworkFetch({ HTTP_PROXY: `http://127.0.0.1:${port}` }));
    // carto.test resolves nowhere: an answer proves the request went through the proxy.
    const api = client(fetch, target, { baseUrl: `http://carto.test:${target}/user/jdoe`, retries: 0 });
    expect((await api.whoami()).name).toBe('Default public');
    expect(tunnels).toEqual([`carto.test:${target}`]);
  });

  it('honours NO_PROXY: a host, a domain suffix, a port', async () => {
    const { port: target, seen } = await server();
    const { port, tunnels } = await proxyTo(listen, target);
    for (const noProxy of ['carto.test', '.test', '*.test', `carto.test:${target}`, '*']) {
      const fetch = track(await createNetworkFetch({ http_proxy: `http://127.0.0.1:${port}`, no_proxy: noProxy }));
      // carto.test resolves nowhere: going direct fails with ENOTFOUND, which proves the proxy was skipped.
      const err = await apiError(client(fetch, target, { baseUrl: `http://carto.test:${target}/user/jdoe`, retries: 0 }).whoami());
      expect(err.message, noProxy).toMatch(/ENOTFOUND|EAI_AGAIN/);
    }
    const fetch = track(await createNetworkFetch({ http_proxy: `http://127.0.0.1:${port}`, no_proxy: 'carto.test:1' }));
    expect((await client(fetch, target, { baseUrl: `http://carto.test:${target}/user/jdoe`, retries: 0 }).whoami()).name).toBe('Default public');
    expect(tunnels).toEqual([`carto.test:${target}`]);
    expect(seen).toHaveLength(1);
  });

  it('never sends a loopback address through the proxy: 127.0.0.1 (with a trailing dot too), localhost', async () => {
    const { port: target, seen } = await server();
    const proxy = await recorder();
    try {
      const fetch = track(await createNetworkFetch({ HTTP_PROXY: proxy.origin, HTTPS_PROXY: proxy.origin }));
      for (const host of ['127.0.0.1', '127.0.0.1.', 'localhost']) {
        expect((await client(fetch, target, { baseUrl: `http://${host}:${target}/user/jdoe`, retries: 0 }).whoami()).name).toBe('Default public');
      }
      expect(seen).toHaveLength(3);
      expect(proxy.received).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that closes every CONNECT: one CONNECT per attempt, then one error naming the proxy', async () => {
    const { port, connects } = await closingProxy(listen);
    const fetch = track(await createNetworkFetch({ HTTPS_PROXY: `http://user:secret@127.0.0.1:${port}` }));
    const delays: number[] = [];
    const api = client(fetch, 443, {
      baseUrl: 'https://jdoe.carto.com',
      retries: 3,
      sleep: async (ms) => void delays.push(ms),
      random: () => 0,
    });
    const err = await apiError(api.whoami());
    expect(connects()).toBe(4);
    expect(delays).toEqual([250, 500, 1000]);
    expect(err.kind).toBe('network');
    expect(err.message).toBe(
      `Could not list API keys: the proxy 127.0.0.1:${port} (HTTPS_PROXY) did not open a tunnel to jdoe.carto.com:443: it closed the connection without answering`,
    );
    expect(err.message + (err.hint ?? '')).not.toContain('secret');
  });

  it('a proxy that refuses the CONNECT (403) is named with its answer; the CONNECT carries the proxy credentials', async () => {
    const proxy = await recorder();
    try {
      const fetch = track(await createNetworkFetch({ HTTPS_PROXY: `http://us%40er:p%3Ass@127.0.0.1:${proxy.port}` }));
      const err = await apiError(client(fetch, 443, { baseUrl: 'https://jdoe.carto.com', retries: 1 }).whoami());
      expect(err.message).toContain(`the proxy 127.0.0.1:${proxy.port} (HTTPS_PROXY) refused the tunnel to jdoe.carto.com:443 (403 Forbidden)`);
      expect(proxy.received.map((r) => `${r.method} ${r.url}`)).toEqual(['CONNECT jdoe.carto.com:443', 'CONNECT jdoe.carto.com:443']);
      expect(proxy.received[0]!.headers['proxy-authorization']).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
      // The Master key goes only inside the tunnel, never to the proxy in clear.
      expect(proxy.text()).not.toContain(Buffer.from(`jdoe:${MASTER_TOKEN}`).toString('base64'));
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that never answers the CONNECT is bounded by the client timeout, and close() drops its request', async () => {
    const held: Socket[] = [];
    let arrived!: () => void;
    const there = new Promise<void>((resolve) => (arrived = resolve));
    const proxy = createServer();
    proxy.on('connect', (_req: IncomingMessage, socket: Socket) => {
      // Read, so the client's close is seen (as 'end': an http server's sockets are half-open).
      socket.resume();
      held.push(socket);
      arrived();
    });
    const port = await listen(proxy);
    const fetch = track(await createNetworkFetch({ HTTPS_PROXY: `http://127.0.0.1:${port}` }));
    // The client's per-attempt timer, faked, fires once the CONNECT is at the proxy: on a loaded
    // machine a real 200 ms could pass before it got there.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let err: Awaited<ReturnType<typeof apiError>>;
    try {
      const failing = apiError(client(fetch, 443, { baseUrl: 'https://jdoe.carto.com', retries: 0, timeoutMs: 200 }).whoami());
      await there;
      vi.advanceTimersByTime(200);
      err = await failing;
    } finally {
      vi.useRealTimers();
    }
    expect(err.kind).toBe('timeout');
    expect(held).toHaveLength(1);
    const ended = once(held[0]!, 'end');
    await fetch.close?.();
    await ended;
    held[0]!.destroy();
  });

  it('without a proxy variable, talks to the server directly over node:http', async () => {
    const { port, seen } = await server();
    const fetch = track(await createNetworkFetch({ NO_PROXY: '*' }));
    expect((await client(fetch, port).whoami()).name).toBe('Default public');
    // node:http's own header, which undici does not send.
    expect(seen[0]!.req.headers.connection).toBe('keep-alive');
  });
});
