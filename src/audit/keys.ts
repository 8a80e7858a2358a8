// The keys as the audit rules see them: CARTO's rendered grants in canonical create form, the
// creation time as a number, each computed once. 10,000 keys go through here, so the command builds
// them page by page while the other pages are still on their way.

import type { KeyType, WireApiKey } from '../api/types.js';
import type { GrantSet } from '../grants/model.js';
import { parseCartoTime } from '../ui/time.js';
import { perRendering } from '../grants/per-rendering.js';
import { auditGrants } from './grants.js';

export interface AuditKey {
  name: string;
  type: KeyType;
  /** The user the key belongs to. */
  member: string | null;
  /** Only for recognising the token in scanned files; a finding never carries it. */
  token: string;
  /** CARTO's created_at in ms since the epoch; undefined when it cannot be read. */
  createdMs: number | undefined;
  /** What the key was granted, as clone would copy it (normalizeRenderedGrants). */
  grants: GrantSet;
}

/**
 * `grantSets`: the grant sets converted so far in this audit, by CARTO's rendering of them. Keys that
 * CARTO renders alike then share one GrantSet object (most accounts hold a few kinds of key many
 * times over), so a rule judges each grant set once; the rules are right without it, only slower.
 */
export function auditKey(key: WireApiKey, member?: string, grantSets?: Map<string, GrantSet>): AuditKey {
  const grants = perRendering(key.grants, grantSets, () => auditGrants(key.grants));
  return {
    name: key.name,
    type: key.type,
    member: member ?? key.user?.username ?? null,
    token: key.token,
    createdMs: cartoTimeMs(key.created_at),
    grants,
  };
}

const CARTO_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** parseCartoTime(s)?.getTime(), with a fast path for CARTO's usual UTC form (no Date, no captures). */
export function cartoTimeMs(s: string | undefined): number | undefined {
  if (typeof s === 'string' && CARTO_UTC.test(s)) {
    const n = (at: number): number => (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;
    const year = n(0) * 100 + n(2);
    const month = n(5);
    const day = n(8);
    const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
    // Years below 100 mean 19xx to Date.UTC: those (and any invalid field) take the general path.
    if (year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! + leap && n(11) <= 23 && n(14) <= 59 && n(17) <= 59) {
      return Date.UTC(year, month - 1, day, n(11), n(14), n(17));
    }
  }
  return parseCartoTime(s)?.getTime();
}
