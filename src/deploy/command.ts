// The command deploy target: `sh -c <cmd>` with the new token in its environment and on its stdin
// (so `gh secret set NAME`, which reads stdin, needs no quoting and the token never appears in a
// process list). Its output is passed through to our stderr: stdout stays for carto-keys' own result.
//
// - Its stdin is a real pipe (made by `sh`), not the socket Node gives a child: `/dev/stdin` and
//   `cat /proc/self/fd/0` cannot open a socket ("No such device or address").
// - Its environment has no CARTO_KEYS_MASTER_KEY (nor the command that prints it): a deploy script
//   gets the new token, nothing more.
// - It runs in a process group of its own, so everything it starts can be stopped together: on a
//   timeout, on Ctrl-C/SIGTERM (and waited for before carto-keys reports and exits), and by a later
//   `--resume`/`--abort` when carto-keys itself was killed while the command ran (its pid is journaled).
// - It starts only once its process group is journaled: the wrapper waits for a line on its own stdin,
//   which carto-keys writes after `onStart` returned. Killed before that (SIGKILL during the journal's
//   fsync), carto-keys leaves a wrapper that reads end-of-file and exits, never a command nobody knows of.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { WritableLike } from '../context.js';
import type { Env } from '../env.js';
import { childEnvironment } from '../config/key-command.js';
import { formatDuration } from '../domain/duration.js';

export interface DeployedKey {
  name: string;
  token: string;
}

export const TOKEN_VARIABLE = 'CARTO_API_KEY';
export const NAME_VARIABLE = 'CARTO_API_KEY_NAME';
export const DEFAULT_DEPLOY_TIMEOUT_MS = 15 * 60_000;
/** After SIGTERM, how long a stopping command gets before SIGKILL. */
const GRACE_MS = 5_000;

/**
 * `sh` writes the token into a pipe of its own (printf is a built-in: the token is in no argv) and
 * runs the command on the reading end. The command is `$1`, so it is never re-parsed by this wrapper.
 */
const GO = 'IFS= read -r _ || exit 125; ';
const WRAPPER = `${GO}printf %s "$CARTO_API_KEY" | sh -c "$1"`;
/** The same, for an app check (--check-cmd): the token on stdin only, out of the command's environment. */
const STDIN_ONLY_WRAPPER = `${GO}printf %s "$CARTO_API_KEY" | (unset CARTO_API_KEY; exec sh -c "$1")`;

export interface RunOptions {
  timeoutMs: number;
  /** Aborted on Ctrl-C/SIGTERM: the command is stopped and waited for, then this rejects with the reason. */
  signal?: AbortSignal;
  /** The command's process group, as soon as it exists: journaled so a later run can stop an orphan. */
  onStart?(pgid: number): void;
  /** The token on stdin only (an app check), not in $CARTO_API_KEY. */
  stdinOnly?: boolean;
}

/**
 * How deploy commands and app checks run. The system shell (below) in production; an in-process
 * command interpreter where a test proves the journal's logic rather than the process plumbing.
 */
export interface Shell {
  /** Resolves when the command exits 0; rejects with a one-line reason otherwise. */
  run(command: string, key: DeployedKey, opts: RunOptions): Promise<void>;
  /**
   * A deploy command left running by a carto-keys that was killed: stopped and waited for. Returns a
   * problem when it cannot be sure it is gone, or undefined.
   */
  stopOrphan(pgid: number, command: string): Promise<string | undefined>;
}

/** `sh -c` in a process group of its own, its output on `io.stderr`, its environment from `env`. */
export function systemShell(io: { stderr: WritableLike }, env: Env): Shell {
  return { run: (command, key, opts) => runDeployCommand(io, env, command, key, opts), stopOrphan };
}

function runDeployCommand(io: { stderr: WritableLike }, env: Env, command: string, key: DeployedKey, opts: RunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason);
      return;
    }
    const child = spawn('sh', ['-c', opts.stdinOnly === true ? STDIN_ONLY_WRAPPER : WRAPPER, 'sh', command], {
      env: childEnvironment(env, { [TOKEN_VARIABLE]: key.token, [NAME_VARIABLE]: key.name }),
      // stdin: the go-ahead line, nothing else (the command reads the token from a pipe of its own).
      stdio: ['pipe', 'pipe', 'pipe'],
      // A session and process group of its own: signals meant for carto-keys' group (a terminal's
      // Ctrl-C) do not kill it half-way behind our back, and we can stop all of it at once.
      detached: true,
    });
    let stopping: { reason: unknown } | undefined;
    const stop = (reason: unknown): void => {
      if (stopping !== undefined) return;
      stopping = { reason };
      signalGroup(child.pid, 'SIGTERM');
      setTimeout(() => signalGroup(child.pid, 'SIGKILL'), GRACE_MS).unref();
    };
    const timer = setTimeout(
      () => stop(new Error(`the command did not finish within ${formatDuration(opts.timeoutMs)} (the deploy timeout) and was stopped`)),
      opts.timeoutMs,
    );
    const onAbort = (): void => stop(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    // Journaled (onStart returned): the command may start.
    child.stdin!.on('error', () => {}); // A wrapper already gone (stopped) is reported by 'close'.
    child.stdin!.end('\n');
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => io.stderr.write(chunk));
    }
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start sh: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // Stopped: every process of the group must be gone before we say so (and exit, or go on).
      if (stopping !== undefined) void stopGroup(child.pid!).then(() => reject(stopping!.reason));
      else if (code === 0) resolve();
      else reject(new Error(signal !== null ? `the command was killed by ${signal}` : `the command exited with status ${code ?? '?'}`));
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * A deploy command left running by a carto-keys that was killed (kill -9, a crashed runner): stop its
 * process group and wait for it, so it cannot write a token after this run decided what every target
 * holds. A group is ours if its leader is still our `sh` wrapper (its command line names the command),
 * or if the leader is gone but members remain (the kernel does not reuse a pid still used as a group
 * id). Where /proc cannot be read, a live group is reported instead. Returns a problem, or undefined.
 */
async function stopOrphan(pgid: number, command: string): Promise<string | undefined> {
  const members = liveMembers(pgid);
  if (members === undefined) {
    if (!groupSignalable(pgid)) return undefined;
    return `a deploy command started by the interrupted run may still be running (process group ${pgid}): stop it (kill -- -${pgid}) once you are sure it is that command, then run this again`;
  }
  if (members.length === 0) return undefined;
  if (members.includes(pgid)) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pgid}/cmdline`, 'utf8');
    } catch {
      // Gone meanwhile.
    }
    if (!cmdline.split('\0').includes(command)) return undefined; // The number was reused by something else.
  }
  await stopGroup(pgid);
  return undefined;
}

/** SIGTERM, then SIGKILL after a grace period; resolves when no live process is left in the group. */
async function stopGroup(pgid: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  // Bounded: without /proc a zombie (a container with no init to reap it) looks alive but writes nothing.
  while (groupAlive(pgid) && Date.now() < deadline + GRACE_MS) {
    if (Date.now() > deadline) signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function groupAlive(pgid: number): boolean {
  const members = liveMembers(pgid);
  return members === undefined ? groupSignalable(pgid) : members.length > 0;
}

function groupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pids in process group `pgid` that are not zombies (Linux /proc); undefined without /proc. */
function liveMembers(pgid: number): number[] | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') out.push(Number(pid));
  }
  return out;
}
