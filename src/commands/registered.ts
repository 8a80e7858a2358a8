// A command as the registry (./index.ts) lists it: its name, aliases and description are written once,
// there, and each command module builds on this rather than repeating them.
import { Command } from 'commander';
import { COMMANDS, type CommandName } from './index.js';

export function registeredCommand(name: CommandName): Command {
  const entry = COMMANDS.find((c) => c.name === name)!;
  return new Command(entry.name).aliases(entry.aliases).description(entry.description);
}
