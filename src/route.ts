// Which bundle runs a command line. Each command is its own CommonJS bundle (dist/commands/<name>.cjs,
// built from src/main.ts with only that command's module), so a run compiles only the code it can
// reach; everything else (no command, `--help`, an unknown word) runs dist/program.cjs, the same CLI
// with no command module. bin/carto-keys.js require()s this file's bundle (dist/route.cjs) to choose.

import { COMMANDS, findCommand, type CommandName } from './commands/index.js';

/** The command argv names: its first word that is not an option or an option's value (`help X`: X). */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (arg === '--profile') i++;
    else if (!arg.startsWith('-')) return arg === 'help' ? argv.slice(i + 1).find((a) => !a.startsWith('-')) : arg;
  }
  return undefined;
}

/** The registry name of the command argv runs, by name or alias; undefined when it names none. */
export function commandFor(argv: readonly string[]): CommandName | undefined {
  return findCommand(commandWord(argv))?.name;
}

/** Every command's name: the build makes one bundle for each. */
export const COMMAND_NAMES: readonly CommandName[] = COMMANDS.map((c) => c.name);
