// Which proxy, if any, a request goes through, and the CONNECT tunnel through it.
//
// The variables are read as curl and undici read them: https_proxy / HTTPS_PROXY for https:// (falling
// back to the http ones), http_proxy / HTTP_PROXY for http://, lower case first, an empty value sets
// none; NO_PROXY lists hosts (`host`, `.domain`, `*.domain`, `host:port`, or `*` for all) that go direct.
// A loopback address never goes through a proxy: the proxy would receive the Master key that was only
// allowed in clear text because it would not leave the machine.
//
// The tunnel is one CONNECT per new connection, and its failure is an ordinary network failure of that
// attempt, counted by the client's bounded retries. (undici's proxy agent, used before, reconnected in a
// tight loop while a proxy closed every CONNECT: ~170,000 CONNECTs a minute, and the command never ended.)

import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Env } from '../env.js';
import { UsageError } from '../errors.js';
import { isLoopbackHost } from './clear-text.js';

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;

/** A proxy chosen for a request: its URL and the variable that named it (for messages). */
export interface Proxy {
  url: URL;
  variable: string;
}

/** The variable that sets a proxy, if any (an empty value sets none, as for curl and undici). */
export function proxyVariable(env: Env): string | undefined {
  return PROXY_VARIABLES.find((name) => (env[name] ?? '').trim() !== '');
}

/** The proxy for each request, from these variables; throws a UsageError for a proxy URL that cannot be used. */
export function proxyChooser(env: Env): (target: URL) => Proxy | undefined {
  const pick = (...names: string[]): Proxy | undefined => {
    const variable = names.find((n) => (env[n] ?? '').trim() !== '');
    return variable === undefined ? undefined : { url: parseProxyUrl(variable, env[variable]!), variable };
  };
  const http = pick('http_proxy', 'HTTP_PROXY');
  const https = pick('https_proxy', 'HTTPS_PROXY') ?? http;
  const noProxy = parseNoProxy(env['no_proxy'] ?? env['NO_PROXY'] ?? '');
  return (target) => {
    const proxy = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (proxy === undefined || isLoopbackHost(target.hostname)) return undefined;
    return bypasses(noProxy, target) ? undefined : proxy;
  };
}

/** `host:port` of a proxy, never its user or password (a proxy URL may carry them). */
export function proxyShown(proxy: Proxy): string {
  return `${proxy.url.host} (${proxy.variable})`;
}

/**
 * A proxy variable that cannot be used would otherwise fail deep inside the transport. Its value is not
 * repeated: a proxy URL may carry a password.
 */
function parseProxyUrl(name: string, value: string): URL {
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
  return url;
}

type NoProxy = 'all' | { hostname: string; port: number | undefined }[];

function parseNoProxy(value: string): NoProxy {
  if (value === '') return [];
  if (value.trim() === '*') return 'all';
  return value
    .split(/[,\s]+/)
    .filter((entry) => entry !== '')
    .map((entry) => {
      const withPort = /^(.+):(\d+)$/.exec(entry);
      const host = (withPort?.[1] ?? entry).replace(/^\*?\./, '').replace(/^\[|\]$/g, '').toLowerCase();
      return { hostname: host, port: withPort?.[2] === undefined ? undefined : Number(withPort[2]) };
    });
}

function bypasses(noProxy: NoProxy, target: URL): boolean {
  if (noProxy === 'all') return true;
  const hostname = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return noProxy.some(
    (entry) => (entry.port === undefined || entry.port === port) && (hostname === entry.hostname || hostname.endsWith(`.${entry.hostname}`)),
  );
}

/** A failure of the proxy itself: nothing reached the server, so the attempt may be repeated. */
export class ProxyError extends Error {
  readonly code = 'ERR_PROXY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A socket to `host:port` through an http:// or https:// proxy (CONNECT). `pending` holds the CONNECT
 * request while it waits, so the transport can drop it on close (a proxy that never answers would
 * otherwise keep the process alive).
 */
export async function openTunnel(proxy: Proxy, host: string, port: number, pending: Set<ClientRequest>): Promise<Socket> {
  const mod = proxy.url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.url.username !== '' || proxy.url.password !== '') {
    const user = decodeURIComponent(proxy.url.username);
    const password = decodeURIComponent(proxy.url.password);
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  const shown = proxyShown(proxy);
  return new Promise<Socket>((resolve, reject) => {
    const req = mod.request({
      host: proxy.url.hostname.replace(/^\[|\]$/g, ''),
      port: proxy.url.port || (proxy.url.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers,
      agent: false,
    });
    pending.add(req);
    const done = (): boolean => pending.delete(req);
    req.on('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      done();
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ProxyError(`the proxy ${shown} refused the tunnel to ${authority} (${res.statusCode ?? '?'} ${res.statusMessage ?? ''})`.trim()));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      done();
      const why = err.code === 'ECONNREFUSED' ? 'nothing listens there' : err.code === 'ECONNRESET' || /hang up/.test(err.message) ? 'it closed the connection without answering' : err.message;
      reject(new ProxyError(`the proxy ${shown} did not open a tunnel to ${authority}: ${why}`, { cause: err }));
    });
    req.on('close', () => {
      if (done()) reject(new ProxyError(`the proxy ${shown} did not open a tunnel to ${authority}: the request was dropped`));
    });
    req.end();
  });
}
