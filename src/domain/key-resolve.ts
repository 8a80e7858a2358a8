// Finding a key by what the user typed: a name or a token (a token's own list call returns its key, so
// a leaked token found in a log can be traced back to its key, then shown, revoked, cloned or rotated).
// Shared by show, revoke, clone and the rotation engine.
//
// An argument shaped exactly like a token (22 URL-safe base64 characters, or 40 hex) is tried as a
// token FIRST, with its own list call: looked up by name first, a still-valid token would be put in a
// URL path (`GET …/api_keys/<token>`), in the --debug trace and in a "not found" error. Only if it is
// not a valid token is it looked up as a name. Anything else is a name first, then maybe a token.

import type { ApiClient } from '../api/client.js';
import type { WireApiKey } from '../api/types.js';
import type { Context } from '../context.js';
import { requireCredentials } from '../config/settings.js';
import { ApiError, AuthError, UsageError } from '../errors.js';
import { memberBaseUrl } from '../domain/members.js';
import { normalizeRenderedGrants } from '../grants/index.js';
import { escapeControl } from '../text/escape.js';
import type { GrantSet } from '../grants/model.js';
import { commandLine } from '../text/command-line.js';

export interface SourceKey {
  key: WireApiKey;
  /** The key's grants in create form (docs/auth-api.md §3.1). */
  grants: GrantSet;
  /** What normalization dropped that the user may care about. */
  dropped: string[];
  /** The argument was a token, not a name. */
  byToken: boolean;
}

/** Tokens are 22 URL-safe base64 characters (regular) or 40 hex (Master): a name with spaces is not one. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,64}$/;

/** What the key is looked up for: the verb of the error when there is none ("Could not revoke …"). */
export type KeyVerb = 'show' | 'revoke' | 'clone' | 'rotate';

/** Exactly a regular token (22 URL-safe base64 characters) or a Master token (40 hex). */
const EXACT_TOKEN = /^(?:[A-Za-z0-9_-]{22}|[0-9a-f]{40})$/;

/** Whether an argument has exactly a token's shape: it must then never go into a URL path or a message. */
export function isTokenShaped(arg: string): boolean {
  return EXACT_TOKEN.test(arg);
}

/**
 * What carto-keys remembers of a key that is gone: the name of its successor when a rotation made one
 * (supplied by the caller, from the journal and the deployment registry; no request is made).
 */
export type SuccessorOf = (name: string) => Promise<string | undefined>;

/**
 * The key a name or a token designates; `byToken` when it was found as a token. A key that does not
 * exist is the one error of every command that names a key (show, revoke, where, rotate): exit 1,
 * naming its successor when one is known.
 */
export async function findKey(
  ctx: Context,
  api: ApiClient,
  nameOrToken: string,
  verb: KeyVerb,
  successorOf?: SuccessorOf,
): Promise<{ key: WireApiKey; byToken: boolean }> {
  const exact = EXACT_TOKEN.test(nameOrToken);
  if (exact) {
    const key = await keyOfToken(ctx, api, nameOrToken, { orUndefined: true });
    if (key !== undefined) return { key, byToken: true };
    // Not a live token, but maybe a name of that shape. Looked up in the listing, never as a URL path:
    // a revoked or foreign token must not land in a request line, a --debug trace or an error either.
    const named = (await api.listKeys()).find((k) => k.name === nameOrToken);
    if (named === undefined) throw missingKey(undefined, api.targetUser);
    return { key: named, byToken: false };
  }
  try {
    return { key: await api.getKey(nameOrToken, { verb }), byToken: false };
  } catch (err) {
    if (!(err instanceof ApiError && err.kind === 'not_found')) throw err;
    const key = TOKEN_SHAPE.test(nameOrToken) ? await keyOfToken(ctx, api, nameOrToken, { orUndefined: true }) : undefined;
    if (key !== undefined) return { key, byToken: true };
    throw missingKey(nameOrToken, api.targetUser, await successorOf?.(nameOrToken), verb);
  }
}

/**
 * The one message for a key that is not there (exit 1). `name` undefined: the argument was shaped like
 * a token and is not repeated (it may be a live secret of another account). With a successor, the hint
 * is the command asked for, run on the successor (revoke: nothing to revoke, show the successor).
 */
export function missingKey(name: string | undefined, member?: string, successor?: string, verb: KeyVerb | 'where' = 'show'): ApiError {
  const of = member === undefined ? '' : ` of ${member}`;
  const list = commandLine('list', {}, { user: member });
  if (name === undefined) {
    return new ApiError('not_found', `No API key${of} has that name, and it is not a live token of this account.`, {
      status: 404,
      hint: `Run \`${list}\` to see the names.`,
    });
  }
  if (successor !== undefined) {
    return new ApiError('not_found', `No API key${of} is named "${escapeControl(name)}" now: it was rotated, and its successor is "${escapeControl(successor)}".`, {
      status: 404,
      hint:
        verb === 'revoke'
          ? `Nothing to revoke. The key in use: ${commandLine('show', { args: [successor] }, { user: member })}`
          : `Use the successor: ${commandLine(verb, { args: [successor] }, { user: member })}`,
    });
  }
  return new ApiError('not_found', `No API key${of} is named "${escapeControl(name)}".`, {
    status: 404,
    hint: `Names are case-sensitive: \`${list}\` shows them.`,
  });
}

export async function resolveSourceKey(ctx: Context, api: ApiClient, nameOrToken: string, verb: 'clone' | 'rotate' = 'clone', successorOf?: SuccessorOf): Promise<SourceKey> {
  const { key, byToken } = await findKey(ctx, api, nameOrToken, verb, successorOf);
  if (key.type === 'master') {
    throw new UsageError('The Master key cannot be cloned or rotated: it is not a regular key.', {
      hint: 'To change the Master token, use `carto-keys regenerate Master`.',
    });
  }
  const { grants, dropped } = normalizeRenderedGrants(key.grants);
  return { key, grants, dropped, byToken };
}

async function keyOfToken(ctx: Context, api: ApiClient, token: string, opts: { orUndefined?: boolean } = {}): Promise<WireApiKey | undefined> {
  const creds = requireCredentials(await ctx.settings());
  // A member's token authenticates only as that member, on their own URL.
  const member = api.targetUser;
  const baseUrl = member === undefined ? creds.baseUrl : memberBaseUrl(creds.baseUrl, member);
  if (baseUrl === undefined) {
    if (opts.orUndefined) return undefined;
    throw new UsageError(`No key of ${member} has that name (a token of ${member} can be looked up only with an organization URL).`, {
      hint: `Run \`${commandLine('list', {}, { user: member })}\` to see the names.`,
    });
  }
  const asToken = await ctx.clientFor({ baseUrl, username: member ?? creds.username, token, sandbox: creds.sandbox });
  try {
    return await asToken.whoami();
  } catch (err) {
    if (err instanceof AuthError) {
      if (opts.orUndefined) return undefined;
      throw missingKey(undefined, member);
    }
    throw err;
  }
}
