// The completion logic, pure: given the spec, the words typed so far and read-only access to local
// data, what can the current word become? It walks the words the way commander parses them
// (subcommands, options that take a value, `--flag=value`, `--`), then completes the last word.
// No I/O here: src/complete.ts supplies the sources and prints the answer.

import type { CommandSpec, CompletionSpec, OptionSpec, ValueSpec } from './types.js';

/** Bit flags on the last line of the answer, `:<n>`, telling the shell script what else to do. */
export const Directive = {
  none: 0,
  /** Let the shell complete file names (only used when there are no candidates). */
  files: 1,
  /** No space after the candidate: a comma list (`--api sql`, `--table t:select`) may go on with `,`. */
  noSpace: 2,
} as const;

export interface Candidate {
  value: string;
  description?: string;
}

export interface Completion {
  candidates: Candidate[];
  directive: number;
}

export interface CompletionSources {
  /** The CARTO_KEYS_PROFILE variable, if set. */
  envProfile: string | undefined;
  /** Profiles in the config file, and the current one. Read only if needed. */
  config(): { currentProfile?: string; profiles: string[] };
  /** The cached key names of a profile, or of the organization member it acts for (`--user`). */
  keyNames(profile: string, member?: string): string[];
  /** The organization usernames a profile has seen. */
  members(profile: string): string[];
}

interface LineState {
  /** The program, then each subcommand typed. */
  path: CommandSpec[];
  /** Positional words typed for the innermost command. */
  positionals: string[];
  /** Options without a value already on the line (offering them again is noise). */
  usedFlags: Set<string>;
  /** `--profile` on the line. */
  profile?: string;
  /** `--user <member>` on the line: key names are that member's. */
  member?: string;
  /** After `--` everything is positional. */
  afterDashDash: boolean;
}

const NOTHING: Completion = { candidates: [], directive: Directive.none };

/** `words`: everything after the program name; the last one is the word being completed (maybe ''). */
export function completeWords(spec: CompletionSpec, words: readonly string[], src: CompletionSources): Completion {
  const current = words.length ? words[words.length - 1]! : '';
  const state: LineState = { path: [spec.program], positionals: [], usedFlags: new Set(), afterDashDash: false };
  let pending: OptionSpec | undefined;

  for (const word of words.slice(0, -1)) {
    if (pending) {
      // commander gives an optional value only a word that does not look like an option.
      const consumed = !(pending.optionalValue && word.startsWith('-'));
      if (consumed) {
        if (pending.value?.kind === 'profile') state.profile = word;
        if (pending.value?.kind === 'member') state.member = word;
        pending = undefined;
        continue;
      }
      pending = undefined;
    }
    if (!state.afterDashDash && word === '--') {
      state.afterDashDash = true;
    } else if (!state.afterDashDash && word.startsWith('-') && word !== '-') {
      const { flag, inline } = splitInline(word);
      const opt = findOption(state.path, flag);
      if (!opt?.value) state.usedFlags.add(flag);
      else if (inline !== undefined) {
        if (opt.value.kind === 'profile') state.profile = inline;
        if (opt.value.kind === 'member') state.member = inline;
      } else pending = opt;
    } else {
      const node = state.path[state.path.length - 1]!;
      const sub = state.positionals.length === 0 && !state.afterDashDash ? findCommand(node, word) : undefined;
      if (sub) {
        state.path.push(sub);
        state.positionals = [];
      } else {
        state.positionals.push(word);
      }
    }
  }

  const ctx = { spec, src, state };
  if (pending) return completeValue(ctx, pending.value!, current, '');
  if (!state.afterDashDash && current.startsWith('-')) {
    const { flag, inline } = splitInline(current);
    if (inline !== undefined) {
      const opt = findOption(state.path, flag);
      return opt?.value ? completeValue(ctx, opt.value, inline, `${flag}=`) : NOTHING;
    }
    return { candidates: optionCandidates(state, current), directive: Directive.none };
  }
  const node = state.path[state.path.length - 1]!;
  if (state.positionals.length === 0 && node.commands.length > 0 && !state.afterDashDash) {
    return { candidates: commandCandidates(node, current), directive: Directive.none };
  }
  const last = node.args[node.args.length - 1];
  const arg = node.args[state.positionals.length] ?? (last?.variadic ? last : undefined);
  if (!arg) return NOTHING;
  // A variadic argument (revoke a b c) should not offer what is already on the line.
  const typed = arg.variadic ? state.positionals.slice(node.args.length - 1) : [];
  return completeValue(ctx, arg.value, current, '', typed);
}

/** One line per candidate (`value` or `value<TAB>description`), then the directive line. */
export function formatCompletion(c: Completion): string {
  // A line-based protocol cannot carry a value with a newline or a tab in it; such names are skipped.
  const lines = c.candidates
    .filter((x) => !/[\t\n\r]/.test(x.value))
    .map((x) => (x.description ? `${x.value}\t${x.description.replace(/\s+/g, ' ')}` : x.value));
  return `${[...lines, `:${c.directive}`].join('\n')}\n`;
}

