// The rotation journal: what an interrupted rotation needs to finish (`--resume`) or be undone
// (`--abort`), written before every step that changes something outside this process.
//
// `<config>/rotations/<id>.json`, 0600 in a 0700 folder, replaced atomically (src/fs/atomic.ts) so a
// crash never leaves half a journal. It holds no token: the new key's token is fetched again with the
// Master key (`getKey(newName).token`). The id is derived from profile, base URL and old key name, so
// the same key of the same account always maps to the same file, and a lock file next to it
// (`<id>.lock`) keeps two rotations of one key from running at once.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WireGrant } from '../api/types.js';
import { tryLock, LockBusyError, type Lock } from '../config/lock.js';
import { ensurePrivateDir } from '../config/secure-dir.js';
import { CliError, ExitCode, FileError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { DeployTarget } from './targets.js';

export const JOURNAL_VERSION = 1;

export type JournalTarget = DeployTarget & {
  /** ISO-8601 time it succeeded; null until then. */
  deployedAt: string | null;
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
}

export function journalStore(configDir: string): JournalStore {
  const dir = join(configDir, 'rotations');
  const pathOf = (id: string): string => join(dir, `${id}.json`);
  const lockPathOf = (id: string): string => join(dir, `${id}.lock`);
  const ensureDir = (): void => {
    // The parent too: it holds the Master key, and CI may create it here for the first time.
    ensurePrivateDir(configDir);
    ensurePrivateDir(dir);
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
    lock(id, oldName) {
      ensureDir();
      try {
        return tryLock(lockPathOf(id));
      } catch (err) {
        if (!(err instanceof LockBusyError)) throw err;
        throw new RotationBusyError(`Another carto-keys (process ${err.pid ?? '?'}) is rotating "${oldName}" right now.`, {
          hint: 'Two rotations of one key at once could delete the key the other one deploys. Wait for it to finish.',
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
  if (value.member !== undefined && !isString(value.member)) throw bad('field "member" is wrong');
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
    targets: p.targets.map((t) => ({ ...t, deployedAt: null })),
    addingTargets: p.addingTargets,
    deleteOld: p.deleteOld,
    steps: { created: null, verified: null, deleted: null },
    startedAt: at,
    updatedAt: at,
  };
}
