// The rotation journal: what an interrupted rotation needs to finish (`--resume`) or be undone
// (`--abort`), written before every step that changes something outside this process.
//
// `<config>/rotations/<id>.json`, 0600 in a 0700 folder, replaced atomically (src/fs/atomic.ts) so a
// crash never leaves half a journal. It holds no token: the new key's token is fetched again with the
// Master key (`getKey(newName).token`). The id is derived from profile, base URL and old key name, so
// the same key of the same account always maps to the same file, and a lock file next to it
// (`<id>.lock`) keeps two rotations of one key from running at once.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WireGrant } from '../api/types.js';
import { tryLock, LockBusyError, type Lock } from '../config/lock.js';
import { fingerprint } from '../config/settings.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { CliError, ExitCode, FileError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { DeployTarget } from './targets.js';

export const JOURNAL_VERSION = 1;

/**
 * What the journal knows about one target, written BEFORE each attempt so that no interruption can
 * leave a target holding a token the journal does not know about:
 * - `deployedAt` set: the target holds the new token (its deploy finished, and nothing undid it since);
 * - `attemptedAt` null (or absent) and `deployedAt` null: the new token was never sent there;
 * - `attemptedAt` set, `deployedAt` null: it may hold either token (an attempt, or an undo, was cut
 *   short). `--resume` deploys the new token there again; `--abort` puts the old one back.
 */
export type JournalTarget = DeployTarget & {
  /** ISO-8601 time its deploy succeeded; null until then, and again once an undo starts on it. */
  deployedAt: string | null;
  /** ISO-8601 time the first deploy of the new token started; null once the old token is back. */
  attemptedAt?: string | null;
  /** The process group of a deploy command running now (or when carto-keys was killed). */
  pgid?: number;
  /** Why the last attempt failed, for the resume message. */
  error?: string;
};

export interface Journal {
  version: typeof JOURNAL_VERSION;
  id: string;
  profile: string;
  baseUrl: string;
  username: string;
  /** The organization member whose key this is (`rotate --user`), when not the profile's own. */
  member?: string;
  oldName: string;
  newName: string;
  /** The intended grants, in create-request form (auth-api.md §4). */
  grants: WireGrant[];
  targets: JournalTarget[];
  /** An interactive rotation whose person may still add deploy targets (the deploy menu was not closed). */
  addingTargets: boolean;
  /** null: not decided yet (an interactive rotation asks at the end). */
  deleteOld: boolean | null;
  /** --deploy-timeout, when given: `--resume` and `--abort` run the commands with the same limit. */
  deployTimeoutMs?: number;
  /**
   * --grace: instead of deleting the old key, keep it this long after the rotation and leave it to
   * `retire` (recorded in the deployment registry). Only with deleteOld true.
   */
  graceMs?: number;
  /**
   * A rollback (`rotate --rollback`): `oldName` is the successor being undone, `newName` the original
   * key that takes its place again. The "new" key already exists and is never revoked by --abort.
   */
  rollback?: boolean;
  steps: {
    created: string | null;
    verified: string | null;
    deleted: string | null;
  };
  startedAt: string;
  updatedAt: string;
}

/** `member`: another organization member's key of the same name is another rotation. */
export function rotationId(profile: string, baseUrl: string, oldName: string, member?: string): string {
  const owner = member === undefined ? '' : `${member}\n`;
  return createHash('sha256').update(`${profile}\n${baseUrl}\n${owner}${oldName}`).digest('hex').slice(0, 16);
}

/**
 * What the rotation lock is named after: the account and the key, not how they were spelled. The
 * Master key identifies the account (its fingerprint: the key itself is in no file name), so profiles
 * or URLs that spell one account differently (`127.0.0.1` / `localhost`) still take the same lock.
 */
export function rotationLockId(masterKey: string, oldName: string, member?: string): string {
  // An organization member's key of the same name is another key: another lock.
  const who = member === undefined ? '' : `\n${member}`;
  return createHash('sha256').update(`${fingerprint(masterKey)}\n${oldName}${who}`).digest('hex').slice(0, 16);
}

/** Two rotations of the same key at once: exit 1, nothing done by this one. */
export class RotationBusyError extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code = 'rotation_busy';
}

export interface JournalStore {
  readonly dir: string;
  pathOf(id: string): string;
  lockPathOf(id: string): string;
  read(id: string): Journal | undefined;
  /** Stamps `updatedAt` and replaces the file atomically. */
  save(journal: Journal, now: Date): void;
  remove(id: string): void;
  list(): Journal[];
  /** Refuses (RotationBusyError) while another live process rotates `oldName`. */
  lock(id: string, oldName: string): Lock;
  /**
   * Removes the folders this store created, once they are empty again: with credentials from the
   * environment only, a rotation that ends leaves nothing on disk (a stopped one leaves its journal).
   */
  tidy(): void;
}

