// The CLI run inside the test process, with the calling convention of test/helpers/e2e.ts's `cli`: the
// same environment a spawned run gets (cliEnv: PATH, NO_COLOR, LANG and the test's HOME and XDG
// folders, from which the config, data and cache folders are found as they are in a real run), stdin
// as given, and the real node:http transport (no injected fetch). For the tests of features that need
// no process of their own, against the sandbox served from this process (test/helpers/served.ts): the
// same requests over the same sockets, without a Node start-up per command. Back-offs between retries
// are instant (the harness's client options); real back-off sleeps are the built binary's fault smoke.

import { appPaths } from '../../src/config/paths.js';
import { cliEnv, type CliResult } from './e2e.js';
import { run } from './harness.js';

export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  input?: string;
}

/** `carto-keys <args>` in this process; `signal` is always null (no process to be signalled). */
export async function cliInProcess(args: string[], opts: InProcessOptions = {}): Promise<CliResult> {
  const env = cliEnv(opts.env) as Record<string, string>;
  const r = await run(args, { env, paths: appPaths(env, process.platform, env.HOME), ...(opts.input !== undefined && { stdin: opts.input }) });
  return { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr };
}
