// The Auth API client (docs/auth-api.md): one typed method per endpoint, with its HTTP rules:
// a timeout per attempt, retries with backoff where they are safe, and a redacted
// --debug trace. It never sees process.* and takes its fetch from the caller, so tests run it under
// msw and the embedded sandbox runs it in-process.
//
// Retry rules (the Delivery of each failure is decided in ./failures.ts):
// - GET (list, show, whoami): idempotent, retried on network errors, timeouts, 429 and 5xx.
// - DELETE: retried the same way. If an attempt failed ambiguously (it may have deleted the key) and a
//   later attempt answers 404 "API key not found", the key is gone because of us: that is success.
// - create (POST): retried on the same failures, because a duplicate is recognisable: when a retry that
//   follows an ambiguous failure answers 422 "Name has already been taken", the first attempt most
//   likely created the key. It is fetched by name and returned with `recovered: true` when
//   `isOurs(existing)` agrees; otherwise the 422 stands. A 422 on a first attempt is just an error.
//   A 403 quota after an ambiguous failure is checked the same way (that key may have used the last
//   slot); if no such key exists, the 403 stands.
// - regenerate (POST): not idempotent (each success changes the token again, and the caller would
//   have missed one token), so it is retried only when the request surely did not take effect:
//   connection refused/unreachable, 429 and 503. After an ambiguous failure (reset, timeout,
//   500/502/504) it stops, with a hint that the token may have changed anyway.

import { ApiError, UsageError } from '../errors.js';
import { API_KEYS_PATH, resolveBaseUrl } from './base-url.js';
import {
  afterRetries,
  badResponse,
  clip,
  failureFromReply,
  failureFromThrown,
  isDuplicateName,
  successJson,
  withHint,
  type Failure,
  type FailureContext,
  type Reply,
} from './failures.js';
import { checkMembers, MEMBERS_PATH, membersFailure, targetFailure, type OrgMember } from './org.js';
import { runPool } from './pool.js';
import { escapeControl } from '../text/escape.js';
import { redactText } from './redact.js';
import { backoffMs, mayRetry, parseRetryAfter, type RetryPolicy } from './retry.js';
import { validateUsername } from './base-url.js';
import {
  DEFAULT_PUBLIC_KEY_NAME,
  RESERVED_KEY_NAMES,
  type CreateKeyRequest,
  type KeyType,
  type ListOrder,
  type WireApiKey,
  type WireListPage,
} from './types.js';
import { checkApiKey, checkListPage, type Checked } from './wire-check.js';
import { commandLine } from '../text/command-line.js';

/**
 * What the client reads of a reply. A WHATWG Response is one (msw, the embedded sandbox, undici);
 * the node:http transport makes a lighter one, because on Node 20 merely touching Response or
 * Headers loads Node's internal copy of undici (+70–90 ms of start-up).
 */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type FetchLike = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    /**
     * The attempt's time limit (connecting, the headers and the body): a transport that owns a
     * connection frees it then. The client gives up at that moment whatever the transport does.
     */
    timeoutMs?: number;
    /** The client asks for 'manual': see `request()` below. */
    redirect?: RequestRedirect;
  },
) => Promise<FetchResponse>;

export interface ApiClientOptions {
  /** The user's API root, any form of docs/auth-api.md §1; normalized by resolveBaseUrl. */
  baseUrl: string;
  /** Basic auth user; must equal the URL's user. */
  username: string;
  /** Basic auth password. Never put in a URL or a trace line. */
  token: string;
  fetch: FetchLike;
  /** Per attempt, reading the body included. */
  timeoutMs?: number;
  /** Extra attempts for retryable failures. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source, in [0, 1). */
  random?: () => number;
  /** --debug trace sink; every line is redacted before it gets here. */
  debug?: (line: string) => void;
  /** How many list pages may be in flight at once. */
  concurrency?: number;
  /** Page size of full listings. */
  perPage?: number;
  userAgent?: string;
  /**
   * Act on this organization member's keys (docs/auth-api.md §8): every key request carries
   * `target_user`, while the caller still authenticates as themselves on their own URL.
   */
  targetUser?: string;
}