export function journalStore(configDir: string): JournalStore {
  const dir = join(configDir, 'rotations');
  const pathOf = (id: string): string => join(dir, `${id}.json`);
  const lockPathOf = (id: string): string => join(dir, `${id}.lock`);
  const created: string[] = [];
  const ensureDir = (): void => {
    // The parent too: it holds the Master key, and CI may create it here for the first time.
    for (const d of [configDir, dir]) {
      if (!existsSync(d)) created.unshift(d);
      ensurePrivateDir(d);
    }
  };

  function readFile(file: string): Journal | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new FileError(`Cannot read the rotation journal ${file}: ${(err as Error).message}`);
    }
    return parseJournal(text, file);
  }

  return {
    dir,
    pathOf,
    lockPathOf,
    read: (id) => readFile(pathOf(id)),
    save(journal, now) {
      ensureDir();
      journal.updatedAt = now.toISOString();
      writeFileAtomic(pathOf(journal.id), `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
    },
    remove: (id) => rmSync(pathOf(id), { force: true }),
    list() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return [];
      }
      return names
        .filter((n) => /^[0-9a-f]{16}\.json$/.test(n))
        .sort()
        .flatMap((n) => readFile(join(dir, n)) ?? []);
    },
    tidy() {
      for (const d of created.splice(0)) {
        try {
          rmdirSync(d);
        } catch {
          // Not empty (another journal, a config file): it stays.
        }
      }
    },
    lock(id, oldName) {
      ensureDir();
      try {
        return tryLock(lockPathOf(id));
      } catch (err) {
        if (!(err instanceof LockBusyError)) throw err;
        throw new RotationBusyError(`Another carto-keys (process ${err.pid ?? '?'}) is rotating "${oldName}" right now.`, {
          hint: `Two rotations of one key at once could delete the key the other one deploys. Wait for it to finish; if no carto-keys is running, delete ${err.path}.`,
        });
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A journal read back is checked field by field: a hand-edited or foreign file is refused with the
// place where it is wrong, never half-used to delete a key.

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isTime: Check = (v) => v === null || typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkTarget(v: unknown): boolean {
  if (!isObject(v) || !isTime(v.deployedAt) || (v.error !== undefined && !isString(v.error))) return false;
  if (v.attemptedAt !== undefined && !isTime(v.attemptedAt)) return false;
  if (v.pgid !== undefined && !(Number.isSafeInteger(v.pgid) && (v.pgid as number) > 1)) return false;
  switch (v.kind) {
    case 'env-file':
      return isString(v.path) && isString(v.variable);
    case 'command':
      return isString(v.command);
    case 'manual':
      return true;
    default:
      return false;
  }
}

const FIELDS: Record<string, Check> = {
  id: isString,
  profile: isString,
  baseUrl: isString,
  username: isString,
  oldName: isString,
  newName: isString,
  grants: (v) => Array.isArray(v) && v.every((g) => isObject(g) && isString(g.type)),
  targets: (v) => Array.isArray(v) && v.every(checkTarget),
  addingTargets: (v) => typeof v === 'boolean',
  deleteOld: (v) => v === null || typeof v === 'boolean',
  steps: (v) => isObject(v) && isTime(v.created) && isTime(v.verified) && isTime(v.deleted),
  startedAt: isString,
  updatedAt: isString,
};

export function parseJournal(text: string, file: string): Journal {
  const bad = (what: string): FileError =>
    new FileError(`The rotation journal ${file} is not valid: ${what}.`, {
      hint: 'It was changed by hand or by another version of carto-keys. Check the keys with `carto-keys list`, then delete the file.',
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!isObject(value)) throw bad('not an object');
  const timeout = value.deployTimeoutMs;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && (timeout as number) > 0)) throw bad('field "deployTimeoutMs" is wrong');
  if (value.member !== undefined && !isString(value.member)) throw bad('field "member" is wrong');
  const grace = value.graceMs;
  if (grace !== undefined && !(Number.isSafeInteger(grace) && (grace as number) > 0)) throw bad('field "graceMs" is wrong');
  if (value.rollback !== undefined && typeof value.rollback !== 'boolean') throw bad('field "rollback" is wrong');
  if (value.version !== JOURNAL_VERSION) throw bad(`unknown version ${JSON.stringify(value.version)}`);
  for (const [field, check] of Object.entries(FIELDS)) {
    if (!check(value[field])) throw bad(`field "${field}" is missing or wrong`);
  }
  return value as unknown as Journal;
}

export interface NewJournal {
  profile: string;
  baseUrl: string;
  username: string;
  member?: string;
  oldName: string;
  newName: string;
  grants: WireGrant[];
  targets: DeployTarget[];
  addingTargets: boolean;
  deleteOld: boolean | null;
  deployTimeoutMs?: number;
  graceMs?: number;
  now: Date;
}

/** The journal of a rotation about to create its key: nothing done yet. */
export function newJournal(p: NewJournal): Journal {
  const at = p.now.toISOString();
  return {
    version: JOURNAL_VERSION,
    id: rotationId(p.profile, p.baseUrl, p.oldName, p.member),
    profile: p.profile,
    baseUrl: p.baseUrl,
    username: p.username,
    ...(p.member !== undefined && { member: p.member }),
    oldName: p.oldName,
    newName: p.newName,
    grants: p.grants,
    targets: p.targets.map((t) => ({ ...t, deployedAt: null, attemptedAt: null })),
    addingTargets: p.addingTargets,
    deleteOld: p.deleteOld,
    ...(p.deployTimeoutMs !== undefined && { deployTimeoutMs: p.deployTimeoutMs }),
    ...(p.graceMs !== undefined && { graceMs: p.graceMs }),
    steps: { created: null, verified: null, deleted: null },
    startedAt: at,
    updatedAt: at,
  };
}
