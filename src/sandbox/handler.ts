// The sandbox: CARTO's Auth API (docs/auth-api.md, the project's contract) as one `(Request) => Response`
// function, for msw in tests, the node:http adapter of `sandbox serve`, and the embedded transport.
//
// The order of checks follows CARTO's controller: route → authentication (401, empty) → master
// required for writes (401, empty) → engine access (404, empty) → target_user (403) → the action.

import { randomBytes } from 'node:crypto';
import type { KeyType, ListOrder } from '../api/types.js';
import { keyComparator, ListParamError, pageLinks, parsePaging, parseTypes } from './listing.js';
import { Params, readBodyParams, UnreadableRequestError } from './params.js';
import { accountView, renderKey, selfLink, type AccountView } from './render.js';
import {
  emptyReply,
  errorReply,
  jsonReply,
  railsBadRequest,
  railsNotFoundPage,
  railsServerErrorPage,
  rawJsonReply,
} from './responses.js';
import { addressOf, type Addressed, type Route } from './routing.js';
import {
  makeKey,
  newMasterToken,
  newRegularToken,
  type RandomBytes,
  type SandboxKey,
  type SandboxState,
  type SandboxUser,
} from './state.js';
import { validateCreate } from './validation.js';
import { eumapiUser, isOrgAdmin, organizationOf } from './org.js';

export interface SandboxHandlerOptions {
  /** Maximum number of regular keys (CARTO's plan quota); unlimited when absent. */
  quota?: number;
  now?: () => Date;
  /** Called after every successful create, delete and regenerate, with the mutated state. */
  onChange?: (state: SandboxState) => void;
  random?: RandomBytes;
}

export type SandboxHandler = (request: Request) => Promise<Response>;

const FORBIDDEN = "You don't have permission to access that resource";
const QUOTA_REACHED = 'You have reached the limit of API keys for your plan';

/** Lookups and sorted views of one user's keys, valid for one revision of the state. */
class UserIndex {
  readonly byToken = new Map<string, SandboxKey>();
  readonly byName = new Map<string, SandboxKey>();
  private readonly sorted = new Map<string, SandboxKey[]>();
  private readonly json = new Map<SandboxKey, { fingerprint: string; text: string }>();

  constructor(
    readonly user: SandboxUser,
    readonly revision: number,
    readonly keys: SandboxKey[],
    readonly keyCount: number,
  ) {
    for (const k of user.keys) {
      this.byToken.set(k.token, k);
      this.byName.set(k.name, k);
    }
  }

  /** Sorted and filtered once per revision: a 10,000-key walk must not re-sort for every page. */
  ordered(order: ListOrder, types: ReadonlySet<KeyType>): SandboxKey[] {
    const id = `${order}:${[...types].sort().join(',')}`;
    let keys = this.sorted.get(id);
    if (!keys) {
      keys = this.user.keys.filter((k) => types.size === 0 || types.has(k.type)).sort(keyComparator(order));
      this.sorted.set(id, keys);
    }
    return keys;
  }

  /** A key's JSON (without `_links`), kept while neither the state nor the account's tables change. */
  keyJson(key: SandboxKey, view: AccountView): string {
    const hit = this.json.get(key);
    if (hit?.fingerprint === view.fingerprint) return hit.text;
    const text = JSON.stringify(renderKey(this.user, key, view));
    this.json.set(key, { fingerprint: view.fingerprint, text });
    return text;
  }
}

/** What one request of the sandbox acts within: the user its URL names, the key it authenticated with, its parameters. */
interface RequestScope {
  user: SandboxUser;
  index: UserIndex;
  /** The key the request authenticated with. */
  caller: SandboxKey;
  params: Params;
  address: Addressed;
}

