// Reading the `--scan` files with the bounds of every file carto-keys reads (src/fs/bounded-read.ts):
// regular files only, at most MAX_SCAN_BYTES each. Every refusal happens before any request is sent.

import { FileError, UsageError } from '../errors.js';
import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';
import type { ScannedFile } from './scan.js';

/** Env files and configs are kilobytes; 8 MiB leaves room for a large bundle without reading a disk image. */
export const MAX_SCAN_BYTES = 8 * MiB;

export async function readScanFile(path: string, limit = MAX_SCAN_BYTES): Promise<ScannedFile> {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, limit);
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    const r = err.refusal;
    if (r.reason === 'missing') throw new UsageError(`--scan ${path}: no such file.`);
    if (r.reason === 'not-regular') throw new UsageError(`--scan ${path}: ${r.kind}; only regular files are scanned.`);
    if (r.reason === 'too-large') {
      throw new UsageError(`--scan ${path}: ${r.size === undefined ? '' : `${r.size} bytes, `}over the ${limit / MiB} MiB a scanned file may have.`, {
        hint: 'Scan the files that hold settings (env files, configs), not archives or data.',
      });
    }
    throw new FileError(`--scan ${path}: ${err.message}.`, { cause: err });
  }
  // latin1 maps every byte to one character: never throws on binary, and tokens are ASCII anyway.
  return { path, text: bytes.toString('latin1') };
}
