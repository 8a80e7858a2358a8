// Every way an Auth API exchange can fail (docs/auth-api.md §6, plus what proxies and networks add), turned
// into one typed error whose message is a line a person can act on and whose hint is the next step.
// The Delivery of each failure drives the retry rules in ./retry.ts.

import { ApiError, AuthError, type ApiErrorKind } from '../errors.js';
import { escapeControl } from '../text/escape.js';
import { redactText, redactUrl } from './redact.js';
import type { Delivery } from './retry.js';
import { isRecord } from '../json.js';

/** A complete HTTP reply: the body is read before anything is decided, so keep-alive sockets are freed. */
export interface Reply {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/** What the messages need to know about the request that failed. */
export interface FailureContext {
  /** What was being done, as the tail of "Could not …": `list API keys`, `create API key "x"`. */
  action: string;
  host: string;
  baseUrl: string;
  /** Strings that must never appear in a message (the client's token and Basic credential). */
  secrets: readonly string[];
}

export interface Failure {
  error: ApiError | AuthError;
  delivery: Delivery;
  /** Short reason for the --debug trace: `503`, `ECONNRESET`, `timeout`. */
  reason: string;
}

const SNIPPET_MAX = 160;

/** The failure for a non-2xx reply. */
export function failureFromReply(reply: Reply, ctx: FailureContext): Failure {
  const { status } = reply;
  const reason = String(status);
  if (status === 401) {
    // Empty body by contract; also what a non-master key gets for any write (docs/auth-api.md §2).
    const error = new AuthError(`The API key was rejected (401) by ${ctx.host}`, {
      code: 'unauthorized',
      status,
      hint: 'Use the Master key of this account: run "carto-keys login", or check CARTO_KEYS_MASTER_KEY',
    });
    return { error, delivery: 'final', reason };
  }
  const delivery = deliveryOfStatus(status);
  if (status >= 300 && status < 400) {
    // Checked before the body: redirects usually come with a small HTML page.
    const location = reply.headers.get('location');
    const to = location === null ? '' : ` to ${escapeControl(redactUrl(location))}`;
    const error = new ApiError('http', `Could not ${ctx.action}: ${ctx.host} redirected (${status})${to}`, {
      status,
      delivery,
      hint: 'Use the address it redirects to as the base URL: carto-keys login --base-url <url>',
    });
    return { error, delivery, reason };
  }
  if (looksLikeHtml(reply)) {
    const kind: ApiErrorKind = status >= 500 ? 'server' : status === 429 ? 'rate_limited' : 'bad_response';
    return { error: htmlPageError(reply, ctx, kind, delivery), delivery, reason };
  }

  const body = parseJson(reply.text);
  const errors = body.ok ? errorsText(body.value) : undefined;
  // Escaped here, at the source: it is quoted in messages, and a line break in it would forge a line.
  const serverMessage = errors === undefined ? undefined : escapeControl(redactText(errors, ctx.secrets));
  // Without CARTO's `errors`, quote whatever short text came back (a proxy's "Bad Request"), redacted.
  const said =
    serverMessage !== undefined
      ? `CARTO says "${serverMessage}" (${status})`
      : `${ctx.host} answered ${status}${snippet(reply.text, ctx)}`;
  const fail = (kind: ApiErrorKind, message: string, hint?: string): Failure => ({
    error: new ApiError(kind, `Could not ${ctx.action}: ${message}`, {
      status,
      delivery,
      ...(serverMessage === undefined ? {} : { serverMessage }),
      ...(hint === undefined ? {} : { hint }),
    }),
    delivery,
    reason,
  });

  if (status === 404) {
    if (serverMessage !== undefined) {
      return fail('not_found', said, 'Names are case-sensitive; "carto-keys list" shows the API keys you can see');
    }
    // The empty 404 is ambiguous: the contract's "no engine access", or a base URL that is not CARTO.
    const what = reply.text.trim() === '' ? 'with an empty body' : 'without an Auth API error';
    return fail(
      'no_engine',
      `${ctx.host} answered 404 ${what}: the account has no engine access, or the base URL is wrong`,
      `Check the base URL (${ctx.baseUrl}); the Auth API needs a CARTO account with engine access`,
    );
  }
  if (status === 403) {
    if (serverMessage !== undefined && /limit of API keys/i.test(serverMessage)) {
      return fail('quota', said, 'Revoke API keys you no longer need ("carto-keys revoke <name>"), or upgrade the plan');
    }
    return fail('forbidden', said, 'Only regular API keys can be deleted or changed; Master and Default public are built in');
  }
  if (status === 422) {
    return fail('validation', said, isDuplicateName(serverMessage) ? 'Choose another name (--name)' : undefined);
  }
  if (status === 400) {
    return fail('bad_request', said, 'CARTO refused a parameter carto-keys sent: please report this as a bug');
  }
  if (status === 429) {
    return fail('rate_limited', `${ctx.host} is limiting the request rate (429)`, 'Wait a minute and try again');
  }
  if (status >= 500) {
    return fail('server', said, 'CARTO failed to answer; try again later (--debug shows the exchange)');
  }
  return fail('http', said);
}

/** The failure for a fetch that threw: a timeout (our own abort) or a network error. */
export function failureFromThrown(err: unknown, timedOut: boolean, timeoutMs: number, ctx: FailureContext): Failure {
  if (timedOut) {
    const limit = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 100) / 10} s`;
    const error = new ApiError('timeout', `Could not ${ctx.action}: ${ctx.host} did not answer within ${limit}`, {
      delivery: 'ambiguous',
      hint: 'Check your network connection, or try again later',
      cause: err,
    });
    // It may have been processed before the reply was lost.
    return { error, delivery: 'ambiguous', reason: 'timeout' };
  }
  const code = errorCode(err);
  if (code === 'ERR_PROXY') {
    // The proxy's own failure names the proxy; nothing reached the server.
    const message = err instanceof Error && err.cause instanceof Error && errorCode(err.cause) === 'ERR_PROXY' ? err.cause.message : innermostMessage(err);
    const error = new ApiError('network', `Could not ${ctx.action}: ${redactText(message, ctx.secrets)}`, {
      delivery: 'unsent',
      hint: 'Check the proxy variable named above (or list this host in NO_PROXY), then try again',
      cause: err,
    });
    return { error, delivery: 'unsent', reason: 'proxy' };
  }
  const detail = redactText(innermostMessage(err), ctx.secrets);
  const shown = code === undefined || detail.includes(code) ? detail : `${code}: ${detail}`;
  const delivery = deliveryOfCode(code);
  const error = new ApiError('network', `Could not ${ctx.action}: cannot reach ${ctx.host} (${shown})`, {
    hint: networkHint(code, ctx),
    delivery,
    cause: err,
  });
  return { error, delivery, reason: code ?? 'network error' };
}

/** A 2xx reply that is not what the contract promises: the request took effect, or may have. */
export function badResponse(status: number, ctx: FailureContext, detail: string): ApiError {
  return new ApiError('bad_response', `Could not ${ctx.action}: ${ctx.host} answered ${status} with ${detail}`, {
    status,
    delivery: 'ambiguous',
    hint: `Check that the base URL (${ctx.baseUrl}) is the account's API root; --debug shows the exchange`,
  });
}

