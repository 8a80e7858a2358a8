// The sandbox served over HTTP from inside the test process (the same startSandboxServer that
// `sandbox serve` runs), for end-to-end tests whose binary must be caught at a precise request: the
// test sees each request as it arrives and can hold it, with the sandbox's change applied or not,
// until it lets it go. No polling and no timing: a hold resolves when its request arrives.

import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { masterKeyOf } from '../../src/sandbox/embedded.js';
import { createSandboxHandler, createSandboxState, saveSandboxState, startSandboxServer, type SandboxState } from '../../src/sandbox/index.js';
import { createOrgSandboxState, roleOf, type OrgRole } from '../../src/sandbox/org.js';
import type { SandboxServer } from '../../src/sandbox/serve.js';
import { tempHome, type Home } from './e2e.js';

export interface HeldRequest {
  method: string;
  pathname: string;
  /** The Basic auth token it carries. */
  token: string | undefined;
}

export interface Hold {
  /** Resolves when the matching request arrived (for `after`: once the sandbox applied it). */
  readonly arrived: Promise<HeldRequest>;
  /** Lets the held request be answered. Without it, it never is (the client times out or dies). */
  release(): void;
}

export interface OrgUser {
  username: string;
  role: OrgRole;
  baseUrl: string;
  masterKey: string;
}

export interface ServeOptions {
  /** The account to serve (default: a fresh single-user one). */
  state?: SandboxState;
  /** Saved after every change, as `sandbox serve --state` does. */
  stateFile?: string;
  /** The organization "acme" (`sandbox serve --org`); its users are in `users`. */
  org?: boolean;
}

export interface InProcessSandbox {
  baseUrl: string;
  username: string;
  masterKey: string;
  port: number;
  state: SandboxState;
  server: SandboxServer;
  /** With `org`: each user of the organization, as `sandbox serve --org --json` prints them. */
  users: OrgUser[];
  /** Every request that reached the server (held ones included), in order: for "no key in a URL". */
  requests: { method: string; url: string; authorization: string | null }[];
  /** Straight to the sandbox, past every hold: for the test's own looks at the account. */
  direct(path: string, init?: { method?: string; token?: string; body?: unknown }): Promise<Response>;
  /**
   * Holds the first request matching `match` (the next ones pass): `before` the sandbox sees it, or
   * `after` it applied it (the change is made, the reply is held).
   */
  hold(match: (r: HeldRequest) => boolean, when?: 'before' | 'after'): Hold;
  stop(): Promise<void>;
}

function tokenOf(req: Request): string | undefined {
  const auth = req.headers.get('authorization');
  if (auth === null || !auth.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

export async function serveInProcess(opts: ServeOptions = {}): Promise<InProcessSandbox> {
  const state = opts.state ?? (opts.org ? createOrgSandboxState({}) : createSandboxState());
  const stateFile = opts.stateFile;
  if (stateFile) saveSandboxState(stateFile, state);
  const inner = createSandboxHandler(state, { ...(stateFile && { onChange: (s: SandboxState) => saveSandboxState(stateFile, s) }) });
  const holds: { match: (r: HeldRequest) => boolean; when: 'before' | 'after'; arrive(r: HeldRequest): void; gate: Promise<void> }[] = [];
  const requests: InProcessSandbox['requests'] = [];
  const handler = async (req: Request): Promise<Response> => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.get('authorization') });
    const seen: HeldRequest = { method: req.method, pathname: new URL(req.url).pathname, token: tokenOf(req) };
    const i = holds.findIndex((h) => h.match(seen));
    if (i < 0) return inner(req);
    const [h] = holds.splice(i, 1);
    if (h!.when === 'before') {
      h!.arrive(seen);
      await h!.gate;
      return inner(req);
    }
    const res = await inner(req);
    h!.arrive(seen);
    await h!.gate;
    return res;
  };
  const server = await startSandboxServer({ handler, port: 0 });
  const username = state.users[0]!.username;
  const masterKey = state.users[0]!.keys.find((k) => k.type === 'master')!.token;
  const baseUrl = `${server.url}/user/${username}`;
  // Members use the organization form of the URL; a user outside it the subdomainless one.
  const users = state.organizations?.length
    ? state.users.map((u) => {
        const role = roleOf(state, u.username);
        return { username: u.username, role, baseUrl: `${server.url}/${role === 'outside' ? 'user' : 'u'}/${u.username}`, masterKey: masterKeyOf(state, u.username) };
      })
    : [];
  return {
    baseUrl,
    username,
    masterKey,
    port: server.port,
    state,
    server,
    users,
    requests,
    direct: (path, init = {}) =>
      inner(
        new Request(`${baseUrl}${path}`, {
          method: init.method ?? 'GET',
          headers: {
            authorization: `Basic ${Buffer.from(`${username}:${init.token ?? masterKey}`).toString('base64')}`,
            ...(init.body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
        }),
      ),
    hold(match, when = 'before') {
      let arrive!: (r: HeldRequest) => void;
      let release!: () => void;
      const arrived = new Promise<HeldRequest>((resolve) => (arrive = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      holds.push({ match, when, arrive, gate });
      return { arrived, release };
    },
    // Drops every connection, held ones included: a held request is never answered after this.
    stop: () => server.close(),
  };
}

/**
 * A sandbox served in-process and a temporary HOME for the tests of the calling file or describe:
 * made before its first test (with `each`, before every test), stopped and removed after.
 */
export function useServedHome(opts: ServeOptions & { each?: boolean } = {}): { sb: InProcessSandbox; home: Home } {
  const w = {} as { sb: InProcessSandbox; home: Home };
  const [before, after] = opts.each ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    w.sb = await serveInProcess(opts);
    w.home = tempHome();
  });
  after(async () => {
    await w.sb?.stop();
    w.home?.cleanup();
  });
  return w;
}
