// Build time only (not in the bundle): generates everything shell completion needs from the commander program itself, so a new command
// or option is completed without anyone editing a list:
//   src/completion/spec.generated.ts     the spec `carto-keys __complete` works from (no commander)
//   src/completion/scripts.generated.ts  the scripts, for `carto-keys completion <shell>`
//   completions/*                        the scripts, as files (shipped in the package)
// Run by `npm run completions` (scripts/gen-completions.mjs); test/completion checks nothing is stale.
//
// What a value completes to is read from the program where commander says it (.choices()), and
// otherwise from naming conventions, so most new options need nothing here:
// - options by their name without --add-/--remove- (`--api`, `--add-api`, `--remove-api` alike);
// - positional arguments by their name: <name>, <names...>, <key>, <keys...>, <name-or-token>, <pattern> are key names,
//   <profile> a profile name, <command> a sibling command;
// - an option or argument whose placeholder says file or path completes file names.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argument, Command, Option } from 'commander';
import { buildProgram } from '../cli.js';
import type { Io } from '../context.js';
import { DEFAULT_PUBLIC_KEY_NAME, KEY_TYPES, MASTER_KEY_NAME } from '../api/types.js';
import { ORDERS } from '../commands/list.js';
import { DEFAULT_PROFILE } from '../config/settings.js';
import { CONFIG_FILE } from '../config/store.js';
import { ALL_TABLE_PERMISSIONS, APIS, SCHEMA_PERMISSIONS, SERVICES, TABLE_PERMISSIONS } from '../grants/index.js';
import { SCRIPT_FILES, SHELLS, TEMPLATE_FILES } from '../completion/shells.js';
import type { ArgSpec, CommandSpec, CompletionSpec, OptionSpec, ValueSpec } from '../completion/types.js';

const KEY: ValueSpec = { kind: 'key', exclude: [] };

/** Option values by option name, with any add-/remove- prefix dropped. */
const OPTION_VALUES: Record<string, ValueSpec> = {
  api: { kind: 'words', words: [...APIS], list: true },
  table: { kind: 'permissions', words: [...TABLE_PERMISSIONS, ALL_TABLE_PERMISSIONS] },
  schema: { kind: 'permissions', words: [...SCHEMA_PERMISSIONS] },
  service: { kind: 'words', words: [...SERVICES], list: true },
  type: { kind: 'words', words: [...KEY_TYPES], list: true },
  order: { kind: 'words', words: [...ORDERS], list: false },
  profile: { kind: 'profile' },
  user: { kind: 'member' },
};

/** Options whose name means something else on one command: `login --user` is the account's own name. */
const OPTION_OVERRIDES: Record<string, Record<string, ValueSpec>> = {
  login: { user: { kind: 'text' } },
};

/** Positional arguments by name. */
const ARGUMENT_VALUES: Record<string, ValueSpec> = {
  name: KEY,
  names: KEY,
  'name-or-token': KEY,
  key: KEY,
  keys: KEY,
  pattern: KEY,
  profile: { kind: 'profile' },
  command: { kind: 'command' },
};

/** Keys a command refuses, by command name: completion should not offer what is bound to fail. */
const REFUSED_KEYS: Record<string, string[]> = {
  revoke: [MASTER_KEY_NAME, DEFAULT_PUBLIC_KEY_NAME],
  regenerate: [DEFAULT_PUBLIC_KEY_NAME],
};

export function buildSpec(program: Command): CompletionSpec {
  return { program: commandSpec(program, true), configFile: CONFIG_FILE, defaultProfile: DEFAULT_PROFILE };
}

function commandSpec(cmd: Command, isProgram = false): CommandSpec {
  const help = cmd.createHelp();
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: cmd.summary() || cmd.description(),
    options: help.visibleOptions(cmd).map((o) => optionSpec(o, isProgram, cmd.name())),
    args: cmd.registeredArguments.map((a) => argSpec(cmd.name(), a)),
    commands: help.visibleCommands(cmd).map((c) => commandSpec(c)),
  };
}

function optionSpec(o: Option, isProgram: boolean, command: string): OptionSpec {
  const flags = [o.short, o.long].filter((f): f is string => f !== undefined);
  const takesValue = o.required || o.optional;
  return {
    flags,
    description: o.description,
    ...(takesValue && { value: optionValue(o, command) }),
    ...(o.optional && { optionalValue: true as const }),
    // commander accepts program options after a command too, but --version there is only noise.
    ...(isProgram && o.long === '--version' && { rootOnly: true as const }),
  };
}

function optionValue(o: Option, command: string): ValueSpec {
  if (o.argChoices) return { kind: 'words', words: [...o.argChoices], list: false };
  const name = (o.long ?? '').replace(/^--(add-|remove-)?/, '');
  const override = OPTION_OVERRIDES[command]?.[name];
  if (override) return override;
  return OPTION_VALUES[name] ?? placeholderValue(/[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? '');
}

function argSpec(command: string, a: Argument): ArgSpec {
  let value: ValueSpec;
  if (a.argChoices) value = { kind: 'words', words: [...a.argChoices], list: false };
  else value = ARGUMENT_VALUES[a.name()] ?? placeholderValue(a.name());
  if (value.kind === 'key') value = { kind: 'key', exclude: REFUSED_KEYS[command] ?? [] };
  return { name: a.name(), variadic: a.variadic, value };
}

function placeholderValue(placeholder: string): ValueSpec {
  return /file|path/i.test(placeholder) ? { kind: 'file' } : { kind: 'text' };
}

/** The real program, every command built (defining commands touches nothing; no action runs). */
export async function currentProgram(): Promise<Command> {
  const io: Pick<Io, 'stdout' | 'stderr'> = { stdout: { write: () => true }, stderr: { write: () => true } };
  return buildProgram(io, { run: () => {}, canPrompt: () => false, env: {} }, 'all');
}

/** Every generated file, by path relative to the repository root, with its content. */
export async function generatedFiles(root: string, program?: Command): Promise<Record<string, string>> {
  program ??= await currentProgram();
  const spec = buildSpec(program);
  const scripts = Object.fromEntries(SHELLS.map((shell) => [shell, script(root, shell)]));
  const files: Record<string, string> = {
    'src/completion/spec.generated.ts': tsModule(
      'The completion spec, from the commander program',
      "import type { CompletionSpec } from './types.js';",
      'SPEC: CompletionSpec',
      spec,
    ),
    'src/completion/scripts.generated.ts': tsModule(
      'The completion scripts, printed by `carto-keys completion <shell>`',
      "import type { Shell } from './shells.js';",
      'SCRIPTS: Record<Shell, string>',
      scripts,
    ),
  };
  for (const shell of SHELLS) files[`completions/${SCRIPT_FILES[shell]}`] = scripts[shell]!;
  return files;
}

const REGENERATE = '`npm run completions`';

function script(root: string, shell: (typeof SHELLS)[number]): string {
  const source = `src/completion/templates/${TEMPLATE_FILES[shell]}`;
  const text = readFileSync(join(root, source), 'utf8');
  const note = `# Generated from ${source} by ${REGENERATE}: edit that file instead.\n`;
  // zsh's loader reads only the first line (#compdef): the note goes after it.
  const firstLine = text.startsWith('#compdef') ? text.slice(0, text.indexOf('\n') + 1) : '';
  return firstLine + note + text.slice(firstLine.length);
}

function tsModule(what: string, typeImport: string, declaration: string, value: unknown): string {
  return `// ${what}. Generated by ${REGENERATE}: do not edit.\n${typeImport}\n\nexport const ${declaration} = ${JSON.stringify(value, null, 2)};\n`;
}
