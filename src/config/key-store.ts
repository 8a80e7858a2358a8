// Where a profile's Master key rests (product.md §6): the 0600 config file (the default), or the OS
// keychain, the user's choice recorded in the profile. In keychain mode the config file holds only a
// reference (`keychainAccount`); the key itself is in the keychain under service "carto-keys".
//
// Order of writes, so that a failure never loses the key nor leaves a reference to nothing:
// the new place is written first (a keychain that cannot be used fails here, before anything else is
// touched), then the config file, then the old place is cleared.

import type { Env } from '../context.js';
import { UsageError } from '../errors.js';
import type { Keychain } from './keychain.js';
import { createHash } from 'node:crypto';
import type { ConfigData, ConfigStore, Profile } from './store.js';

/**
 * What a stored key can be recognised by without reading it: its length and a truncated SHA-256 of it
 * in lower case. A keychain profile records this, so a key typed on a command line is refused before
 * anything is parsed, without a keychain call on every run. It does not reveal the key (the key is 160
 * random bits; 64 of hash cannot be turned back).
 */
export function keyCheck(key: string): string {
  return `${key.length}:${createHash('sha256').update(key.toLowerCase()).digest('hex').slice(0, 16)}`;
}

export type Storage = 'file' | 'keychain';
export const STORAGES: readonly Storage[] = ['file', 'keychain'];
export const STORAGE_ENV = 'CARTO_KEYS_STORAGE';

export function parseStorage(raw: string, source = '--storage'): Storage {
  const value = raw.trim().toLowerCase();
  if ((STORAGES as readonly string[]).includes(value)) return value as Storage;
  throw new UsageError(`${source} must be "file" or "keychain", got "${raw}".`, {
    hint: 'file: the 0600 config file (default); keychain: the OS keychain (macOS Keychain, Windows Credential Manager, Secret Service).',
  });
}

/**
 * The store for a login: the flag, else the profile's recorded choice (re-login keeps it), else
 * CARTO_KEYS_STORAGE, else the file.
 */
export function chooseStorage(flag: Storage | undefined, existing: Profile | undefined, env: Env): Storage {
  if (flag !== undefined) return flag;
  if (existing !== undefined) return storageOf(existing);
  const fromEnv = env[STORAGE_ENV];
  return fromEnv === undefined || fromEnv.trim() === '' ? 'file' : parseStorage(fromEnv, STORAGE_ENV);
}

export function storageOf(profile: Profile): Storage {
  return profile.storage ?? 'file';
}

/** The keychain entry's account name: the profile and the account it belongs to, readable in a keychain manager. */
export function keychainAccount(profileName: string, baseUrl: string): string {
  return `${profileName} ${baseUrl}`;
}

export interface KeyStoreDeps {
  store: ConfigStore;
  /** Opens the keychain (lazily imports the native module): called only when a profile uses it. */
  keychain: () => Promise<Keychain>;
}

export interface SaveKey {
  profile: string;
  username: string;
  baseUrl: string;
  sandbox: boolean;
  token: string;
  storage: Storage;
  /** Make the profile the current one (login does; regenerate does not change which is current). */
  makeCurrent: boolean;
}

/** Stores a verified key in the chosen place, then records the profile; clears an old keychain entry. */
export async function saveKey(deps: KeyStoreDeps, s: SaveKey): Promise<void> {
  const before = deps.store.read().profiles[s.profile];
  let account: string | undefined;
  if (s.storage === 'keychain') {
    account = keychainAccount(s.profile, s.baseUrl);
    await (await deps.keychain()).set(account, s.token);
  }
  await deps.store.update((data: ConfigData) => {
    const profile: Profile = {
      username: s.username,
      baseUrl: s.baseUrl,
      ...(s.storage === 'keychain' ? { storage: 'keychain' as const, keychainAccount: account!, keyCheck: keyCheck(s.token) } : { masterKey: s.token }),
      ...(s.sandbox && { sandbox: true }),
    };
    data.profiles[s.profile] = profile;
    if (s.makeCurrent) data.currentProfile = s.profile;
  });
  // The old entry, if the key moved out of the keychain or to another account name.
  const old = before?.keychainAccount;
  if (old !== undefined && old !== account) await (await deps.keychain()).delete(old);
}

