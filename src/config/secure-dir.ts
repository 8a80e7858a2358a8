// The config folder holds the Master key: it must be 0700 and the file 0600. conf creates folders with
// the process umask (usually 0755), so we create and repair them ourselves before conf sees them.

import { chmodSync, mkdirSync, statSync } from 'node:fs';

const isPosix = process.platform !== 'win32';

/** Creates `dir` (0700) if missing; tightens it if an older version or a user left it looser. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (isPosix && (statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
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
