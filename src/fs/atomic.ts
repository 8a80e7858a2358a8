// The one way carto-keys writes a file: config, key-name cache, rotation journals, env files, sandbox
// state. A reader (an app reading its .env, another carto-keys reading the config) sees the old file or
// the new one, never half of one, and a crash leaves one or the other.
//
// - The temporary file is created exclusively ('wx') under a random name in the target's folder (a
//   rename is only atomic within one file system): nobody can have planted it, and two writers never
//   share one.
// - It gets exactly `mode` (fchmod: open()'s mode is filtered by the umask) before any byte is written,
//   so a secret is never readable by others, not even for a moment.
// - It is flushed (fsync) before the rename, and the folder after it (best effort).
// - rename() replaces the directory entry: a symlink planted at `path` is replaced, never written
//   through. Callers that mean to write through a link (env files) resolve it first, on purpose.
// - `exclusive`: never replace anything: the finished file is hard-linked into place, which fails
//   with EEXIST if `path` exists (a file, a link, anything), so no reader sees it half-written either.

import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode: number; exclusive?: boolean }): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'wx', opts.mode);
  try {
    try {
      fchmodSync(fd, opts.mode);
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.exclusive) {
      linkSync(tmp, path);
      rmSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The failure that matters is the one being thrown.
    }
    throw err;
  }
  syncDirectory(dir);
}

/** Makes the rename itself durable. Not every platform can open a folder (Windows): best effort. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // The rename is atomic all the same.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
