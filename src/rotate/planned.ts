// Flows whose every decision was made beforehand: no prompt, no grant editor, straight to the engine
// through the runner, with the same journal, locks and refusals as `rotate`, so `rotate --resume` /
// `--abort` (and `apply --resume` / `--abort`) continue or undo them.
// - runPlannedRotation: apply's replacements and rotations (from carto-keys.yaml);
// - runPlannedCreate: apply's creates with deploy targets — a rotation with no old key;
// - rotateNow: a rotation of a key to the targets recorded for it, deleting the old key at once (no
//   grace): what a leaked key needs (`respond`).

import type { ApiClient } from '../api/client.js';
import type { Credentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { normalizeRenderedGrants, toCreateGrants } from '../grants/normalize.js';
import { rotationName } from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import type { DeployTarget } from '../deploy/targets.js';
import { newJournal } from '../records/journal.js';
import { describeRef, keyRef, memberOf } from '../records/key-ref.js';
import { requireRegistryForGrace } from '../records/registry.js';
import type { Reporter } from './events.js';
import { runRotation, type RotationResult } from './engine.js';
import { recordedTargets, refuseSuperseded } from './lineage.js';
import { runFlow } from './runner.js';
import { ciUi } from './ui.js';
import { commandLine, verbatim } from '../text/command-line.js';

export interface PlannedRotation {
  oldName: string;
  newName: string;
  grants: GrantSet;
  targets: DeployTarget[];
  /** Delete the old key once the new one is deployed and verified (only with a deploy target). */
  deleteOld: boolean;
  /** --grace: keep the old key this long, then `retire` deletes it (only with deleteOld). */
  graceMs?: number;
  /** The organization member whose key it is. */
  member?: string;
  /** `check:` of the entry: tests the app after deploy and verify, before any delete. */
  checkCmd?: string;
  /** When the old key was created (tells it apart from a later key of the same name). */
  oldCreatedAt?: string;
  /** The keys file being applied: `apply --resume` applies it again. */
  keysFile?: string;
  /** A create: oldName is newName, and there is no old key. */
  create?: boolean;
  report?: Reporter;
}

export async function runPlannedRotation(ctx: Context, api: ApiClient, creds: Credentials, p: PlannedRotation): Promise<RotationResult> {
  if (p.deleteOld && p.graceMs !== undefined) requireRegistryForGrace(ctx.env, creds);
  const ref = keyRef(creds.baseUrl, p.member, p.oldName);
  return runFlow(ctx, creds, {
    locks: [ref],
    refuse: [ref],
    journal: async () => ({
      journal: newJournal({
        profile: creds.profile,
        baseUrl: creds.baseUrl,
        username: creds.username,
        ...(p.member !== undefined && { member: p.member }),
        oldName: p.oldName,
        newName: p.newName,
        grants: toCreateGrants(p.grants),
        targets: p.targets,
        addingTargets: false,
        deleteOld: p.deleteOld,
        ...(p.deleteOld && p.graceMs !== undefined && { graceMs: p.graceMs }),
        ...(p.create === true && { create: true }),
        ...(p.checkCmd !== undefined && { checkCmd: p.checkCmd }),
        ...(p.oldCreatedAt !== undefined && { oldCreatedAt: p.oldCreatedAt }),
        ...(p.keysFile !== undefined && { keysFile: p.keysFile }),
        now: ctx.now(),
      }),
      fresh: true,
    }),
    run: ({ store, journal, interruption }) => runRotation({ ctx, api, creds, store, journal, ui: ciUi(ctx), resumed: false, interruption, ...(p.report !== undefined && { report: p.report }) }),
  });
}

export interface PlannedCreate {
  name: string;
  grants: GrantSet;
  targets: DeployTarget[];
  member?: string;
  checkCmd?: string;
  keysFile?: string;
  report?: Reporter;
}

/** A new key deployed to its targets: journaled like a rotation (with no old key), so an interruption is resumable. */
export function runPlannedCreate(ctx: Context, api: ApiClient, creds: Credentials, p: PlannedCreate): Promise<RotationResult> {
  const { name, ...rest } = p;
  return runPlannedRotation(ctx, api, creds, { ...rest, oldName: name, newName: name, deleteOld: false, create: true });
}

export interface RotateNowOptions {
  /** The key's name. */
  name: string;
  /** `--user`: an organization member's key. */
  member?: string;
  /** Where the new token goes; default: the targets recorded for the key. */
  targets?: DeployTarget[];
  newName?: string;
  report?: Reporter;
}

/**
 * Rotates a key with its grants unchanged to its recorded targets (or `targets`) and deletes the old
 * key as soon as every target holds the new token and it verified: no grace. Refused (exit 2) when no
 * target is known. Resumable and undoable like any rotation.
 */
export async function rotateNow(ctx: Context, creds: Credentials, opts: RotateNowOptions): Promise<RotationResult> {
  const member = memberOf(opts.member, creds.username);
  const api = (await ctx.api()).forUser(member);
  const ref = keyRef(creds.baseUrl, member, opts.name);
  const key = await api.findKey(opts.name);
  if (key === undefined) throw new UsageError(`No API key named ${describeRef(ref)}.`);
  await refuseSuperseded(ctx, api, ref, 'rotate');
  const targets = opts.targets ?? (await recordedTargets(ctx, ref));
  if (targets.length === 0) {
    throw new UsageError(`No deploy target is recorded for "${opts.name}": the new key would reach nothing before the old one is deleted.`, {
      hint: `Name one: ${commandLine('rotate', { args: [opts.name], options: ['--deploy-env-file', verbatim('<path>'), '--delete-old'] }, { user: member, yes: true })}`,
    });
  }
  const taken = new Set((await api.listKeys()).map((k) => k.name));
  const newName = opts.newName ?? rotationName(opts.name, ctx.now(), taken);
  return runPlannedRotation(ctx, api, creds, {
    oldName: opts.name,
    newName,
    grants: normalizeRenderedGrants(key.grants).grants,
    targets,
    deleteOld: true,
    ...(member !== undefined && { member }),
    oldCreatedAt: key.created_at,
    ...(opts.report !== undefined && { report: opts.report }),
  });
}
