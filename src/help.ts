// `carto-keys --help` (and `-h`), alone: bin/carto-keys.js require()s this file's CommonJS bundle
// (dist/help.cjs) instead of starting the ES module loader and the CLI bundle. It prints exactly what
// the CLI prints for `--help` (the same program shell, src/program.ts; test/commands/registry.test.ts
// compares them), without loading a single command.

import type { Env, WritableLike } from './context.js';
import { programShell } from './program.js';

/** Prints the program's help on `stdout`; returns the exit code. */
export function help(stdout: WritableLike, env: Env = {}): number {
  programShell({ stdout, stderr: stdout }, undefined, env).outputHelp();
  return 0;
}
