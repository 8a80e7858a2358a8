// The deployment registry: where each key's token was deployed (by rotate, apply, rollback, respond),
// and which old keys wait for their grace period to end. It answers "what breaks if I delete this
// key?" (`where`, `revoke`, `audit`, `plan`, `retire`) and tells `retire` what to check before it deletes.
//
// `<state>/deployments.json`, 0600 in a 0700 folder, replaced atomically, changed only under its lock
// (read-modify-write: two processes never lose each other's records). It holds no token: each
// deployment keeps the token's fingerprint, which says whether a file still holds that token. It also
// remembers, for a bounded while, which key replaced a deleted one (the lineage of finished rotations).
// Every record names its key by reference (account, organization member, name: ./key-ref.ts), and
// records are lists, never objects keyed by a key name (a key may be named `__proto__`).

import { existsSync } from 'node:fs';
import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';
import { join } from 'node:path';
import type { WireGrant } from '../api/types.js';
import { waitLockSync } from '../config/lock.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { FileError, UsageError } from '../errors.js';
import type { Env } from '../env.js';
import { keyFromEnvironment, type Credentials } from '../config/settings.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { accountOf, sameMember, type KeyRef } from './key-ref.js';
import { humanTime } from '../ui/time.js';
import { CONFIG_DIR_ENV, STATE_DIR_ENV, stateDirNamed } from './state-dir.js';
import { isRecord } from '../json.js';
import { commandLine } from '../text/command-line.js';

export const REGISTRY_VERSION = 2;

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

type DeploymentRecord = Deployment & { member?: string; name: string };

/** An old key kept alive by `--grace` until `retireAfter`, then deleted by `retire`. */
export interface Retirement {
  /** The organization member whose keys these are; absent for the caller's own. */
  member?: string;
  oldName: string;
  /** When the old key was created: `retire` deletes it only if the key of that name is still that key. */
  oldCreatedAt?: string;
  newName: string;
  /** ISO-8601. */
  retireAfter: string;
  /** The grants the successor must still have (create form): `retire` checks them again. */
  grants: WireGrant[];
  rotatedAt: string;
  /** The app check of the rotation (--check-cmd), run again before the delete. */
  checkCmd?: string;
}

/**
 * A finished rotation: the old key was deleted, `newName` took its place. What a later "no such key"
 * names (after `rotate app --delete-old`, `rotate app` says where "app" went). Names and a time only.
 */
export interface Succession {
  member?: string;
  oldName: string;
  newName: string;
  /** ISO-8601 time of the delete. */
  at: string;
}

/** Successions kept per account, the newest: enough to explain every recent rotation, never unbounded. */
export const MAX_SUCCESSIONS = 100;

interface AccountRecords {
  deployments: DeploymentRecord[];
  retirements: Retirement[];
  lineage: Succession[];
}

interface RegistryFile {
  version: typeof REGISTRY_VERSION;
  accounts: Map<string, AccountRecords>;
}

export interface Registry {
  readonly path: string;
  /** Every recorded deployment of the key, newest first. */
  deploymentsOf(ref: KeyRef): Deployment[];
  /** Whether anything was ever recorded (false: no registry to go on). */
  exists(): boolean;
  record(ref: KeyRef, target: DeploymentTarget, fingerprint: string, at: Date): void;
  /** The key was deleted: its deployments mean nothing any more. */
  forget(ref: KeyRef): void;
  /** Every retirement of the account, of every member. */
  retirements(account: string): Retirement[];
  /** The retirement waiting to delete this old key, if any. */
  retirementOf(ref: KeyRef): Retirement | undefined;
  /** The retirement whose successor this key is, if any: the key is the new key of a grace rotation. */
  retirementTo(ref: KeyRef): Retirement | undefined;
  scheduleRetirement(account: string, r: Retirement): void;
  removeRetirement(ref: KeyRef): void;
  /** `ref` was deleted by a rotation to `newName` (of the same member). */
  recordSuccession(ref: KeyRef, newName: string, at: Date): void;
  /** The finished rotation that deleted `ref`, if one is remembered. */
  successionOf(ref: KeyRef): Succession | undefined;
  /**
   * Records of keys of `member` (undefined: the caller's own) that no longer exist, given every live
   * name: removed, and their names returned.
   */
  pruneVanished(account: string, member: string | undefined, live: ReadonlySet<string>): string[];
  /** The keys of `member` (undefined: the caller's own) recorded as deployed or in a grace rotation, and why. */
  inUse(account: string, member: string | undefined): Map<string, string>;
}

