// Builds the commander program and runs it. This is the one place where errors become exit codes and
// messages; commands only throw typed errors (src/errors.ts).

import { type Command, CommanderError } from 'commander';
import type { ContextDeps } from './context-factory.js';
import type { GlobalOptions, Io } from './context.js';
import { CancelledError, CliError, ExitCode, ReportedExit } from './errors.js';
import { colors } from './ui/color.js';
import { escapeTerminal } from './text/escape.js';
import type { Env } from './env.js';
import { fitMessage } from './ui/help-text.js';
import { widthOf } from './ui/width.js';
import { globalsFrom, type CommandKit, type Run } from './args/kit.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { LOADERS } from './commands/load.js';
import { programShell } from './program.js';
import { commandFor, commandWord } from './route.js';

/**
 * The commander program. `load`: 'all' builds every command (completion generation, tests); argv
 * builds only the command that argv names (and, for `help <command>`, that one): the others stay
 * stand-ins from the registry, enough for `--help` and for "did you mean" suggestions, so a run
 * imports one command module. A bundle holds the loader of its own command only (src/route.ts): one
 * without a loader stays a stand-in.
 */
export async function buildProgram(io: Pick<Io, 'stdout' | 'stderr'>, kit: CommandKit, load: readonly string[] | 'all'): Promise<Command> {
  const wanted = load === 'all' ? undefined : commandFor(load);
  const built = new Map<string, Command>();
  for (const entry of COMMANDS) {
    const loader = LOADERS[entry.name] as (typeof LOADERS)[typeof entry.name] | undefined;
    if (loader && (load === 'all' || entry.name === wanted)) built.set(entry.name, (await loader())(kit));
  }
  return programShell(io, (entry) => built.get(entry.name), kit.env);
}

/**
 * Parses argv (without node and script), then runs the command, and returns the exit code. The
 * Context is built only after parsing, with the parsed global flags: --help, --version and every
 * usage error of the parse layer end before anything is read from disk, the keychain or the network.
 */
export async function runCli(deps: ContextDeps, argv: string[]): Promise<number> {
  let run: Run | undefined;
  const kit: CommandKit = {
    run: (fn) => {
      run = fn;
    },
    canPrompt: () => deps.io.canPrompt(),
    env: deps.env,
  };
  let program: Command | undefined;
  try {
    await refuseTypedKeys(deps, argv);
    rejectVersionCluster(argv);
    rejectUnknownHelpTopic(argv);
    program = await buildProgram(deps.io, kit, argv);
    await program.parseAsync(argv, { from: 'user' });
    if (run === undefined) return ExitCode.ok;
    const { createContext } = await import('./context-factory.js');
    // argv too: a Master key typed on the command line is refused before anything is sent (secret-guard.ts).
    const ctx = createContext({ ...deps, argv }, globalsFrom(program.opts()));
    try {
      await run(ctx);
    } finally {
      await ctx.dispose().catch(() => {});
    }
    return ExitCode.ok;
  } catch (err) {
    return reportError(deps.io, deps.env, program ? safeGlobals(program) : undefined, err, argv);
  }
}

/**
 * A Master key typed anywhere on the command line (an argument, a flag value, a file name) is refused
 * before commander parses it, so no usage error, hint or child process ever sees it. The keys known
 * without the network or a keychain call: CARTO_KEYS_MASTER_KEY, the keys in the config file, and the
 * recorded check of each keychain key. (A key resolved later, from an older keychain profile, is
 * checked again once it is read.) Only an argument long enough to be a key costs a config read.
 */
async function refuseTypedKeys(deps: ContextDeps, argv: readonly string[]): Promise<void> {
  if (!argv.some((arg) => arg.length >= 16)) return;
  const [{ refuseTypedMasterKey }, { openConfigStore }, { appPaths }] = await Promise.all([
    import('./domain/secret-guard.js'),
    import('./config/store.js'),
    import('./config/paths.js'),
  ]);
  const keys: string[] = [];
  const checks: string[] = [];
  const fromEnv = deps.env['CARTO_KEYS_MASTER_KEY']?.trim();
  if (fromEnv) keys.push(fromEnv);
  try {
    for (const profile of Object.values(openConfigStore((deps.paths ?? appPaths(deps.env)).config).read().profiles)) {
      if (profile.masterKey !== undefined) keys.push(profile.masterKey);
      if (profile.keyCheck !== undefined) checks.push(profile.keyCheck);
    }
  } catch {
    // A config file that cannot be read is reported by the command that needs it, not here.
  }
  refuseTypedMasterKey(argv, { keys, checks });
}

/**
 * commander reads `-Vxyz` as the short-option cluster `-V -x -y -z` and prints the version before it
 * looks at the rest, so a token starting with `-V` typed by mistake would "succeed". Nobody bundles
 * other flags with -V: such a word is an unknown option (and, being possibly a token, not repeated).
 */
function rejectVersionCluster(argv: string[]): void {
  const end = argv.indexOf('--');
  for (const arg of end === -1 ? argv : argv.slice(0, end)) {
    if (arg.startsWith('-V') && arg.length > 2) {
      throw new CommanderError(2, 'commander.unknownOption', `error: unknown option '${arg}'`);
    }
  }
}