export interface ListPageQuery {
  page: number;
  perPage: number;
  order?: ListOrder;
  type?: KeyType[];
}

export interface ListKeysQuery {
  order?: ListOrder;
  type?: KeyType[];
  /** Stop after this many keys, fetching only the pages they need. */
  limit?: number;
  /**
   * Called with each page as it arrives (in any order), so a caller can render it while the other
   * pages are still on their way. The keys passed are the very objects listKeys returns.
   */
  onPage?: (page: number, keys: readonly WireApiKey[]) => void;
  /** Called once with the server's count of the keys that match (all of them, not only the `limit`). */
  onTotal?: (total: number) => void;
  /** Pages in flight at once, when the caller bounds it (several members listed together). */
  concurrency?: number;
}

export interface ApiClient {
  readonly baseUrl: string;
  readonly username: string;
  /** The member whose keys this client acts on, when it is not the caller. */
  readonly targetUser: string | undefined;
  /** The same login acting on `member`'s keys (undefined, or the caller's own name: their own keys). */
  forUser(member: string | undefined): ApiClient;
  /** The users of organization `org` (EUMAPI index; the caller must be an owner or admin). Never their keys. */
  listMembers(org: string): Promise<OrgMember[]>;
  listPage(q: ListPageQuery): Promise<WireListPage>;
  /** Every key (or the first `limit`), all pages fetched, in the server's order. */
  listKeys(q?: ListKeysQuery): Promise<WireApiKey[]>;
  /** `verb` names what the key is looked up for, in the error: "Could not revoke API key …". */
  getKey(name: string, opts?: { verb?: string }): Promise<WireApiKey>;
  createKey(
    req: CreateKeyRequest,
    opts?: { isOurs?: (existing: WireApiKey) => boolean },
  ): Promise<{ key: WireApiKey; recovered: boolean }>;
  /** The key, or undefined when CARTO says there is none (any other failure is thrown). */
  findKey(name: string): Promise<WireApiKey | undefined>;
  deleteKey(name: string): Promise<void>;
  /** Deletes the key; true when it was deleted, false when it was already gone. */
  deleteIfExists(name: string): Promise<boolean>;
  regenerateKey(name: string): Promise<WireApiKey>;
  /** The key this client's token belongs to (list with it: a non-master token sees only itself). */
  whoami(): Promise<WireApiKey>;
}

export const DEFAULTS = {
  timeoutMs: 30_000,
  retries: 3,
  concurrency: 6,
  perPage: 100,
  userAgent: 'carto-keys',
} as const;

/** At most this much of an error body goes to the trace. */
const TRACE_BODY_MAX = 500;

interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** After `/api/v3/api_keys` (or after the base URL, with `root`), already percent-encoded. */
  path: string;
  /** Another API than the Auth API's keys under the same base URL (the members index). */
  root?: 'base';
  query?: Record<string, string>;
  body?: unknown;
  /** Tail of "Could not …" in error messages. */
  action: string;
  policy: RetryPolicy;
}

type SendResult =
  | { ok: true; reply: Reply }
  /** `afterAmbiguous`: an earlier attempt may have taken effect (see the retry rules above). */
  | { ok: false; failure: Failure; afterAmbiguous: boolean };

type AttemptResult = { ok: true; reply: Reply } | { ok: false; failure: Failure; retryAfterMs?: number };

