// End-to-end helpers: the built binary (its real HTTP transport) against `sandbox serve` on 127.0.0.1,
// each run with its own temporary HOME and XDG folders so nothing touches the developer's real config.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'carto-keys.js');

/**
 * The command that runs carto-keys: the npm package's bin/ with this Node, or the single-file binary
 * when CARTO_KEYS_TEST_BINARY names it (vitest.binary.config.ts runs the process-level tests that way).
 */
export const CLI: readonly [string, ...string[]] = process.env.CARTO_KEYS_TEST_BINARY
  ? [resolve(ROOT, process.env.CARTO_KEYS_TEST_BINARY)]
  : [process.execPath, BIN];

/** The arguments to spawn CLI[0] with to run `carto-keys <args>`. */
export function cliArgs(args: readonly string[]): string[] {
  return [...CLI.slice(1), ...args];
}

export interface Home {
  dir: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** A private HOME with XDG folders inside it; the env to pass to the binary. */
export function tempHome(): Home {
  const dir = mkdtempSync(join(tmpdir(), 'carto-keys-e2e-'));
  return {
    dir,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, '.config'),
      XDG_DATA_HOME: join(dir, '.local', 'share'),
      XDG_CACHE_HOME: join(dir, '.cache'),
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The environment of a spawned CLI: nothing inherited that could change its behaviour. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NO_COLOR: '1', LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI[0], cliArgs(args), { env: cliEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A command that exits without reading its stdin closes the pipe first: EPIPE here is not a
    // failure of the test (its exit code and output say what happened), only an unread input.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface ServedSandbox {
  baseUrl: string;
  username: string;
  masterKey: string;
  port: number;
  process: ChildProcess;
  /** Everything the server wrote, for secret-leak checks. */
  output(): string;
  stop(): Promise<void>;
}

/** `carto-keys sandbox serve --port 0 --json`: reads the JSON document it prints, then leaves it running. */
export function serveSandbox(args: string[] = [], env: Record<string, string | undefined> = {}): Promise<ServedSandbox> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI[0], cliArgs(['sandbox', 'serve', '--port', '0', '--json', '--max-lifetime', '900', ...args]), {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`sandbox serve did not start: ${err}`)), 10_000);
    function fail(e: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    }
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => fail(new Error(`sandbox serve exited early (${code}): ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (settled) return;
      let info: { baseUrl: string; username: string; masterKey: string; port: number };
      try {
        info = JSON.parse(out);
      } catch {
        return; // Not the whole document yet.
      }
      settled = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        ...info,
        process: child,
        output: () => out + err,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      });
    });
  });
}
