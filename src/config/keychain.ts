// The OS keychain as a place for the Master key (SECURITY.md): macOS Keychain, Windows Credential
// Manager, or the Secret Service on Linux, through @napi-rs/keyring.
//
// - The native module is an optional dependency, kept out of the bundle and imported only when a
//   profile uses the keychain: users of the file store never load it.
// - On Linux the store is pinned to the Secret Service. Unpinned, the library falls back to the kernel
//   keyring, which forgets everything at reboot: a silent fallback is exactly what must not happen.
// - Every call is raced against a timer (an AbortSignal does not cut a hung call short), so a keychain
//   that does not answer ends in a message naming it instead of a hang. On Linux the library connects
//   to the session bus synchronously, on the main thread, where no timer can fire: a bus that accepts
//   the connection and never speaks hung the command for good. So the bus is first reached here, with
//   Node's own sockets and under the same limit, up to its first answer to the authentication.
// - Any failure is one KeychainError that says why and how to use the file instead; callers write
//   nothing when it is thrown.

import { connect, type Socket } from 'node:net';
import { KeychainError } from '../errors.js';

export const KEYCHAIN_SERVICE = 'carto-keys';
export const KEYCHAIN_TIMEOUT_MS = 3000;

export interface Keychain {
  /** "Secret Service", "macOS Keychain" or "Windows Credential Manager". */
  readonly backend: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  /** True if there was an entry to delete. */
  delete(account: string): Promise<boolean>;
}

type KeyringModule = typeof import('@napi-rs/keyring');

export function keychainBackend(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

const FILE_HINT = 'Keep the key in the 0600 config file instead: add --storage file (or set CARTO_KEYS_STORAGE=file).';

/** The keychain, or a KeychainError when its native module cannot be loaded on this machine. */
export async function openKeychain(opts: { timeoutMs?: number; platform?: NodeJS.Platform } = {}): Promise<Keychain> {
  const platform = opts.platform ?? process.platform;
  const backend = keychainBackend(platform);
  const timeoutMs = opts.timeoutMs ?? KEYCHAIN_TIMEOUT_MS;
  if (platform !== 'darwin' && platform !== 'win32') {
    // The library reads the address from this process's environment, so this does too.
    const answered = await sessionBusAnswers(process.env['DBUS_SESSION_BUS_ADDRESS'], timeoutMs);
    if (!answered) throw new KeychainError(noAnswer(backend, timeoutMs, 'its D-Bus session bus'), { hint: FILE_HINT });
  }
  let mod: KeyringModule;
  try {
    const loaded = (await import('@napi-rs/keyring')) as KeyringModule & { default?: KeyringModule };
    mod = loaded.AsyncEntry ? loaded : (loaded.default as KeyringModule);
  } catch (err) {
    throw new KeychainError(`The OS keychain cannot be used: its native module (@napi-rs/keyring) is not installed for ${process.platform}-${process.arch}. Nothing was written.`, {
      hint: `Reinstall carto-keys with optional dependencies (npm install -g carto-keys --include=optional), or: ${FILE_HINT}`,
      cause: err,
    });
  }

  const entry = (account: string) =>
    // The constructor talks to D-Bus on Linux (and throws without a session): it is inside `call` too.
    new mod.AsyncEntry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } });

  async function call<T>(what: string, op: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KeychainError(noAnswer(backend, timeoutMs), { hint: FILE_HINT })), timeoutMs);
      // A hung call must not keep the process alive once the command has given up on it.
      timer.unref();
    });
    try {
      return await Promise.race([Promise.resolve().then(op), limit]);
    } catch (err) {
      if (err instanceof KeychainError) throw err;
      throw explain(backend, what, err, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    backend,
    get: (account) => call('read the key from', async () => (await entry(account).getPassword()) ?? undefined),
    set: (account, secret) => call('store the key in', () => entry(account).setPassword(secret)),
    delete: (account) => call('delete the key from', () => entry(account).deletePassword()),
  };
}