export function createApiClient(opts: ApiClientOptions): ApiClient {
  // Validates the URL and that the Basic user is the URL's user: CARTO refuses a mismatch with a bare
  // 401, which would wrongly blame the key.
  const { baseUrl, username } = resolveBaseUrl({ user: opts.username, baseUrl: opts.baseUrl });
  // Naming yourself is no delegation: plain requests then, which need no admin rights.
  const targetUser =
    opts.targetUser === undefined || opts.targetUser === username ? undefined : validateUsername(opts.targetUser, '--user');
  // `of bob` in messages, so an error says whose key it was about.
  const of = targetUser === undefined ? '' : ` of ${targetUser}`;
  /** `carto-keys show <name>` for this account (and member), to check what a request left behind. */
  const showCommand = (name: string): string => commandLine('show', { args: [name] }, { user: targetUser });
  const host = new URL(baseUrl).host;
  const endpoint = `${baseUrl}${API_KEYS_PATH}`;
  const credential = Buffer.from(`${username}:${opts.token}`, 'utf8').toString('base64');
  const secrets = [opts.token, credential];
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxAttempts = 1 + Math.max(0, opts.retries ?? DEFAULTS.retries);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = opts.random ?? Math.random;
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULTS.concurrency);
  const fullPageSize = Math.max(1, opts.perPage ?? DEFAULTS.perPage);
  const headers: Record<string, string> = {
    Authorization: `Basic ${credential}`,
    Accept: 'application/json',
    'User-Agent': opts.userAgent ?? DEFAULTS.userAgent,
  };

  const debug = opts.debug;
  const trace = (line: string): void => debug?.(redactText(line, secrets));
  const contextOf = (action: string): FailureContext => ({ action, host, baseUrl, secrets });

  function urlOf(spec: RequestSpec): string {
    const params = { ...spec.query, ...(targetUser !== undefined && spec.root === undefined && { target_user: targetUser }) };
    const query = new URLSearchParams(params).toString();
    return `${spec.root === 'base' ? baseUrl : endpoint}${spec.path}${query === '' ? '' : `?${query}`}`;
  }

  /** Organization terms for what CARTO refuses to a `target_user` request. */
  function orgFailure(failure: Failure, spec: RequestSpec): Failure {
    if (targetUser === undefined || spec.root !== undefined) return failure;
    const builtInDelete = spec.method === 'DELETE' && RESERVED_KEY_NAMES.some((n) => spec.path === `/${encodeURIComponent(n)}`);
    return targetFailure(failure, targetUser, builtInDelete);
  }

  async function attempt(spec: RequestSpec, url: string, n: number): Promise<AttemptResult> {
    const label = `${spec.method} ${url}`;
    trace(`→ ${label}${n > 1 ? ` (attempt ${n}/${maxAttempts})` : ''}`);
    const ctx = contextOf(spec.action);
    // Date.now(), not performance.now(): the `performance` global loads perf_hooks (~4 M instructions).
    const started = Date.now();
    const elapsed = (): string => `${Date.now() - started} ms`;
    // One timer over connecting, the headers and the body. Not an AbortController: that alone costs
    // ~3 M instructions of start-up (node:internal/abort_controller and event_target), and the
    // transport frees its connection at the same time limit by itself.
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    let reply: Reply;
    try {
      const res = await Promise.race([
        opts.fetch(url, {
          method: spec.method,
          headers: spec.body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
          ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
          timeoutMs,
          // A redirect would resend the credential to wherever it points, and turn a POST into a GET;
          // CARTO's API does not redirect, so one is reported as an error instead.
          redirect: 'manual',
        }),
        deadline,
      ]);
      reply = { status: res.status, headers: res.headers, text: await Promise.race([res.text(), deadline]) };
    } catch (err) {
      const failure = failureFromThrown(err, timedOut, timeoutMs, ctx);
      trace(`← ${failure.reason} ${label} (${elapsed()})`);
      return { ok: false, failure };
    } finally {
      clearTimeout(timer);
    }

    trace(`← ${reply.status} ${label} (${elapsed()})`);
    if (reply.status >= 200 && reply.status < 300) return { ok: true, reply };
    // Only error bodies are traced: success bodies carry tokens.
    // Redacted before it is cut: a secret cut in half (`"api_key":"d0d0…`) no longer looks like one.
    if (reply.text.trim() !== '') trace(`  body: ${clip(redactText(reply.text, secrets), TRACE_BODY_MAX)}`);
    const retryAfterMs = parseRetryAfter(reply.headers.get('retry-after'), Date.now());
    return {
      ok: false,
      failure: orgFailure(failureFromReply(reply, ctx), spec),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }

  async function send(spec: RequestSpec): Promise<SendResult> {
    const url = urlOf(spec);
    let afterAmbiguous = false;
    for (let n = 1; ; n++) {
      const result = await attempt(spec, url, n);
      if (result.ok) return result;
      const { failure } = result;
      if (n >= maxAttempts || !mayRetry(spec.policy, failure.delivery)) {
        if (n > 1) trace(`  giving up after ${n} attempts`);
        const error = failure.error instanceof ApiError ? afterRetries(failure.error, afterAmbiguous) : failure.error;
        return { ok: false, failure: { ...failure, error }, afterAmbiguous };
      }
      if (failure.delivery === 'ambiguous') afterAmbiguous = true;
      const delay = result.retryAfterMs ?? backoffMs(n, random);
      trace(`  ${failure.reason}: retrying in ${delay} ms (attempt ${n + 1}/${maxAttempts})`);
      await sleep(delay);
    }
  }

  async function request(spec: RequestSpec): Promise<Reply> {
    const result = await send(spec);
    if (!result.ok) throw result.failure.error;
    return result.reply;
  }

  function decode<T>(reply: Reply, action: string, what: string, check: (value: unknown) => Checked<T>): T {
    const ctx = contextOf(action);
    const checked = check(successJson(reply, ctx));
    if (!checked.ok) throw badResponse(reply.status, ctx, `a reply that is not ${what}: ${checked.problem}`);
    return checked.value;
  }

  const keyPath = (name: string): string => {
    // An empty name would address the collection (a GET lists, a DELETE hits the wrong resource), and
    // every URL parser resolves a `.` or `..` segment (even percent-encoded) before sending: refuse them.
    if (name === '') throw new UsageError('The API key name is empty.', { hint: 'Run `carto-keys list` to see the names.' });
    if (name === '.' || name === '..') {
      throw new UsageError(`"${name}" cannot be addressed as an API key name: URLs read it as a folder step.`);
    }
    return `/${encodeURIComponent(name)}`;
  };

  async function listPage(q: ListPageQuery): Promise<WireListPage> {
    const query: Record<string, string> = { page: String(q.page), per_page: String(q.perPage) };
    if (q.order !== undefined) query['order'] = q.order;
    if (q.type !== undefined && q.type.length > 0) query['type'] = q.type.join(',');
    const action = `list API keys${of}`;
    const reply = await request({ method: 'GET', path: '', query, action, policy: 'any' });
    return decode(reply, action, 'an API key list', checkListPage);
  }

  async function listKeys(q: ListKeysQuery = {}): Promise<WireApiKey[]> {
    const { limit } = q;
    if (limit !== undefined && limit <= 0) return [];
    const perPage = limit === undefined ? fullPageSize : Math.min(fullPageSize, limit);
    const pageQuery = (page: number): ListPageQuery => ({
      page,
      perPage,
      ...(q.order === undefined ? {} : { order: q.order }),
      ...(q.type === undefined ? {} : { type: q.type }),
    });

    // Page 1 first: only its `total` says how many pages there are.
    const first = await listPage(pageQuery(1));
    q.onPage?.(1, first.result);
    // Keys in hand count even if `total` understates them.
    const total = Math.max(first.total, first.result.length);
    q.onTotal?.(total);
    const wanted = limit === undefined ? total : Math.min(total, limit);
    // The page count is fixed now, so a server whose pages disagree with `total` cannot make this
    // loop forever; a page past the end (200, `result: []`) stops the fetching early.
    const pageCount = first.result.length >= wanted ? 1 : Math.ceil(wanted / perPage);
    const pages = new Map<number, WireApiKey[]>([[1, first.result]]);
    await runPool(2, pageCount, Math.max(1, q.concurrency ?? concurrency), async (page) => {
      const { result } = await listPage(pageQuery(page));
      pages.set(page, result);
      q.onPage?.(page, result);
      return result.length === 0 ? 'stop' : 'continue';
    });

    // Keys created or deleted while paging shift items between pages, so one key can show up on two
    // pages: names are unique per user, so keep the first.
    const seen = new Set<string>();
    const keys: WireApiKey[] = [];
    for (let page = 1; page <= pageCount; page++) {
      for (const key of pages.get(page) ?? []) {
        if (seen.has(key.name)) continue;
        seen.add(key.name);
        keys.push(key);
      }
    }
    return keys.slice(0, wanted);
  }

  async function getKey(name: string, opts: { verb?: string } = {}): Promise<WireApiKey> {
    const action = `${opts.verb ?? 'show'} API key "${escapeControl(name)}"${of}`;
    const reply = await request({ method: 'GET', path: keyPath(name), action, policy: 'any' });
    return decode(reply, action, 'an API key', checkApiKey);
  }

  async function createKey(
    req: CreateKeyRequest,
    createOpts: { isOurs?: (existing: WireApiKey) => boolean } = {},
  ): Promise<{ key: WireApiKey; recovered: boolean }> {
    if (req.name.includes('/')) {
      // CARTO accepts it, but no URL can address such a key afterwards (docs/auth-api.md §1).
      throw new UsageError(`API key names cannot contain "/": "${req.name}"`, {
        hint: 'CARTO would create it, but could never show, regenerate or delete it',
      });
    }
    // Checked like a path would be: a key that could never be addressed again must not be made.
    if (req.name === '.' || req.name === '..') keyPath(req.name);
    const action = `create API key "${escapeControl(req.name)}"${of}`;
    const body: CreateKeyRequest = { name: req.name, grants: req.grants };
    const isOurs = createOpts.isOurs ?? (() => true);
    const result = await send({ method: 'POST', path: '', body, action, policy: 'any' });
    if (result.ok) {
      try {
        return { key: decode(result.reply, action, 'an API key', checkApiKey), recovered: false };
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        // A 2xx says the key was created; only the reply that carries it is unreadable. Fetch it by
        // name, or the user would run create again and get a second key (or a "name taken" error).
        return recoverUnreadableCreate(req.name, err, isOurs);
      }
    }

    const { error } = result.failure;
    if (!(error instanceof ApiError)) throw error;
    // After an attempt that may have created the key, two refusals can be caused by that very key:
    // "name already taken", and the quota it used up.
    const duplicate = error.kind === 'validation' && isDuplicateName(error.serverMessage);
    if (result.afterAmbiguous && (duplicate || error.kind === 'quota')) {
      trace(`  ${error.kind} after an attempt that may have created "${req.name}": looking for it`);
      const existing = await findKey(req.name);
      if (existing === undefined) throw error;
      if (!isOurs(existing)) {
        throw duplicate
          ? withHint(error, `An API key named "${req.name}" already exists and is not the one requested; choose another name`)
          : error;
      }
      return { key: existing, recovered: true };
    }
    if (error.delivery === 'ambiguous') {
      // Retries ran out after an attempt that may have gone through: trying again blindly could make
      // a second key (a generated name is new each time).
      throw withHint(error, `The key may have been created anyway: check with \`${showCommand(req.name)}\` before trying again`);
    }
    throw error;
  }

  async function recoverUnreadableCreate(
    name: string,
    error: ApiError,
    isOurs: (existing: WireApiKey) => boolean,
  ): Promise<{ key: WireApiKey; recovered: boolean }> {
    trace(`  unreadable reply to a create that succeeded: looking for "${name}"`);
    let existing: WireApiKey | undefined;
    try {
      existing = await findKey(name);
    } catch {
      throw withHint(error, `The key was probably created (CARTO answered ${error.status ?? '2xx'}): check with \`${showCommand(name)}\` before trying again`);
    }
    if (existing === undefined) throw withHint(error, `No API key named "${name}" exists: nothing was created; try again`);
    if (!isOurs(existing)) throw withHint(error, `An API key named "${name}" exists but does not grant what was requested: check it with \`${showCommand(name)}\``);
    return { key: existing, recovered: true };
  }

  /** The key, or undefined when CARTO says there is none. */
  async function findKey(name: string): Promise<WireApiKey | undefined> {
    try {
      return await getKey(name);
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  async function deleteIfExists(name: string): Promise<boolean> {
    try {
      await deleteKey(name);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.kind === 'not_found') return false;
      throw err;
    }
  }

  async function deleteKey(name: string): Promise<void> {
    const action = `delete API key "${escapeControl(name)}"${of}`;
    const result = await send({ method: 'DELETE', path: keyPath(name), action, policy: 'any' });
    if (result.ok) {
      if (result.reply.status === 204) return;
      await confirmDeleted(name, action, result.reply);
      return;
    }
    const { error } = result.failure;
    if (result.afterAmbiguous && error instanceof ApiError && error.kind === 'not_found') {
      trace(`  "${name}" is gone after an attempt that may have deleted it: done`);
      return;
    }
    throw error;
  }

  /**
   * CARTO answers a delete with 204 and nothing else (docs/auth-api.md §1). Any other 2xx — a gateway's
   * page, an empty 200, a cache — proves nothing, and a "revoked" key that still works is the worst
   * lie this tool could tell: look the key up, and call it deleted only when the server says it is gone.
   */
  async function confirmDeleted(name: string, action: string, reply: Reply): Promise<void> {
    trace(`  DELETE answered ${reply.status}, not 204: checking that "${name}" is gone`);
    const ctx = contextOf(action);
    const unconfirmed = (detail: string): ApiError =>
      new ApiError('bad_response', `Could not ${action}: ${host} answered ${reply.status} instead of 204, and ${detail}`, {
        delivery: 'ambiguous',
        status: reply.status,
        hint: `Check with \`${showCommand(name)}\`; check that the base URL (${baseUrl}) is the account's API root (--debug shows the exchange)`,
      });
    let lookup: SendResult;
    try {
      lookup = await send({ method: 'GET', path: keyPath(name), action, policy: 'any' });
    } catch (err) {
      throw unconfirmed(`the key could not be looked up afterwards (${err instanceof Error ? err.message : String(err)})`);
    }
    if (lookup.ok) {
      // A gateway answering every request with the same 200 page must not pass for "still there" either.
      let still: unknown;
      try {
        still = successJson(lookup.reply, ctx);
      } catch {
        throw unconfirmed('looking the key up afterwards gave an unreadable reply: it may still exist');
      }
      throw unconfirmed(checkApiKey(still).ok ? 'the key still exists' : 'looking the key up afterwards gave an unreadable reply: it may still exist');
    }
    const { error } = lookup.failure;
    if (error instanceof ApiError && error.kind === 'not_found') return;
    throw unconfirmed(`looking the key up afterwards failed (${error instanceof Error ? error.message : String(error)}): it may still exist`);
  }

  async function regenerateKey(name: string): Promise<WireApiKey> {
    const action = `regenerate the token of API key "${escapeControl(name)}"${of}`;
    const path = `${keyPath(name)}/token/regenerate`;
    const result = await send({ method: 'POST', path, action, policy: 'unsent' });
    if (result.ok) return decode(result.reply, action, 'an API key', checkApiKey);

    const { error } = result.failure;
    if (!(error instanceof ApiError)) throw error;
    if (name === DEFAULT_PUBLIC_KEY_NAME && error.kind === 'server') {
      // CARTO's server crashes on this one (docs/auth-api.md §6) instead of refusing it.
      throw withHint(error, 'The Default public key cannot be regenerated: its token is always "default_public"');
    }
    if (error.delivery === 'ambiguous') {
      throw withHint(
        error,
        `The token may have been regenerated anyway (the old one then no longer works): check with \`${showCommand(name)}\` before retrying`,
      );
    }
    throw error;
  }

  async function whoami(): Promise<WireApiKey> {
    // A non-master token lists only itself; a master token lists every key, master first.
    const page = await listPage({ page: 1, perPage: 1 });
    const key = page.result[0];
    if (key === undefined) {
      throw badResponse(200, contextOf('identify the API key'), 'an empty list: no key for this token');
    }
    return key;
  }

  function forUser(member: string | undefined): ApiClient {
    const { targetUser: _, ...rest } = opts;
    return createApiClient(member === undefined ? rest : { ...rest, targetUser: member });
  }

  async function listMembers(org: string): Promise<OrgMember[]> {
    const action = `list the members of organization "${org}"`;
    const result = await send({ method: 'GET', root: 'base', path: MEMBERS_PATH(org), action, policy: 'any' });
    if (!result.ok) throw membersFailure(result.failure, org).error;
    // The reply holds every member's Master key: checkMembers keeps only username, email and admin.
    return decode(result.reply, action, 'a list of organization users', checkMembers);
  }

  return { baseUrl, username, targetUser, forUser, listMembers, listPage, listKeys, getKey, findKey, createKey, deleteKey, deleteIfExists, regenerateKey, whoami };
}

