// A new rotation: steps 1–3 (clone, modify, save) decide what to create, then the engine runs.
// Nothing is written or created until every decision is made, so a refusal or a Ctrl-C up to the
// "create?" confirmation leaves nothing behind.

import { DEFAULT_PUBLIC_KEY_NAME } from '../api/types.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { planClone } from '../domain/clone-plan.js';
import { keyFromEnvironment, requireCredentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { CancelledError, UsageError } from '../errors.js';
import { diffGrants, formatDiff, hasGrantChanges, rotationName, toCreateGrants, type GrantChanges } from '../grants/index.js';
import { info } from '../ui/output.js';
import { memberBaseUrl } from '../domain/members.js';
import { runRotation, type RotationResult } from './engine.js';
import { watchInterruptions } from './interrupt.js';
import { journalStore, newJournal, rotationLockId } from './journal.js';
import { refusePending } from './pending.js';
import { requireRegistryForGrace } from './registry.js';
import type { DeployTarget } from './targets.js';
import type { RotationUi } from './ui.js';

export interface StartOptions {
  /** The old key: its name, or its token. */
  source: string;
  changes: GrantChanges;
  newName?: string;
  /** From the deploy flags. None on a terminal: the person picks targets after the key is created. */
  targets: DeployTarget[];
  /** undefined: ask at the end (a terminal only; the command layer refuses it otherwise). */
  deleteOld?: boolean;
  /** Skip the "create?" confirmation. */
  yes: boolean;
  /** --deploy-timeout (or CARTO_KEYS_DEPLOY_TIMEOUT); undefined: the default. */
  deployTimeoutMs?: number;
  /** `--user`: rotate this organization member's key (target_user). */
  member?: string;
  /** --grace: the old key is deleted by `retire` once this has passed (deleteOld is then true). */
  graceMs?: number;
}

export async function startRotation(ctx: Context, opts: StartOptions, ui: RotationUi): Promise<RotationResult> {
  const creds = requireCredentials(await ctx.settings());
  if (opts.graceMs !== undefined) requireRegistryForGrace(ctx.env, creds);
  const store = journalStore(ctx.paths.config);
  // When the argument is a name, a pending rotation is refused before any request.
  // `--user` naming yourself is your own key.
  const named = opts.member === creds.username ? undefined : opts.member;
  await refusePending(ctx, store, creds, opts.source, named);
  const api = (await ctx.api()).forUser(named);
  const member = api.targetUser;
  // Verifying the new key needs the member's own URL, where their tokens authenticate.
  if (member !== undefined && memberBaseUrl(creds.baseUrl, member) === undefined) {
    throw new UsageError(`rotate --user needs an organization URL (https://{org}.carto.com/u/{you}) to verify ${member}'s new key; this profile uses ${creds.baseUrl}.`);
  }
  // A member's tables live in their own schema: the default follows --user.
  const defaultSchema = defaultSchemaFor(creds.baseUrl, member ?? creds.username);
  const plan = await planClone(ctx, api, opts.source, opts.changes, defaultSchema, 'rotate');
  if (plan.from === DEFAULT_PUBLIC_KEY_NAME) {
    throw new UsageError('The Default public key cannot be rotated: its token is always "default_public" and it cannot be deleted.');
  }
  const lock = store.lock(rotationLockId(creds.masterKey, plan.from, member), plan.from);
  try {
    await refusePending(ctx, store, creds, plan.from, member);
    ui.showSource(plan);
    const after = hasGrantChanges(opts.changes) ? plan.after : await ui.modify(plan, defaultSchema);
    const taken = new Set((await api.listKeys()).map((k) => k.name));
    const newName = opts.newName ?? (await ui.chooseName(rotationName(plan.from, ctx.now(), taken), taken));
    if (taken.has(newName)) {
      throw new UsageError(`An API key named "${newName}" already exists.`, {
        hint: 'Choose another --name, or leave it out for a free default.',
      });
    }
    if (!ctx.globals.json) {
      info(ctx, `Rotating "${plan.from}"${member === undefined ? '' : ` of ${member}`} → "${newName}". Grants of the new key, compared with the old one:`);
      for (const line of formatDiff(diffGrants(plan.before, after), { color: ctx.io.colorStderr })) info(ctx, `  ${line}`);
    }
    if (!opts.yes && !(await ui.confirmCreate(newName))) throw new CancelledError('Nothing was created.');

    const journal = newJournal({
      profile: creds.profile,
      baseUrl: creds.baseUrl,
      username: creds.username,
      ...(member !== undefined && { member }),
      oldName: plan.from,
      newName,
      grants: toCreateGrants(after),
      targets: opts.targets,
      addingTargets: ui.interactive && opts.targets.length === 0,
      deleteOld: opts.deleteOld ?? null,
      ...(opts.deployTimeoutMs !== undefined && { deployTimeoutMs: opts.deployTimeoutMs }),
      ...(opts.graceMs !== undefined && { graceMs: opts.graceMs }),
      now: ctx.now(),
    });
    // From here on a stop signal ends the rotation with exit 5 and the commands to resume or undo it.
    const interruption = watchInterruptions(ctx);
    // Written before the create: a crash between the request and its reply is then resumable.
    store.save(journal, ctx.now());
    if (keyFromEnvironment(creds.keySource) && !ctx.globals.json) {
      // Credentials from the environment promise nothing on disk; this file is the one exception.
      info(ctx, `Journal of this rotation (removed when it ends; --resume and --abort need it): ${store.pathOf(journal.id)}`);
    }
    return await runRotation({ ctx, api, creds, store, journal, ui, resumed: false, interruption });
  } finally {
    lock.release();
    store.tidy();
  }
}
