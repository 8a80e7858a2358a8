import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { CommandKit } from '../args/kit.js';
import { addMemberOption } from '../args/flags.js';
import { requireCredentials } from '../config/settings.js';
import { ORG_ENV, resolveOrgName } from '../domain/members.js';
import { ApiError, CancelledError, CliError, UsageError } from '../errors.js';
import { info, printJson, success, warn } from '../ui/output.js';
import { escapeControl } from '../text/escape.js';
import { commandLine, verbatim } from '../text/command-line.js';
import { registeredCommand } from './registered.js';

export interface RespondOptions {
  /** The leaked token, or the key's name. */
  key: string;
  user?: string;
  allMembers?: { org?: string };
  revokeNow: boolean;
  notifyCmd?: string;
}

export function respondCommand(kit: CommandKit): Command {
  const cmd = registeredCommand('respond')
    .argument('<token-or-name>', 'the leaked token (compared with the live keys, never sent), or the key\'s name')
    .option('--all-members', "look among every organization member's keys (organization owners and admins)")
    .option('--org <name>', `the organization, for --all-members (default: from the base URL, or ${ORG_ENV})`)
    .option('--revoke-now', 'no deploy target is recorded: revoke the key at once (apps using it break)')
    .option('--notify-cmd <cmd>', 'run this command at the end with a JSON event on stdin (never a token)');
  return addMemberOption(cmd).addHelpText(
    'after',
    `
A leaked key gets no grace period. With deploy targets recorded for it (by rotate, apply or seed-leaks),
respond rotates it to those targets, verifies the new key and deletes the leaked one at once. With none,
it needs --revoke-now (or your answer at a prompt) to revoke it. The Master key is regenerated and the
new one stored where the old one was (a member's, with --user: type their username, or --yes).
An incident record goes to the state folder (incidents/): time, key, member, fingerprint, targets,
every action and its outcome — never a token. A string that is no live key: exit 1, nothing changed.

Examples:
  $ carto-keys respond leaked-app --yes
  $ carto-keys respond --all-members --yes -- "$LEAKED_TOKEN"   # -- : a token may start with a dash
  $ carto-keys respond old-app --revoke-now --yes
  $ carto-keys respond Master --yes`,
  ).action((key: string, o: { allMembers?: boolean; org?: string; revokeNow?: boolean; notifyCmd?: string; user?: string }) => {
    if (o.org !== undefined && !o.allMembers) throw new UsageError('--org goes with --all-members.');
    if (o.allMembers && o.user !== undefined) throw new UsageError('--all-members looks among every member: leave out --user.');
    if (o.notifyCmd !== undefined && o.notifyCmd.trim() === '') throw new UsageError('--notify-cmd is empty: expected a shell command.');
    const opts: RespondOptions = {
      key,
      ...(o.user !== undefined && { user: o.user }),
      ...(o.allMembers && { allMembers: o.org === undefined ? {} : { org: o.org } }),
      revokeNow: o.revokeNow === true,
      ...(o.notifyCmd !== undefined && { notifyCmd: o.notifyCmd }),
    };
    kit.run((ctx) => respondRun(ctx, opts));
  });
}

