// The keys as the audit rules see them: CARTO's rendered grants normalized once (as clone does), the
// creation time parsed once. 10,000 keys go through here, so nothing is computed twice.

import type { KeyType, WireApiKey } from '../api/types.js';
import { normalizeRenderedGrants } from '../grants/normalize.js';
import type { GrantSet } from '../grants/model.js';
import { parseCartoTime } from '../ui/time.js';

export interface AuditKey {
  name: string;
  type: KeyType;
  /** The user the key belongs to. */
  member: string | null;
  /** Only for recognising the token in scanned files; a finding never carries it. */
  token: string;
  createdAt: Date | undefined;
  /** Normalized into the create form: what the key was granted, as clone would copy it. */
  grants: GrantSet;
}

export function auditKey(key: WireApiKey, member?: string): AuditKey {
  return {
    name: key.name,
    type: key.type,
    member: member ?? key.user?.username ?? null,
    token: key.token,
    createdAt: parseCartoTime(key.created_at),
    grants: normalizeRenderedGrants(key.grants).grants,
  };
}
