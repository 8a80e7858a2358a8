// A new rotation: steps 1–3 (clone, modify, save) decide what to create, then the engine runs.
// Nothing is written or created until every decision is made, so a refusal or a Ctrl-C up to the
// "create?" confirmation leaves nothing behind.

import { escapeControl } from '../text/escape.js';
import { DEFAULT_PUBLIC_KEY_NAME } from '../api/types.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { planClone } from '../domain/clone-plan.js';
import { isTokenShaped } from '../domain/key-resolve.js';
import { keyFromEnvironment, requireCredentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { CancelledError, UsageError } from '../errors.js';
import { diffGrants, formatDiff, hasGrantChanges, rotationName, toCreateGrants, type GrantChanges } from '../grants/index.js';
import { info, printJson } from '../ui/output.js';
import { memberBaseUrl } from '../domain/members.js';
import { describeTarget, targetJson, type DeployTarget } from '../deploy/targets.js';
import { newJournal } from '../records/journal.js';
import { keyRef, memberOf } from '../records/key-ref.js';
import { requireRegistryForGrace } from '../records/registry.js';
import { runRotation, type RotationResult } from './engine.js';
import { knownSuccessor, recordedTargets, refuseSuperseded, successorOf } from './lineage.js';
import { refusePending, runFlow } from './runner.js';
import type { RotationUi } from './ui.js';

export interface StartOptions {
  /** The old key: its name, or its token. */
  source: string;
  changes: GrantChanges;
  newName?: string;
  /**
   * From the deploy flags. None: the targets recorded for the old key (on a terminal, offered first;
   * with none recorded either, the person picks targets after the key is created).
   */
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
  /** --check-cmd: tests the app with the new key after deploy and verify, before any delete. */
  checkCmd?: string;
  /** --dry-run: check and say what would be done; send only reads. */
  dryRun?: boolean;
}

function refuseTaken(newName: string, taken: ReadonlySet<string>): void {
  if (!taken.has(newName)) return;
  throw new UsageError(`An API key named "${newName}" already exists.`, {
    hint: 'Choose another --name, or leave it out for a free default.',
  });
}

/** Returns undefined for a dry run (`opts.dryRun`): it said what would be done and did nothing. */
export async function startRotation(ctx: Context, opts: StartOptions, ui: RotationUi): Promise<RotationResult | undefined> {
  const creds = requireCredentials(await ctx.settings());
  if (opts.graceMs !== undefined) requireRegistryForGrace(ctx.env, creds);
  // `--user` naming yourself is your own key.
  const named = memberOf(opts.member, creds.username);
  const api = (await ctx.api()).forUser(named);
  const member = api.targetUser;
  const refOf = (name: string) => keyRef(creds.baseUrl, member, name);
  // When the argument is a name, a pending flow on it is refused before any request.
  await refusePending(ctx, (await ctx.records()).journals, refOf(opts.source));
  // Without a terminal, deleting the old key needs somewhere the new one goes: a flag, or a record.
  const requireTargets = (recorded: DeployTarget[]): void => {
    if (ui.interactive || opts.targets.length > 0 || recorded.length > 0 || !(opts.deleteOld === true || opts.graceMs !== undefined)) return;
    throw new UsageError('--delete-old needs a deploy target (--deploy-env-file or --deploy-cmd), and none is recorded for this key: otherwise nothing uses the new key when the old one is deleted.', {
      hint: 'Deploy it yourself and use --keep-old, then revoke the old key.',
    });
  };
  // Before any request when the argument is a name (a token is known only once looked up), unless the
  // name is of a key a rotation replaced: then the answer is its successor, said once it is looked up.
  if (!isTokenShaped(opts.source) && (await knownSuccessor(ctx, creds, opts.source, member)) === undefined) {
    requireTargets(await recordedTargets(ctx, refOf(opts.source)));
  }
  // Verifying the new key needs the member's own URL, where their tokens authenticate.
  if (member !== undefined && memberBaseUrl(creds.baseUrl, member) === undefined) {
    throw new UsageError(`rotate --user needs an organization URL (https://{org}.carto.com/u/{you}) to verify ${member}'s new key; this profile uses ${creds.baseUrl}.`);
  }
  // A member's tables live in their own schema: the default follows --user.
  const defaultSchema = defaultSchemaFor(creds.baseUrl, member ?? creds.username);
  // A key that is gone is named with its successor when a rotation made one.
  const plan = await planClone(ctx, api, opts.source, opts.changes, defaultSchema, 'rotate', (n) => successorOf(ctx, api, n));
  if (plan.from === DEFAULT_PUBLIC_KEY_NAME) {
    throw new UsageError('The Default public key cannot be rotated: its token is always "default_public" and it cannot be deleted.');
  }
  const oldRef = refOf(plan.from);
  await refuseSuperseded(ctx, api, oldRef, 'rotate');
  // No deploy flag: the places the old key was deployed to, first.
  const recorded = opts.targets.length === 0 ? await recordedTargets(ctx, oldRef) : [];
  requireTargets(recorded);
  if (opts.dryRun) {
    // After every check a real run makes, with reads only: no journal, no lock, no key, no deploy.
    const taken = new Set((await api.listKeys()).map((k) => k.name));
    const newName = opts.newName ?? rotationName(plan.from, ctx.now(), taken);
    refuseTaken(newName, taken);
    const targets = opts.targets.length > 0 ? opts.targets : recorded;
    const end = opts.graceMs !== undefined ? 'grace' : opts.deleteOld === true ? 'delete' : opts.deleteOld === false ? 'keep' : 'ask';
    if (ctx.globals.json) {
      printJson(ctx, { dryRun: true, old: plan.from, new: newName, ...(member !== undefined && { member }), diff: plan.diff, targets: targets.map(targetJson), oldKey: end });
      return undefined;
    }
    info(ctx, `Dry run: would rotate "${plan.from}"${member === undefined ? '' : ` of ${member}`} → "${newName}".`);
    info(ctx, 'Grants of the new key, compared with the old one:');
    for (const line of formatDiff(plan.diff, { color: ctx.io.colorStderr })) info(ctx, `  ${line}`);
    info(ctx, targets.length > 0 ? `Would deploy to: ${targets.map(describeTarget).join(', ')}` : 'Would deploy nowhere (no deploy flag, none recorded).');
    info(ctx, { grace: `Then keep "${plan.from}" for the grace period, for retire to delete.`, delete: `Then delete "${plan.from}".`, keep: `Then keep "${plan.from}".`, ask: `Then ask whether to delete "${plan.from}".` }[end]);
    info(ctx, 'Nothing was created, deployed or deleted.');
    return undefined;
  }
  return runFlow(ctx, creds, {
    locks: [oldRef],
    refuse: [oldRef],
    async journal() {
      ui.showSource(plan);
      const after = hasGrantChanges(opts.changes) ? plan.after : await ui.modify(plan, defaultSchema);
      const taken = new Set((await api.listKeys()).map((k) => k.name));
      const newName = opts.newName ?? (await ui.chooseName(rotationName(plan.from, ctx.now(), taken), taken));
      refuseTaken(newName, taken);
      const targets = opts.targets.length > 0 ? opts.targets : recorded.length > 0 && (await ui.useRecorded(plan.from, recorded)) ? recorded : [];
      if (!ctx.globals.json) {
        // Two lines: on one, it passed 80 columns for short names already.
        info(ctx, `Rotating "${escapeControl(plan.from)}"${member === undefined ? '' : ` of ${member}`} → "${newName}".`);
        info(ctx, 'Grants of the new key, compared with the old one:');
        for (const line of formatDiff(diffGrants(plan.before, after), { color: ctx.io.colorStderr })) info(ctx, `  ${line}`);
        if (targets === recorded && recorded.length > 0) info(ctx, `Deploying to the targets recorded for "${escapeControl(plan.from)}": ${recorded.map(describeTarget).join(', ')}`);
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
        targets,
        addingTargets: ui.interactive && opts.targets.length === 0,
        deleteOld: opts.deleteOld ?? null,
        ...(opts.deployTimeoutMs !== undefined && { deployTimeoutMs: opts.deployTimeoutMs }),
        ...(opts.graceMs !== undefined && { graceMs: opts.graceMs }),
        ...(opts.checkCmd !== undefined && { checkCmd: opts.checkCmd }),
        oldCreatedAt: plan.createdAt,
        now: ctx.now(),
      });
      return { journal, fresh: true };
    },
    async run({ store, journal, interruption }) {
      if (keyFromEnvironment(creds.keySource) && !ctx.globals.json) {
        // Credentials from the environment promise nothing on disk; this file is the one exception.
        info(ctx, `Journal of this rotation (removed when it ends; --resume and --abort need it): ${store.pathOf(journal.id)}`);
      }
      return runRotation({ ctx, api, creds, store, journal, ui, resumed: false, interruption });
    },
  });
}
