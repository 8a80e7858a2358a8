// A lock file per resource (the config file, one rotation). It appears atomically with the holder's
// pid already inside (see create()); the pid lets a later process tell a live holder from one that
// crashed (kill -9). A lock is only ever removed by someone who has just checked that it is still the
// very file (inode and pid) they judged released or stale: removing "the lock" by name alone once
// deleted a lock taken in between by a third process, and two writers then held it at once.

import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';

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

/**
 * Whether the holder still runs. A pid alone is not enough: a rotation killed in a container leaves
 * "2" in its lock, and pid 2 is alive in the next container forever. So a lock also records when its
 * process started (/proc/<pid>/stat, in clock ticks since boot) and which boot that was: a live pid
 * that started at another time, or a lock from another boot, is a reused number, and the lock stale.
 */
function isAlive(holder: Holder): boolean {
  if (holder.pid === undefined) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.boot !== undefined && BOOT_ID !== undefined && holder.boot !== BOOT_ID) return false;
  if (holder.start !== undefined) {
    const now = startTimeOf(holder.pid);
    if (now !== undefined && now !== holder.start) return false;
  }
  return true;
}

/** This machine's boot (Linux); undefined elsewhere. */
const BOOT_ID = readOptional('/proc/sys/kernel/random/boot_id')?.trim();

/** When `pid` started, in clock ticks since boot (Linux); undefined elsewhere or if it is gone. */
function startTimeOf(pid: number): string | undefined {
  const stat = readOptional(`/proc/${pid}/stat`);
  // "pid (comm) state …": comm may hold spaces and parentheses; starttime is the 20th field after it.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** What a lock file says: "<pid> [<start time> <boot id>]". */
function lockText(): string {
  const start = startTimeOf(process.pid);
  return start !== undefined && BOOT_ID !== undefined ? `${process.pid} ${start} ${BOOT_ID}` : String(process.pid);
}

interface Holder {
  pid: number | undefined;
  start?: string;
  boot?: string;
  ino: number;
}

/** The lock file as it is now (the pid inside and its inode), or undefined when there is none. */
function inspect(path: string): Holder | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const [pidText = '', start, boot] = readFileSync(fd, 'utf8').trim().split(/\s+/);
    const pid = Number.parseInt(pidText, 10);
    return {
      pid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
      ...(start !== undefined && { start }),
      ...(boot !== undefined && { boot }),
      ino: fstatSync(fd).ino,
    };
  } finally {
    closeSync(fd);
  }
}

/** Removes the lock only if it is still `expected` (same inode, same pid): never a lock taken meanwhile. */
function removeIfSame(path: string, expected: Holder): void {
  const now = inspect(path);
  if (now === undefined || now.ino !== expected.ino || now.pid !== expected.pid || now.start !== expected.start) return;
  try {
    unlinkSync(path);
  } catch {
    // Removed by someone else first: the next attempt settles who gets the lock.
  }
}

function handle(path: string, mine: Holder): Lock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      removeIfSame(path, mine);
    },
  };
}

/**
 * Creates the lock file with our pid already in it. The pid goes into a private file that is then
 * hard-linked into place (atomic, and EEXIST when the lock exists), so no other process ever sees the
 * lock empty: an empty lock, read between its creation and the write of the pid, looked stale and was
 * taken over — two writers then both held it and one lost the other's change.
 */
function create(path: string): Holder {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const text = lockText();
  const [, start, boot] = text.split(' ');
  const mine = { pid: process.pid, ...(start !== undefined && { start }), ...(boot !== undefined && { boot }) };
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    return { ...mine, ino: statSync(tmp).ino };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw err;
    // A file system without hard links: O_EXCL alone (with its short empty window) is the best it has.
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, text);
      return { ...mine, ino: fstatSync(fd).ino };
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

/** Tries once (a few attempts, no waiting); a lock whose holder is dead or unreadable is taken over. */
export function tryLock(path: string): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return handle(path, create(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = inspect(path);
      if (holder === undefined) continue; // Released between our attempt and our look: try again.
      if (isAlive(holder)) throw new LockBusyError(path, holder.pid);
      // Stale: its holder died without releasing it. Remove that very file, then try again.
      removeIfSame(path, holder);
    }
  }
  throw new LockBusyError(path, inspect(path)?.pid);
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

/**
 * waitLock for synchronous code (the name cache is written from a synchronous hook): sleeps with
 * Atomics.wait between attempts instead of yielding to the event loop.
 */
export function waitLockSync(path: string, timeoutMs: number): Lock {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return tryLock(path);
    } catch (err) {
      if (!(err instanceof LockBusyError) || Date.now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}
