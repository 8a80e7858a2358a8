// Where the key-name cache of a stored profile is: the cache belongs to the profile's account (and the
// member acted for), as src/cache/names.ts keys it; tests name profiles, so they look the account up.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { namesCachePath, readCachedNames } from '../../src/cache/names.js';
import { accountOf } from '../../src/records/account.js';

/** The account of a profile stored in `configDir`'s config file. */
export function profileAccount(configDir: string, profile = 'default'): string {
  const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { profiles: Record<string, { baseUrl: string }> };
  return accountOf(config.profiles[profile]!.baseUrl);
}

export function profileNamesPath(p: { config: string; cache: string }, profile = 'default', member?: string): string {
  return namesCachePath(p.cache, { account: profileAccount(p.config, profile), ...(member !== undefined && { member }) });
}

export function profileNames(p: { config: string; cache: string }, profile = 'default', member?: string): string[] {
  return readCachedNames(p.cache, { account: profileAccount(p.config, profile), ...(member !== undefined && { member }) });
}