/**
 * Records a credential helper instead of a key (`login --key-cmd`): the profile holds the command
 * and no key at all; a key the profile held before (in the file or the keychain) is removed.
 */
export async function saveKeyCommand(deps: KeyStoreDeps, s: Omit<SaveKey, 'token' | 'storage' | 'sandbox'> & { keyCmd: string }): Promise<void> {
  const before = deps.store.read().profiles[s.profile];
  await deps.store.update((data: ConfigData) => {
    data.profiles[s.profile] = { username: s.username, baseUrl: s.baseUrl, keyCmd: s.keyCmd };
    if (s.makeCurrent) data.currentProfile = s.profile;
  });
  if (before?.keychainAccount !== undefined) await (await deps.keychain()).delete(before.keychainAccount);
}

/** The stored key of a profile, from wherever it rests; undefined when there is none (logged out). */
export async function readStoredKey(deps: Pick<KeyStoreDeps, 'keychain'>, profile: Profile): Promise<string | undefined> {
  if (storageOf(profile) === 'file') return profile.masterKey;
  if (profile.keychainAccount === undefined) return undefined;
  return (await deps.keychain()).get(profile.keychainAccount);
}

/** Forgets the key (logout): the keychain entry first, then the reference. The profile keeps its user, URL and choice of store. */
export async function forgetKey(deps: KeyStoreDeps, name: string): Promise<boolean> {
  const profile = deps.store.read().profiles[name];
  if (profile === undefined) return false;
  let removed = false;
  if (profile.keychainAccount !== undefined) removed = await (await deps.keychain()).delete(profile.keychainAccount);
  const fromFile = await deps.store.update((data) => {
    const p = data.profiles[name];
    if (p === undefined) return false;
    const had = p.masterKey !== undefined || p.keychainAccount !== undefined || p.keyCmd !== undefined;
    delete p.masterKey;
    delete p.keychainAccount;
    delete p.keyCmd;
    return had;
  });
  return removed || fromFile;
}

/** Removes a profile (profile remove): its keychain entry first, then the profile. */
export async function removeProfile(deps: KeyStoreDeps, name: string): Promise<boolean> {
  const profile = deps.store.read().profiles[name];
  if (profile === undefined) return false;
  if (profile.keychainAccount !== undefined) await (await deps.keychain()).delete(profile.keychainAccount);
  return deps.store.update((data) => {
    if (data.profiles[name] === undefined) return false;
    delete data.profiles[name];
    if (data.currentProfile === name) delete data.currentProfile;
    return true;
  });
}

/** Moves a profile's key to the other store. Returns false when it is already there. */
export async function moveKey(deps: KeyStoreDeps, name: string, to: Storage): Promise<boolean> {
  const profile = deps.store.read().profiles[name];
  if (profile === undefined) throw new UsageError(`No profile named "${name}".`);
  if (profile.keyCmd !== undefined) {
    throw new UsageError(`Profile "${name}" stores no Master key: it reads it from a command each run (\`${profile.keyCmd}\`).`, {
      hint: `To store the key instead: carto-keys --profile ${name} login --storage ${to}`,
    });
  }
  if (storageOf(profile) === to && (to === 'file' || profile.keychainAccount !== undefined)) return false;
  const token = await readStoredKey(deps, profile);
  if (token === undefined) {
    throw new UsageError(`Profile "${name}" has no stored Master key to move (logged out).`, {
      hint: `Log in again with the store you want: carto-keys --profile ${name} login --storage ${to}`,
    });
  }
  await saveKey(deps, {
    profile: name,
    username: profile.username,
    baseUrl: profile.baseUrl,
    sandbox: profile.sandbox === true,
    token,
    storage: to,
    makeCurrent: false,
  });
  return true;
}
