// Production wiring only: real streams, environment, clock and signals. Everything else is in cli.ts
// and context-factory.ts, which the tests use with injected dependencies.

import { writeFileSync } from 'node:fs';
import type { Io } from './context.js';
import { runCli } from './cli.js';
import { colorAllowed } from './ui/color.js';
import { inquirerPrompter } from './ui/prompter.js';

/**
 * A core dump of this process would hold the Master key and tokens (a SIGABRT with core dumps on
 * wrote one). Node cannot lower RLIMIT_CORE, but on Linux a process may choose which of its memory a
 * dump includes: none (coredump_filter 0), so a core holds registers and no heap. Elsewhere: nothing.
 */
function excludeMemoryFromCoreDumps(): void {
  if (process.platform !== 'linux') return;
  try {
    writeFileSync('/proc/self/coredump_filter', '0');
  } catch {
    // A restricted /proc (some sandboxes): nothing more can be done from JavaScript.
  }
}

export async function main(argv: string[]): Promise<number> {
  excludeMemoryFromCoreDumps();
  let stopped: Promise<string> | undefined;
  const env = process.env;
  // --no-color is decided before parsing so that even parse errors honour it.
  const colorFlag = !argv.includes('--no-color');
  let colorStderr: boolean | undefined;
  const io: Io = {
    stdout: process.stdout,
    // Creating process.stdin or process.stderr costs a few ms of start-up each (a pipe loads the net
    // module): only the commands that use them pay for them, and `--help` uses neither.
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    canPrompt: () => process.stdin.isTTY === true && process.stdout.isTTY === true,
    stdoutIsTTY: () => process.stdout.isTTY === true,
    get colorStderr() {
      return (colorStderr ??= colorAllowed(env, process.stderr.isTTY, colorFlag));
    },
    colorStdout: colorAllowed(env, process.stdout.isTTY, colorFlag),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
  return runCli(
    {
      io,
      prompter: inquirerPrompter(() => process.stdin, () => process.stderr),
      env,
      // One listener pair per process, however many rotations (apply) ask: the first signal answers all.
      stopSignal: () =>
        (stopped ??= new Promise<string>((resolve) => {
          for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
        })),
    },
    argv,
  );
}
