// Where a profile's Master key rests (SECURITY.md): the 0600 config file (the default), or the OS
// keychain, the user's choice recorded in the profile. In keychain mode the config file holds only a
// reference (`keychainAccount`); the key itself is in the keychain under service "carto-keys".
//
// Order of writes, so that a failure never loses the key nor leaves a reference to nothing:
// the new place is written first (a keychain that cannot be used fails here, before anything else is
// touched), then the config file, then the old place is cleared. A key moved from the keychain to the
// file keeps its `keychainAccount` reference until the old entry is really gone: with the keychain
// locked, the copy left there is still found by logout, profile remove and the next login or move.
// (A key moved between two keychain entries cannot keep both references: if the old one cannot be
// deleted, the caller is told, with the entry's name.)

import type { Env } from '../env.js';
import { UsageError } from '../errors.js';
import type { Keychain } from './keychain.js';
import { createHash } from 'node:crypto';
import type { ConfigData, ConfigStore, Profile } from './store.js';
import { commandLine } from '../text/command-line.js';

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

/** What saveKey could not clean up: an old keychain entry it could not delete (the key is saved). */
export interface SaveOutcome {
  leftover?: { account: string; error: Error; referenced: boolean };
}

/** Stores a verified key in the chosen place, then records the profile; clears an old keychain entry. */
export async function saveKey(deps: KeyStoreDeps, s: SaveKey): Promise<SaveOutcome> {
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
      ...(s.storage === 'keychain'
        ? { storage: 'keychain' as const, keychainAccount: account!, keyCheck: keyCheck(s.token) }
        : { masterKey: s.token, ...(before?.keychainAccount !== undefined && { keychainAccount: before.keychainAccount }) }),
      ...(s.sandbox && { sandbox: true }),
    };
    data.profiles[s.profile] = profile;
    if (s.makeCurrent) data.currentProfile = s.profile;
  });
  // The old entry, if the key moved out of the keychain or to another account name.
  const old = before?.keychainAccount;
  if (old === undefined || old === account) return {};
  try {
    await (await deps.keychain()).delete(old);
  } catch (err) {
    return { leftover: { account: old, error: err instanceof Error ? err : new Error(String(err)), referenced: s.storage === 'file' } };
  }
  if (s.storage === 'file') {
    await deps.store.update((data) => {
      const p = data.profiles[s.profile];
      if (p?.keychainAccount === old) delete p.keychainAccount;
    });
  }
  return {};
}

/** The warning for a SaveOutcome's leftover keychain entry: what was saved stands, what is left where. */
export function leftoverWarning(leftover: NonNullable<SaveOutcome['leftover']>, profile: string): string {
  const why = leftover.error.message.replace(/\s*Nothing was written\.$/, '');
  return leftover.referenced
    ? `The old copy of the key in the OS keychain was not removed (${why}). Profile "${profile}" keeps a reference to it: \`${commandLine('logout', {}, { profile })}\` or the next login removes it once the keychain can be used.`
    : `The old keychain entry "${leftover.account}" was not removed (${why}); remove it with your keychain manager.`;
}

/**
 * Records a credential helper instead of a key (`login --key-cmd`): the profile holds the command
 * and no key at all; a key the profile held before (in the file or the keychain) is removed.
 */
export async function saveKeyCommand(deps: KeyStoreDeps, s: Omit<SaveKey, 'token' | 'storage' | 'sandbox'> & { keyCmd: string }): Promise<void> {
  const before = deps.store.read().profiles[s.profile];
  // The keychain copy first: a profile with a command holds no reference, so a copy left behind by a
  // locked keyring would be found by nothing (and "Nothing was written" must stay true if this fails).
  if (before?.keychainAccount !== undefined) await (await deps.keychain()).delete(before.keychainAccount);
  await deps.store.update((data: ConfigData) => {
    data.profiles[s.profile] = { username: s.username, baseUrl: s.baseUrl, keyCmd: s.keyCmd };
    if (s.makeCurrent) data.currentProfile = s.profile;
  });
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

/** Moves a profile's key to the other store. `moved` is false when it is already there. */
export async function moveKey(deps: KeyStoreDeps, name: string, to: Storage): Promise<SaveOutcome & { moved: boolean }> {
  const profile = deps.store.read().profiles[name];
  if (profile === undefined) throw new UsageError(`No profile named "${name}".`);
  if (profile.keyCmd !== undefined) {
    throw new UsageError(`Profile "${name}" stores no Master key: it reads it from a command each run (\`${profile.keyCmd}\`).`, {
      hint: `To store the key instead: ${commandLine('login', { options: ['--storage', to] }, { profile: name })}`,
    });
  }
  // Already there, unless an old keychain copy is still referenced (a move that could not remove it).
  if (storageOf(profile) === to && (to === 'keychain' ? profile.keychainAccount !== undefined : profile.keychainAccount === undefined)) return { moved: false };
  const token = await readStoredKey(deps, profile);
  if (token === undefined) {
    throw new UsageError(`Profile "${name}" has no stored Master key to move (logged out).`, {
      hint: `Log in again with the store you want: ${commandLine('login', { options: ['--storage', to] }, { profile: name })}`,
    });
  }
  const outcome = await saveKey(deps, {
    profile: name,
    username: profile.username,
    baseUrl: profile.baseUrl,
    sandbox: profile.sandbox === true,
    token,
    storage: to,
    makeCurrent: false,
  });
  return { ...outcome, moved: true };
}
