// A real Secret Service for keychain tests: `dbus-run-session` running test/helpers/keyring-session.sh,
// which starts gnome-keyring-daemon with a throwaway HOME and answers commands (lock, freeze, …) over
// stdin. Tests run the built binary with the session's DBUS_SESSION_BUS_ADDRESS.
//
// On a laptop without dbus-run-session or gnome-keyring-daemon the tests skip with the reason; under
// CI=true a missing tool is a failure (.ci/run installs them), so CI never passes by skipping.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./keyring-session.sh', import.meta.url));
const TOOLS = ['dbus-run-session', 'gnome-keyring-daemon', 'dbus-send', 'secret-tool'];

/** Why the keychain tests cannot run here, or undefined when they can. */
export function keyringUnavailable(): string | undefined {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length === 0) return undefined;
  const why = `keychain tests need ${missing.join(', ')} (apt-get install gnome-keyring libsecret-tools dbus-x11)`;
  if (process.env.CI === 'true') throw new Error(`${why}: under CI=true this is a failure, not a skip`);
  return why;
}

export interface KeyringSession {
  /** Environment for the binary: the session bus and the keyring's HOME. */
  env: Record<string, string>;
  home: string;
  lock(): Promise<void>;
  unlock(): Promise<void>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** `secret-tool search service carto-keys`: what the keyring holds, seen from outside. */
  search(): string;
  stop(): Promise<void>;
}

let workerSession: Promise<KeyringSession> | undefined;

/**
 * One Secret Service for the in-process keychain tests of this test worker, its address set in this
 * process's environment for good: the native library binds to the first session bus it reaches and
 * keeps that connection for the life of the process, so a second session would never be reached. Tests
 * that lock or freeze it undo that before they end. It stops when the worker exits (its stdin closes).
 */
export function workerKeyring(): Promise<KeyringSession> {
  workerSession ??= startKeyring({ detached: true }).then((session) => {
    process.env.DBUS_SESSION_BUS_ADDRESS = session.env.DBUS_SESSION_BUS_ADDRESS;
    process.once('exit', () => rmSync(session.home, { recursive: true, force: true }));
    return session;
  });
  return workerSession;
}

export async function startKeyring(opts: { detached?: boolean } = {}): Promise<KeyringSession> {
  const home = mkdtempSync(join(tmpdir(), 'carto-keys-keyring-'));
  const child: ChildProcessWithoutNullStreams = spawn('dbus-run-session', ['--', 'bash', SCRIPT], {
    env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Interface = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const early: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else early.push(line);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`keyring session ended (${code}): ${stderr}`))));
  exited.catch(() => {});
  const nextLine = (): Promise<string> => {
    const ready = early.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]);
  };

  if (opts.detached) {
    // Nothing here keeps the worker alive: it ends when the worker does, closing the session's stdin.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
  }
  const first = await nextLine();
  const address = /^ready (.+)$/.exec(first)?.[1];
  if (address === undefined) throw new Error(`keyring session did not start: ${first}\n${stderr}`);

  const command = async (cmd: string): Promise<void> => {
    child.stdin.write(`${cmd}\n`);
    const answer = await nextLine();
    if (answer !== `ok ${cmd}`) throw new Error(`keyring session: ${cmd} → ${answer}\n${stderr}`);
  };
  const env = { DBUS_SESSION_BUS_ADDRESS: address, HOME: home };
  return {
    env,
    home,
    lock: () => command('lock'),
    unlock: () => command('unlock'),
    freeze: () => command('freeze'),
    thaw: () => command('thaw'),
    search: () => {
      // secret-tool prints the secret on stdout and the attributes on stderr: one run, both streams.
      const r = spawnSync('secret-tool', ['search', '--all', 'service', 'carto-keys'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      return r.stdout + r.stderr;
    },
    stop: async () => {
      if (child.exitCode === null) {
        const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.stdin.end();
        await done;
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
