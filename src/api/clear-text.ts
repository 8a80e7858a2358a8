// The Master key travels in an Authorization header: over plain http:// anyone on the path reads it.
// Loopback addresses are the exception (the sandbox, `sandbox serve`, a local tunnel): the key never
// leaves the machine. Anything else needs an explicit opt-in, checked before a request exists.

import { isIP } from 'node:net';
import type { Env } from '../env.js';
import { UsageError } from '../errors.js';

export const ALLOW_HTTP_ENV = 'CARTO_KEYS_ALLOW_HTTP';

/**
 * The literal `localhost`, 127.0.0.0/8 and ::1: names and addresses that never leave the machine.
 * `*.localhost` is not among them: RFC 6761 asks resolvers to keep it local, but a hosts entry or a DNS
 * server may map `sandbox.localhost` to another machine, which would then receive the key in clear text.
 */
export function isLoopbackHost(hostname: string): boolean {
  let host = hostname.toLowerCase();
  if (host.startsWith('[')) host = host.slice(1);
  if (host.endsWith(']')) host = host.slice(0, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

/** Whether the opt-in variable is set to a yes (1, true, yes). */
export function allowsClearText(env: Env): boolean {
  return /^(1|true|yes)$/i.test((env[ALLOW_HTTP_ENV] ?? '').trim());
}

/** Throws a UsageError when credentials would go in clear text to a host off this machine without the opt-in. */
export function refuseClearText(baseUrl: string, env: Env): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return; // not a URL at all: the client's own check reports it
  }
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname) || allowsClearText(env)) return;
  throw new UsageError(`Refusing to send the key over plain http:// to ${url.host}: anyone on the network path could read it. Nothing was sent.`, {
    code: 'clear_text',
    hint: `Use https://. Only if this network is private and trusted, set ${ALLOW_HTTP_ENV}=1 to allow it.`,
  });
}

export const ALLOW_INSECURE_TLS_ENV = 'CARTO_KEYS_ALLOW_INSECURE_TLS';

/**
 * Throws a UsageError when NODE_TLS_REJECT_UNAUTHORIZED=0 has turned certificate checks off for an
 * https:// base URL: anyone able to intercept the connection would then receive the key, and Node's
 * one-line warning is easy to miss in a CI log. Only the explicit carto-keys opt-in lets it through.
 */
export function refuseInsecureTls(baseUrl: string, env: Env): void {
  if ((env['NODE_TLS_REJECT_UNAUTHORIZED'] ?? '').trim() !== '0') return;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return;
  }
  if (url.protocol !== 'https:' || /^(1|true|yes)$/i.test((env[ALLOW_INSECURE_TLS_ENV] ?? '').trim())) return;
  throw new UsageError(
    `Refusing to send the key to ${url.host}: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks, so anyone in the middle could read it. Nothing was sent.`,
    {
      code: 'insecure_tls',
      hint: `Unset NODE_TLS_REJECT_UNAUTHORIZED (to trust a private CA, set NODE_EXTRA_CA_CERTS to its certificate). Only to accept that risk, set ${ALLOW_INSECURE_TLS_ENV}=1.`,
    },
  );
}
