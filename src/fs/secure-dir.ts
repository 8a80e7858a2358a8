// The config folder holds the Master key: it must be 0700 and the file 0600, and both must be the
// user's own. Folders are created with the process umask (usually 0755), so we create and repair
// them ourselves.
//
// Found looser than that, a file or folder of ours is tightened (it already held the key; refusing
// would only lock the user out of the fix, as `chmod` is all it takes). One that belongs to another
// user (root included) is refused: whoever owns it can read the key we would store, or point the
// stored key at their own server, and we could not tighten it anyway.

import { chmodSync, lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { FileError } from '../errors.js';

const isPosix = process.platform !== 'win32';

/** The uid files must belong to; undefined where there is no such notion (Windows). */
function ourUid(): number | undefined {
  return isPosix && typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function statOrUndefined(path: string, follow = true): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Refuses a config file or folder that belongs to another user. */
export function refuseForeignOwner(path: string, what: 'config file' | 'folder'): void {
  const uid = ourUid();
  const st = statOrUndefined(path);
  if (uid === undefined || st === undefined || st.uid === uid) return;
  throw new FileError(`The ${what} ${path} belongs to another user (uid ${st.uid}${st.uid === 0 ? ', root' : ''}), not to you (uid ${uid}): refusing to use it.`, {
    hint: `Whoever owns it could read or redirect your Master key. Move it away, or set CARTO_KEYS_CONFIG_DIR to a folder of your own.`,
  });
}

/**
 * Creates `dir` (0700) if missing; tightens it if an older version or a user left it looser (a 0777
 * cache or data folder included); refuses it if it belongs to another user.
 */
export function ensurePrivateDir(dir: string): void {
  refuseForeignOwner(dir, 'folder');
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

/** Tightens an existing file to 0600 (refusing a foreign one). Returns true if it had to. */
export function ensurePrivateFile(file: string): boolean {
  if (!isPosix) return false;
  refuseForeignOwner(file, 'config file');
  const st = statOrUndefined(file);
  if (st === undefined || (st.mode & 0o077) === 0) return false;
  chmodSync(file, 0o600);
  return true;
}

/**
 * For readers: a config file found readable by others (copied over, restored from a backup, written
 * by a tool with a loose umask) is tightened, with its folder, as soon as any command reads it rather
 * than at the next write. A file or folder owned by another user is refused before it is read.
 */
export function tightenExisting(dir: string, file: string): void {
  if (!isPosix) return;
  refuseForeignOwner(dir, 'folder');
  refuseForeignOwner(file, 'config file');
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch {
    // Missing: nothing to protect yet.
  }
}
