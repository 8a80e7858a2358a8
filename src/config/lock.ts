// A lock file per resource (the config file, one rotation). It appears atomically with the holder's
// pid already inside (see create()); the pid lets a later process tell a live holder from one that
// crashed (kill -9). Known limit: two processes that find the same dead holder at the same instant
// can both take over; that needs a crash and a race together, and is not worth a heavier protocol.

import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';

export interface Lock {
  release(): void;
}

export class LockBusyError extends Error {
  constructor(
    readonly path: string,
    readonly pid: number | undefined,
  ) {
    super(`${path} is locked by process ${pid ?? '?'}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function handle(path: string): Lock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}

/**
 * Creates the lock file with our pid already in it. The pid goes into a private file that is then
 * hard-linked into place (atomic, and EEXIST when the lock exists), so no other process ever sees the
 * lock empty: an empty lock, read between its creation and the write of the pid, looked stale and was
 * taken over — two writers then both held it and one lost the other's change.
 */
function create(path: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, String(process.pid), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw err;
    // A file system without hard links: O_EXCL alone (with its short empty window) is the best it has.
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean.
    }
  }
}

/** Tries once; a lock whose holder is dead (or unreadable and not ours) is taken over. */
export function tryLock(path: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      create(path);
      return handle(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = holder(path);
      if (pid !== undefined && isAlive(pid)) throw new LockBusyError(path, pid);
      // Stale: the holder died without releasing. Remove and try again once.
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed it first; the retry settles who wins.
      }
    }
  }
  throw new LockBusyError(path, holder(path));
}

/** Waits (polling) up to `timeoutMs` for the lock: for short critical sections such as a config write. */
export async function waitLock(path: string, timeoutMs = 5000): Promise<Lock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return tryLock(path);
    } catch (err) {
      if (!(err instanceof LockBusyError) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
