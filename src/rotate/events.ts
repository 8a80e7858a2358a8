// What the engine tells about its progress: events, rendered by whoever runs it. The commands use
// `renderEvent` (one line on stderr each, nothing with --json); a flow with its own output (respond,
// apply) passes its own reporter.

import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import { describeTarget, type DeployTarget } from '../deploy/targets.js';
import { info, success, warn } from '../ui/output.js';
import { humanTimeFrom } from '../ui/time.js';
import { displayPath } from '../ui/paths.js';

export type RotationEvent =
  | { type: 'created'; name: string; recovered: boolean }
  | { type: 'deployed'; target: DeployTarget; name: string }
  | { type: 'dropped'; target: DeployTarget }
  | { type: 'verified'; name: string }
  | { type: 'checked'; name: string; command: string }
  | { type: 'deleted'; name: string; alreadyGone: boolean }
  | { type: 'kept'; name: string; revoke: string }
  | { type: 'kept-held'; name: string; holders: string[]; revoke: string }
  | { type: 'scheduled'; oldName: string; newName: string; retireAfter: string; rollback: string }
  | { type: 'warning'; text: string };

export type Reporter = (e: RotationEvent) => void;

export function renderEvent(ctx: Context): Reporter {
  return (e) => {
    // Warnings reach stderr even with --json; progress lines do not.
    if (e.type === 'warning') return warn(ctx, e.text);
    if (e.type === 'kept-held') {
      warn(ctx, `Kept the old key "${escapeControl(e.name)}": ${e.holders.join(', ')} still ${e.holders.length === 1 ? 'holds' : 'hold'} its token, and deleting it would break what reads ${e.holders.length === 1 ? 'it' : 'them'}.`);
      if (!ctx.globals.json) info(ctx, `Once nothing uses it any more: ${e.revoke}`);
      return;
    }
    if (e.type === 'dropped') return warn(ctx, `Dropped the deploy target ${describeTarget(e.target)}.`);
    if (e.type === 'created' && e.recovered) warn(ctx, 'The key was created but the reply was lost or unreadable; recovered it.');
    if (ctx.globals.json) return;
    switch (e.type) {
      case 'created':
        return success(ctx, `Created API key "${escapeControl(e.name)}"`);
      case 'deployed':
        return success(ctx, `Deployed to ${targetForPeople(ctx, e.target)}`);
      case 'verified':
        return success(ctx, `Verified "${escapeControl(e.name)}": its token works and grants what was intended`);
      case 'checked':
        return success(ctx, `The app check passed with "${escapeControl(e.name)}": \`${e.command}\``);
      case 'deleted':
        if (e.alreadyGone) warn(ctx, `The old key "${escapeControl(e.name)}" was already gone.`);
        return success(ctx, `Deleted the old key "${escapeControl(e.name)}"`);
      case 'kept':
        return info(ctx, `Kept the old key "${escapeControl(e.name)}". Revoke it when nothing uses it any more: ${e.revoke}`);
      case 'scheduled':
        info(ctx, `Kept "${escapeControl(e.oldName)}" for its grace period, until ${humanTimeFrom(new Date(e.retireAfter), ctx.now())}.`);
        info(ctx, `Then \`carto-keys retire\` deletes it, once every target holds "${escapeControl(e.newName)}".`);
        return info(ctx, `Undo it while "${escapeControl(e.oldName)}" lives: ${e.rollback}`);
    }
  };
}

/** A deploy target as a line says it: an env file relative to the current folder (a CI log, 80 columns). */
export function targetForPeople(ctx: Pick<Context, 'env'>, target: DeployTarget): string {
  return describeTarget(target.kind === 'env-file' ? { ...target, path: displayPath(target.path, ctx.env) } : target);
}
