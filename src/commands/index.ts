// The commands, in the order of `carto-keys --help`. Each is loaded only when it runs: what `--help`
// lists (name, aliases, the usage term and the description) is written here, so listing the commands
// imports none of them. test/commands/registry.test.ts checks that each entry says what its module builds.
import type { CommandBuilder } from '../args/kit.js';

export interface CommandEntry {
  name: string;
  aliases: readonly string[];
  /** The command's line in the program's help, as commander would write it: name|alias [options] <args>. */
  term: string;
  description: string;
  load(): Promise<CommandBuilder>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'list',
    aliases: ['ls'],
    term: 'list|ls [options] [pattern]',
    description: 'List API keys (every page is fetched)',
    load: async () => (await import('./list.js')).listCommand,
  },
  {
    name: 'show',
    aliases: ['inspect'],
    term: 'show|inspect [options] <name>',
    description: 'Show one API key with every grant',
    load: async () => (await import('./show.js')).showCommand,
  },
  {
    name: 'create',
    aliases: [],
    term: 'create [options]',
    description: 'Create a regular API key and print its token',
    load: async () => (await import('./create.js')).createCommand,
  },
  {
    name: 'revoke',
    aliases: ['delete', 'rm'],
    term: 'revoke|delete <names...>',
    description: 'Revoke (delete) regular API keys, after confirmation',
    load: async () => (await import('./revoke.js')).revokeCommand,
  },
  {
    name: 'regenerate',
    aliases: [],
    term: 'regenerate [options] <name>',
    description: 'Give an API key a new token, after confirmation (the old token stops working at once)',
    load: async () => (await import('./regenerate.js')).regenerateCommand,
  },
  {
    name: 'clone',
    aliases: [],
    term: 'clone [options] <name-or-token>',
    description: "Copy a key's grants into a new key, with changes (keys cannot be edited)",
    load: async () => (await import('./clone.js')).cloneCommand,
  },
  {
    name: 'rotate',
    aliases: [],
    term: 'rotate [options] [name-or-token]',
    description: 'Replace a key: clone it (with changes), deploy the new token, verify it, delete the old key',
    load: async () => (await import('./rotate.js')).rotateCommand,
  },
  {
    name: 'export',
    aliases: [],
    term: 'export [options]',
    description: "Write the account's regular keys as a keys file (carto-keys.yaml), for plan and apply",
    load: async () => (await import('./export.js')).exportCommand,
  },
  {
    name: 'plan',
    aliases: [],
    term: 'plan [options]',
    description: 'Compare carto-keys.yaml with the account: what apply would create, replace, rotate or delete',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    name: 'apply',
    aliases: [],
    term: 'apply [options]',
    description: 'Make the account match carto-keys.yaml: create, replace (create-before-delete), rotate, and --prune',
    load: async () => (await import('./apply.js')).applyCommand,
  },
  {
    name: 'audit',
    aliases: [],
    term: 'audit [options]',
    description: 'Report risky keys, each with the command that fixes it; --fail-on gates CI',
    load: async () => (await import('./audit.js')).auditCommand,
  },
  {
    name: 'login',
    aliases: [],
    term: 'login [options]',
    description: 'Store the Master key of a CARTO account in a profile, after checking it',
    load: async () => (await import('./login.js')).loginCommand,
  },
  {
    name: 'logout',
    aliases: [],
    term: 'logout',
    description: 'Forget the stored Master key of the profile (its user and URL are kept)',
    load: async () => (await import('./logout.js')).logoutCommand,
  },
  {
    name: 'status',
    aliases: [],
    term: 'status',
    description: 'Show the active profile and check that its Master key works',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'profile',
    aliases: [],
    term: 'profile',
    description: 'Manage profiles (one per account)',
    load: async () => (await import('./profile.js')).profileCommand,
  },
  {
    name: 'completion',
    aliases: [],
    term: 'completion <shell>',
    description: 'Print the shell completion script for bash, zsh or fish',
    load: async () => (await import('./completion.js')).completionCommand,
  },
  {
    name: 'sandbox',
    aliases: [],
    term: 'sandbox',
    description: "The built-in emulator of CARTO's Auth API",
    load: async () => (await import('./sandbox.js')).sandboxCommand,
  },
];

/** The entry `word` names (by name or alias), if any. */
export function findCommand(word: string | undefined): CommandEntry | undefined {
  return word === undefined ? undefined : COMMANDS.find((c) => c.name === word || c.aliases.includes(word));
}
