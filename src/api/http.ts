// The transports behind FetchLike.
//
// Production: node:http / node:https with a keep-alive Agent. Measured on Node 20 (2 cores): importing
// undici costs 90–300 ms and a process that used its fetch lingers before exiting; Node's own fetch,
// Response and Headers are a lazily loaded copy of undici (+70–90 ms on first touch). The built-in http
// module is already in Node's start-up snapshot, so the first request costs a few ms. The reply is
// therefore a small FetchResponse of our own, not a WHATWG Response.
//
// With HTTPS_PROXY / HTTP_PROXY set, a request that ./proxy.ts sends through an http(s) proxy goes
// through a CONNECT tunnel made here, on the same node:http code; only a socks5:// proxy is left to
// undici (imported only then).

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Agent as HttpAgent } from 'node:http';
import type { Socket } from 'node:net';
import type { Env } from '../env.js';
import type { FetchLike, FetchResponse } from './client.js';
import { openTunnel, proxyChooser, type Proxy } from './proxy.js';

export { proxyVariable } from './proxy.js';

/** A transport that may hold resources (sockets) until closed. */
export type ClosableFetch = FetchLike & { close?: () => Promise<void> };

/** The production transport: node:http(s), through the proxy the environment names for each request. */
export async function createNetworkFetch(env: Env): Promise<ClosableFetch> {
  const proxyFor = proxyChooser(env);
  let socks: Promise<ClosableFetch> | undefined;
  const direct = createNodeFetch({ proxyFor: (target) => {
    const proxy = proxyFor(target);
    return proxy?.url.protocol === 'socks5:' ? undefined : proxy;
  } });
  const networkFetch: FetchLike = async (url, init) => {
    const proxy = proxyFor(new URL(url));
    if (proxy?.url.protocol !== 'socks5:') return direct(url, init);
    return (await (socks ??= createUndiciFetch({ proxy: proxy.url.href })))(url, init);
  };
  return Object.assign(networkFetch, {
    close: async () => {
      await direct.close?.();
      await (await socks)?.close?.();
    },
  });
}

/** undici takes the attempt's time limit as an AbortSignal (only the SOCKS path comes here, so only it pays for one). */
export async function createUndiciFetch(opts: { proxy?: string } = {}): Promise<ClosableFetch> {
  const mod = await import('undici');
  // undici is CommonJS: in the ESM bundle, a dynamic import exposes its exports as `default`.
  const { fetch, Agent, ProxyAgent } = ('default' in mod ? mod.default : mod) as typeof import('undici');
  // Keep-alive is undici's default.
  const dispatcher = opts.proxy === undefined ? new Agent() : new ProxyAgent(opts.proxy);
  const undiciFetch: FetchLike = async (url, { timeoutMs, ...init }) =>
    fetch(url, { ...init, dispatcher, ...(timeoutMs !== undefined && { signal: AbortSignal.timeout(timeoutMs) }) });
  // Idle keep-alive sockets hold the event loop open: a CLI closes them when its command is done
  // instead of waiting for the server to time them out.
  return Object.assign(undiciFetch, { close: () => dispatcher.destroy() });
}

// ---------------------------------------------------------------------------------------------
// node:http / node:https

type HttpModule = typeof import('node:http');
type HttpsModule = typeof import('node:https');
type ZlibModule = typeof import('node:zlib');
type Transport = { mod: HttpModule | HttpsModule; agent: HttpAgent | HttpsAgent };

/** What an Agent hands createConnection (the subset used here). */
interface ConnectOptions {
  host?: string;
  port?: number | string;
  servername?: string;
  rejectUnauthorized?: boolean;
}
type OnCreate = (err: Error | null, socket?: Socket) => void;

/**
 * fetch over node:http(s): one keep-alive Agent per protocol (and per proxy), shared by every request,
 * destroyed by close(). https (which loads TLS) and zlib are imported only when a request needs them.
 * The reply is read in full before the promise resolves; the client reads every body anyway, under its
 * one per-attempt timeout, which is also what bounds a stalled connect, tunnel, reply or body here.
 */
