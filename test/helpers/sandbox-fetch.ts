// A sandbox-backed transport for in-process command tests: the emulator's handler behind the
// client's fetch, with a request log so tests can assert that nothing was sent.

import { embeddedFetch } from '../../src/api/http.js';
import type { FetchLike } from '../../src/api/client.js';
import { createSandboxHandler, createSandboxState, type SandboxState } from '../../src/sandbox/index.js';

export const MASTER = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
// https: an http:// URL off this machine is refused before anything is sent (src/api/clear-text.ts).
export const BASE_URL = 'https://sandbox.test/user/demo';

export interface TestSandbox {
  state: SandboxState;
  fetch: FetchLike;
  requests: { method: string; url: string }[];
  /** CARTO_KEYS_* variables that point the CLI at this sandbox with the Master key. */
  env: Record<string, string>;
  names(): string[];
  token(name: string): string | undefined;
}

export function testSandbox(opts: { quota?: number } = {}): TestSandbox {
  const state = createSandboxState({ masterKey: MASTER });
  const inner = embeddedFetch(createSandboxHandler(state, { ...(opts.quota !== undefined && { quota: opts.quota }) }));
  const requests: { method: string; url: string }[] = [];
  const fetch: FetchLike = (url, init) => {
    requests.push({ method: init.method, url });
    return inner(url, init);
  };
  return {
    state,
    fetch,
    requests,
    env: { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: BASE_URL },
    names: () => state.users[0]!.keys.map((k) => k.name),
    token: (name) => state.users[0]!.keys.find((k) => k.name === name)?.token,
  };
}

/** A transport that must never be used: for "nothing was sent" assertions. */
export const noNetwork: FetchLike = async (url) => {
  throw new Error(`unexpected request to ${url}`);
};
