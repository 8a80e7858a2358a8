// The terminal side of a rotation: it only fills in the decisions the flags left open (ui.ts); the
// engine does the work. Every prompt goes through ctx.prompter (inquirer on stderr, loaded lazily),
// and a Ctrl-C there is a CancelledError that the engine turns into exit 3 or 5.

import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import { formatGrantSummary } from '../grants/index.js';
import { info, warn } from '../ui/output.js';
import { promptKeyName } from '../ui/prompts.js';
import { TOKEN_VARIABLE } from '../deploy/command.js';
import { editGrants } from './grant-editor.js';
import { commandTarget, describeTarget, envFileTarget, type DeployTarget } from '../deploy/targets.js';
import type { DeployFailureChoice, RotationUi } from './ui.js';
import { validateWith } from './validate.js';

type DeployChoice = 'env-file' | 'command' | 'manual' | 'done';

export function interactiveUi(ctx: Context): RotationUi {
  const p = ctx.prompter;
  let deployedOne = false;
  return {
    interactive: true,

    showSource(plan) {
      info(ctx, `Rotating API key "${escapeControl(plan.from)}". It grants:`);
      for (const line of formatGrantSummary(plan.before)) info(ctx, `  ${line}`);
      for (const note of plan.dropped) warn(ctx, note);
    },

    async modify(plan, defaultSchema) {
      const how = await p.select<'keep' | 'edit'>('Grants of the new key:', [
        { name: 'Keep all grants', value: 'keep' },
        { name: 'Edit grants', value: 'edit' },
      ]);
      return how === 'keep' ? plan.after : editGrants(p, plan.after, defaultSchema);
    },

    chooseName: (suggested, taken) => promptKeyName(ctx, suggested, taken),

    confirmCreate: (name) => p.confirm(`Create API key "${name}"?`, { default: true }),

    async useRecorded(oldName, targets) {
      info(ctx, `"${oldName}" was deployed to: ${targets.map(describeTarget).join(', ')}`);
      const choice = await p.select<'recorded' | 'choose'>(
        'Deploy the new token:',
        [
          { name: `To the ${targets.length === 1 ? 'recorded target' : `${targets.length} recorded targets`}`, value: 'recorded' },
          { name: 'Choose the targets myself', value: 'choose' },
        ],
        { default: 'recorded' },
      );
      if (choice === 'recorded') deployedOne = true;
      return choice === 'recorded';
    },

    async nextTarget(): Promise<DeployTarget | undefined> {
      const choice = await p.select<DeployChoice>(
        'Deploy the new token:',
        [
          { name: 'Write the token into an env file', value: 'env-file' },
          { name: 'Run a command', value: 'command' },
          { name: 'Show the token and wait until I have deployed it', value: 'manual' },
          { name: 'Done deploying', value: 'done' },
        ],
        // Most rotations have one target: after it, Enter moves on instead of asking for another.
        deployedOne ? { default: 'done' } : undefined,
      );
      if (choice !== 'done') deployedOne = true;
      switch (choice) {
        case 'env-file': {
          const spec = await p.input(`Env file, path[:VAR] (VAR defaults to ${TOKEN_VARIABLE}):`, {
            default: '.env',
            validate: validateWith((v) => envFileTarget(v, 'env file')),
          });
          return envFileTarget(spec, 'env file');
        }
        case 'command': {
          const command = await p.input(`Command (run with sh -c; the token is in $${TOKEN_VARIABLE} and on its stdin):`, {
            validate: validateWith((v) => commandTarget(v, 'command')),
          });
          return commandTarget(command, 'command');
        }
        case 'manual':
          return { kind: 'manual' };
        case 'done':
          return undefined;
      }
    },

    async afterDeployFailure(target, reason): Promise<DeployFailureChoice> {
      warn(ctx, `Deploying to ${describeTarget(target)} failed: ${reason}`);
      return p.select<DeployFailureChoice>('What now?', [
        { name: 'Try again', value: 'retry' },
        { name: 'Drop this target and go on', value: 'drop' },
        { name: 'Stop here (resume or undo later)', value: 'stop' },
      ]);
    },

    async decideDelete(j) {
      if (!j.targets.some((t) => t.deployedAt !== null)) {
        warn(ctx, `The new token was not deployed anywhere: whatever uses "${escapeControl(j.oldName)}" still does.`);
      }
      return p.confirm(`Delete the old key "${escapeControl(j.oldName)}" now?`, { default: false });
    },

    async confirmDeleteHeld(oldName, holders) {
      warn(ctx, `${holders.join(', ')} still ${holders.length === 1 ? 'holds' : 'hold'} the token of "${oldName}": whatever reads ${holders.length === 1 ? 'it' : 'them'} stops working once it is deleted.`);
      return p.confirm(`Delete "${oldName}" anyway, breaking ${holders.join(', ')}?`, { default: false });
    },

    confirmAbort(j) {
      const deployed = j.targets.filter((t) => t.deployedAt !== null).length;
      const restore = deployed === 0 ? '' : `put the old token back in ${deployed} ${deployed === 1 ? 'place' : 'places'}, `;
      return p.confirm(`Undo the rotation of "${escapeControl(j.oldName)}": ${restore}revoke "${escapeControl(j.newName)}"?`, { default: false });
    },

    async manualDeploy(key) {
      // stderr, like every prompt: a terminal shows it, a pipe on stdout never captures it.
      info(ctx, `Token of "${escapeControl(key.name)}":`);
      info(ctx, `  ${key.token}`);
      return p.confirm('Have you deployed it?', { default: false });
    },
  };
}
