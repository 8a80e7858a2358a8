// Reading the `--scan` files, with bounds: only regular files (a FIFO would block the read forever, a
// device like /dev/zero would never end), at most MAX_SCAN_BYTES each, opened without blocking so
// that opening a FIFO cannot hang either. Every refusal happens before any request is sent.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileError, UsageError } from '../errors.js';
import type { ScannedFile } from './scan.js';

/** Env files and configs are kilobytes; 8 MiB leaves room for a large bundle without reading a disk image. */
export const MAX_SCAN_BYTES = 8 * 1024 * 1024;

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

export async function readScanFile(path: string, limit = MAX_SCAN_BYTES): Promise<ScannedFile> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer. Harmless on a regular file.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--scan ${path}: no such file.`);
    throw new FileError(`--scan ${path}: cannot open it (${code ?? String(err)}).`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UsageError(`--scan ${path}: ${kindOf(st)}; only regular files are scanned.`);
    if (st.size > limit) {
      throw new UsageError(`--scan ${path}: ${st.size} bytes, over the ${limit / 1024 / 1024} MiB a scanned file may have.`, {
        hint: 'Scan the files that hold settings (env files, configs), not archives or data.',
      });
    }
    // Read up to one byte past the limit, whatever stat() said: a file that grew since, or one whose
    // size is not known in advance (/proc), is bounded the same way.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw new UsageError(`--scan ${path}: over the ${limit / 1024 / 1024} MiB a scanned file may have.`);
    }
    // latin1 maps every byte to one character: never throws on binary, and tokens are ASCII anyway.
    return { path, text: Buffer.concat(chunks, total).toString('latin1') };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new FileError(`--scan ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err });
  } finally {
    await handle.close();
  }
}
