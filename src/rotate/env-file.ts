// The env-file deploy target's I/O: read, transform (env-text.ts), and replace atomically, so an app
// reading the file at any moment sees either the old token or the new one, never half a file.
//
// - Written by src/fs/atomic.ts (a temporary file in the same folder, renamed over the target) with
//   the old file's mode, a new file 0600; the old owner is put back when we may (root).
// - A symlink is written through: its target is replaced and the link stays a link (replacing the
//   link itself would silently detach it from the file other tools read).
// - Every byte but those of our assignment is kept, even in a file that is not UTF-8 (a Latin-1 "é" in
//   a comment): such a file is transformed one byte per character (latin1), which the transform can
//   do because it only reads and writes ASCII (`=`, quotes, blanks, the variable's name); the value
//   goes in as its UTF-8 bytes. A UTF-8 file (the usual case) is transformed as text, so a byte-order
//   mark or a Unicode blank reads as it does to a dotenv parser.

import { statSync } from 'node:fs';
import { lchown, lstat, readFile, readlink, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { isUtf8 } from 'node:buffer';
import { setEnvVar } from './env-text.js';

const NEW_FILE_MODE = 0o600;
const MAX_LINKS = 32;

/** The file a write to `path` must replace: `path`, or the end of its chain of symlinks. */
export async function writeTargetOf(path: string): Promise<string> {
  let current = resolve(path);
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    let isLink: boolean;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return current;
      throw err;
    }
    if (!isLink) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), { code: 'ELOOP' });
}

/** Sets `name=value` in the env file at `path`, creating it (0600) if needed. */
export async function writeEnvVar(path: string, name: string, value: string): Promise<void> {
  const target = await writeTargetOf(path);
  let bytes = Buffer.alloc(0);
  let existing: { mode: number; uid: number; gid: number } | undefined;
  try {
    const st = await stat(target);
    existing = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    bytes = await readFile(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
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
 * Checked before anything is created: the folder exists. A typo in the path then fails with exit 2
 * instead of leaving a half-done rotation. Returns a reason, or undefined when the path looks usable.
 */
export function envFileProblem(path: string): string | undefined {
  const folder = dirname(resolve(path));
  try {
    if (!statSync(folder).isDirectory()) return `${folder} is not a folder`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `the folder ${folder} does not exist` : `cannot use the folder ${folder} (${code ?? String(err)})`;
  }
  return undefined;
}
