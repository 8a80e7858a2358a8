// The config folder holds the Master key: it must be 0700 and the file 0600, whatever the umask (which
// usually gives 0755 folders), so we create and repair them ourselves.

import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { FileError } from '../errors.js';

const isPosix = process.platform !== 'win32';

/** Creates `dir` (0700) if missing; tightens it if an older version or a user left it looser. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (isPosix && (statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? 'a file is in the way (it, or a folder above it, is a file)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied (it, or a folder above it, belongs to another user or is read-only)'
          : (code ?? String(err));
    throw new FileError(`Cannot use the folder ${dir}: ${why}.`, {
      hint: 'Fix or move what is there, or point CARTO_KEYS_CONFIG_DIR (or XDG_CONFIG_HOME) at a folder of your own.',
      cause: err,
    });
  }
}

/** Tightens an existing file to 0600. Returns true if it had to. */
export function ensurePrivateFile(file: string): boolean {
  if (!isPosix) return false;
  try {
    if ((statSync(file).mode & 0o077) === 0) return false;
  } catch {
    return false;
  }
  chmodSync(file, 0o600);
  return true;
}

/**
 * For readers: a config file holding a key that is found readable by others (copied over, restored
 * from a backup, written by a tool with a loose umask) is tightened, with its folder, as soon as any
 * command reads it rather than at the next write. Best effort: a reader never fails over it (the file
 * may belong to someone else).
 */
export function tightenExisting(dir: string, file: string): void {
  if (!isPosix) return;
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch {
    // Missing (nothing to protect yet), or not ours to change.
  }
}
