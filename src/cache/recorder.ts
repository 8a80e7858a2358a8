// Writes the key-name cache (./names.ts) from what the API tells us: one wrapper around the API
// client (`recordingNames`), which every command gets from ctx.api(), so no command refreshes the
// cache itself. A cache is a hint: any failure to write it is ignored (shown under --debug).

import { ensurePrivateDir } from '../fs/secure-dir.js';
import type { ApiClient } from '../api/client.js';
import { ApiError } from '../errors.js';
import { waitLockSync } from '../config/lock.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { membersCachePath, namesCachePath, readCachedNames, type NamesOwner } from './names.js';

export type NamesChange = { all: string[] } | { add?: string[]; remove?: string[] };

/**
 * Applies a change to the cache of `owner` (an account, or an organization member of it) in
 * `cacheDir`. Throws on I/O errors: the caller decides.
 */
export function writeNames(cacheDir: string, owner: NamesOwner, change: NamesChange): void {
  // 0700, tightened if an older version or a user left it looser (a 0777 cache folder).
  ensurePrivateDir(cacheDir);
  // Read-modify-write under a lock: two commands adding a name at once lost one of them.
  const lock = waitLockSync(`${namesCachePath(cacheDir, owner)}.lock`, 2000);
  try {
    update(cacheDir, owner, change);
  } finally {
    lock.release();
  }
}

function update(cacheDir: string, owner: NamesOwner, change: NamesChange): void {
  let names: string[];
  if ('all' in change) {
    names = change.all;
  } else {
    const set = new Set(readCachedNames(cacheDir, owner));
    for (const n of change.add ?? []) set.add(n);
    for (const n of change.remove ?? []) set.delete(n);
    names = [...set];
  }
  writeFileAtomic(namesCachePath(cacheDir, owner), JSON.stringify({ names: [...new Set(names)].sort() }), { mode: 0o600 });
}

/** The organization's usernames, for completing `--user`: usernames only, never anything else of a member. */
export function writeMembers(cacheDir: string, account: string, usernames: string[]): void {
  ensurePrivateDir(cacheDir);
  writeFileAtomic(membersCachePath(cacheDir, account), JSON.stringify({ names: [...new Set(usernames)].sort() }), { mode: 0o600 });
}

/**
 * The API client, with every name it learns or changes recorded: a full listing replaces the cache,
 * a filtered or limited one adds to it; show, create and regenerate add the key's name; a delete (or
 * a delete that finds the key already gone) removes it. `record` must not throw.
 */
export function recordingNames(
  api: ApiClient,
  recordFor: (change: NamesChange, member: string | undefined) => void,
  recordMembers: (usernames: string[]) => void = () => {},
): ApiClient {
  // A member's names (`--user`) go to that member's cache.
  const record = (change: NamesChange): void => recordFor(change, api.targetUser);
  return {
    get baseUrl() {
      return api.baseUrl;
    },
    get username() {
      return api.username;
    },
    get targetUser() {
      return api.targetUser;
    },
    forUser: (member) => recordingNames(api.forUser(member), recordFor, recordMembers),
    async listMembers(org) {
      const members = await api.listMembers(org);
      recordMembers(members.map((m) => m.username));
      return members;
    },
    listPage: (q) => api.listPage(q),
    whoami: () => api.whoami(),
    async listKeys(q) {
      const keys = await api.listKeys(q);
      const names = keys.map((k) => k.name);
      record(q?.type || q?.limit !== undefined ? { add: names } : { all: names });
      return keys;
    },
    async getKey(name, opts) {
      const key = await api.getKey(name, opts);
      record({ add: [key.name] });
      return key;
    },
    async createKey(req, opts) {
      const made = await api.createKey(req, opts);
      record({ add: [made.key.name] });
      return made;
    },
    async regenerateKey(name) {
      const key = await api.regenerateKey(name);
      record({ add: [key.name] });
      return key;
    },
    async findKey(name) {
      const key = await api.findKey(name);
      if (key !== undefined) record({ add: [key.name] });
      return key;
    },
    async deleteIfExists(name) {
      const deleted = await api.deleteIfExists(name);
      record({ remove: [name] });
      return deleted;
    },
    async deleteKey(name) {
      try {
        await api.deleteKey(name);
      } catch (err) {
        if (err instanceof ApiError && err.kind === 'not_found') record({ remove: [name] });
        throw err;
      }
      record({ remove: [name] });
    },
  };
}
