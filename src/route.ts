// Which bundle runs a command line, and how it is started. Each command is its own CommonJS bundle
// (dist/commands/<name>.cjs, built from src/main.ts with only that command's module), so a run
// compiles only the code it can reach; everything else (no command, `--help`, an unknown word) runs
// dist/program.cjs, the same CLI with no command module. bin/carto-keys.js require()s this file's
// bundle (dist/route.cjs) to choose and start one; the single-file binary (src/sea/) does the same
// from its assets.
//
// A bundle is started from the V8 code cache the build made for it (the .v8 file beside it, made by
// scripts/code-cache.mjs, which runs the bundle once), because almost all of a command's start-up
// beyond Node's own is compiling JavaScript: without it `list` costs ~80 M instructions more (see
// docs/performance.md). The cache is used only with the bundle it was made from (its first 16 bytes
// are the build stamp of the bundle's first line); V8 itself refuses a cache from another V8 version
// or other flags, and the bundle is then compiled as usual, only slower. Nothing is written at run
// time: the cache is part of the build, like the bundle, and as trusted.

import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { Script } from 'node:vm';
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

/** The bundle of a command (undefined: none), relative to dist/; its code cache is the same path in .v8. */
export function bundleFor(command: CommandName | undefined): string {
  return command === undefined ? 'program.cjs' : posix.join('commands', `${command}.cjs`);
}

export function cacheOf(bundle: string): string {
  return bundle.endsWith('.cjs') ? `${bundle.slice(0, -4)}.v8` : bundle;
}

export interface CliBundle {
  main(argv: string[]): Promise<number>;
}

export interface StartedBundle {
  exports: CliBundle;
  /** The compiled script: `cachedDataRejected` says whether V8 took the cache; the build saves its code. */
  script: Script;
  /** The build stamp of the bundle's first line. */
  stamp: string | undefined;
}

const STAMP = '// carto-keys build ';

/**
 * The 16 hex digits of the bundle's first line, `// carto-keys build <stamp>`. Read without a regular
 * expression: compiling one costs more than this whole check, on every run.
 */
function stampOf(source: string): string | undefined {
  if (!source.startsWith(STAMP) || source.charCodeAt(STAMP.length + 16) !== 10) return undefined;
  const stamp = source.slice(STAMP.length, STAMP.length + 16);
  for (let i = 0; i < 16; i++) {
    const c = stamp.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined;
  }
  return stamp;
}

/**
 * Compiles a bundle's source as CommonJS (the wrapper Node's require uses), from `cache` when it was
 * made from this very bundle, runs it and returns its exports. `require` serves what the bundle
 * requires: node built-ins, the optional keychain module and the vendored libraries (paths relative
 * to the bundle).
 */
export function startBundle(opts: { source: string; cache?: Uint8Array | undefined; filename: string; require: (id: string) => unknown }): StartedBundle {
  const stamp = stampOf(opts.source);
  const fresh = opts.cache !== undefined && stamp !== undefined && Buffer.from(opts.cache.buffer, opts.cache.byteOffset, 16).toString('latin1') === stamp;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${opts.source}\n})`, {
    filename: opts.filename,
    ...(fresh && { cachedData: opts.cache!.subarray(16) }),
  });
  const module = { exports: {} as CliBundle };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, opts.require, module, opts.filename, dirname(opts.filename));
  return { exports: module.exports, script, stamp };
}

/**
 * Starts the bundle of `command` from dist/ (bin/carto-keys.js), with Node's `require` of the caller.
 * `withCache: false` compiles from scratch (the build does, to make the cache).
 */
export function loadBundle(dist: string, command: CommandName | undefined, nodeRequire: (id: string) => unknown, opts: { withCache?: boolean } = {}): StartedBundle {
  const filename = join(dist, bundleFor(command));
  // latin1: esbuild escapes every non-ASCII character of the code (a comment it keeps may still have
  // one, harmless there), and decoding ~300 KB as UTF-8 costs ~9 M instructions.
  const source = readFileSync(filename, 'latin1');
  let cache: Uint8Array | undefined;
  if (opts.withCache !== false) {
    try {
      cache = readFileSync(cacheOf(filename));
    } catch {
      // No cache (a build whose code-cache step failed): compiled as usual.
    }
  }
  const dir = dirname(filename);
  // Not module.createRequire: loading node:module starts parts of the ES module loader.
  const require = (id: string): unknown => nodeRequire(id.startsWith('.') ? join(dir, id) : id);
  return startBundle({ source, cache, filename, require });
}