/** What completing one command line needs: the spec, the local sources (names cache, profiles) and where the line is. */
interface CompletionScope {
  spec: CompletionSpec;
  src: CompletionSources;
  state: LineState;
}

function completeValue(ctx: CompletionScope, value: ValueSpec, current: string, prefix: string, typed: string[] = []): Completion {
  const words = (list: readonly string[]): Completion => ({
    candidates: list.filter((w) => w.startsWith(current)).map((w) => ({ value: prefix + w })),
    directive: Directive.none,
  });
  switch (value.kind) {
    case 'words':
      return value.list ? commaList(value.words, current, prefix) : words(value.words);
    case 'permissions': {
      // Table and schema names are not known locally; after `name:` come the permissions.
      const colon = current.indexOf(':');
      if (colon < 0) return NOTHING;
      return commaList(value.words, current.slice(colon + 1), prefix + current.slice(0, colon + 1));
    }
    case 'key': {
      const skip = new Set([...value.exclude, ...typed]);
      return words(ctx.src.keyNames(activeProfile(ctx), ctx.state.member).filter((n) => !skip.has(n)));
    }
    case 'profile':
      return words(ctx.src.config().profiles);
    case 'member':
      return words(ctx.src.members(activeProfile(ctx)));
    case 'command': {
      const parent = ctx.state.path[ctx.state.path.length - 2];
      return parent ? { candidates: commandCandidates(parent, current, prefix), directive: Directive.none } : NOTHING;
    }
    case 'file':
      return { candidates: [], directive: Directive.files };
    case 'text':
      return NOTHING;
  }
}

/** `--api sql,ma` → `sql,maps`: the words not yet in the list, after what is already typed. */
function commaList(words: readonly string[], current: string, prefix: string): Completion {
  const comma = current.lastIndexOf(',');
  const head = current.slice(0, comma + 1);
  const part = current.slice(comma + 1);
  const done = new Set(head.split(','));
  const candidates = words.filter((w) => !done.has(w) && w.startsWith(part)).map((w) => ({ value: prefix + head + w }));
  return { candidates, directive: candidates.length > 0 ? Directive.noSpace : Directive.none };
}

/** `--profile` on the line > CARTO_KEYS_PROFILE > the current profile > the default one. */
function activeProfile(ctx: CompletionScope): string {
  return ctx.state.profile || ctx.src.envProfile || ctx.src.config().currentProfile || ctx.spec.defaultProfile;
}

/** Aliases are offered only when the name does not already match: `l` → list, not also ls. */
function commandCandidates(node: CommandSpec, current: string, prefix = ''): Candidate[] {
  const out: Candidate[] = [];
  for (const cmd of node.commands) {
    const name = [cmd.name, ...cmd.aliases].find((n) => n.startsWith(current));
    if (name !== undefined) out.push({ value: prefix + name, description: cmd.description });
  }
  return out;
}

/** The options of the command and of its parents (program options are global, as in commander). */
function optionsInScope(path: CommandSpec[]): OptionSpec[] {
  const seen = new Set<string>();
  const out: OptionSpec[] = [];
  for (let i = path.length - 1; i >= 0; i--) {
    for (const opt of path[i]!.options) {
      if (opt.rootOnly && path.length > 1) continue;
      if (opt.flags.some((f) => seen.has(f))) continue;
      for (const f of opt.flags) seen.add(f);
      out.push(opt);
    }
  }
  return out;
}

function findOption(path: CommandSpec[], flag: string): OptionSpec | undefined {
  return optionsInScope(path).find((o) => o.flags.includes(flag));
}

/** `-` and `--…` offer long forms (short ones only where there is no long one); `-y` may match a short one. */
function optionCandidates(state: LineState, current: string): Candidate[] {
  const longOnly = current === '-' || current.startsWith('--');
  const out: Candidate[] = [];
  for (const opt of optionsInScope(state.path)) {
    if (!opt.value && opt.flags.some((f) => state.usedFlags.has(f))) continue;
    const longs = opt.flags.filter((f) => f.startsWith('--'));
    const flags = longOnly && longs.length ? longs : opt.flags;
    for (const f of flags) if (f.startsWith(current)) out.push({ value: f, description: opt.description });
  }
  return out;
}

function findCommand(node: CommandSpec, word: string): CommandSpec | undefined {
  return node.commands.find((c) => c.name === word || c.aliases.includes(word));
}

function splitInline(word: string): { flag: string; inline?: string } {
  const eq = word.indexOf('=');
  return word.startsWith('--') && eq > 2 ? { flag: word.slice(0, eq), inline: word.slice(eq + 1) } : { flag: word };
}
