import { Argument, type Command } from 'commander';
import type { Context } from '../context.js';
import { SHELLS, type Shell } from '../completion/shells.js';
import type { CommandKit } from '../args/kit.js';
import { registeredCommand } from './registered.js';

export const INSTALL_HELP = `
Install (then start a new shell). bash, with the bash-completion package:
  $ dir=~/.local/share/bash-completion/completions
  $ mkdir -p $dir && carto-keys completion bash > $dir/carto-keys
bash without it, a line in ~/.bashrc:
  $ source <(carto-keys completion bash)
zsh (and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)):
  $ mkdir -p ~/.zfunc && carto-keys completion zsh > ~/.zfunc/_carto-keys
fish:
  $ carto-keys completion fish > ~/.config/fish/completions/carto-keys.fish

The scripts ask carto-keys itself what to offer, so they keep working after an upgrade. Key names
come from a local cache of the active profile, refreshed by \`list\` and by every command that
creates or deletes keys: completion never waits on the network.`;

export function completionCommand(kit: CommandKit): Command {
  return registeredCommand('completion')
    .addArgument(new Argument('<shell>', SHELLS.join(', ')).choices(SHELLS))
    .addHelpText(
      'after',
      `${INSTALL_HELP}

Examples:
  $ carto-keys completion zsh > ~/.zfunc/_carto-keys
  $ source <(carto-keys completion bash)`,
    )
    .action((shell: Shell) => kit.run((ctx) => completionRun(ctx, shell)));
}

export async function completionRun(ctx: Context, shell: Shell): Promise<void> {
  // Loaded only here: the scripts are ten kilobytes no other command needs.
  const { SCRIPTS } = await import('../completion/scripts.generated.js');
  ctx.io.stdout.write(SCRIPTS[shell]);
}
