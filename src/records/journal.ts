// The journal of a journaled flow: what an interrupted rotation (or apply's create, or a rollback)
// needs to finish (`--resume`) or be undone (`--abort`), written before every step that changes
// something outside this process. A create made by `apply` is a rotation with no old key (`create`).
//
// `<state>/rotations/<id>.json`, 0600 in a 0700 folder, replaced atomically (src/fs/atomic.ts) so a
// crash never leaves half a journal. It holds no token: the new key's token is fetched again with the
// Master key (`getKey(newName).token`). The id is the key reference's (account, member, key name:
// src/records/key-ref.ts), so the same key always maps to the same file, and a lock file named after
// a reference (`<id>.lock`) keeps two flows on one key from running at once.

import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';
import { join } from 'node:path';
import type { WireGrant } from '../api/types.js';
import { tryLock, LockBusyError, type Lock } from '../config/lock.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { CliError, ExitCode, FileError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { DeployTarget } from '../deploy/targets.js';
import { describeRef, keyRef, refId, sameKey, type KeyRef } from './key-ref.js';
import { isRecord } from '../json.js';

/** A journal names one rotation and its targets: kilobytes. */
const MAX_JOURNAL_BYTES = MiB;
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
  /** The key being replaced; for a `create`, the key being created (there is no old key). */
  oldName: string;
  newName: string;
  /** The intended grants, in create-request form (docs/auth-api.md §4). */
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
  /** A key created by `apply` with deploy targets: a rotation with no old key (oldName is newName). */
  create?: boolean;
  /** When the old key was created (from the server): a retirement checks it is still that key. */
  oldCreatedAt?: string;
  /** --check-cmd (or `check:` in the keys file): tests the app after deploy, before any delete. */
  checkCmd?: string;
  /** The keys file an `apply` was applying (absolute): `apply --resume` applies it again. */
  keysFile?: string;
  steps: {
    created: string | null;
    verified: string | null;
    /** The app check (checkCmd) passed. */
    checked?: string | null;
    deleted: string | null;
  };
  startedAt: string;
  updatedAt: string;
}

/** The key a journal is about: its old key (for a create, the key it creates). */
export function journalRef(j: Pick<Journal, 'baseUrl' | 'member' | 'oldName'>): KeyRef {
  return keyRef(j.baseUrl, j.member, j.oldName);
}

/** Two rotations of the same key at once: exit 1, nothing done by this one. */
export class RotationBusyError extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code = 'rotation_busy';
}

export interface JournalStore {
  readonly dir: string;
  pathOf(id: string): string;
  lockPathOf(ref: KeyRef): string;
  /** The journal of a key, if a flow on it is unfinished. */
  find(ref: KeyRef): Journal | undefined;
  read(id: string): Journal | undefined;
  /** Stamps `updatedAt` and replaces the file atomically. */
  save(journal: Journal, now: Date): void;
  remove(id: string): void;
  list(): Journal[];
  /** Refuses (RotationBusyError) while another live process works on the key. */
  lock(ref: KeyRef): Lock;
  /**
   * Removes the folders this store created, once they are empty again: with credentials from the
   * environment only, a rotation that ends leaves nothing on disk (a stopped one leaves its journal).
   */
  tidy(): void;
}

