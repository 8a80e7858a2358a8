// The transports behind FetchLike.
//
// Production, no proxy: node:http / node:https with a keep-alive Agent. Measured on Node 20 (2 cores):
// importing undici costs 90–300 ms and a process that used its fetch lingers before exiting; Node's
// own fetch, Response and Headers are a lazily loaded copy of undici (+70–90 ms on first touch). The
// built-in http module is already in Node's start-up snapshot, so the first request costs a few ms.
// The reply is therefore a small FetchResponse of our own, not a WHATWG Response.
//
// Production, with HTTPS_PROXY / HTTP_PROXY set: undici's own fetch with an EnvHttpProxyAgent, which
// tunnels through the proxy and honours NO_PROXY. It is imported only then. (Node's global fetch would
// ignore an undici dispatcher from another copy of undici.)

import { UsageError } from '../errors.js';
import type { IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Agent as HttpAgent } from 'node:http';
import type { Env } from '../context.js';
import type { FetchLike, FetchResponse } from './client.js';

/** A transport that may hold resources (sockets) until closed. */
export type ClosableFetch = FetchLike & { close?: () => Promise<void> };

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;

/** The variable that sets a proxy, if any (an empty value sets none, as for curl and undici). */
export function proxyVariable(env: Env): string | undefined {
  return PROXY_VARIABLES.find((name) => (env[name] ?? '').trim() !== '');
}

/** The production transport: node:http(s), or undici when a proxy is configured. */
export async function createNetworkFetch(env: Env): Promise<ClosableFetch> {
  if (proxyVariable(env) === undefined) return createNodeFetch();
  // The lower-case name first, as undici's EnvHttpProxyAgent reads them.
  const first = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v.trim() !== '');
  for (const name of PROXY_VARIABLES) checkProxyUrl(name, env[name]);
  const httpProxy = first('http_proxy', 'HTTP_PROXY');
  const httpsProxy = first('https_proxy', 'HTTPS_PROXY');
  const noProxy = first('no_proxy', 'NO_PROXY');
  return createUndiciFetch({
    proxy: {
      ...(httpProxy !== undefined && { httpProxy }),
      ...(httpsProxy !== undefined && { httpsProxy }),
      ...(noProxy !== undefined && { noProxy }),
    },
  });
}

/**
 * A proxy variable undici cannot use would fail deep inside it as "Invalid URL" (reported as a bug).
 * Its value is not repeated: a proxy URL may carry a password.
 */
function checkProxyUrl(name: string, value: string | undefined): void {
  if (value === undefined || value.trim() === '') return;
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    // Reported below.
  }
  if (url === undefined || !['http:', 'https:', 'socks5:'].includes(url.protocol) || url.hostname === '') {
    throw new UsageError(`${name} is not a proxy URL carto-keys can use.`, {
      hint: `Set it to http://host:port (or https://, socks5://), e.g. ${name}=http://proxy.example.com:3128, or unset it.`,
    });
  }
}

/** The per-attempt timeout is the client's (one timer over connect, headers and body): none here. */
export async function createUndiciFetch(opts: { proxy?: { httpProxy?: string; httpsProxy?: string; noProxy?: string } } = {}): Promise<ClosableFetch> {
  const mod = await import('undici');
  // undici is CommonJS: in the ESM bundle, a dynamic import exposes its exports as `default`.
  const { fetch, EnvHttpProxyAgent } = ('default' in mod ? mod.default : mod) as typeof import('undici');
  // Keep-alive is undici's default. Without explicit proxy options, EnvHttpProxyAgent reads the
  // process environment itself.
  const dispatcher = new EnvHttpProxyAgent({ ...opts.proxy });
  const undiciFetch: FetchLike = async (url, init) => fetch(url, { ...init, dispatcher });
  // Idle keep-alive sockets hold the event loop open: a CLI closes them when its command is done
  // instead of waiting for the server to time them out.
  return Object.assign(undiciFetch, { close: () => dispatcher.destroy() });
}

// ---------------------------------------------------------------------------------------------
// node:http / node:https

type HttpModule = typeof import('node:http');
type HttpsModule = typeof import('node:https');
type ZlibModule = typeof import('node:zlib');

/**
 * fetch over node:http(s): one keep-alive Agent per protocol, shared by every request, destroyed by
 * close(). https (which loads TLS) and zlib are imported only when a request needs them. The reply is
 * read in full before the promise resolves; the client reads every body anyway, under its one
 * per-attempt timeout, which is also what bounds a stalled connect, reply or body here.
 */
export function createNodeFetch(): ClosableFetch {
  let http: Promise<{ mod: HttpModule; agent: HttpAgent }> | undefined;
  let https: Promise<{ mod: HttpsModule; agent: HttpsAgent }> | undefined;
  const agents: (HttpAgent | HttpsAgent)[] = [];
  const keepAlive = { keepAlive: true, scheduling: 'lifo' } as const;

  function transportFor(protocol: string): Promise<{ mod: HttpModule | HttpsModule; agent: HttpAgent | HttpsAgent }> {
    if (protocol === 'http:') {
      return (http ??= import('node:http').then((mod) => {
        const agent = new mod.Agent(keepAlive);
        agents.push(agent);
        return { mod, agent };
      }));
    }
    if (protocol === 'https:') {
      return (https ??= import('node:https').then((mod) => {
        const agent = new mod.Agent(keepAlive);
        agents.push(agent);
        return { mod, agent };
      }));
    }
    return Promise.reject(fetchFailed(new Error(`unsupported protocol ${protocol}`)));
  }

  const nodeFetch: FetchLike = async (url, init) => {
    const target = new URL(url);
    const { mod, agent } = await transportFor(target.protocol);
    const { signal } = init;
    if (signal?.aborted) throw signal.reason;
    const headers: Record<string, string> = { ...init.headers };
    // Compressed replies, as fetch asks for them: a 10,000-key listing is ~5 MB of JSON.
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'accept-encoding')) headers['accept-encoding'] = 'gzip, deflate, br';
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));

    return new Promise<FetchResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = (): void => {
        fail(signal?.reason);
        req.destroy();
      };

      const req = mod.request(target, { method: init.method, headers, agent });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => fail(fetchFailed(err)));

      req.on('response', (res) => {
        readBody(res).then(
          (body) => {
            if (settled) return;
            settled = true;
            signal?.removeEventListener('abort', onAbort);
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
