// `--notify-cmd`: one command run at the end of rotate, apply or retire — success or failure — with a
// JSON event on its stdin, so a team hears about a rotation that stopped halfway (Slack, a pager, a
// ticket). The event names keys and targets, never a token; the command's environment has no Master
// key (childEnvironment). Its failure is reported, and changes nothing about the outcome.

import { spawn } from 'node:child_process';
import type { Context } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { childEnvironment } from '../config/key-command.js';
import { DEFAULT_DEPLOY_TIMEOUT_MS } from './command.js';
import { warn } from '../ui/output.js';

export const NOTIFY_EVENT_VERSION = 1;

export interface NotifyEvent {
  version: typeof NOTIFY_EVENT_VERSION;
  /** What ran: rotate, rollback, apply, retire. */
  event: string;
  outcome: 'success' | 'failure' | 'partial' | 'cancelled';
  exitCode: number;
  /** ISO-8601. */
  time: string;
  /** Key names involved (old → new for a rotation). */
  keys: Record<string, unknown>[];
  /** Deploy targets involved: kind and path/variable or command. */
  targets: Record<string, unknown>[];
  /** The error's message, when it failed (already free of tokens). */
  message?: string;
}

export interface NotifyDetails {
  keys: Record<string, unknown>[];
  targets: Record<string, unknown>[];
}

/**
 * Runs `fn`, then the notify command (if any) with the outcome, then returns or rethrows as `fn` did.
 * `details` is read after `fn` ends, so it can report what `fn` found out.
 */
export async function withNotify<T>(ctx: Context, command: string | undefined, event: string, details: () => NotifyDetails, fn: () => Promise<T>): Promise<T> {
  if (command === undefined) return fn();
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    const exitCode = err instanceof CliError ? err.exitCode : ExitCode.failure;
    await notify(ctx, command, {
      ...base(ctx, event, exitCode),
      outcome: exitCode === ExitCode.partial ? 'partial' : exitCode === ExitCode.cancelled ? 'cancelled' : 'failure',
      ...details(),
      ...(err instanceof Error && err.message && { message: err.message }),
    });
    throw err;
  }
  await notify(ctx, command, { ...base(ctx, event, ExitCode.ok), outcome: 'success', ...details() });
  return result;
}

function base(ctx: Context, event: string, exitCode: number) {
  return { version: NOTIFY_EVENT_VERSION, event, exitCode, time: ctx.now().toISOString() } as const;
}

/** Never throws: a failing notifier is reported on stderr. */
export async function notify(ctx: Context, command: string, e: NotifyEvent): Promise<void> {
  const reason = await new Promise<string | undefined>((resolve) => {
    const child = spawn('sh', ['-c', command], { env: childEnvironment(ctx.env), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    // Its output goes to our stderr like a deploy command's: stdout is carto-keys' result.
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => ctx.io.stderr.write(chunk));
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, DEFAULT_DEPLOY_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : signal ? `stopped by ${signal}` : `exited with ${code}`);
    });
    child.stdin!.on('error', () => {}); // A notifier that ignores its stdin is fine.
    child.stdin!.end(`${JSON.stringify(e)}\n`);
  });
  if (reason !== undefined) warn(ctx, `The --notify-cmd failed (${reason}); the outcome above stands.`);
}