/** The same error with another hint: the caller knows better what to do next. */
export function withHint(error: ApiError, hint: string): ApiError {
  return copyOf(error, { hint, delivery: error.delivery });
}

/**
 * The same error after retries that ran out: an earlier attempt that may have taken effect makes the
 * outcome ambiguous, unless the last answer was a refusal (which the earlier attempt would have met too).
 */
export function afterRetries(error: ApiError, afterAmbiguous: boolean): ApiError {
  return afterAmbiguous && error.delivery === 'unsent' ? copyOf(error, { ...(error.hint !== undefined && { hint: error.hint }), delivery: 'ambiguous' }) : error;
}

function copyOf(error: ApiError, changes: { hint?: string; delivery: Delivery }): ApiError {
  return new ApiError(error.kind, error.message, {
    ...(changes.hint !== undefined && { hint: changes.hint }),
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.serverMessage === undefined ? {} : { serverMessage: error.serverMessage }),
    delivery: changes.delivery,
    cause: error.cause,
  });
}

/** The JSON of a 2xx reply, or a bad_response error saying why it cannot be read. */
export function successJson(reply: Reply, ctx: FailureContext): unknown {
  if (looksLikeHtml(reply)) throw htmlPageError(reply, ctx, 'bad_response', 'ambiguous');
  const body = parseJson(reply.text);
  if (!body.ok) {
    throw badResponse(reply.status, ctx, reply.text.trim() === '' ? 'an empty body' : 'truncated or invalid JSON');
  }
  return body.value;
}

/** CARTO's answer to a create whose name exists — what a retried create that did succeed gets. */
export function isDuplicateName(serverMessage: string | undefined): boolean {
  return serverMessage !== undefined && /name has already been taken/i.test(serverMessage);
}