function noAnswer(backend: string, timeoutMs: number, what?: string): string {
  const limit = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
  return `The OS keychain (${backend}) did not answer${what === undefined ? '' : ` (${what})`} within ${limit}. Nothing was written.`;
}

/**
 * Whether the session bus at `address` answers the start of a D-Bus authentication within the limit.
 * True also when there is nothing this can check (no address: the library's own error says so; a
 * transport other than a unix or tcp socket), false only for a bus that was reached and kept silent
 * (or could not be reached before the limit).
 */
export async function sessionBusAnswers(address: string | undefined, timeoutMs: number): Promise<boolean> {
  let target: ReturnType<typeof socketOf>;
  try {
    target = address === undefined ? undefined : socketOf(address);
  } catch {
    return true; // an address this cannot read (a bad %-escape): the library reports it
  }
  if (target === undefined) return true;
  return new Promise<boolean>((resolve) => {
    let socket: Socket | undefined;
    const done = (answered: boolean): void => {
      clearTimeout(timer);
      socket?.destroy();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket = connect(target);
    socket.on('connect', () => {
      // A NUL byte, then the first line of the EXTERNAL mechanism: a bus answers OK or REJECTED.
      const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
      socket!.write(`\0AUTH EXTERNAL ${uid}\r\n`);
    });
    socket.on('data', () => done(true));
    // A refused or missing socket is not a silent one: the library reports it in its own words.
    socket.on('error', () => done(true));
    socket.on('close', () => done(true));
  });
}

/** The first address of a D-Bus address list this can connect to with node:net. */
function socketOf(address: string): { path: string } | { host: string; port: number } | undefined {
  for (const one of address.split(';')) {
    const [transport = '', params = ''] = one.split(/:(.*)/s);
    const kv = new Map(
      params
        .split(',')
        .filter((p) => p.includes('='))
        .map((p) => [p.slice(0, p.indexOf('=')), decodeURIComponent(p.slice(p.indexOf('=') + 1))] as const),
    );
    if (transport === 'unix' && kv.has('path')) return { path: kv.get('path')! };
    if (transport === 'unix' && kv.has('abstract')) return { path: `\0${kv.get('abstract')!}` };
    if (transport === 'tcp' && kv.has('port')) return { host: kv.get('host') ?? 'localhost', port: Number(kv.get('port')) };
  }
  return undefined;
}

/** One message that says why, from what the library reports (it has no error codes of its own). */
export function explain(backend: string, what: string, err: unknown, timeoutMs = KEYCHAIN_TIMEOUT_MS): KeychainError {
  const raw = err instanceof Error ? err.message : String(err);
  let why: string;
  if (/DBUS_SESSION_BUS_ADDRESS|autolaunch|no such file|Unable to autolaunch|connect.*bus|bus.*not.*(found|available)/i.test(raw)) {
    why = 'there is no D-Bus session here (a headless or SSH session?), so no Secret Service to talk to';
  } else if (/did not receive a reply|timed? ?out|timeout/i.test(raw)) {
    return new KeychainError(noAnswer(backend, timeoutMs), { hint: FILE_HINT, cause: err });
  } else if (/locked|unlock|prompt was dismissed/i.test(raw)) {
    why = 'it is locked and could not be unlocked here (no prompt can be shown)';
  } else if (/denied|not allowed|permission|user canceled|cancel/i.test(raw)) {
    why = 'access was denied';
  } else if (/ServiceUnknown|org\.freedesktop\.secrets|no.*secret service|not provided by any/i.test(raw)) {
    why = 'no Secret Service provider (gnome-keyring, KWallet, KeePassXC) is running';
  } else {
    // The library's own words, cut to one line: they never contain the secret.
    why = raw.split('\n')[0]!.slice(0, 200);
  }
  return new KeychainError(`Could not ${what} the OS keychain (${backend}): ${why}. Nothing was written.`, { hint: FILE_HINT, cause: err });
}
