// Per-profile cache of key names, read by shell completion. Completion must never touch the
// network, so what the API tells us about names is written here (./recorder.ts). This file is the
// reading side only: completion's fast path loads it, and nothing heavier.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function namesCachePath(cacheDir: string, profile: string): string {
  return join(cacheDir, `names-${profile}.json`);
}

/** Sync on purpose: completion reads it on its fast path, where every millisecond shows. */
export function readCachedNames(cacheDir: string, profile: string): string[] {
  try {
    const data = JSON.parse(readFileSync(namesCachePath(cacheDir, profile), 'utf8')) as { names?: unknown };
    return Array.isArray(data.names) ? data.names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

