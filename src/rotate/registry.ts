// The deployment registry (product.md §8): where each key's token was deployed by rotate or apply, and
// which old keys wait for their grace period to end. It answers "what breaks if I delete this key?"
// (`where`, `revoke`, `audit`) and tells `retire` what to check before it deletes.
//
// `<config>/deployments.json`, 0600 in the 0700 config folder, replaced atomically, changed only under
// its lock (read-modify-write: two processes never lose each other's records). It holds no token:
// each deployment keeps the token's fingerprint, which says whether a file still holds that token.
// Records are per account (its base URL), since two accounts may have keys of the same name.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WireGrant } from '../api/types.js';
import { waitLockSync } from '../config/lock.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { FileError, UsageError } from '../errors.js';
import type { Env } from '../context.js';
import { keyFromEnvironment, type Credentials } from '../config/settings.js';
import { writeFileAtomic } from '../fs/atomic.js';

export const REGISTRY_VERSION = 1;

export type DeploymentTarget =
  | { kind: 'env-file'; path: string; variable: string }
  | { kind: 'command'; command: string }
  | { kind: 'manual' };

export type Deployment = DeploymentTarget & {
  /** ISO-8601 time of the deploy. */
  at: string;
  /** fingerprint() of the token deployed there. */
  fingerprint: string;
};

/** An old key kept alive by `--grace` until `retireAfter`, then deleted by `retire`. */
export interface Retirement {
  oldName: string;
  newName: string;
  /** ISO-8601. */
  retireAfter: string;
  /** The grants the successor must still have (create form): `retire` checks them again. */
  grants: WireGrant[];
  rotatedAt: string;
}

interface AccountRecords {
  keys: Record<string, Deployment[]>;
  retirements: Retirement[];
}

interface RegistryFile {
  version: typeof REGISTRY_VERSION;
  accounts: Record<string, AccountRecords>;
}

export interface Registry {
  readonly path: string;
  /** Every recorded deployment of `keyName` in the account, newest first. */
  deploymentsOf(account: string, keyName: string): Deployment[];
  /** Whether any deployment was ever recorded for the account (false: no registry to go on). */
  exists(): boolean;
  record(account: string, keyName: string, target: DeploymentTarget, fingerprint: string, at: Date): void;
  /** The key was deleted: its deployments mean nothing any more. */
  forget(account: string, keyName: string): void;
  retirements(account: string): Retirement[];
  scheduleRetirement(account: string, r: Retirement): void;
  removeRetirement(account: string, oldName: string): void;
}

const LOCK_WAIT_MS = 5_000;

/**
 * Whether this run may keep a registry: with credentials from the environment only (a CI job) nothing
 * is written to disk, unless CARTO_KEYS_CONFIG_DIR names a folder to keep state in (one the job caches),
 * which is how a scheduled `retire` finds what `rotate --grace` recorded.
 */
export function registryKept(env: Env, creds: Pick<Credentials, 'keySource'>): boolean {
  return creds.keySource === undefined || !keyFromEnvironment(creds.keySource) || (env[CONFIG_DIR_ENV] ?? '').trim() !== '';
}

export const CONFIG_DIR_ENV = 'CARTO_KEYS_CONFIG_DIR';

