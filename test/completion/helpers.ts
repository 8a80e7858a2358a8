// Shared by the completion tests: a temporary home with a prepared config and per-profile name
// caches. The folders are also named by CARTO_KEYS_CONFIG_DIR / CARTO_KEYS_CACHE_DIR, so the
// in-process and the real-shell tests read the same files on every OS.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome, type Home } from '../helpers/e2e.js';
import { membersCachePath } from '../../src/cache/names.js';
import { profileAccount, profileNamesPath } from '../helpers/names-cache.js';

/** Names of the default profile: the built-in keys, a name with a space, and plain ones. */
export const DEFAULT_NAMES = ['Default public', 'Master', 'Deforestation map', 'app', 'etl-2024'];
export const ACME_NAMES = ['acme-web', 'acme-etl'];

export interface CompletionHome extends Home {
  configDir: string;
  cacheDir: string;
  writeConfig(data: unknown): void;
  /** The names cached for a profile already in the config file (for its account; `member`: acting for them). */
  writeNames(profile: string, names: string[], member?: string): void;
  /** The organization usernames cached for a profile's account. */
  writeMembers(profile: string, names: string[]): void;
  writeRaw(path: string, text: string): void;
}

export function completionHome(): CompletionHome {
  const home = tempHome();
  const configDir = join(home.env.XDG_CONFIG_HOME!, 'carto-keys');
  const cacheDir = join(home.env.XDG_CACHE_HOME!, 'carto-keys');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(cacheDir, { recursive: true });
  home.env.CARTO_KEYS_CONFIG_DIR = configDir;
  home.env.CARTO_KEYS_CACHE_DIR = cacheDir;
  const writeRaw = (path: string, text: string) => writeFileSync(path, text);
  return {
    ...home,
    configDir,
    cacheDir,
    writeRaw,
    writeConfig: (data) => writeRaw(join(configDir, 'config.json'), JSON.stringify(data)),
    writeNames: (profile, names, member) => writeRaw(profileNamesPath({ config: configDir, cache: cacheDir }, profile, member), JSON.stringify({ names })),
    writeMembers: (profile, names) => writeRaw(membersCachePath(cacheDir, profileAccount(configDir, profile)), JSON.stringify({ names })),
  };
}

/** Two profiles of two accounts: the key-name caches are the accounts'. */
export const PROFILES = { default: { username: 'demo', baseUrl: 'https://demo.carto.com' }, acme: { username: 'acme', baseUrl: 'https://acme.carto.com' } };

/** The two profiles, `default` current, each with its names cached. */
export function preparedHome(): CompletionHome {
  const home = completionHome();
  home.writeConfig({ currentProfile: 'default', profiles: PROFILES });
  home.writeNames('default', DEFAULT_NAMES);
  home.writeNames('acme', ACME_NAMES);
  return home;
}
