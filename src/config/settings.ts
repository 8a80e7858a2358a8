// Resolution of who we talk to and with which key: flag > environment > stored profile, keeping where
// each value came from (status shows it, and error messages name the right place to fix).

import { join } from 'node:path';
import { resolveBaseUrl } from '../api/base-url.js';
import type { Env } from '../env.js';
import { AuthError, UsageError } from '../errors.js';
import { keychainBackend } from './keychain.js';
import { KEY_CMD_ENV } from './key-command.js';
import { CONFIG_FILE, isValidProfileName, type ConfigData, type ConfigStore, type Profile } from './store.js';
import { commandLine } from '../text/command-line.js';

export type KeySource =
  | { kind: 'env'; variable: 'CARTO_KEYS_MASTER_KEY' }
  | { kind: 'config'; path: string }
  /**
   * A credential helper, from CARTO_KEYS_MASTER_KEY_CMD or the profile (`login --key-cmd`): the
   * context runs it once per run and fills in `masterKey`, which is then kept in memory only.
   */
  | { kind: 'command'; command: string; origin: { variable: typeof KEY_CMD_ENV } | { path: string } }
  /** The key is read from the OS keychain by the context (async); `masterKey` is filled in then. */
  | { kind: 'keychain'; backend: string; account: string };
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
  /** Key and account both from the environment: no profile is involved at all (SECURITY.md). */
  fromEnvironment: boolean;
  /** The names of the stored profiles (for messages). */
  profileNames: string[];
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
  const envCmd = env[KEY_CMD_ENV]?.trim() || undefined;
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

  const envComplete = (envKey !== undefined || envCmd !== undefined) && (envUser !== undefined || envBase !== undefined);
  const data: ConfigData = envComplete && profile === undefined ? { profiles: {} } : input.readConfig();
  const named = profile !== undefined;
  profile ??= data.currentProfile ?? DEFAULT_PROFILE;
  const stored = data.profiles[profile];
  const profileNames = Object.keys(data.profiles).sort();
  // A profile named on purpose (--profile, CARTO_KEYS_PROFILE) that does not exist is a typo, not a
  // logout: unless the environment supplies everything, and the profile does not matter.
  if (named && stored === undefined && !envComplete) throw unknownProfile(profile, profileNames);

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
  } else if (envCmd !== undefined) {
    keySource = { kind: 'command', command: envCmd, origin: { variable: KEY_CMD_ENV } };
  } else if (stored?.keyCmd !== undefined) {
    keySource = { kind: 'command', command: stored.keyCmd, origin: { path: configPath } };
  } else if (stored?.storage === 'keychain') {
    if (stored.keychainAccount !== undefined) keySource = { kind: 'keychain', backend: keychainBackend(), account: stored.keychainAccount };
  } else if (stored?.masterKey) {
    masterKey = stored.masterKey;
    keySource = { kind: 'config', path: configPath };
  }
  // A stored key belongs to its profile's account and goes nowhere else (SECURITY.md).
  if (stored !== undefined && keySource !== undefined && !keyFromEnvironment(keySource) && baseUrlSource === 'env') {
    if (baseUrl !== stored.baseUrl || username !== stored.username) {
      throw boundElsewhere(profile, stored, { user: envUser, baseUrl: envBase }, { username: username!, baseUrl: baseUrl! });
    }
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
    fromEnvironment: keySource !== undefined && keyFromEnvironment(keySource) && baseUrlSource === 'env',
    profileNames,
  };
}

function unknownProfile(name: string, names: string[]): UsageError {
  return new UsageError(`No profile named "${name}". ${names.length === 0 ? 'There are no profiles yet.' : `Profiles: ${names.join(', ')}.`}`, {
    code: 'unknown_profile',
    hint: names.length === 0 ? 'Create one with `carto-keys login` (or `carto-keys login --sandbox`).' : `Pick one of them, or create "${name}" with \`${commandLine('login', {}, { profile: name })}\`.`,
  });
}

function boundElsewhere(
  profile: string,
  stored: Profile,
  env: { user: string | undefined; baseUrl: string | undefined },
  wanted: { username: string; baseUrl: string },
): AuthError {
  const variables = [env.baseUrl !== undefined && 'CARTO_KEYS_BASE_URL', env.user !== undefined && 'CARTO_KEYS_USERNAME'].filter(Boolean).join(' and ');
  return new AuthError(
    `The environment (${variables}) names ${wanted.baseUrl} (user ${wanted.username}), but the Master key would come from profile "${profile}", ` +
      `which belongs to ${stored.baseUrl} (user ${stored.username}). A stored key is sent only to its own account: nothing was sent.`,
    {
      code: 'key_bound_to_profile',
      hint: `Set CARTO_KEYS_MASTER_KEY too (the key of that account), unset ${variables}, or pick the profile of that account (--profile <name>).`,
    },
  );
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
    // No profile current (the current one was removed) while others exist: say so, and how to pick one.
    if (!s.profileStored && s.profileSource === 'default' && s.profileNames.length > 0) {
      throw new AuthError(`Not logged in: no profile is current. Profiles: ${s.profileNames.join(', ')}.`, {
        code: 'not_logged_in',
        hint: 'Pick one with `carto-keys profile use <name>` (or --profile <name> for one command), or run `carto-keys login`.',
      });
    }
    const missing = s.keySource?.kind === 'keychain' ? ' (its OS keychain entry is gone)' : '';
    throw new AuthError(
      s.profileStored ? `Profile "${s.profile}" has no Master key stored${missing || ' (logged out)'}.` : `Not logged in (profile "${s.profile}").`,
      { code: 'not_logged_in', hint: `Run \`${loginCommandFor(s)}\`, or set CARTO_KEYS_MASTER_KEY with CARTO_KEYS_USERNAME or CARTO_KEYS_BASE_URL.` },
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

/** The key (or the command that prints it) comes from the environment, not from a profile. */
export function keyFromEnvironment(source: KeySource): boolean {
  return source.kind === 'env' || (source.kind === 'command' && 'variable' in source.origin);
}

/** carto-keys holds the key itself (config file or keychain), so it can store a new one there. */
export function keyStoredByUs(source: KeySource): boolean {
  return source.kind === 'config' || source.kind === 'keychain';
}

export function describeKeySource(source: KeySource): string {
  if (source.kind === 'env') return `environment variable ${source.variable}`;
  if (source.kind === 'command') {
    const where = 'variable' in source.origin ? `environment variable ${source.origin.variable}` : `config file ${source.origin.path}`;
    return `the output of \`${source.command}\` (a command, from ${where})`;
  }
  if (source.kind === 'keychain') return `OS keychain (${source.backend}), entry "${source.account}"`;
  return `config file ${source.path}`;
}

/** The command that logs this profile in again: `login --sandbox` for the sandbox, `login --profile X` for a named one. */
export function loginCommandFor(s: Pick<ResolvedSettings, 'profile' | 'sandbox' | 'profileSource'> & { storedSandbox?: boolean }): string {
  // "sandbox" is SANDBOX_PROFILE (sandbox/embedded-info.ts), which config/ cannot import: sandbox/ imports config/.
  const sandbox = s.sandbox || s.storedSandbox === true;
  const usual = sandbox ? 'sandbox' : DEFAULT_PROFILE;
  return commandLine('login', { options: sandbox ? ['--sandbox'] : [] }, { profile: s.profile === usual ? undefined : s.profile });
}

export type { ConfigStore };
