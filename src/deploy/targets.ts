// Where a rotation deploys the new token: an env file, a command, or a person (the token shown on
// screen until they confirm). One description per kind, shared by the journal, messages and JSON.

import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { DEFAULT_DEPLOY_TIMEOUT_MS, TOKEN_VARIABLE, type DeployedKey } from './command.js';
import { envFileProblem, writeEnvVar } from './env-file.js';
import { isEnvVarName } from './env-text.js';

export type DeployTarget =
  | { kind: 'env-file'; path: string; variable: string }
  | { kind: 'command'; command: string }
  | { kind: 'manual' };

export const ENV_FILE_SPEC = 'path[:VAR]';

/**
 * `path[:VAR]`. The split is at the last colon, and only when what follows is a valid variable name,
 * so `C:\app\.env` and `./a:b/.env` stay whole paths. A trailing colon is refused: a variable name was
 * clearly meant and is missing.
 */
export function parseEnvFileSpec(spec: string, flag = '--deploy-env-file'): { path: string; variable: string } {
  const where = `${flag} "${spec}"`;
  if (spec.trim() === '') throw new UsageError(`${flag} is empty. Expected ${ENV_FILE_SPEC}, e.g. .env or deploy/.env:CARTO_API_KEY.`);
  if (spec.endsWith(':')) throw new UsageError(`Invalid ${where}: no variable name after ":". Expected ${ENV_FILE_SPEC}.`);
  const colon = spec.lastIndexOf(':');
  const after = spec.slice(colon + 1);
  if (colon > 0 && isEnvVarName(after)) return { path: spec.slice(0, colon), variable: after };
  if (colon === 0 && isEnvVarName(after)) throw new UsageError(`Invalid ${where}: no file before ":". Expected ${ENV_FILE_SPEC}.`);
  // `web.env:web-key` meant a variable, not a file named so: writing a new file "web.env:web-key" would
  // "succeed" without reaching the app. Only what follows a colon with no folder in it counts.
  if (colon > 0 && !/[/\\]/.test(after)) {
    throw new UsageError(`Invalid ${where}: "${after}" is not a valid variable name (letters, digits and _, not starting with a digit).`, {
      hint: `For a file whose name has a colon, add the variable: ${spec}:${TOKEN_VARIABLE}.`,
    });
  }
  return { path: spec, variable: TOKEN_VARIABLE };
}

/** A parsed, absolute env-file target whose folder exists; a UsageError (nothing sent) otherwise. */
export function envFileTarget(spec: string, flag = '--deploy-env-file'): DeployTarget {
  const { path, variable } = parseEnvFileSpec(spec, flag);
  const absolute = resolve(path);
  const problem = envFileProblem(absolute);
  if (problem !== undefined) throw new UsageError(`Cannot write ${flag} "${spec}": ${problem}.`);
  return { kind: 'env-file', path: absolute, variable };
}

export function commandTarget(command: string, flag = '--deploy-cmd'): DeployTarget {
  if (command.trim() === '') throw new UsageError(`${flag} is empty: expected a shell command.`);
  return { kind: 'command', command };
}

export function describeTarget(target: DeployTarget): string {
  switch (target.kind) {
    case 'env-file':
      return `${target.path} (${target.variable})`;
    case 'command':
      return `\`${target.command}\``;
    case 'manual':
      return 'the token shown on screen';
  }
}

/** The `--json` form of a target. */
export function targetJson(target: DeployTarget): Record<string, string> {
  switch (target.kind) {
    case 'env-file':
      return { kind: target.kind, path: target.path, variable: target.variable };
    case 'command':
      return { kind: target.kind, command: target.command };
    case 'manual':
      return { kind: target.kind };
  }
}

export interface ManualDeploy {
  /** Shows the token and waits; true once the person says it is deployed. */
  manualDeploy(key: DeployedKey): Promise<boolean>;
}

export interface DeployOptions {
  /** How long a command may run (default DEFAULT_DEPLOY_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Ctrl-C/SIGTERM: nothing new starts, a running command is stopped. */
  signal?: AbortSignal;
  /** A command's process group, once started. */
  onStart?(pgid: number): void;
}

/** Deploys `key` to `target`; rejects with a reason a person can act on. */
export async function deployTo(ctx: Context, target: DeployTarget, key: DeployedKey, ui: ManualDeploy, opts: DeployOptions = {}): Promise<void> {
  if (opts.signal?.aborted) throw opts.signal.reason;
  switch (target.kind) {
    case 'env-file':
      try {
        await writeEnvVar(target.path, target.variable, key.token);
      } catch (err) {
        throw new Error(`could not write ${target.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    case 'command':
      return (await ctx.shell()).run(target.command, key, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_DEPLOY_TIMEOUT_MS,
        ...(opts.signal !== undefined && { signal: opts.signal }),
        ...(opts.onStart !== undefined && { onStart: opts.onStart }),
      });
    case 'manual':
      if (!(await ui.manualDeploy(key))) throw new Error('the manual deployment was not confirmed');
      return;
  }
}
