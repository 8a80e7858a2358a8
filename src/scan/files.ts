// Files and folders to scan, read with the bounds of every file carto-keys reads (src/fs/bounded-read.ts).
// Folders are walked recursively in name order; `.git` folders are skipped (their history is `--git`'s
// business), symlinks are never followed (a link can point anywhere: /dev/zero, a home folder, back
// up the tree), and only regular files are read, opened without following a link and without blocking
// (a FIFO swapped in after the listing cannot hang the scan). A path named on the command line is
// taken as given, through a symlink too, since the user chose it; it must exist and be a file or a
// folder, which is checked before anything is sent.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { BoundedReadError, kindOf, MiB, readRegularFile } from '../fs/bounded-read.js';

/** Files larger than this are skipped (and counted): tokens live in settings, not in data or archives. */
export const MAX_FILE_BYTES = 10 * MiB;

export interface SkipCounts {
  binary: number;
  tooLarge: number;
  symlinks: number;
  /** Not a regular file (FIFO, socket, device), or could not be read (permissions). */
  unreadable: number;
}

export function noSkips(): SkipCounts {
  return { binary: 0, tooLarge: 0, symlinks: 0, unreadable: 0 };
}

/** Every named path exists and is a file or a folder: checked before any request. */
export function checkPaths(paths: readonly string[], flag = 'scan'): void {
  for (const path of paths) {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`${flag} ${path}: no such file or folder.`);
      throw new UsageError(`${flag} ${path}: cannot read it (${code ?? String(err)}).`);
    }
    if (!st.isFile() && !st.isDirectory()) throw new UsageError(`${flag} ${path}: ${kindOf(st)}; only files and folders are scanned.`);
  }
}

export interface FileToScan {
  /** As the user would write it: the named path, joined with the names below it. */
  path: string;
  bytes: Buffer;
}

/** Calls `onFile` for each regular file under the paths, in order; what is skipped is counted in `skips`. */
export function walkFiles(paths: readonly string[], skips: SkipCounts, onFile: (file: FileToScan) => void): void {
  for (const path of paths) {
    const st = statSync(path);
    if (st.isDirectory()) walkFolder(path, skips, onFile);
    else readInto(path, false, skips, onFile);
  }
}

function walkFolder(dir: string, skips: SkipCounts, onFile: (file: FileToScan) => void): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    skips.unreadable++;
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isSymbolicLink()) skips.symlinks++;
    else if (e.isDirectory()) {
      if (e.name !== '.git') walkFolder(path, skips, onFile);
    } else if (e.isFile()) readInto(path, true, skips, onFile);
    else if (e.name !== '.git') skips.unreadable++;
  }
}

function readInto(path: string, noFollow: boolean, skips: SkipCounts, onFile: (file: FileToScan) => void): void {
  const bytes = readBounded(path, noFollow, skips);
  if (bytes !== undefined) onFile({ path, bytes });
}

/** The file's bytes, or undefined (counted) when it is no regular file, too large or unreadable. */
export function readBounded(path: string, noFollow: boolean, skips: SkipCounts): Buffer | undefined {
  try {
    return readRegularFile(path, MAX_FILE_BYTES, { noFollow });
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    const r = err.refusal;
    if (r.reason === 'too-large') skips.tooLarge++;
    else if (r.reason === 'not-regular' && r.kind === 'a symlink') skips.symlinks++;
    else skips.unreadable++;
    return undefined;
  }
}
