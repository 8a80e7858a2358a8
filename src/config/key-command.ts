// A credential helper: the Master key is read from a command's stdout (`op read …`, `vault kv get …`)
// when a run needs it, kept in memory only, and stored nowhere. The command is the user's own line,
// run by `sh -c` exactly as written:
//
// - no terminal: stdin is closed and the command runs in a session of its own (no controlling
//   terminal), so a helper that would prompt fails at once instead of hanging a CI job;
// - a time limit, after which its whole process group is killed;
// - an environment without CARTO_KEYS_MASTER_KEY or CARTO_KEYS_MASTER_KEY_CMD (a helper that runs
//   carto-keys must not start itself again);
// - its failure is an authentication error with its exit status and the first line of its stderr,
//   with anything shaped like a key taken out (helpers echo tokens in their errors).

import { spawn } from 'node:child_process';
import type { Env } from '../env.js';
import { AuthError } from '../errors.js';
import { escapeControl } from '../text/escape.js';

export const KEY_CMD_ENV = 'CARTO_KEYS_MASTER_KEY_CMD';
export const KEY_CMD_TIMEOUT_ENV = 'CARTO_KEYS_KEY_CMD_TIMEOUT';
export const DEFAULT_KEY_CMD_TIMEOUT_MS = 30_000;
/** Variables no program carto-keys starts may see: the Master key, and the way to get it. */
export const SECRET_VARIABLES = ['CARTO_KEYS_MASTER_KEY', KEY_CMD_ENV] as const;

/** A Master key is 40 characters; anything much longer is not a key but some other output. */
const MAX_OUTPUT = 64 * 1024;

/** The environment of any program carto-keys starts: ours, minus the secrets. */
export function childEnvironment(env: Env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !(SECRET_VARIABLES as readonly string[]).includes(k)) out[k] = v;
  }
  return { ...out, ...extra };
}

/**
 * Takes out of a helper's message whatever could be a secret: the key it printed, and every word of
 * 16 or more characters that mixes letters and digits (tokens, session ids, hashes); control
 * characters are spelled out. Kept to one short line.
 */
export function scrubHelperMessage(line: string, printed = ''): string {
  let out = printed.length >= 8 ? line.split(printed).join('[redacted]') : line;
  out = out.replace(/[A-Za-z0-9_+/=.:-]{16,}/g, (word) => (/[0-9]/.test(word) && /[A-Za-z]/.test(word) ? '[redacted]' : word));
  out = escapeControl(out.trim());
  return out.length > 300 ? `${out.slice(0, 299)}…` : out;
}

export interface KeyCommandOptions {
  env: Env;
  timeoutMs: number;
  /** Where the command came from, for messages: `CARTO_KEYS_MASTER_KEY_CMD`, `profile "ci"`, `--key-cmd`. */
  origin: string;
}

/** Runs the helper and returns the Master key it printed; an AuthError (exit 4) when it fails. */
export function runKeyCommand(command: string, opts: KeyCommandOptions): Promise<string> {
  const failed = (why: string): AuthError =>
    new AuthError(`The Master key command (${opts.origin}) ${why}.`, {
      code: 'key_command_failed',
      hint: 'Run the command yourself to see what it needs (a login, a session, a permission); it must print the Master key alone on stdout, without a terminal.',
    });
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      env: childEnvironment(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // setsid(): no controlling terminal to prompt on, and a process group to kill as a whole.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let problem: string | undefined;
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      problem = `did not finish within ${opts.timeoutMs / 1000} s and was stopped (${KEY_CMD_TIMEOUT_ENV} sets the limit)`;
      killGroup();
    }, opts.timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > MAX_OUTPUT && problem === undefined) {
        problem = 'printed more than 64 KiB: it must print the Master key alone';
        killGroup();
      }
    });
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(failed(`could not be started: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const key = stdout.trim();
      const firstLine = scrubHelperMessage(stderr.split('\n').find((l) => l.trim() !== '') ?? '', key);
      const said = firstLine === '' ? '' : `: ${firstLine}`;
      if (problem !== undefined) return reject(failed(problem));
      if (code !== 0) return reject(failed(signal !== null ? `was killed by ${signal}${said}` : `failed with exit status ${code}${said}`));
      if (key === '') return reject(failed(`printed nothing on stdout${said}`));
      if (/\s/.test(key)) return reject(failed('printed more than one word: it must print the Master key alone'));
      resolve(key);
    });
  });
}