/**
 * CARTO's `errors` as one line. It is a string by contract, but other CARTO services answer arrays
 * (`["…"]`) or Rails-style objects (`{"name": ["…"]}`), so those are accepted and joined too.
 */
export function errorsText(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const raw = body['errors'] ?? body['error'];
  const parts = flatten(raw).map((s) => s.trim()).filter((s) => s !== '');
  return parts.length === 0 ? undefined : parts.join(', ').replace(/\s+/g, ' ');
}

function flatten(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (isRecord(value)) {
    return Object.entries(value).flatMap(([field, v]) => flatten(v).map((msg) => `${field} ${msg}`));
  }
  return [];
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function looksLikeHtml(reply: Reply): boolean {
  if ((reply.headers.get('content-type') ?? '').toLowerCase().includes('html')) return true;
  // A JSON reply starts with `{` or `[`: no regular expression is compiled for it.
  const text = reply.text.trimStart();
  return text.startsWith('<') && /^<(!doctype|html|head|body)\b/i.test(text);
}

function htmlPageError(reply: Reply, ctx: FailureContext, kind: ApiErrorKind, delivery: Delivery): ApiError {
  // The page itself says nothing useful to a CLI user (and could be huge): name who answered instead.
  const hint =
    reply.status >= 500
      ? 'A proxy or gateway in front of CARTO failed; try again later'
      : `Check the base URL (${ctx.baseUrl}) and any HTTPS_PROXY setting`;
  return new ApiError(
    kind,
    `Could not ${ctx.action}: ${ctx.host} answered ${reply.status} with an HTML page instead of the Auth API`,
    { status: reply.status, hint, delivery },
  );
}

function snippet(text: string, ctx: FailureContext): string {
  const line = clip(redactText(text, ctx.secrets), SNIPPET_MAX);
  return line === '' ? '' : `: "${line}"`;
}

/** `text` on one line, cut at `max` characters: enough to recognise a reply, never a page of it. */
export function clip(text: string, max: number): string {
  const line = escapeControl(text.replace(/\s+/g, ' ').trim());
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function deliveryOfStatus(status: number): Delivery {
  // 429 and 503 are refusals to process ("come back later"), not failures while processing.
  if (status === 429 || status === 503) return 'unsent';
  if (status >= 500) return 'ambiguous';
  return 'final';
}

// Failures before a connection existed: nothing reached the server.
const UNSENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
// Certificate and protocol mismatches do not heal by retrying.
const PERMANENT_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_/;

function deliveryOfCode(code: string | undefined): Delivery {
  if (code === undefined) return 'ambiguous';
  // An unknown host is nearly always a typo in the base URL; a transient DNS failure is EAI_AGAIN.
  if (code === 'ENOTFOUND' || PERMANENT_CODE.test(code)) return 'final';
  if (UNSENT_CODES.has(code)) return 'unsent';
  return 'ambiguous';
}

function networkHint(code: string | undefined, ctx: FailureContext): string {
  if (code === 'ECONNREFUSED') {
    return `Nothing is listening at ${ctx.baseUrl}: check the base URL (for the sandbox: is "carto-keys sandbox serve" running?)`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `Check the host name in the base URL (${ctx.baseUrl}) and your network`;
  }
  if (code !== undefined && PERMANENT_CODE.test(code)) {
    return "The server's TLS certificate is not trusted; behind a TLS-inspecting proxy, set NODE_EXTRA_CA_CERTS to its CA";
  }
  return 'Check your network connection (and HTTPS_PROXY / NO_PROXY), then try again';
}

/**
 * The error and its causes, outermost first. Both undici and Node's fetch throw
 * `TypeError('fetch failed')` with the real error as `cause`; a failed happy-eyeballs connect nests one
 * error per address inside an AggregateError (whose own message is empty).
 */
function causeChain(err: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  // Bounded: a cause cycle must not hang error reporting.
  for (let e: unknown = err; isRecord(e) && chain.length < 8; ) {
    chain.push(e);
    const nested = e['errors'];
    e = e['cause'] ?? (Array.isArray(nested) ? nested[0] : undefined);
  }
  return chain;
}

/** The system error code (ECONNRESET, ENOTFOUND, CERT_HAS_EXPIRED…) behind a fetch failure. */
export function errorCode(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const code = e['code'];
    if (typeof code === 'string' && code !== '') return code;
  }
  return undefined;
}

/** The most specific message: `connect ECONNREFUSED 127.0.0.1:1` rather than `fetch failed`. */
function innermostMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  for (const e of causeChain(err)) {
    const m = e['message'];
    if (typeof m === 'string' && m !== '') message = m;
  }
  return message;
}