const LOCK_WAIT_MS = 5_000;

/**
 * Whether this run may keep a registry: with credentials from the environment only (a CI job) nothing
 * is written to disk, unless CARTO_KEYS_STATE_DIR (or CARTO_KEYS_CONFIG_DIR) names a folder to keep
 * state in (one the job caches), which is how a scheduled `retire` finds what `rotate --grace` recorded.
 */
export function registryKept(env: Env, creds: Pick<Credentials, 'keySource'>): boolean {
  return creds.keySource === undefined || !keyFromEnvironment(creds.keySource) || stateDirNamed(env);
}

const isOf = (ref: KeyRef) => (d: { member?: string; name: string }) => d.name === ref.name && sameMember(d.member, ref.member);
/** A retirement or succession whose old key is `name` of `member`. */
const isOldOf = (name: string, member: string | undefined) => (x: { member?: string; oldName: string }) => x.oldName === name && sameMember(x.member, member);

/** Thousands of deployments are a few MB. */
const MAX_REGISTRY_BYTES = 64 * MiB;

export function registry(stateDir: string): Registry {
  const path = join(stateDir, 'deployments.json');

  function read(): RegistryFile {
    let text: string;
    try {
      // Bounded, regular files only: a FIFO in its place hung `where`.
      text = readRegularFile(path, MAX_REGISTRY_BYTES).toString('utf8');
    } catch (err) {
      if (!(err instanceof BoundedReadError)) throw err;
      if (err.refusal.reason === 'missing') return { version: REGISTRY_VERSION, accounts: new Map() };
      throw corrupt(`cannot be read: ${err.message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw corrupt('is not valid JSON');
    }
    const file = parseRegistry(data);
    if (file === undefined) throw corrupt(`is not a version ${REGISTRY_VERSION} deployment registry`);
    return file;
  }

  function corrupt(why: string): FileError {
    // Never replaced silently: it is the only record of where tokens went.
    return new FileError(`The deployment registry ${path} ${why}.`, {
      hint: `Move it aside (mv ${path} ${path}.bad) to start a new one; its records will be lost.`,
    });
  }

  /** Read, change, write back: under the lock, so concurrent writers never lose each other's records. */
  function update<T>(change: (f: RegistryFile) => T): T {
    ensurePrivateDir(stateDir);
    const lock = waitLockSync(`${path}.lock`, LOCK_WAIT_MS);
    try {
      const f = read();
      const out = change(f);
      const accounts = Object.fromEntries(f.accounts);
      writeFileAtomic(path, `${JSON.stringify({ version: REGISTRY_VERSION, accounts }, null, 2)}\n`, { mode: 0o600 });
      return out;
    } finally {
      lock.release();
    }
  }

  const accountIn = (f: RegistryFile, acc: string): AccountRecords => {
    const id = accountOf(acc);
    let a = f.accounts.get(id);
    if (a === undefined) {
      a = { deployments: [], retirements: [], lineage: [] };
      f.accounts.set(id, a);
    }
    return a;
  };
  const readAccount = (acc: string): AccountRecords | undefined => read().accounts.get(accountOf(acc));

  return {
    path,
    exists: () => existsSync(path),
    deploymentsOf(ref) {
      return (readAccount(ref.account)?.deployments ?? [])
        .filter(isOf(ref))
        .map(({ member: _m, name: _n, ...d }) => d as Deployment)
        .sort((a, b) => b.at.localeCompare(a.at));
    },
    record(ref, target, fingerprint, at) {
      update((f) => {
        const a = accountIn(f, ref.account);
        // One record per place: a redeploy to the same file and variable (or command) replaces it.
        a.deployments = a.deployments.filter((d) => !(isOf(ref)(d) && targetId(d) === targetId(target)));
        a.deployments.push({ ...(ref.member !== undefined && { member: ref.member }), name: ref.name, ...target, at: at.toISOString(), fingerprint });
      });
    },
    forget(ref) {
      if (!existsSync(path)) return;
      update((f) => {
        const a = f.accounts.get(accountOf(ref.account));
        if (a) a.deployments = a.deployments.filter((d) => !isOf(ref)(d));
      });
    },
    retirements: (acc) => [...(readAccount(acc)?.retirements ?? [])],
    retirementOf: (ref) => readAccount(ref.account)?.retirements.find(isOldOf(ref.name, ref.member)),
    retirementTo: (ref) => readAccount(ref.account)?.retirements.find((r) => r.newName === ref.name && sameMember(r.member, ref.member)),
    scheduleRetirement(acc, r) {
      update((f) => {
        const a = accountIn(f, acc);
        a.retirements = [...a.retirements.filter((x) => !isOldOf(r.oldName, r.member)(x)), r];
      });
    },
    removeRetirement(ref) {
      if (!existsSync(path)) return;
      update((f) => {
        const a = f.accounts.get(accountOf(ref.account));
        if (a) a.retirements = a.retirements.filter((x) => !isOldOf(ref.name, ref.member)(x));
      });
    },
    recordSuccession(ref, newName, at) {
      update((f) => {
        const a = accountIn(f, ref.account);
        // The old name's earlier record goes, and so does one of the new name: a key of that name lives
        // again, so what was said about an older key of that name is no longer true.
        const stale = (x: Succession) => sameMember(x.member, ref.member) && (x.oldName === ref.name || x.oldName === newName);
        const kept = a.lineage.filter((x) => !stale(x));
        kept.push({ ...(ref.member !== undefined && { member: ref.member }), oldName: ref.name, newName, at: at.toISOString() });
        a.lineage = kept.slice(-MAX_SUCCESSIONS);
      });
    },
    successionOf: (ref) => readAccount(ref.account)?.lineage.find(isOldOf(ref.name, ref.member)),
    inUse(acc, member) {
      const a = readAccount(acc);
      const out = new Map<string, string>();
      for (const d of a?.deployments ?? []) {
        if (!sameMember(d.member, member) || out.has(d.name)) continue;
        out.set(d.name, `recorded as deployed to ${d.kind === 'env-file' ? d.path : d.kind === 'command' ? `\`${d.command}\`` : 'a person'} (${commandLine('where', { args: [d.name] }, { user: member })})`);
      }
      for (const r of a?.retirements ?? []) {
        if (!sameMember(r.member, member)) continue;
        out.set(r.oldName, `kept by a grace rotation to "${r.newName}" until ${humanTime(new Date(r.retireAfter))}`);
        out.set(r.newName, `the successor of "${r.oldName}" in a grace rotation`);
      }
      return out;
    },
    pruneVanished(acc, member, live) {
      if (!existsSync(path)) return [];
      const current = readAccount(acc);
      const gone = (name: string, m: string | undefined): boolean => sameMember(m, member) && !live.has(name);
      const stale = current === undefined ? [] : current.deployments.filter((d) => gone(d.name, d.member)).map((d) => d.name);
      const staleRetirements = current === undefined ? [] : current.retirements.filter((r) => gone(r.oldName, r.member));
      if (stale.length === 0 && staleRetirements.length === 0) return [];
      return update((f) => {
        const a = f.accounts.get(accountOf(acc));
        if (a === undefined) return [];
        const removed = new Set<string>();
        a.deployments = a.deployments.filter((d) => {
          if (!gone(d.name, d.member)) return true;
          removed.add(d.name);
          return false;
        });
        // A retirement whose old key is gone has nothing left to do.
        a.retirements = a.retirements.filter((r) => {
          if (!gone(r.oldName, r.member)) return true;
          removed.add(r.oldName);
          return false;
        });
        return [...removed].sort();
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

const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** A registry file read back (version 2, or the version 1 this replaces); undefined when it is neither. */
function parseRegistry(v: unknown): RegistryFile | undefined {
  if (!isRecord(v) || !isRecord(v.accounts)) return undefined;
  const accounts = new Map<string, AccountRecords>();
  for (const [acc, a] of Object.entries(v.accounts)) {
    if (!isRecord(a) || !Array.isArray(a.retirements) || !a.retirements.every(isRetirement)) return undefined;
    // Files written before successions were kept have none.
    const lineage = a.lineage ?? [];
    if (!Array.isArray(lineage) || !lineage.every(isSuccession)) return undefined;
    let deployments: unknown[];
    if (v.version === 1) {
      // Version 1 kept an object keyed by key name, with no member.
      if (!isRecord(a.keys)) return undefined;
      deployments = [];
      for (const [name, list] of Object.entries(a.keys)) {
        if (!Array.isArray(list)) return undefined;
        for (const d of list) deployments.push(isRecord(d) ? { ...d, name } : d);
      }
    } else if (v.version === REGISTRY_VERSION && Array.isArray(a.deployments)) {
      deployments = a.deployments;
    } else {
      return undefined;
    }
    if (!deployments.every(isDeployment)) return undefined;
    const id = accountOf(acc);
    const into = accounts.get(id) ?? { deployments: [], retirements: [], lineage: [] };
    into.deployments.push(...(deployments as DeploymentRecord[]));
    into.retirements.push(...(a.retirements as Retirement[]));
    into.lineage.push(...(lineage as Succession[]));
    accounts.set(id, into);
  }
  return { version: REGISTRY_VERSION, accounts };
}

function isDeployment(d: unknown): d is DeploymentRecord {
  if (!isRecord(d)) return false;
  if (typeof d.at !== 'string' || typeof d.fingerprint !== 'string' || typeof d.name !== 'string' || !optString(d.member)) return false;
  if (d.kind === 'env-file') return typeof d.path === 'string' && typeof d.variable === 'string';
  if (d.kind === 'command') return typeof d.command === 'string';
  return d.kind === 'manual';
}

function isSuccession(x: unknown): x is Succession {
  return isRecord(x) && typeof x.oldName === 'string' && typeof x.newName === 'string' && typeof x.at === 'string' && optString(x.member);
}

function isRetirement(r: unknown): r is Retirement {
  if (!isRecord(r)) return false;
  return (
    typeof r.oldName === 'string' &&
    typeof r.newName === 'string' &&
    typeof r.retireAfter === 'string' &&
    !Number.isNaN(Date.parse(r.retireAfter)) &&
    typeof r.rotatedAt === 'string' &&
    Array.isArray(r.grants) &&
    optString(r.member) &&
    optString(r.oldCreatedAt) &&
    optString(r.checkCmd)
  );
}

/** --grace leaves a retirement for a later `retire` to find: refused where nothing may be kept. */
export function requireRegistryForGrace(env: Env, creds: Pick<Credentials, 'keySource'>): void {
  if (registryKept(env, creds)) return;
  throw new UsageError('--grace needs a place to remember the old key until `retire` runs, and credentials from the environment write nothing to disk.', {
    hint: `Set ${STATE_DIR_ENV} (or ${CONFIG_DIR_ENV}) to a folder your scheduled job keeps (a cache), or log in to a profile.`,
  });
}
