// Per-profile cache of key names, read by shell completion. Completion must never touch the
// network, so what the API tells us about names is written here (./recorder.ts). This file is the
// reading side only: completion's fast path loads it, and nothing heavier.

import { MiB, readRegularFile } from '../fs/bounded-read.js';
import { join } from 'node:path';

/**
 * One file per profile, and one per organization member the profile acts for (`--user bob`: bob's
 * key names are not the admin's). `@` cannot appear in a profile name, so the two never collide.
 */
export function namesCachePath(cacheDir: string, profile: string, member?: string): string {
  return join(cacheDir, member === undefined ? `names-${profile}.json` : `names-${profile}@${member}.json`);
}

/** The organization's usernames a profile has seen (`org members`, `list --all-members`): completes `--user`. */
export function membersCachePath(cacheDir: string, profile: string): string {
  return join(cacheDir, `members-${profile}.json`);
}

/** Sync on purpose: completion reads it on its fast path, where every millisecond shows. */
export function readCachedNames(cacheDir: string, profile: string, member?: string): string[] {
  return readList(namesCachePath(cacheDir, profile, member));
}

export function readCachedMembers(cacheDir: string, profile: string): string[] {
  return readList(membersCachePath(cacheDir, profile));
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
