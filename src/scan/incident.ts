// What `respond` needs besides the lifecycle: finding the key a leaked string belongs to without sending
// that string anywhere (the listings already hold every live token, so it is compared locally), and
// the incident record it leaves in the state folder: time, key, member, fingerprint, targets, every
// action and its outcome — never a token.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ApiClient } from '../api/client.js';
import type { WireApiKey } from '../api/types.js';
import { fingerprint } from '../text/fingerprint.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { isTokenShaped } from '../domain/key-resolve.js';
import { listAllMembersKeys } from '../domain/members.js';

export interface LeakedKey {
  key: WireApiKey;
  /** The organization member whose key it is; undefined for the caller's own. */
  member: string | undefined;
  /** The argument was the token (else a name). */
  byToken: boolean;
}

/**
 * The live key `given` names (its token, else its name): among the caller's keys (or `member`'s), or
 * with `org` among every member's. Only listings are sent; the string itself never is.
 */
export async function findLeakedKey(api: ApiClient, given: string, opts: { member?: string; org?: string }): Promise<LeakedKey | undefined> {
  const pools: { member: string | undefined; keys: WireApiKey[] }[] = [];
  if (opts.org !== undefined) {
    const all = await listAllMembersKeys(api, { org: opts.org });
    for (const { member, keys } of all.listed) pools.push({ member: member.username === api.username ? undefined : member.username, keys });
  } else {
    pools.push({ member: opts.member, keys: await api.forUser(opts.member).listKeys() });
  }
  if (isTokenShaped(given)) {
    for (const p of pools) {
      const key = p.keys.find((k) => k.token === given);
      if (key !== undefined) return { key, member: p.member, byToken: true };
    }
  }
  const named = pools.flatMap((p) => p.keys.filter((k) => k.name === given).map((key) => ({ key, member: p.member, byToken: false })));
  // By name across every member a name may be anyone's: only an unambiguous one is taken.
  return named.length === 1 ? named[0] : undefined;
}

export interface IncidentAction {
  action: string;
  outcome: 'done' | 'failed' | 'skipped';
  detail?: string;
}

export interface Incident {
  version: 1;
  /** ISO-8601. */
  time: string;
  account: string;
  member: string | null;
  key: string;
  type: string;
  fingerprint: string;
  targets: Record<string, string>[];
  actions: IncidentAction[];
}

export function newIncident(at: Date, account: string, leaked: LeakedKey): Incident {
  return {
    version: 1,
    time: at.toISOString(),
    account,
    member: leaked.member ?? null,
    key: leaked.key.name,
    type: leaked.key.type,
    fingerprint: fingerprint(leaked.key.token),
    targets: [],
    actions: [],
  };
}

/** `<state>/incidents/<time>-<random>.json`, 0600 in a 0700 folder; returns its path. */
export function writeIncident(stateDir: string, incident: Incident): string {
  const dir = join(stateDir, 'incidents');
  ensurePrivateDir(dir);
  const path = join(dir, `${incident.time.replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.json`);
  writeFileAtomic(path, `${JSON.stringify(incident, null, 2)}\n`, { mode: 0o600 });
  return path;
}
