// The two transports behind FetchLike. Production uses undici's own fetch with its own dispatcher:
// Node's global fetch would ignore an undici dispatcher from another copy of undici, and only an
// EnvHttpProxyAgent honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY. undici costs ~90 ms to import, so it
// is loaded on the first command that talks to the network, never for --help or --version.

import type { FetchLike } from './client.js';

/** A transport that may hold resources (sockets) until closed. */
export type ClosableFetch = FetchLike & { close?: () => Promise<void> };

export async function createUndiciFetch(opts: { timeoutMs?: number } = {}): Promise<ClosableFetch> {
  const mod = await import('undici');
  // undici is CommonJS: in the ESM bundle, a dynamic import exposes its exports as `default`.
  const { fetch, EnvHttpProxyAgent } = ('default' in mod ? mod.default : mod) as typeof import('undici');
  // Keep-alive is undici's default. The client enforces its own per-attempt timeout; these only stop a
  // stalled socket from outliving it.
  const timeout = opts.timeoutMs;
  const dispatcher = new EnvHttpProxyAgent(
    timeout === undefined ? {} : { connectTimeout: timeout, headersTimeout: timeout, bodyTimeout: timeout },
  );
  const undiciFetch: FetchLike = async (url, init) => {
    const res = await fetch(url, { ...init, dispatcher });
    // undici's Response implements the same WHATWG interface as the DOM type the client is written
    // against; the two declarations differ only in nominal details.
    return res as unknown as Response;
  };
  // Idle keep-alive sockets hold the event loop open: a CLI closes them when its command is done
  // instead of waiting for the server to time them out.
  return Object.assign(undiciFetch, { close: () => dispatcher.destroy() });
}

/**
 * A FetchLike that hands a real Request to an in-process handler: the embedded sandbox profile talks
 * to the emulator with no socket, through exactly the code path the network uses.
 */
export function embeddedFetch(handler: (req: Request) => Promise<Response>): FetchLike {
  return async (url, init) => handler(new Request(url, init));
}
