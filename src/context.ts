// Everything a command's run layer may touch comes through the Context: no command reads process.*,
// console.* or a module singleton. A Context is built only once argv is parsed (src/cli.ts), with the
// global flags already in it; `--help` and every usage error never build one. Config, settings and
// the API client are lazy, and settings are read at most once per run.

import type { ApiClient } from './api/client.js';
import type { ConfigStore } from './config/store.js';
import type { ResolvedSettings } from './config/settings.js';
import type { Keychain } from './config/keychain.js';
import type { AppPaths } from './config/paths.js';
import type { Env } from './env.js';
import type { Shell } from './deploy/command.js';
import type { Records } from './records/records.js';

export interface WritableLike {
  /** Text, or bytes already encoded as UTF-8 (a large listing keeps its rendered pages as bytes). */
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  /** A terminal's width in characters (Node sets it on a TTY stream). */
  columns?: number;
}

export interface ReadableLike extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
}

export interface Io {
  stdout: WritableLike;
  stderr: WritableLike;
  stdin: ReadableLike;
  /** Both stdin and stdout are terminals: prompting is allowed. */
  canPrompt(): boolean;
  stdoutIsTTY(): boolean;
  /** Colour on stderr (chatter) is allowed. */
  colorStderr: boolean;
  /** Colour on stdout (results) is allowed. */
  colorStdout: boolean;
  /** Reads all of stdin as text (for `--with-key`, `--grants-file -`). */
  readStdin(): Promise<string>;
}

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  checked?: boolean;
}

/** Prompts, bound to stderr so they never pollute a pipe. A cancelled prompt throws CancelledError. */
export interface Prompter {
  confirm(message: string, opts?: { default?: boolean }): Promise<boolean>;
  input(message: string, opts?: { default?: string; validate?: (value: string) => true | string }): Promise<string>;
  password(message: string): Promise<string>;
  select<T>(message: string, choices: Choice<T>[], opts?: { default?: T }): Promise<T>;
  checkbox<T>(message: string, choices: Choice<T>[]): Promise<T[]>;
}

export interface GlobalOptions {
  profile?: string;
  json: boolean;
  color: boolean;
  debug: boolean;
  yes: boolean;
}

export interface Context {
  io: Io;
  prompter: Prompter;
  env: Env;
  /** The global flags, parsed from argv before the context was built. Immutable. */
  readonly globals: Readonly<GlobalOptions>;
  /** The config store: the one reader and writer of the config file. */
  config(): Promise<ConfigStore>;
  /**
   * Profile, base URL and Master key resolved from flag > env > store, with where each came from. Read
   * once, then remembered. `readKey: false`: without reading a key that is not simply there (from the
   * OS keychain or a credential helper), for commands that only need to know where it would come from.
   */
  settings(opts?: { readKey?: boolean }): Promise<ResolvedSettings>;
  /** The OS keychain (its native module loaded on first use): only for profiles that chose it. */
  keychain(): Promise<Keychain>;
  /** An API client authenticated with the resolved Master key; it keeps the key-name cache up to date. */
  api(): Promise<ApiClient>;
  /** An API client for any base URL and token: login verifies a key before storing it, rotate verifies a new one. */
  clientFor(target: Target): Promise<ApiClient>;
  /** What the user typed (command line, prompt answers): checked for a misplaced Master key before sending. */
  typedValues(): { argv?: readonly string[]; answers: readonly string[] };
  /**
   * Journals (and the locks of the keys they name) and the deployment registry, in the state folder:
   * opened once per run, on first use.
   */
  records(): Promise<Records>;
  /** Runs deploy commands and app checks (loaded on first use). */
  shell(): Promise<Shell>;
  /** Debug/trace lines (already redacted by the caller) go here; a no-op without --debug. */
  debug(line: string): void;
  now(): Date;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM): long-running commands (sandbox serve). */
  stopSignal(): Promise<string>;
  /** Config (and journals), data (embedded sandbox state) and cache (completion names) folders. */
  paths: AppPaths;
}

/** Where to connect and with which token. */
export interface Target {
  baseUrl: string;
  username: string;
  token: string;
  /** Talk to the embedded emulator in-process instead of the network. */
  sandbox: boolean;
}