/**
 * commander answers `help <word>` for a word that names no command with the whole program's help and
 * exit 0, as if the word had been understood. It is a usage error like any unknown command.
 */
function rejectUnknownHelpTopic(argv: string[]): void {
  const word = commandWord(argv);
  const helpAt = argv.findIndex((a) => !a.startsWith('-'));
  if (argv[helpAt] !== 'help' || word === undefined || findCommand(word) !== undefined) return;
  const near = COMMANDS.map((c) => c.name).filter((name) => name.startsWith(word.slice(0, 2)) || word.startsWith(name));
  const hint = near.length > 0 ? `(Did you mean ${near.join(' or ')}?)` : '';
  throw new CommanderError(2, 'commander.unknownCommand', `error: unknown command '${word}'${hint ? ` ${hint}` : ''}`);
}

function reportError(io: Io, env: Env, globals: GlobalOptions | undefined, err: unknown, argv: string[]): number {
  // --json may not have been parsed if parsing is what failed: look at argv too.
  const json = globals?.json === true || argv.includes('--json');
  const debug = globals?.debug === true || argv.includes('--debug');
  const c = colors(io.colorStderr);
  // A person at a terminal reads it at its width; a pipe or a log gets one line per line, for grep.
  const width = io.stderr.isTTY === true ? widthOf(env, io.stderr) : undefined;
  const write = (e: Reported) => writeError(io, json, e, c, width);

  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
    // `help <command>` asked for help, like `<command> --help` (commander exits 0); help shown because a
    // command was missing (`carto-keys`, `carto-keys profile`) is a usage error.
    if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (err.code === 'commander.executeSubCommandAsync') return ExitCode.usage;
    const message = withoutArgValues(err.message.replace(/^error: /, ''));
    // Tokens are URL-safe base64: one in 64 starts with "-" and is then read as an option.
    const hint = err.code === 'commander.unknownOption' && message.includes("'…'")
      ? 'If that was a token (tokens may start with "-"), put it after `--`: carto-keys clone -- "$TOKEN".'
      : 'Run `carto-keys --help` or `carto-keys <command> --help` for usage.';
    write({ code: 'usage', message: capitalize(message), hint });
    return ExitCode.usage;
  }
  if (err instanceof ReportedExit) return err.exitCode;
  if (err instanceof CliError) {
    // Declining is a choice, not a failure: a plain "Nothing was changed." rather than a red "Error:".
    if (err instanceof CancelledError && !json) io.stderr.write(lines([err.message, err.hint], width));
    else write({ code: err.code, message: err.message, hint: err.hint, status: err.status });
    if (debug && err.cause instanceof Error && err.cause.stack) io.stderr.write(`${err.cause.stack}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  if (json) {
    io.stderr.write(`${JSON.stringify({ error: { code: 'internal', message: e.message } })}\n`);
  }
  io.stderr.write(`${c.red('Unexpected error: this is a bug in carto-keys.')} Please report it with the trace below.\n${e.stack ?? e.message}\n`);
  return ExitCode.failure;
}

function safeGlobals(program: Command): GlobalOptions | undefined {
  try {
    return globalsFrom(program.opts());
  } catch {
    return undefined;
  }
}

interface Reported {
  code: string;
  message: string;
  hint?: string | undefined;
  status?: number | undefined;
}

function writeError(io: Io, json: boolean, e: Reported, c: ReturnType<typeof colors>, width: number | undefined): void {
  if (json) {
    const error = {
      code: e.code,
      message: e.message,
      ...(e.hint !== undefined && { hint: e.hint }),
      ...(e.status !== undefined && { status: e.status }),
    };
    io.stderr.write(`${JSON.stringify({ error })}\n`);
    return;
  }
  const text = lines([`Error: ${escapeTerminal(e.message)}`, e.hint && escapeTerminal(e.hint)], width);
  io.stderr.write(`${c.red('Error:')}${text.slice('Error:'.length)}`);
}

/** The lines of a message and its hint, each fitted to `width` when one is given (a terminal). */
function lines(texts: (string | undefined)[], width: number | undefined): string {
  const present = texts.filter((t): t is string => t !== undefined && t !== '');
  return present.map((t) => `${width === undefined ? t : fitMessage(t, width).join('\n')}\n`).join('');
}

/**
 * commander quotes what it did not understand, value included: `--master-key=<the key>` would put a
 * key someone tried to pass as an option into a terminal or a CI log. The option's name is enough to
 * act on; a token-like word taken for a command is not repeated either.
 */
export function withoutArgValues(message: string): string {
  // Token-like: long, and with a digit or a capital, which option names never have.
  const tokenLike = "(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{16,}";
  // A command or argument word of a token's length is never echoed, whatever its letters (a token may
  // be all lower case): no command name is longer than 10 characters, so no typo hint is lost.
  const longWord = '[A-Za-z0-9_-]{16,}';
  return message
    .replace(/(option '-{1,2}[^'=\s]*=)[^']*'/gi, "$1…'")
    .replace(new RegExp(`((?:command|argument) ')${longWord}'`, 'g'), "$1…'")
    .replace(new RegExp(`(option ')${tokenLike}'`, 'g'), "$1…'");
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