export function registry(configDir: string): Registry {
  const path = join(configDir, 'deployments.json');

  function read(): RegistryFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: REGISTRY_VERSION, accounts: {} };
      throw corrupt(`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw corrupt('is not valid JSON');
    }
    if (!isRegistryFile(data)) throw corrupt(`is not a version ${REGISTRY_VERSION} deployment registry`);
    return data;
  }

  function corrupt(why: string): FileError {
    // Never replaced silently: it is the only record of where tokens went.
    return new FileError(`The deployment registry ${path} ${why}.`, {
      hint: `Move it aside (mv ${path} ${path}.bad) to start a new one; its records will be lost.`,
    });
  }

  /** Read, change, write back: under the lock, so concurrent writers never lose each other's records. */
  function update(change: (f: RegistryFile) => void): void {
    ensurePrivateDir(configDir);
    const lock = waitLockSync(`${path}.lock`, LOCK_WAIT_MS);
    try {
      const f = read();
      change(f);
      writeFileAtomic(path, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
    } finally {
      lock.release();
    }
  }

  const account = (f: RegistryFile, id: string): AccountRecords => (f.accounts[id] ??= { keys: {}, retirements: [] });

  return {
    path,
    exists: () => existsSync(path),
    deploymentsOf(acc, keyName) {
      return [...(read().accounts[acc]?.keys[keyName] ?? [])].sort((a, b) => b.at.localeCompare(a.at));
    },
    record(acc, keyName, target, fingerprint, at) {
      update((f) => {
        const keys = account(f, acc).keys;
        // One record per place: a redeploy to the same file and variable (or command) replaces it.
        const others = (keys[keyName] ?? []).filter((d) => targetId(d) !== targetId(target));
        keys[keyName] = [...others, { ...target, at: at.toISOString(), fingerprint }];
      });
    },
    forget(acc, keyName) {
      if (!existsSync(path)) return;
      update((f) => {
        delete f.accounts[acc]?.keys[keyName];
      });
    },
    retirements: (acc) => [...(read().accounts[acc]?.retirements ?? [])],
    scheduleRetirement(acc, r) {
      update((f) => {
        const a = account(f, acc);
        a.retirements = [...a.retirements.filter((x) => x.oldName !== r.oldName), r];
      });
    },
    removeRetirement(acc, oldName) {
      if (!existsSync(path)) return;
      update((f) => {
        const a = f.accounts[acc];
        if (a) a.retirements = a.retirements.filter((x) => x.oldName !== oldName);
      });
    },
  };
}

/** The same place: an env file and variable, or a command line. */
export function targetId(t: DeploymentTarget): string {
  switch (t.kind) {
    case 'env-file':
      return `env-file\n${t.path}\n${t.variable}`;
    case 'command':
      return `command\n${t.command}`;
    case 'manual':
      return 'manual';
  }
}

function isRegistryFile(v: unknown): v is RegistryFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<RegistryFile>;
  if (f.version !== REGISTRY_VERSION || typeof f.accounts !== 'object' || f.accounts === null) return false;
  return Object.values(f.accounts).every(
    (a) =>
      typeof a === 'object' &&
      a !== null &&
      typeof a.keys === 'object' &&
      a.keys !== null &&
      Array.isArray(a.retirements) &&
      Object.values(a.keys).every((list) => Array.isArray(list) && list.every(isDeployment)) &&
      a.retirements.every(isRetirement),
  );
}

function isDeployment(d: unknown): d is Deployment {
  if (typeof d !== 'object' || d === null) return false;
  const x = d as Record<string, unknown>;
  if (typeof x.at !== 'string' || typeof x.fingerprint !== 'string') return false;
  if (x.kind === 'env-file') return typeof x.path === 'string' && typeof x.variable === 'string';
  if (x.kind === 'command') return typeof x.command === 'string';
  return x.kind === 'manual';
}

function isRetirement(r: unknown): r is Retirement {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Record<string, unknown>;
  return (
    typeof x.oldName === 'string' &&
    typeof x.newName === 'string' &&
    typeof x.retireAfter === 'string' &&
    !Number.isNaN(Date.parse(x.retireAfter)) &&
    typeof x.rotatedAt === 'string' &&
    Array.isArray(x.grants)
  );
}

/** --grace leaves a retirement for a later `retire` to find: refused where nothing may be kept. */
export function requireRegistryForGrace(env: Env, creds: Pick<Credentials, 'keySource'>): void {
  if (registryKept(env, creds)) return;
  throw new UsageError('--grace needs a place to remember the old key until `retire` runs, and credentials from the environment write nothing to disk.', {
    hint: `Set ${CONFIG_DIR_ENV} to a folder your scheduled job keeps (a cache), or log in to a profile.`,
  });
}
