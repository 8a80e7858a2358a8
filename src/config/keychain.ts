// The OS keychain as a place for the Master key (product.md §6): macOS Keychain, Windows Credential
// Manager, or the Secret Service on Linux, through @napi-rs/keyring.
//
// - The native module is an optional dependency, kept out of the bundle and imported only when a
//   profile uses the keychain: users of the file store never load it.
// - On Linux the store is pinned to the Secret Service. Unpinned, the library falls back to the kernel
//   keyring, which forgets everything at reboot: a silent fallback is exactly what must not happen.
// - Every call is raced against a timer (an AbortSignal does not cut a hung call short), so a keychain
//   that does not answer ends in a message naming it instead of a hang.
// - Any failure is one KeychainError that says why and how to use the file instead; callers write
//   nothing when it is thrown.

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

function noAnswer(backend: string, timeoutMs: number): string {
  return `The OS keychain (${backend}) did not answer within ${Math.round(timeoutMs / 1000)} s. Nothing was written.`;
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