export async function respondRun(ctx: Context, opts: RespondOptions): Promise<void> {
  const { findLeakedKey, newIncident, writeIncident } = await import('../scan/incident.js');
  const { recordedTargets } = await import('../rotate/lineage.js');
  const { describeTarget, targetJson } = await import('../deploy/targets.js');
  const { keyRef } = await import('../records/key-ref.js');
  const { registryKept } = await import('../records/registry.js');
  const { withNotify } = await import('../deploy/notify.js');
  const { formatGrantSummary, normalizeRenderedGrants } = await import('../grants/index.js');

  const creds = requireCredentials(await ctx.settings());
  const org = opts.allMembers && resolveOrgName(creds.baseUrl, opts.allMembers.org, ctx.env[ORG_ENV]);
  const api = await ctx.api();
  const member = opts.user === undefined || opts.user === creds.username ? undefined : opts.user;
  const leaked = await findLeakedKey(api, opts.key, { ...(member !== undefined && { member }), ...(org && { org }) });
  if (leaked === undefined) {
    throw new ApiError('not_found', 'not a live key: nothing to do.', {
      hint: `No live key${org ? ` of any member of ${org}` : member !== undefined ? ` of ${member}` : ''} has that token or name; nothing was changed.${org ? '' : ' A member\'s key: add --all-members or --user.'}`,
    });
  }
  const { key } = leaked;
  const owner = leaked.member;
  const whose = leaked.member === undefined ? creds.username : leaked.member;
  if (key.type === 'default') throw new UsageError('That is the Default public key: its token ("default_public") is public by design; nothing to respond to.');
  const ref = keyRef(creds.baseUrl, leaked.member, key.name);
  const targets = key.type === 'regular' ? await recordedTargets(ctx, ref) : [];
  const incident = newIncident(ctx.now(), creds.baseUrl, leaked);
  incident.targets = targets.map(targetJson);
  const label = `${key.type === 'master' ? 'the Master key' : `"${escapeControl(key.name)}"`} of ${escapeControl(whose)}`;

  if (!ctx.globals.json) {
    warn(ctx, `Leaked: ${label} (${incident.fingerprint}).`);
    if (key.type === 'regular') {
      for (const line of formatGrantSummary(normalizeRenderedGrants(key.grants).grants)) info(ctx, `  ${line}`);
      info(ctx, targets.length === 0 ? '  Deployed to: nothing recorded.' : `  Deployed to: ${targets.map(describeTarget).join(', ')}`);
    }
  }

  // What will be done, decided before anything changes: without targets, a regular key can only be revoked.
  const plan: 'regenerate' | 'rotate' | 'revoke' = key.type === 'master' ? 'regenerate' : targets.length > 0 ? 'rotate' : 'revoke';
  if (plan === 'revoke' && !opts.revokeNow) {
    if (!ctx.io.canPrompt() || ctx.globals.yes) {
      throw new UsageError(`No deploy target is recorded for "${escapeControl(key.name)}": pass --revoke-now to revoke it at once (apps using it break), or rotate it to where it is used.`, {
        hint: `${commandLine(
          'respond',
          { args: [opts.key === key.name ? key.name : verbatim('<token>')], options: [...(opts.allMembers ? ['--all-members'] : []), '--revoke-now'] },
          { user: opts.allMembers ? undefined : owner },
        )}, or ${commandLine('rotate', { args: [key.name], options: ['--deploy-env-file', verbatim('<file>'), '--delete-old'] }, { user: owner, yes: true })}`,
      });
    }
    if (!(await ctx.prompter.confirm(`Revoke "${key.name}" now? No deploy target is recorded: every app using this key breaks until it gets a new one.`, { default: false }))) {
      throw new CancelledError('Nothing was changed.');
    }
  } else if (!ctx.globals.yes && plan !== 'revoke' && !ctx.io.canPrompt()) {
    // --revoke-now is itself the answer; rotating or regenerating without a terminal needs --yes.
    throw new UsageError('respond changes keys: pass --yes when not running in a terminal.');
  }
  if (plan === 'rotate' && !ctx.globals.yes) {
    const question = `Rotate "${key.name}" to its ${targets.length} recorded target${targets.length === 1 ? '' : 's'} and delete it at once?`;
    if (!(await ctx.prompter.confirm(question, { default: false }))) throw new CancelledError('Nothing was changed.');
  }

  let recordPath: string | undefined;
  const records = await ctx.records();
  const record = (): void => {
    // Credentials from the environment write nothing to disk unless a state folder is named.
    if (registryKept(ctx.env, creds)) recordPath = writeIncident(records.dir, incident);
  };
  const details = () => ({ keys: [{ name: key.name, type: key.type, ...(leaked.member !== undefined && { member: leaked.member }), fingerprint: incident.fingerprint }], targets: incident.targets });
  try {
    await withNotify(ctx, opts.notifyCmd, 'respond', details, async () => {
      try {
        await act(plan);
      } finally {
        record();
      }
    });
  } finally {
    if (recordPath !== undefined && !ctx.globals.json) info(ctx, `Incident recorded: ${recordPath}`);
  }
  if (ctx.globals.json && plan !== 'regenerate') printJson(ctx, { ...incident, ...(recordPath !== undefined && { record: recordPath }) });

  async function act(what: typeof plan): Promise<void> {
    const step = async (action: string, fn: () => Promise<string | undefined>): Promise<void> => {
      try {
        const detail = await fn();
        incident.actions.push({ action, outcome: 'done', ...(detail !== undefined && { detail }) });
      } catch (err) {
        incident.actions.push({ action, outcome: 'failed', detail: err instanceof CliError ? err.message : String(err) });
        throw err;
      }
    };
    if (what === 'regenerate') {
      // As `regenerate Master` does it: the new key stored in the profile that used the old one (a
      // member's: typed confirmation, neither stored nor printed).
      const { regenerateRun } = await import('./regenerate.js');
      await step('regenerate', async () => {
        await regenerateRun(ctx, { name: key.name, tokenOnly: false, printToken: false, ...(owner !== undefined && { user: owner }) });
        return undefined;
      });
      return;
    }
    if (what === 'rotate') {
      const { startRotation } = await import('../rotate/start.js');
      const { ciUi } = await import('../rotate/ui.js');
      await step('rotate', async () => {
        // Not a dry run, so the rotation's result is always there.
        const r = (await startRotation(
          ctx,
          { source: key.name, changes: {}, targets: [], deleteOld: true, yes: true, ...(owner !== undefined && { member: owner }) },
          ciUi(ctx),
        ))!;
        if (!ctx.globals.json) success(ctx, `Rotated "${key.name}" → "${r.journal.newName}", deployed to ${targets.map(describeTarget).join(', ')}; the leaked key was deleted.`);
        const n = r.journal.targets.length;
        return `new key "${r.journal.newName}" deployed to ${n} target${n === 1 ? '' : 's'} and verified; leaked key ${r.journal.steps.deleted !== null ? 'deleted' : 'NOT deleted'}`;
      });
      return;
    }
    await step('revoke', async () => {
      await api.forUser(owner).deleteKey(key.name);
      if (registryKept(ctx.env, creds)) records.registry.forget(ref);
      if (!ctx.globals.json) success(ctx, `Revoked "${key.name}"${owner === undefined ? '' : ` of ${owner}`}: the leaked token no longer works.`);
      return undefined;
    });
  }
}
