// The env-file deploy target's I/O: read, transform (env-text.ts), and replace atomically, so an app
// reading the file at any moment sees either the old token or the new one, never half a file.
//
// - Written by src/fs/atomic.ts (a temporary file created exclusively in the same folder, renamed over
//   the target) with the old file's mode, a new file 0600; the old owner is put back when we may (root).
// - Only what can be written faithfully is written; anything else is refused, before the new key is
//   created (envFileProblem) and again right before the write: a symlink (written through, it could
//   put the token into any file its planter chose; replaced, it would silently detach the file the app
//   reads), a hard link (the rename detaches the other name, which keeps the old token), a file without
//   its owner's write bit (someone made it read-only on purpose), anything that is not a regular file
//   (a FIFO would hang, a device…), and text in UTF-16/32 (our bytes would be 8-bit garbage to it).
// - Every byte but those of our assignment is kept, even in a file that is not UTF-8 (a Latin-1 "é" in
//   a comment): such a file is transformed one byte per character (latin1), which the transform can
//   do because it only reads and writes ASCII (`=`, quotes, blanks, the variable's name); the value
//   goes in as its UTF-8 bytes. A UTF-8 file (the usual case) is transformed as text, so a byte-order
//   mark or a Unicode blank reads as it does to a dotenv parser.

import { accessSync, closeSync, constants, lstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { lchown, lstat, open } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic.js';
import { dirname, resolve } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { setEnvVar } from './env-text.js';

const NEW_FILE_MODE = 0o600;
/** An env file is small; anything bigger is not one (and is not read whole into memory). */
const MAX_ENV_FILE_BYTES = 1024 * 1024;

/** Why the file at `path` (lstat'ed as `st`) cannot be written faithfully, or undefined. */
function fileProblem(path: string, st: Stats): string | undefined {
  if (st.isSymbolicLink()) return `${path} is a symbolic link: name the file it points to instead (carto-keys does not write through links)`;
  if (st.isDirectory()) return `${path} is a folder`;
  if (!st.isFile()) return `${path} is not a regular file (a FIFO, socket or device)`;
  if (st.nlink > 1) return `${path} has ${st.nlink} hard links: replacing it would leave the other names with the old token`;
  if ((st.mode & 0o200) === 0) return `${path} is read-only (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): make it writable if it should get the token`;
  if (st.size > MAX_ENV_FILE_BYTES) return `${path} is larger than 1 MB: not an env file`;
  return undefined;
}

/** Text we cannot edit byte-faithfully: UTF-16/32 (a byte-order mark, or NUL bytes). */
function encodingProblem(path: string, bytes: Buffer): string | undefined {
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (utf16 || bytes.includes(0)) return `${path} is not UTF-8 or single-byte text (UTF-16 or binary): save it as UTF-8`;
  return undefined;
}

/** Sets `name=value` in the env file at `path`, creating it (0600) if needed. */
export async function writeEnvVar(path: string, name: string, value: string): Promise<void> {
  const target = resolve(path);
  let bytes = Buffer.alloc(0);
  let existing: { mode: number; uid: number; gid: number } | undefined;
  let st: Stats | undefined;
  try {
    st = await lstat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (st !== undefined) {
    const problem = fileProblem(target, st);
    if (problem !== undefined) throw new Error(problem);
    existing = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    // O_NOFOLLOW: a symlink swapped in since the check is refused, not followed.
    const handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const opened = await handle.stat();
      if (!opened.isFile() || opened.ino !== st.ino) throw new Error(`${target} changed while it was being read`);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    const problem2 = encodingProblem(target, bytes);
    if (problem2 !== undefined) throw new Error(problem2);
  }
  // Decoding valid UTF-8 and encoding it again gives back the same bytes; latin1 does for any bytes.
  const encoding: BufferEncoding = isUtf8(bytes) ? 'utf8' : 'latin1';
  const text = bytes.toString(encoding);
  const next = setEnvVar(text, name, encoding === 'utf8' ? value : Buffer.from(value, 'utf8').toString('latin1'));
  if (existing !== undefined && next === text) return;

  writeFileAtomic(target, Buffer.from(next, encoding), { mode: existing?.mode ?? NEW_FILE_MODE });
  // Root editing someone's file must not leave it owned by root; anyone else cannot chown. lchown:
  // should the entry have been replaced by a link since, the link is changed, not what it points to.
  if (existing !== undefined && process.getuid?.() === 0) await lchown(target, existing.uid, existing.gid).catch(() => {});
}

/**
 * Checked before anything is created: the folder exists and is writable, and the file, if there is
 * one, can be written faithfully (see above). A bad target then fails with exit 2 instead of leaving a
 * half-done rotation. Returns a reason, or undefined when the path looks usable.
 */
export function envFileProblem(path: string): string | undefined {
  const file = resolve(path);
  const folder = dirname(file);
  try {
    if (!statSync(folder).isDirectory()) return `${folder} is not a folder`;
    accessSync(folder, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `the folder ${folder} does not exist` : `cannot write in the folder ${folder} (${code ?? String(err)})`;
  }
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : `cannot use ${file} (${code ?? String(err)})`;
  }
  const problem = fileProblem(file, st);
  if (problem !== undefined) return problem;
  let head: Buffer;
  try {
    head = readHead(file);
  } catch (err) {
    return `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  return encodingProblem(file, head);
}

/** The whole (small, regular) file, read without following a link swapped in since the check. */
function readHead(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
