// The journal of an `apply` run: which file it applies, and the keys it created whose token still has
// to reach their deploy targets (replacements and rotations keep their own rotation journals, see
// src/rotate/journal.ts). `apply --resume` finishes those deploys; `apply --abort` forgets them.
//
// `<config>/apply/<id>.json` (id from profile and base URL), 0600 in a 0700 folder, replaced
// atomically; no token in it (a token is fetched again with the Master key). A lock next to it keeps
// two applies on one account from running at once.

import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LockBusyError, tryLock, type Lock } from '../config/lock.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import type { Credentials } from '../config/settings.js';
import { CliError, ExitCode, FileError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { JournalTarget } from '../rotate/journal.js';

export const APPLY_JOURNAL_VERSION = 1;

export interface PendingCreate {
  name: string;
  targets: JournalTarget[];
}

export interface ApplyJournal {
  version: typeof APPLY_JOURNAL_VERSION;
  profile: string;
  baseUrl: string;
  username: string;
  /** Absolute path of the keys file being applied. */
  file: string;
  creates: PendingCreate[];
  startedAt: string;
  updatedAt: string;
}

export class ApplyBusyError extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code = 'apply_busy';
}

export interface ApplyJournalStore {
  read(): ApplyJournal | undefined;
  save(j: ApplyJournal, now: Date): void;
  remove(): void;
  lock(): Lock;
}

export function applyJournalStore(configDir: string, creds: Pick<Credentials, 'profile' | 'baseUrl'>): ApplyJournalStore {
  const dir = join(configDir, 'apply');
  const id = createHash('sha256').update(`${creds.profile}\n${creds.baseUrl}`).digest('hex').slice(0, 16);
  const file = join(dir, `${id}.json`);
  const ensure = (): void => {
    ensurePrivateDir(configDir);
    ensurePrivateDir(dir);
  };
  return {
    read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new FileError(`Cannot read the apply journal ${file}: ${(err as Error).message}`);
      }
      return parseApplyJournal(text, file);
    },
    save(j, now) {
      ensure();
      j.updatedAt = now.toISOString();
      writeFileAtomic(file, `${JSON.stringify(j, null, 2)}\n`, { mode: 0o600 });
    },
    remove: () => rmSync(file, { force: true }),
    lock() {
      ensure();
      try {
        return tryLock(join(dir, `${id}.lock`));
      } catch (err) {
        if (!(err instanceof LockBusyError)) throw err;
        throw new ApplyBusyError(`Another carto-keys (process ${err.pid ?? '?'}) is applying a keys file to this account right now.`, {
          hint: 'Wait for it to finish, then plan again.',
        });
      }
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseApplyJournal(text: string, file: string): ApplyJournal {
  const bad = (): FileError =>
    new FileError(`The apply journal ${file} is not valid.`, {
      hint: 'It was changed by hand or by another version of carto-keys. Check the keys with `carto-keys plan`, then delete the file.',
    });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad();
  }
  if (!isObject(v) || v.version !== APPLY_JOURNAL_VERSION) throw bad();
  for (const f of ['profile', 'baseUrl', 'username', 'file', 'startedAt', 'updatedAt']) if (typeof v[f] !== 'string') throw bad();
  const creates = v.creates;
  if (!Array.isArray(creates)) throw bad();
  for (const c of creates) {
    if (!isObject(c) || typeof c.name !== 'string' || !Array.isArray(c.targets)) throw bad();
    for (const t of c.targets) {
      if (!isObject(t) || !(t.deployedAt === null || typeof t.deployedAt === 'string')) throw bad();
      if (!(t.kind === 'env-file' && typeof t.path === 'string' && typeof t.variable === 'string') && !(t.kind === 'command' && typeof t.command === 'string')) throw bad();
    }
  }
  return v as unknown as ApplyJournal;
}
