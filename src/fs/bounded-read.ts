// The one way carto-keys reads a file it is given or keeps: only a regular file (a FIFO would block
// the read forever, a device such as /dev/zero would never end, and a symlink to one can be committed
// in a repository), opened without blocking so that opening a FIFO cannot hang either, and never more
// than a limit, whatever stat() said (a file may grow while it is read, /proc files report size 0).

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export const MiB = 1024 * 1024;

export type ReadRefusal =
  | { reason: 'missing' }
  | { reason: 'not-regular'; kind: string }
  /** `size`: what stat() said, when that already was too much. */
  | { reason: 'too-large'; limit: number; size?: number }
  /** `opening`: refused at open (permissions), rather than failing while reading. */
  | { reason: 'unreadable'; code: string; opening: boolean };

/** Why a file was not read; `message` is a short phrase to put after the file's name. */
export class BoundedReadError extends Error {
  constructor(
    readonly path: string,
    readonly refusal: ReadRefusal,
    options?: { cause?: unknown },
  ) {
    super(phrase(refusal), options);
  }
}

function phrase(r: ReadRefusal): string {
  if (r.reason === 'missing') return 'no such file';
  if (r.reason === 'not-regular') return `${r.kind}, not a regular file`;
  if (r.reason === 'too-large') return `larger than the ${formatLimit(r.limit)} such a file may have`;
  return `cannot ${r.opening ? 'open' : 'read'} it (${r.code})`;
}

function formatLimit(bytes: number): string {
  return bytes >= MiB ? `${Math.round((bytes / MiB) * 10) / 10} MiB` : `${bytes} bytes`;
}

export function kindOf(st: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The bytes of the regular file at `path`, at most `limit` of them; throws BoundedReadError. Symlinks
 * are followed unless `noFollow` (a walk over a folder: a link there is refused as 'a symlink').
 */
export function readRegularFile(path: string, limit: number, opts: { noFollow?: boolean } = {}): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer. Harmless on a regular file.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0) | (opts.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (opts.noFollow && code === 'ELOOP') throw new BoundedReadError(path, { reason: 'not-regular', kind: 'a symlink' }, { cause: err });
    throw new BoundedReadError(path, code === 'ENOENT' || code === 'ENOTDIR' ? { reason: 'missing' } : { reason: 'unreadable', code, opening: true }, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BoundedReadError(path, { reason: 'not-regular', kind: kindOf(st) });
    if (st.size > limit) throw new BoundedReadError(path, { reason: 'too-large', limit, size: st.size });
    // Up to one byte past the limit, so a file larger than it is known to be.
    const buffer = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(st.size + 1, 64 * 1024)));
    let total = 0;
    let out = buffer;
    for (;;) {
      if (total === out.length) {
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, out.length * 2));
        out.copy(bigger, 0, 0, total);
        out = bigger;
      }
      const n = readSync(fd, out, total, out.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw new BoundedReadError(path, { reason: 'too-large', limit });
    }
    return out.subarray(0, total);
  } catch (err) {
    if (err instanceof BoundedReadError) throw err;
    throw new BoundedReadError(path, { reason: 'unreadable', code: (err as NodeJS.ErrnoException).code ?? String(err), opening: false }, { cause: err });
  } finally {
    closeSync(fd);
  }
}
