// What a clone would create: the source key (by name or token), the changes applied to its grants,
// and the difference. Shared by `clone` and the rotation engine (steps 1–2 of a rotation).

import type { ApiClient } from '../api/client.js';
import type { Context } from '../context.js';
import { applyGrantChanges, diffGrants, type GrantChanges, type GrantDiffLine } from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { resolveSourceKey, type SuccessorOf } from './key-resolve.js';

export interface ClonePlan {
  from: string;
  /** When the source key was created: tells it apart from a later key of the same name. */
  createdAt: string;
  before: GrantSet;
  after: GrantSet;
  diff: GrantDiffLine[];
  dropped: string[];
}

/** Loads the source key and applies the changes. */
export async function planClone(
  ctx: Context,
  api: ApiClient,
  source: string,
  changes: GrantChanges,
  defaultSchema: string,
  verb: 'clone' | 'rotate' = 'clone',
  successorOf?: SuccessorOf,
): Promise<ClonePlan> {
  const src = await resolveSourceKey(ctx, api, source, verb, successorOf);
  const after = applyGrantChanges(src.grants, changes, { defaultSchema });
  return { from: src.key.name, createdAt: src.key.created_at, before: src.grants, after, diff: diffGrants(src.grants, after), dropped: src.dropped };
}
