// The shape of the completion spec: what `carto-keys __complete` knows about the program without
// loading commander. src/build/completions.ts derives it from the commander tree; the generated
// module (spec.generated.ts) is data only, so the completion fast path stays a few kilobytes.

/** What a value (of an option or a positional argument) completes to. */
export type ValueSpec =
  /** Fixed words; `list`: comma-separated, several at once (`--api sql,maps`). */
  | { kind: 'words'; words: string[]; list: boolean }
  /** `name:perm,perm` (`--table`, `--schema`): names are unknown locally, permissions after the colon. */
  | { kind: 'permissions'; words: string[] }
  /** Key names from the per-profile cache, minus those the command refuses (revoke: built-in keys). */
  | { kind: 'key'; exclude: string[] }
  /** Profile names from the config file. */
  | { kind: 'profile' }
  /** Organization usernames the profile has seen (`--user` of the key commands). */
  | { kind: 'member' }
  /** The sibling commands (`help <command>`). */
  | { kind: 'command' }
  /** A path: the shell completes file names. */
  | { kind: 'file' }
  /** Free text: nothing to offer. */
  | { kind: 'text' };

export interface OptionSpec {
  /** Short and long forms, e.g. `['-y', '--yes']`. */
  flags: string[];
  description: string;
  /** Absent for a boolean flag. */
  value?: ValueSpec;
  /** The value may be left out (`--flag [value]`). */
  optionalValue?: true;
  /** Accepted on the program only (`--version`); every other program option is global. */
  rootOnly?: true;
}

export interface ArgSpec {
  name: string;
  variadic: boolean;
  value: ValueSpec;
}

export interface CommandSpec {
  name: string;
  aliases: string[];
  description: string;
  options: OptionSpec[];
  args: ArgSpec[];
  commands: CommandSpec[];
}

export interface CompletionSpec {
  /** The program itself: its options are the global ones. */
  program: CommandSpec;
  /** Where profiles live, and the profile used when none is chosen (from src/config). */
  configFile: string;
  defaultProfile: string;
}