export function createNodeFetch(opts: { proxyFor?: (target: URL) => Proxy | undefined } = {}): ClosableFetch {
  const transports = new Map<string, Promise<Transport>>();
  const agents: (HttpAgent | HttpsAgent)[] = [];
  // CONNECT requests still waiting for their proxy: dropped by close().
  const tunnelling = new Set<ClientRequest>();
  const keepAlive = { keepAlive: true, scheduling: 'lifo' } as const;

  function transportFor(protocol: string, proxy: Proxy | undefined): Promise<Transport> {
    if (protocol !== 'http:' && protocol !== 'https:') return Promise.reject(fetchFailed(new Error(`unsupported protocol ${protocol}`)));
    const key = `${protocol} ${proxy?.url.href ?? ''}`;
    let transport = transports.get(key);
    if (transport === undefined) {
      transport = (async () => {
        const mod = protocol === 'http:' ? await import('node:http') : await import('node:https');
        const agent = new mod.Agent(keepAlive);
        if (proxy !== undefined) await tunnelThrough(agent, proxy, protocol === 'https:');
        agents.push(agent);
        return { mod, agent };
      })();
      transports.set(key, transport);
    }
    return transport;
  }

  /** Every new connection of `agent` is a CONNECT tunnel through `proxy`, with TLS on top for https. */
  async function tunnelThrough(agent: HttpAgent | HttpsAgent, proxy: Proxy, secure: boolean): Promise<void> {
    const tls = secure ? await import('node:tls') : undefined;
    const createConnection = (options: ConnectOptions, onCreate: OnCreate): undefined => {
      const host = options.host ?? 'localhost';
      const port = Number(options.port ?? (secure ? 443 : 80));
      openTunnel(proxy, host, port, tunnelling).then(
        (socket) => {
          if (tls === undefined) return onCreate(null, socket);
          const secured = tls.connect({
            socket,
            servername: options.servername ?? host,
            ...(options.rejectUnauthorized !== undefined && { rejectUnauthorized: options.rejectUnauthorized }),
          });
          onCreate(null, secured);
        },
        (err: Error) => onCreate(err),
      );
      // The Agent waits for onCreate when nothing is returned.
      return undefined;
    };
    Object.assign(agent, { createConnection });
  }

  const nodeFetch: FetchLike = async (url, init) => {
    const target = new URL(url);
    const { mod, agent } = await transportFor(target.protocol, opts.proxyFor?.(target));
    const headers: Record<string, string> = { ...init.headers };
    // Compressed replies, as fetch asks for them: a 10,000-key listing is ~5 MB of JSON.
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'accept-encoding')) headers['accept-encoding'] = 'gzip, deflate, br';
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));

    return new Promise<FetchResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };

      const req = mod.request(target, { method: init.method, headers, agent });
      // The time limit frees the connection (the client has given up by then): not an AbortSignal.
      const timer = init.timeoutMs === undefined ? undefined : setTimeout(() => {
        fail(new Error(`no answer within ${init.timeoutMs} ms`));
        req.destroy();
      }, init.timeoutMs);
      req.on('error', (err) => fail(fetchFailed(err)));

      req.on('response', (res) => {
        readBody(res).then(
          (body) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve(replyOf(res, body));
          },
          (err) => fail(fetchFailed(err)),
        );
      });
      req.end(init.body);
    });
  };

  return Object.assign(nodeFetch, {
    close: async () => {
      for (const req of tunnelling) req.destroy();
      tunnelling.clear();
      for (const agent of agents.splice(0)) agent.destroy();
    },
  });
}

/**
 * The most a reply may be, as sent and once decompressed. A page of 1,000 keys with many tables each is
 * a few MB; without a bound, a 300 MB body took ~1 GB of memory and a gzip bomb ~2.2 GB.
 */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

function tooLarge(): Error {
  return Object.assign(new Error(`the reply is larger than ${MAX_REPLY_BYTES / 1024 / 1024} MB: not an Auth API reply`), { code: 'ERR_REPLY_TOO_LARGE' });
}

/** The whole body, decompressed as fetch does for gzip, deflate and br (anything else is left as is). */
async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) {
        reject(tooLarge());
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', resolve);
    res.on('error', reject);
    // The connection closed before the body was complete (a no-op after 'end').
    res.on('close', () => {
      if (!res.complete) reject(Object.assign(new Error('terminated: the connection closed mid-reply'), { code: 'ECONNRESET' }));
    });
  });
  let body: Buffer = Buffer.concat(chunks);
  const codings = (res.headers['content-encoding'] ?? '')
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0 || body.length === 0) return body;
  // Codings are listed in the order they were applied: undo them from the last.
  for (const coding of codings.reverse()) {
    if (!['gzip', 'x-gzip', 'deflate', 'br'].includes(coding)) return body;
    try {
      body = await decode(coding, body);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
      throw err;
    }
  }
  return body;
}

let zlib: Promise<ZlibModule> | undefined;

async function decode(coding: string, body: Buffer): Promise<Buffer> {
  const z = await (zlib ??= import('node:zlib'));
  // maxOutputLength: a small compressed body may expand without bound (a gzip bomb).
  const limit = { maxOutputLength: MAX_REPLY_BYTES };
  const run = (fn: (buf: Buffer, o: typeof limit, cb: (err: Error | null, out: Buffer) => void) => void, input: Buffer) =>
    new Promise<Buffer>((resolve, reject) => fn(input, limit, (err, out) => (err ? reject(err) : resolve(out))));
  if (coding === 'br') return run(z.brotliDecompress, body);
  if (coding === 'deflate') {
    // "deflate" is zlib-wrapped by the standard, raw by some servers: a zlib header's low nibble is 8.
    return run((body[0]! & 0x0f) === 0x08 ? z.inflate : z.inflateRaw, body);
  }
  return run(z.gunzip, body);
}

function replyOf(res: IncomingMessage, body: Buffer): FetchResponse {
  const raw = res.headers;
  return {
    status: res.statusCode ?? 0,
    headers: {
      get(name: string): string | null {
        const value = raw[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    // fetch's text() decodes UTF-8 and drops a byte-order mark.
    text: async () => (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body).toString('utf8'),
  };
}

/** The shape of fetch's network errors, so ./failures.ts reads codes and messages the same way. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/**
 * A FetchLike that hands a real Request to an in-process handler: the embedded sandbox profile talks
 * to the emulator with no socket, through exactly the code path the network uses.
 */
export function embeddedFetch(handler: (req: Request) => Promise<Response>): FetchLike {
  return async (url, init) => handler(new Request(url, init));
}
