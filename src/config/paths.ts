// Where carto-keys keeps its files. Resolved by hand (not env-paths) so the rules are visible here and
// so that --help never has to load a package to know them.

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../env.js';

export interface AppPaths {
  /** Config file, rotation journals and locks. Mode 0700. */
  config: string;
  /** The embedded sandbox's state. */
  data: string;
  /** Caches that may be deleted at any time (key names for completion). */
  cache: string;
}

const APP = 'carto-keys';

export function appPaths(env: Env, platform: NodeJS.Platform = process.platform, home: string = homedir()): AppPaths {
  const base = platformDirs(env, platform, home);
  return {
    config: env.CARTO_KEYS_CONFIG_DIR || base.config,
    data: env.CARTO_KEYS_DATA_DIR || base.data,
    cache: env.CARTO_KEYS_CACHE_DIR || base.cache,
  };
}

function platformDirs(env: Env, platform: NodeJS.Platform, home: string): AppPaths {
  if (platform === 'darwin') {
    const lib = join(home, 'Library');
    return {
      config: join(lib, 'Preferences', APP),
      data: join(lib, 'Application Support', APP),
      cache: join(lib, 'Caches', APP),
    };
  }
  if (platform === 'win32') {
    const appData = env.APPDATA || join(home, 'AppData', 'Roaming');
    const local = env.LOCALAPPDATA || join(home, 'AppData', 'Local');
    return { config: join(appData, APP, 'Config'), data: join(local, APP, 'Data'), cache: join(local, APP, 'Cache') };
  }
  return {
    config: join(env.XDG_CONFIG_HOME || join(home, '.config'), APP),
    data: join(env.XDG_DATA_HOME || join(home, '.local', 'share'), APP),
    cache: join(env.XDG_CACHE_HOME || join(home, '.cache'), APP),
  };
}
