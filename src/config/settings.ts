// Resolution of who we talk to and with which key: flag > environment > stored profile, keeping where
// each value came from (status shows it, and error messages name the right place to fix).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { resolveBaseUrl } from '../api/base-url.js';
import type { Env } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import { CONFIG_FILE, isValidProfileName, type ConfigData, type ConfigStore } from './store.js';

export type KeySource = { kind: 'env'; variable: 'CARTO_KEYS_MASTER_KEY' } | { kind: 'config'; path: string };
export type Source = 'flag' | 'env' | 'config' | 'default';

export interface ResolvedSettings {
  profile: string;
  profileSource: Source;
  /** The profile exists in the config file. */
  profileStored: boolean;
  username?: string;
  baseUrl?: string;
  baseUrlSource?: Source;
  masterKey?: string;
  keySource?: KeySource;
  sandbox: boolean;
  configPath: string;
}

export const DEFAULT_PROFILE = 'default';

/**
 * The store is passed as a thunk: with everything in the environment (a CI job) the config file is
 * never opened, so nothing is read from or written to disk.
 */
export function resolveSettings(input: {
  flagProfile?: string;
  env: Env;
  configDir: string;
  readConfig: () => ConfigData;
}): ResolvedSettings {
  const { env } = input;
  const envKey = env.CARTO_KEYS_MASTER_KEY || undefined;
  const envUser = env.CARTO_KEYS_USERNAME || undefined;
  const envBase = env.CARTO_KEYS_BASE_URL || undefined;
  const envProfile = env.CARTO_KEYS_PROFILE || undefined;
  const configPath = join(input.configDir, CONFIG_FILE);

  let profile = input.flagProfile ?? envProfile;
  const profileSource: Source = input.flagProfile ? 'flag' : envProfile ? 'env' : 'config';
  if (profile !== undefined && !isValidProfileName(profile)) {
    throw new UsageError(`Invalid profile name "${profile}".`, {
      hint: 'Profile names use letters, digits, ".", "_" and "-" (at most 64 characters).',
    });
  }

  const envComplete = envKey !== undefined && (envUser !== undefined || envBase !== undefined);
  const data: ConfigData = envComplete && profile === undefined ? { profiles: {} } : input.readConfig();
  profile ??= data.currentProfile ?? DEFAULT_PROFILE;
  const stored = data.profiles[profile];

  let username: string | undefined;
  let baseUrl: string | undefined;
  let baseUrlSource: Source | undefined;
  if (envUser !== undefined || envBase !== undefined) {
    const resolved = resolveBaseUrl({ user: envUser, baseUrl: envBase });
    ({ username, baseUrl } = resolved);
    baseUrlSource = 'env';
  } else if (stored) {
    ({ username, baseUrl } = stored);
    baseUrlSource = 'config';
  }

  let masterKey: string | undefined;
  let keySource: KeySource | undefined;
  if (envKey !== undefined) {
    masterKey = envKey;
    keySource = { kind: 'env', variable: 'CARTO_KEYS_MASTER_KEY' };
  } else if (stored?.masterKey) {
    masterKey = stored.masterKey;
    keySource = { kind: 'config', path: configPath };
  }

  return {
    profile,
    profileSource: profile === DEFAULT_PROFILE && !input.flagProfile && !envProfile && !data.currentProfile ? 'default' : profileSource,
    profileStored: stored !== undefined,
    ...(username !== undefined && { username }),
    ...(baseUrl !== undefined && { baseUrl }),
    ...(baseUrlSource !== undefined && { baseUrlSource }),
    ...(masterKey !== undefined && { masterKey }),
    ...(keySource !== undefined && { keySource }),
    // The embedded sandbox only makes sense for a stored sandbox profile whose URL the env did not replace.
    sandbox: stored?.sandbox === true && baseUrlSource === 'config',
    configPath,
  };
}

export interface Credentials {
  profile: string;
  username: string;
  baseUrl: string;
  masterKey: string;
  keySource: KeySource;
  sandbox: boolean;
}

export function requireCredentials(s: ResolvedSettings): Credentials {
  if (s.masterKey === undefined || s.keySource === undefined) {
    throw new AuthError(
      s.profileStored ? `Profile "${s.profile}" has no Master key stored (logged out).` : `Not logged in (profile "${s.profile}").`,
      { code: 'not_logged_in', hint: 'Run `carto-keys login`, or set CARTO_KEYS_MASTER_KEY with CARTO_KEYS_USERNAME or CARTO_KEYS_BASE_URL.' },
    );
  }
  if (s.username === undefined || s.baseUrl === undefined) {
    throw new AuthError('A Master key is set but not the account it belongs to.', {
      code: 'not_logged_in',
      hint: 'Set CARTO_KEYS_USERNAME or CARTO_KEYS_BASE_URL, or run `carto-keys login`.',
    });
  }
  return {
    profile: s.profile,
    username: s.username,
    baseUrl: s.baseUrl,
    masterKey: s.masterKey,
    keySource: s.keySource,
    sandbox: s.sandbox,
  };
}

/** Identifies a key without revealing it: a truncated SHA-256. */
export function fingerprint(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export function describeKeySource(source: KeySource): string {
  return source.kind === 'env' ? `environment variable ${source.variable}` : `config file ${source.path}`;
}

export type { ConfigStore };
