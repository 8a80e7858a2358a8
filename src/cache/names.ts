// The cache of key names, read by shell completion. Completion must never touch the network, so what
// the API tells us about names is written here (./recorder.ts). This file is the reading side only:
// completion's fast path loads it, and nothing heavier.
//
// A cache belongs to whose keys it names, as every record does (src/records/key-ref.ts): the account
// (its base URL, spelled one way) and the organization member acted for (`--user bob`: bob's key names
// are not the admin's). Two profiles of one account share it; a profile logged in again to another
// account never shows the old account's names.

import { MiB, readRegularFile } from '../fs/bounded-read.js';
import { join } from 'node:path';
import type { KeyRef } from '../records/key-ref.js';

/** Whose key names: a key reference without the name. */
export type NamesOwner = Pick<KeyRef, 'account' | 'member'>;

// encodeURIComponent keeps a file name in one folder (no `/`, no `..` alone) and never writes `@`.
const fileId = (account: string): string => encodeURIComponent(account);

export function namesCachePath(cacheDir: string, owner: NamesOwner): string {
  return join(cacheDir, `names-${fileId(owner.account)}${owner.member === undefined ? '' : `@${owner.member}`}.json`);
}

/** The organization's usernames an account has seen (`org members`, `list --all-members`): completes `--user`. */
export function membersCachePath(cacheDir: string, account: string): string {
  return join(cacheDir, `members-${fileId(account)}.json`);
}

/** Sync on purpose: completion reads it on its fast path, where every millisecond shows. */
export function readCachedNames(cacheDir: string, owner: NamesOwner): string[] {
  return readList(namesCachePath(cacheDir, owner));
}

export function readCachedMembers(cacheDir: string, account: string): string[] {
  return readList(membersCachePath(cacheDir, account));
}

/** 10,000 names of up to 255 characters each. */
const MAX_CACHE_BYTES = 8 * MiB;

function readList(path: string): string[] {
  try {
    const data = JSON.parse(readRegularFile(path, MAX_CACHE_BYTES).toString('utf8')) as { names?: unknown };
    return Array.isArray(data.names) ? data.names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}
