// In-process command tests: injected streams, a scripted prompter, temporary folders, and a fetch
// that is either msw's (globalThis.fetch) or the sandbox handler. No test here touches process.*.

import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FetchLike } from '../../src/api/client.js';
import type { Choice, Io, Prompter } from '../../src/context.js';
import type { Env } from '../../src/env.js';
import { runCli } from '../../src/cli.js';
import type { AppPaths } from '../../src/config/paths.js';
import type { Shell } from '../../src/deploy/command.js';
import { CancelledError } from '../../src/errors.js';

export interface Captured {
  write(chunk: string | Uint8Array): boolean;
  isTTY: boolean;
  text: string;
}

function capture(isTTY: boolean, onWrite?: (text: string) => void): Captured {
  return {
    isTTY,
    text: '',
    write(chunk: string | Uint8Array) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      onWrite?.(text);
      this.text += text;
      return true;
    },
  };
}

export type ScriptedAnswer =
  | { confirm: boolean; match?: RegExp }
  | { input: string; match?: RegExp }
  | { password: string; match?: RegExp }
  | { select: unknown; match?: RegExp }
  | { checkbox: unknown[]; match?: RegExp }
  | { cancel: true; match?: RegExp };

/** Each prompt consumes the next answer; a prompt with no answer left, or of the wrong kind, fails. */
export function scriptedPrompter(answers: ScriptedAnswer[]): Prompter & { asked: string[]; selectDefaults: unknown[]; remaining(): number } {
  const queue = [...answers];
  const asked: string[] = [];
  /** The default each select prompt offered (what Enter picks), in order. */
  const selectDefaults: unknown[] = [];
  function next(kind: string, message: string): ScriptedAnswer {
    asked.push(message);
    const a = queue.shift();
    if (!a) throw new Error(`Unexpected ${kind} prompt: "${message}"`);
    if (a.match && !a.match.test(message)) throw new Error(`Prompt "${message}" does not match ${a.match}`);
    if ('cancel' in a) throw new CancelledError('Cancelled at a prompt.');
    if (!(kind in a)) throw new Error(`Expected a ${Object.keys(a)[0]} answer but got a ${kind} prompt: "${message}"`);
    return a;
  }
  return {
    asked,
    selectDefaults,
    remaining: () => queue.length,
    confirm: async (m) => (next('confirm', m) as { confirm: boolean }).confirm,
    input: async (m, opts) => {
      const v = (next('input', m) as { input: string }).input;
      const value = v === '' && opts?.default !== undefined ? opts.default : v;
      const ok = opts?.validate?.(value) ?? true;
      if (ok !== true) throw new Error(`Scripted input "${value}" rejected by validate: ${ok}`);
      return value;
    },
    password: async (m) => (next('password', m) as { password: string }).password,
    select: async <T>(m: string, _c: Choice<T>[], opts?: { default?: T }) => {
      selectDefaults.push(opts?.default);
      return (next('select', m) as { select: T }).select;
    },
    checkbox: async <T>(m: string, _c: Choice<T>[]) => (next('checkbox', m) as { checkbox: T[] }).checkbox,
  };
}

export interface RunOptions {
  env?: Env;
  /** Both stdin and stdout are terminals (prompts allowed). Default false. */
  tty?: boolean;
  stdin?: string;
  prompter?: Prompter;
  fetch?: FetchLike;
  paths?: AppPaths;
  now?: Date;
  /** Sees each write to stderr as it happens (before it is captured); may throw to stop the run right there. */
  onStderr?: (text: string) => void;
  /** Resolves when the run is "sent" SIGINT/SIGTERM (ctx.stopSignal). Default: never. */
  stopSignal?: () => Promise<string>;
  /** Runs deploy commands and app checks instead of `sh` (an in-process interpreter). Default: the system shell. */
  shell?: Shell;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `parent`: where the temporary folder goes (default the OS's temporary folder). */
export function tempPaths(parent = tmpdir()): AppPaths & { root: string; cleanup(): void } {
  const root = mkdtempSync(join(parent, 'carto-keys-test-'));
  return {
    root,
    config: join(root, 'config'),
    data: join(root, 'data'),
    cache: join(root, 'cache'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * For a test file: `paths()` gives a fresh set of temporary folders, removed after each test. Call at
 * the top level of the file (it registers the afterEach).
 */
export function tempPathsPerTest(): () => ReturnType<typeof tempPaths> {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  return () => {
    const p = tempPaths();
    cleanups.push(p.cleanup);
    return p;
  };
}

export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const tty = opts.tty ?? false;
  const stdout = capture(tty);
  const stderr = capture(tty, opts.onStderr);
  const io: Io = {
    stdout,
    stderr,
    stdin: Object.assign((async function* () {
      if (opts.stdin !== undefined) yield opts.stdin;
    })(), { isTTY: tty }),
    canPrompt: () => tty,
    stdoutIsTTY: () => tty,
    colorStderr: false,
    colorStdout: false,
    readStdin: async () => opts.stdin ?? '',
  };
  let throwaway: ReturnType<typeof tempPaths> | undefined;
  const deps = {
    io,
    prompter: opts.prompter ?? scriptedPrompter([]),
    env: opts.env ?? {},
    // Never the real home: a throwaway folder (removed below) unless the test wants to look at the files.
    paths: opts.paths ?? (throwaway = tempPaths()),
    ...(opts.now && { now: () => opts.now! }),
    ...(opts.stopSignal && { stopSignal: opts.stopSignal }),
    ...(opts.fetch && { fetch: async () => opts.fetch! }),
    ...(opts.shell && { shell: opts.shell }),
    clientOptions: { sleep: async () => {} },
  };
  try {
    const code = await runCli(deps, argv);
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    throwaway?.cleanup();
  }
}