export function journalStore(stateDir: string): JournalStore {
  const configDir = stateDir;
  const dir = join(configDir, 'rotations');
  const pathOf = (id: string): string => join(dir, `${id}.json`);
  const lockPathOf = (ref: KeyRef): string => join(dir, `${refId(ref)}.lock`);
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
      // Bounded, regular files only: a FIFO or a device in its place must not hang or fill the memory.
      text = readRegularFile(file, MAX_JOURNAL_BYTES).toString('utf8');
    } catch (err) {
      if (!(err instanceof BoundedReadError)) throw err;
      if (err.refusal.reason === 'missing') return undefined;
      throw new FileError(`Cannot read the rotation journal ${file}: ${err.message}`);
    }
    return parseJournal(text, file);
  }

  function list(): Journal[] {
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
  }

  return {
    dir,
    pathOf,
    lockPathOf,
    read: (id) => readFile(pathOf(id)),
    // By its id, else by what it names (a journal written under another spelling of the account).
    find: (ref) => readFile(pathOf(refId(ref))) ?? list().find((j) => sameKey(journalRef(j), ref)),
    save(journal, now) {
      ensureDir();
      journal.updatedAt = now.toISOString();
      writeFileAtomic(pathOf(journal.id), `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
    },
    remove: (id) => rmSync(pathOf(id), { force: true }),
    list,
    tidy() {
      for (const d of created.splice(0)) {
        try {
          rmdirSync(d);
        } catch {
          // Not empty (another journal, a config file): it stays.
        }
      }
    },
    lock(ref) {
      ensureDir();
      try {
        return tryLock(lockPathOf(ref));
      } catch (err) {
        if (!(err instanceof LockBusyError)) throw err;
        throw new RotationBusyError(`Another carto-keys (process ${err.pid ?? '?'}) is rotating ${describeRef(ref)} right now.`, {
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

function checkTarget(v: unknown): boolean {
  if (!isRecord(v) || !isTime(v.deployedAt) || (v.error !== undefined && !isString(v.error))) return false;
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
  grants: (v) => Array.isArray(v) && v.every((g) => isRecord(g) && isString(g.type)),
  targets: (v) => Array.isArray(v) && v.every(checkTarget),
  addingTargets: (v) => typeof v === 'boolean',
  deleteOld: (v) => v === null || typeof v === 'boolean',
  steps: (v) => isRecord(v) && isTime(v.created) && isTime(v.verified) && isTime(v.deleted) && (v.checked === undefined || isTime(v.checked)),
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
  if (!isRecord(value)) throw bad('not an object');
  const timeout = value.deployTimeoutMs;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && (timeout as number) > 0)) throw bad('field "deployTimeoutMs" is wrong');
  if (value.member !== undefined && !isString(value.member)) throw bad('field "member" is wrong');
  const grace = value.graceMs;
  if (grace !== undefined && !(Number.isSafeInteger(grace) && (grace as number) > 0)) throw bad('field "graceMs" is wrong');
  for (const flag of ['rollback', 'create'] as const) {
    if (value[flag] !== undefined && typeof value[flag] !== 'boolean') throw bad(`field "${flag}" is wrong`);
  }
  for (const text of ['oldCreatedAt', 'checkCmd', 'keysFile'] as const) {
    if (value[text] !== undefined && !isString(value[text])) throw bad(`field "${text}" is wrong`);
  }
  if (value.version !== JOURNAL_VERSION) throw bad(`unknown version ${JSON.stringify(value.version)}`);
  for (const [field, check] of Object.entries(FIELDS)) {
    if (!check(value[field])) throw bad(`field "${field}" is missing or wrong`);
  }
  return value as unknown as Journal;
}

/** What a new journal is made of: its decisions, and its targets with no progress yet. */
export type NewJournal = Pick<Journal, 'profile' | 'baseUrl' | 'username' | 'oldName' | 'newName' | 'grants' | 'addingTargets' | 'deleteOld'> &
  Partial<Pick<Journal, 'member' | 'deployTimeoutMs' | 'graceMs' | 'create' | 'oldCreatedAt' | 'checkCmd' | 'keysFile'>> & {
    targets: DeployTarget[];
    now: Date;
  };

/** The journal of a rotation about to create its key: nothing done yet. */
export function newJournal(p: NewJournal): Journal {
  const at = p.now.toISOString();
  return {
    version: JOURNAL_VERSION,
    id: refId(keyRef(p.baseUrl, p.member, p.oldName)),
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
    ...(p.create === true && { create: true }),
    ...(p.oldCreatedAt !== undefined && { oldCreatedAt: p.oldCreatedAt }),
    ...(p.checkCmd !== undefined && { checkCmd: p.checkCmd }),
    ...(p.keysFile !== undefined && { keysFile: p.keysFile }),
    steps: { created: null, verified: null, deleted: null },
    startedAt: at,
    updatedAt: at,
  };
}
