// A lock file per resource (the config file, one rotation). O_EXCL creation is atomic on every local
// file system; the pid inside lets a later process tell a live holder from one that crashed (kill -9).

import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';

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

/** Tries once; a lock whose holder is dead (or unreadable and not ours) is taken over. */
export function tryLock(path: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
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