export function createSandboxHandler(state: SandboxState, opts: SandboxHandlerOptions = {}): SandboxHandler {
  const now = opts.now ?? (() => new Date());
  const random = opts.random ?? randomBytes;
  const indexes = new WeakMap<SandboxUser, UserIndex>();

  // The cache is checked against the state's revision and the keys array, so another handler on
  // the same state (or a test replacing `keys`) never leaves a stale view behind.
  function indexOf(user: SandboxUser): UserIndex {
    const cached = indexes.get(user);
    const valid = cached?.revision === state.revision && cached.keys === user.keys && cached.keyCount === user.keys.length;
    if (cached && valid) return cached;
    const fresh = new UserIndex(user, state.revision, user.keys, user.keys.length);
    indexes.set(user, fresh);
    return fresh;
  }

  function changed(): void {
    state.revision += 1;
    opts.onChange?.(state);
  }

  function uniqueToken(index: UserIndex, make: () => string): string {
    let token = make();
    while (index.byToken.has(token)) token = make();
    return token;
  }

  function dispatch(ctx: RequestScope, route: Route): Response {
    switch (route.action) {
      case 'list':
        return list(ctx);
      case 'create':
        return create(ctx);
      case 'show':
        return withKey(ctx, route.name, (target, key) => jsonReply(200, renderKey(target.user, key)));
      case 'destroy':
        return withKey(ctx, route.name, destroy);
      case 'regenerate':
        return withKey(ctx, route.name, regenerate);
      case 'members':
      case 'member':
        // Routed before authentication (their refusals differ): never reaches here.
        return railsNotFoundPage();
    }
  }

  /**
   * docs/auth-api.md §8: `target_user` makes the request act on another user's keys. Only an owner or admin
   * of an organization may name someone else (403 otherwise), and only a user of that same
   * organization (404 with CARTO's text otherwise). Naming yourself changes nothing.
   */
  function actingFor(ctx: RequestScope): RequestScope | Response {
    const target = ctx.params.get('target_user');
    if (target === undefined || target === ctx.user.username) return ctx;
    const org = organizationOf(state, ctx.user.username);
    if (org === undefined || !isOrgAdmin(org, ctx.user.username)) return errorReply(403, FORBIDDEN);
    const user = org.members.includes(target) ? state.users.find((u) => u.username === target) : undefined;
    if (user === undefined) return errorReply(404, `User '${target}' not found in the organization '${org.name}'`);
    return { ...ctx, user, index: indexOf(user) };
  }

  /** The user-management API: `401 {}` for anything but an owner's or admin's Master key of that organization. */
  function orgUsers(request: Request, address: Addressed, caller: SandboxKey | undefined): Response {
    const route = address.route as Extract<Route, { action: 'members' | 'member' }>;
    const org = organizationOf(state, address.username);
    const allowed = caller?.type === 'master' && org !== undefined && org.name === route.org && isOrgAdmin(org, address.username);
    if (!allowed) return jsonReply(401, {});
    const origin = new URL(request.url).origin;
    const present = (username: string) => eumapiUser(org, state.users.find((u) => u.username === username)!, origin);
    if (route.action === 'members') return jsonReply(200, org.members.map(present));
    if (!org.members.includes(route.username)) return errorReply(404, `No user with username '${route.username}' in '${org.name}'`);
    return jsonReply(200, present(route.username));
  }

  function list(callerCtx: RequestScope): Response {
    const paging = parsePaging(callerCtx.params);
    const ctx = actingFor(callerCtx);
    if (ctx instanceof Response) return ctx;
    const types = new Set<KeyType>(parseTypes(ctx.params));
    // A non-master key sees only itself, and only among its own user's keys.
    const visible =
      ctx.caller.type === 'master'
        ? ctx.index.ordered(paging.order, types)
        : [ctx.caller].filter((k) => ctx.index.byToken.get(k.token) === k && (types.size === 0 || types.has(k.type)));
    const start = (paging.page - 1) * paging.perPage;
    const view = accountView(ctx.user);
    const items = visible.slice(start, start + paging.perPage).map((k) => {
      const self = JSON.stringify({ self: selfLink(ctx.address.collectionUrl, k.name) });
      return `${ctx.index.keyJson(k, view).slice(0, -1)},"_links":${self}}`;
    });
    const links = pageLinks(ctx.address.collectionUrl, ctx.params.query, paging, visible.length);
    // Assembled from cached key JSON, in WireListPage's field order: serializing 100 keys per page
    // was most of the time of a 10,000-key walk.
    const body = `{"total":${visible.length},"count":${items.length},"result":[${items.join(',')}],"_links":${JSON.stringify(links)}}`;
    return rawJsonReply(200, body);
  }

  /** load_api_key: a non-master key sees only itself; everything else is "not found". */
  function withKey(callerCtx: RequestScope, name: string, then: (ctx: RequestScope, key: SandboxKey) => Response): Response {
    const ctx = actingFor(callerCtx);
    if (ctx instanceof Response) return ctx;
    // A name holding `/` can be created but never addressed again (docs/auth-api.md §1), even as %2F.
    const key = name.includes('/') ? undefined : ctx.index.byName.get(name);
    if (!key || (ctx.caller.type !== 'master' && key !== ctx.caller)) {
      return errorReply(404, `API key not found: ${name}`);
    }
    return then(ctx, key);
  }

  function create(callerCtx: RequestScope): Response {
    const ctx = actingFor(callerCtx);
    if (ctx instanceof Response) return ctx;
    // CARTO checks the quota before it even looks at the request.
    const regular = ctx.user.keys.filter((k) => k.type === 'regular').length;
    if (opts.quota !== undefined && regular >= opts.quota) return errorReply(403, QUOTA_REACHED);
    const checked = validateCreate(ctx.user, ctx.params.get('name'), ctx.params.raw('grants'));
    if (!checked.ok) return errorReply(422, checked.message);
    const at = now().toISOString();
    const token = uniqueToken(ctx.index, () => newRegularToken(random));
    const key = makeKey({ name: checked.name, type: 'regular', token, createdAt: at, updatedAt: at }, checked.grants);
    ctx.user.keys.push(key);
    changed();
    return jsonReply(201, renderKey(ctx.user, key));
  }

  function destroy(ctx: RequestScope, key: SandboxKey): Response {
    if (key.type !== 'regular') return errorReply(403, FORBIDDEN);
    ctx.user.keys.splice(ctx.user.keys.indexOf(key), 1);
    // REASSIGN OWNED BY: the tables the key created now belong to the account.
    for (const t of ctx.user.tables) if (t.ownerKey === key.name) delete t.ownerKey;
    changed();
    return emptyReply(204);
  }

  function regenerate(ctx: RequestScope, key: SandboxKey): Response {
    // CARTO's model refuses a Default public token other than `default_public`, and the controller
    // does not rescue that RecordInvalid: Rails answers its generic 500 page.
    if (key.type === 'default') return railsServerErrorPage();
    const make = key.type === 'master' ? () => newMasterToken(random) : () => newRegularToken(random);
    key.token = uniqueToken(ctx.index, make);
    key.updatedAt = now().toISOString();
    changed();
    return jsonReply(200, renderKey(ctx.user, key));
  }

  return async function sandboxHandler(request: Request): Promise<Response> {
    const head = request.method.toUpperCase() === 'HEAD';
    let response: Response;
    try {
      response = await handle(request);
    } catch (e) {
      if (e instanceof UnreadableRequestError || e instanceof URIError) response = railsBadRequest();
      else if (e instanceof ListParamError) response = errorReply(400, e.message);
      else throw e;
    }
    // Rails answers HEAD as GET, without the body.
    return head ? new Response(null, { status: response.status, headers: response.headers }) : response;
  };

  async function handle(request: Request): Promise<Response> {
    const method = request.method.toUpperCase() === 'HEAD' ? 'GET' : request.method.toUpperCase();
    const url = new URL(request.url);
    const address = addressOf(url, method);
    const user = address && state.users.find((u) => u.username === address.username);
    // An unknown user or route never reaches the API controller: Rails' static 404 page.
    if (!address || !user || !address.route) return railsNotFoundPage();
    const params = new Params(url.searchParams, await readBodyParams(request));
    const index = indexOf(user);
    const caller = authenticate(request, params, address.username, index);
    if (address.route.action === 'members' || address.route.action === 'member') return orgUsers(request, address, caller);
    if (!caller) return emptyReply(401);
    const writes = address.route.action !== 'list' && address.route.action !== 'show';
    if (writes && caller.type !== 'master') return emptyReply(401);
    if (user.engine === false) return emptyReply(404);
    return dispatch({ user, index, caller, params, address }, address.route);
  }
}

const BASIC_RE = /^\s*basic\s+(\S+)/i;

/**
 * Basic first; when present its username must be the URL's user, with no fallback to `api_key`.
 * Otherwise `api_key` from the query string, then from the body (Params does that order).
 */
function authenticate(request: Request, params: Params, username: string, index: UserIndex): SandboxKey | undefined {
  const basic = BASIC_RE.exec(request.headers.get('authorization') ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || decoded.slice(0, colon) !== username) return undefined;
    return lookup(index, decoded.slice(colon + 1));
  }
  const token = params.present('api_key');
  return token === undefined ? undefined : lookup(index, token);
}

function lookup(index: UserIndex, token: string): SandboxKey | undefined {
  return token === '' ? undefined : index.byToken.get(token);
}
