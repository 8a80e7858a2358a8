// The two transports behind FetchLike. Production uses undici's own fetch with its own dispatcher:
// Node's global fetch would ignore an undici dispatcher from another copy of undici, and only an
// EnvHttpProxyAgent honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY. undici costs ~90 ms to import, so it
// is loaded on the first command that talks to the network, never for --help or --version.

import type { FetchLike } from './client.js';

export async function createUndiciFetch(opts: { timeoutMs?: number } = {}): Promise<FetchLike> {
  const { fetch, EnvHttpProxyAgent } = await import('undici');
  // Keep-alive is undici's default. The client enforces its own per-attempt timeout; these only stop a
  // stalled socket from outliving it.
  const timeout = opts.timeoutMs;
  const dispatcher = new EnvHttpProxyAgent(
    timeout === undefined ? {} : { connectTimeout: timeout, headersTimeout: timeout, bodyTimeout: timeout },
  );
  return async (url, init) => {
    const res = await fetch(url, { ...init, dispatcher });
    // undici's Response implements the same WHATWG interface as the DOM type the client is written
    // against; the two declarations differ only in nominal details.
    return res as unknown as Response;
  };
}

/**
 * A FetchLike that hands a real Request to an in-process handler: the embedded sandbox profile talks
 * to the emulator with no socket, through exactly the code path the network uses.
 */
export function embeddedFetch(handler: (req: Request) => Promise<Response>): FetchLike {
  return async (url, init) => handler(new Request(url, init));
}
