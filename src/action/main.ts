// The entry point of the GitHub Action (action.yml runs the bundle of this file, action/dist/index.mjs):
// process wiring only. The job is cancelled with SIGINT, then SIGTERM: either stops a running apply
// the way Ctrl-C does (exit 5, its journal kept in the state folder for the next run to resume).

import { runAction } from './run.js';

let stopped: Promise<string> | undefined;
const stopSignal = (): Promise<string> =>
  (stopped ??= new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  }));

runAction({ env: process.env, log: (line) => process.stdout.write(`${line}\n`), stopSignal }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug: said as such, with no value from the run in it (the message could hold one).
    process.stdout.write(`::error::carto-keys action: unexpected ${err instanceof Error ? err.name : 'error'}; rerun with ACTIONS_STEP_DEBUG for details.\n`);
    process.exitCode = 1;
  },
);
