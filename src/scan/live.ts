// The live tokens to look for: the account's keys (its Master key included, as the listing returns
// it), or with an organization every member's keys, listed with the admin's Master key. Nothing else
// is a live token, so nothing else can be reported: a revoked key is simply not in the listing.

import type { ApiClient } from '../api/client.js';
import { listAllMembersKeys, type AllMembersKeys } from '../domain/members.js';
import type { LiveToken } from './tokens.js';

export interface LiveTokens {
  tokens: LiveToken[];
  /** With an organization: who was listed, and whose listing failed. */
  all?: AllMembersKeys;
}

export async function liveTokens(api: ApiClient, opts: { org?: string } = {}): Promise<LiveTokens> {
  if (opts.org !== undefined) {
    const all = await listAllMembersKeys(api, { org: opts.org });
    const tokens = all.listed.flatMap(({ member, keys }) =>
      keys.map((k) => ({ token: k.token, name: k.name, type: k.type, member: member.username })),
    );
    return { tokens, all };
  }
  const keys = await api.listKeys();
  return { tokens: keys.map((k) => ({ token: k.token, name: k.name, type: k.type, member: k.user?.username ?? api.username })) };
}
