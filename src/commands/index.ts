// The commands, in the order of `carto-keys --help`. Each is loaded only when it runs (./load.ts):
// what `--help` lists (name, aliases, the usage term and the description) is written here, so listing
// the commands imports none of them, and this file imports nothing. Each module builds its command
// from its entry (./registered.ts); test/commands/registry.test.ts checks that the usage term here is
// the one its arguments make.

export interface CommandEntry {
  name: string;
  aliases: readonly string[];
  /** The command's line in the program's help, as commander would write it: name|alias [options] <args>. */
  term: string;
  description: string;
}

export const COMMANDS = [
  {
    name: 'list',
    aliases: ['ls'],
    term: 'list|ls [options] [pattern]',
    description: 'List API keys (every page is fetched)',
  },
  {
    name: 'show',
    aliases: ['inspect'],
    term: 'show|inspect [options] <key>',
    description: 'Show one API key with every grant',
  },
  {
    name: 'create',
    aliases: [],
    term: 'create [options]',
    description: 'Create a regular API key and print its token',
  },
  {
    name: 'revoke',
    aliases: ['delete', 'rm'],
    term: 'revoke|delete [options] <keys...>',
    description: 'Revoke (delete) regular API keys, after confirmation',
  },
  {
    name: 'regenerate',
    aliases: [],
    term: 'regenerate [options] <name>',
    description: 'Give an API key a new token, after confirmation (the old token stops working at once)',
  },
  {
    name: 'clone',
    aliases: [],
    term: 'clone [options] <name-or-token>',
    description: "Copy a key's grants into a new key, with changes (keys cannot be edited)",
  },
  {
    name: 'rotate',
    aliases: [],
    term: 'rotate [options] [name-or-token]',
    description: 'Replace a key: clone it (with changes), deploy the new token, verify it, delete the old key',
  },
  {
    name: 'retire',
    aliases: [],
    term: 'retire [options]',
    description: 'Delete the old keys whose grace period (rotate --grace) has passed, after checking their successors',
  },
  {
    name: 'where',
    aliases: [],
    term: 'where [options] <name>',
    description: 'Where a key was deployed (by rotate or apply), and whether each env file still holds its token',
  },
  {
    name: 'export',
    aliases: [],
    term: 'export [options]',
    description: "Write the account's regular keys as a keys file (carto-keys.yaml), for plan and apply",
  },
  {
    name: 'plan',
    aliases: [],
    term: 'plan [options]',
    description: 'Compare carto-keys.yaml with the account: what apply would create, replace, rotate or delete',
  },
  {
    name: 'apply',
    aliases: [],
    term: 'apply [options]',
    description: 'Make the account match carto-keys.yaml: create, replace (create-before-delete), rotate, and --prune',
  },
  {
    name: 'audit',
    aliases: [],
    term: 'audit [options]',
    description: 'Report risky keys, each with the command that fixes it; --fail-on gates CI',
  },
  {
    name: 'scan',
    aliases: [],
    term: 'scan [options] [paths...]',
    description: 'Find live tokens of the account (the Master key too) in files, folders and git history',
  },
  {
    name: 'respond',
    aliases: [],
    term: 'respond [options] <token-or-name>',
    description: 'A key leaked: rotate it to where it is deployed and delete it at once (or revoke it), and record the incident',
  },
  {
    name: 'org',
    aliases: [],
    term: 'org',
    description: "An organization's users (for its owners and admins)",
  },
  {
    name: 'login',
    aliases: [],
    term: 'login [options]',
    description: 'Store the Master key of a CARTO account in a profile, after checking it',
  },
  {
    name: 'logout',
    aliases: [],
    term: 'logout',
    description: 'Forget the stored Master key of the profile (its user and URL are kept)',
  },
  {
    name: 'status',
    aliases: [],
    term: 'status',
    description: 'Show the active profile and check that its Master key works',
  },
  {
    name: 'profile',
    aliases: [],
    term: 'profile',
    description: 'Manage profiles (one per account)',
  },
  {
    name: 'completion',
    aliases: [],
    term: 'completion <shell>',
    description: 'Print the shell completion script for bash, zsh or fish',
  },
  {
    name: 'sandbox',
    aliases: [],
    term: 'sandbox',
    description: "The built-in emulator of CARTO's Auth API",
  },
] as const satisfies readonly CommandEntry[];

/** A command's name: LOADERS (./load.ts) must have one entry per name, which tsc checks. */
export type CommandName = (typeof COMMANDS)[number]['name'];

/** The entry `word` names (by name or alias), if any. */
export function findCommand(word: string | undefined): (typeof COMMANDS)[number] | undefined {
  return word === undefined ? undefined : COMMANDS.find((c) => c.name === word || (c.aliases as readonly string[]).includes(word));
}
