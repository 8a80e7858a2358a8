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
import type { GrantSet } from '../grants/model.js';

export interface SourceKey {
  key: WireApiKey;
  /** The key's grants in create form (auth-api.md §3.1). */
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

/** The key a name or a token designates; `byToken` when it was found as a token. */
export async function findKey(ctx: Context, api: ApiClient, nameOrToken: string, verb: KeyVerb): Promise<{ key: WireApiKey; byToken: boolean }> {
  const exact = EXACT_TOKEN.test(nameOrToken);
  if (exact) {
    const key = await keyOfToken(ctx, api, nameOrToken, { orUndefined: true });
    if (key !== undefined) return { key, byToken: true };
    // Not a live token, but maybe a name of that shape. Looked up in the listing, never as a URL path:
    // a revoked or foreign token must not land in a request line, a --debug trace or an error either.
    const named = (await api.listKeys()).find((k) => k.name === nameOrToken);
    if (named === undefined) throw notNameNorToken(api.targetUser);
    return { key: named, byToken: false };
  }
  try {
    return { key: await api.getKey(nameOrToken, { verb }), byToken: false };
  } catch (err) {
    if (!(err instanceof ApiError && err.kind === 'not_found') || !TOKEN_SHAPE.test(nameOrToken)) throw err;
    return { key: (await keyOfToken(ctx, api, nameOrToken))!, byToken: true };
  }
}

export async function resolveSourceKey(ctx: Context, api: ApiClient, nameOrToken: string, verb: 'clone' | 'rotate' = 'clone'): Promise<SourceKey> {
  const { key, byToken } = await findKey(ctx, api, nameOrToken, verb);
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
      hint: `Run \`carto-keys list --user ${member}\` to see the names.`,
    });
  }
  const asToken = await ctx.clientFor({ baseUrl, username: member ?? creds.username, token, sandbox: creds.sandbox });
  try {
    return await asToken.whoami();
  } catch (err) {
    if (err instanceof AuthError) {
      if (opts.orUndefined) return undefined;
      throw notNameNorToken(member);
    }
    throw err;
  }
}

function notNameNorToken(member: string | undefined): UsageError {
  return new UsageError('No API key has that name, and it is not a valid token of this account either.', {
    hint: `Run \`carto-keys list${member === undefined ? '' : ` --user ${member}`}\` to see the names.`,
  });
}
