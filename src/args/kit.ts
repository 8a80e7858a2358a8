// The contract between a command's parse layer and the rest. A command module exports a builder that
// takes a CommandKit and returns its commander Command. Its action (the parse layer) turns argv into
// an options object — validating every flag, exit 2 on any problem — and hands `kit.run` a closure
// over that object: the run layer. The parse layer gets no Context, so it cannot read the config,
// credentials, files or the network: every usage error comes before any of those by construction.
// src/cli.ts builds the Context (global flags included) only after parsing, then calls the run layer.

import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { Env } from '../env.js';

/** The run layer of one invocation, its options already bound. */
export type Run = (ctx: Context) => Promise<void>;

export interface CommandKit {
  /** Records what to run once parsing is over. Called once, by the action of the command that runs. */
  run(fn: Run): void;
  /** Whether stdin and stdout are terminals, so a prompt could be shown. A check, not I/O. */
  canPrompt(): boolean;
  /** The environment, for flags that have an environment-variable default. */
  env: Env;
}

export type CommandBuilder = (kit: CommandKit) => Command;

/** The global flags, as commander parsed them. */
export function globalsFrom(opts: Record<string, unknown>): GlobalOptions {
  return {
    ...(typeof opts.profile === 'string' && { profile: opts.profile }),
    json: opts.json === true,
    color: opts.color !== false,
    debug: opts.debug === true,
    yes: opts.yes === true,
  };
}

/** The global flags seen from inside an action: commander hands the action its Command last. */
export function globalsOf(cmd: Command): GlobalOptions {
  return globalsFrom(cmd.optsWithGlobals());
}
