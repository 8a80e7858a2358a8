// The program's shell: global options, help layout, examples, and the commands as the registry lists
// them. It imports commander and the registry's static data only, so `carto-keys --help` prints the
// full help without loading any command; cli.ts builds on the same shell and puts the real command
// that runs in place of its stand-in.

import { Command, Help } from 'commander';
import type { Io } from './context.js';
import type { Env } from './env.js';
import { fitHelpText } from './ui/help-text.js';
import { widthOf } from './ui/width.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';
import { VERSION } from './version.js';

export const PROGRAM_NAME = 'carto-keys';

/**
 * The program with every command as a stand-in (name, aliases, description; its help line from the
 * registry). `real(entry)` may return the real command for an entry instead.
 */
export function programShell(io: Pick<Io, 'stdout' | 'stderr'>, real: (entry: CommandEntry) => Command | undefined = () => undefined, env: Env = {}): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Manage CARTO API keys: create, list, inspect, revoke, regenerate, clone and rotate.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--profile <name>', 'use this profile instead of the current one (also: CARTO_KEYS_PROFILE)')
    .option('--json', 'print results as one JSON document')
    .option('--no-color', 'disable colour (also: NO_COLOR)')
    .option('--debug', 'trace HTTP requests to stderr (secrets redacted)')
    .option('-y, --yes', 'answer yes to confirmations (required for destructive commands without a TTY)')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .addHelpText('after', EXAMPLES);
  const standIns = new Map<Command, string>();
  program.configureHelp({
    showGlobalOptions: true,
    sortSubcommands: false,
    subcommandTerm: (cmd) => standIns.get(cmd) ?? new Help().subcommandTerm(cmd),
  });
  program.exitOverride();
  // Help fits the terminal (COLUMNS, else its width, else 80; at most 120, for reading): commander wraps
  // its lists to that width, fitHelpText the notes and examples we add after them.
  const width = Math.min(120, widthOf(env, io.stdout));
  const fit = (s: string) => (s.startsWith('Usage:') ? s : fitHelpText(s, width));
  program.configureOutput({
    writeOut: (s) => io.stdout.write(fit(s)),
    writeErr: (s) => io.stderr.write(fit(s)),
    getOutHelpWidth: () => width,
    getErrHelpWidth: () => width,
    // Parse errors are printed by runCli, in the same format (and JSON) as every other error.
    outputError: () => {},
  });
  for (const entry of COMMANDS) {
    const cmd = real(entry);
    if (cmd) {
      program.addCommand(inherit(cmd, program));
    } else {
      const standIn = new Command(entry.name).aliases(entry.aliases).description(entry.description);
      standIns.set(standIn, entry.term);
      program.addCommand(standIn);
    }
  }
  return program;
}

const EXAMPLES = `
Examples:
  $ carto-keys login --sandbox                 # try it with no CARTO account
  $ carto-keys login --user jdoe               # log in to https://jdoe.carto.com
  $ carto-keys list
  $ carto-keys create --name app --api sql --table world_population:select
  $ carto-keys show app --reveal
  $ carto-keys rotate app                      # clone, modify, deploy, verify, delete
  $ carto-keys revoke app --yes
  $ carto-keys audit --fail-on high            # risky keys, each with its fix; exit 7 when one is high

Exit codes: 0 ok, 1 failure, 2 usage, 3 cancelled, 4 authentication, 5 partly done,
6 changes pending (plan --detailed-exitcode), 7 findings (audit --fail-on).
Environment: CARTO_KEYS_MASTER_KEY, CARTO_KEYS_USERNAME, CARTO_KEYS_BASE_URL, CARTO_KEYS_PROFILE,
CARTO_KEYS_CONFIG_DIR, NO_COLOR.`;

/** commander's addCommand() does not propagate exitOverride/configureOutput: copy them down the tree. */
function inherit(cmd: Command, parent: Command): Command {
  cmd.copyInheritedSettings(parent);
  for (const sub of cmd.commands) inherit(sub, cmd);
  return cmd;
}

