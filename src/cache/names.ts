// Per-profile cache of key names, read by shell completion. Completion must never touch the
// network, so every command that learns or changes names writes them here. A cache is a hint: any
// failure to write it is ignored (shown under --debug), never an error for the command.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../context.js';

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

export type NamesChange = { all: string[] } | { add?: string[]; remove?: string[] };

export async function rememberNames(ctx: Context, change: NamesChange): Promise<void> {
  try {
    const s = await ctx.settings();
    // A CI job configured only by environment variables writes nothing to disk, caches included.
    if (s.keySource?.kind === 'env' && !s.profileStored) return;
    const dir = ctx.paths.cache;
    let names: string[];
    if ('all' in change) {
      names = change.all;
    } else {
      const set = new Set(readCachedNames(dir, s.profile));
      for (const n of change.add ?? []) set.add(n);
      for (const n of change.remove ?? []) set.delete(n);
      names = [...set];
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = namesCachePath(dir, s.profile);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ names: [...new Set(names)].sort() }), { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    ctx.debug(`name cache not updated: ${err instanceof Error ? err.message : String(err)}`);
  }
}
