// Where the key-name cache of a stored profile is: the cache belongs to the profile's account (and the
// member acted for), as src/cache/names.ts keys it; tests name profiles, so they look the account up.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { namesCachePath, readCachedNames, type NamesOwner } from '../../src/cache/names.js';
import { accountOf } from '../../src/records/account.js';

/** The account of a profile stored in `configDir`'s config file. */
export function profileAccount(configDir: string, profile = 'default'): string {
  const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { profiles: Record<string, { baseUrl: string }> };
  return accountOf(config.profiles[profile]!.baseUrl);
}

/** Whose names a profile's runs cache: its account, and the member acted for. */
function profileOwner(configDir: string, profile: string, member: string | undefined): NamesOwner {
  return { account: profileAccount(configDir, profile), ...(member !== undefined && { member }) };
}

export function profileNamesPath(p: { config: string; cache: string }, profile = 'default', member?: string): string {
  return namesCachePath(p.cache, profileOwner(p.config, profile, member));
}

export function profileNames(p: { config: string; cache: string }, profile = 'default', member?: string): string[] {
  return readCachedNames(p.cache, profileOwner(p.config, profile, member));
}
