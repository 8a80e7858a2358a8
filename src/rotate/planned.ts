// A rotation whose every decision was made beforehand (by `apply`, from carto-keys.yaml): the new
// key's grants and name, its deploy targets, whether the old key goes. No prompt, no grant editor:
// straight to the engine, with the same journal, lock and refusal of a pending rotation as `rotate`,
// so `rotate --resume`/`--abort` (and `apply --resume`/`--abort`) continue or undo it.

import type { ApiClient } from '../api/client.js';
import type { Credentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { toCreateGrants } from '../grants/normalize.js';
import type { GrantSet } from '../grants/model.js';
import { runRotation, type RotationResult } from './engine.js';
import { watchInterruptions } from './interrupt.js';
import { journalStore, newJournal, rotationLockId } from './journal.js';
import { refusePending } from './pending.js';
import { requireRegistryForGrace } from './registry.js';
import type { DeployTarget } from './targets.js';
import { ciUi } from './ui.js';

export interface PlannedRotation {
  oldName: string;
  newName: string;
  grants: GrantSet;
  targets: DeployTarget[];
  /** Delete the old key once the new one is deployed and verified (only with a deploy target). */
  deleteOld: boolean;
  /** --grace: keep the old key this long, then `retire` deletes it (only with deleteOld). */
  graceMs?: number;
}

export async function runPlannedRotation(ctx: Context, api: ApiClient, creds: Credentials, p: PlannedRotation): Promise<RotationResult> {
  if (p.deleteOld && p.graceMs !== undefined) requireRegistryForGrace(ctx.env, creds);
  const store = journalStore(ctx.paths.config);
  await refusePending(ctx, store, creds, p.oldName);
  const lock = store.lock(rotationLockId(creds.masterKey, p.oldName), p.oldName);
  try {
    // Again under the lock: another process may have started one meanwhile.
    await refusePending(ctx, store, creds, p.oldName);
    const journal = newJournal({
      profile: creds.profile,
      baseUrl: creds.baseUrl,
      username: creds.username,
      oldName: p.oldName,
      newName: p.newName,
      grants: toCreateGrants(p.grants),
      targets: p.targets,
      addingTargets: false,
      deleteOld: p.deleteOld,
      ...(p.deleteOld && p.graceMs !== undefined && { graceMs: p.graceMs }),
      now: ctx.now(),
    });
    // Written before the create, as rotate does: a crash between the request and its reply is resumable.
    store.save(journal, ctx.now());
    // Ctrl-C/SIGTERM: the deploy command is stopped, and the rotation ends with exit 5 (resume/abort).
    const interruption = watchInterruptions(ctx);
    return await runRotation({ ctx, api, creds, store, journal, ui: ciUi(ctx), resumed: false, interruption });
  } finally {
    lock.release();
    store.tidy();
  }
}
