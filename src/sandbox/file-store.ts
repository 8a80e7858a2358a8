// The embedded sandbox's state on disk. A file that cannot be read as a state is an error the user
// must see — resetting it silently would throw away keys they may be testing with.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, fchmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { FileError } from '../errors.js';
import { parseSandboxState, type SandboxState } from './state.js';

const RESET_ADVICE = 'Run `carto-keys sandbox reset` to start the sandbox afresh (its keys are lost).';

function corrupt(path: string, why: string, cause: unknown, advice: string): FileError {
  return new FileError(`The sandbox state file ${path} is unreadable: ${why}. ${advice}`, { cause });
}

/**
 * undefined when the file does not exist; a FileError when it exists but is not a valid state. The
 * advice that ends the error is for the embedded sandbox's file unless the caller has a better one
 * (`sandbox reset` does not touch a `sandbox serve --state` file).
 */
export function loadSandboxState(path: string, advice = RESET_ADVICE): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileError(`Cannot read the sandbox state file ${path}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw corrupt(path, `not valid JSON (${(e as Error).message})`, e, advice);
  }
  try {
    return parseSandboxState(json);
  } catch (e) {
    throw corrupt(path, `not a sandbox state (${(e as Error).message})`, e, advice);
  }
}

/**
 * Atomic: a temporary file in the same folder (so rename cannot cross file systems), 0600 since it
 * holds the sandbox's Master key, flushed to disk before it replaces the old file. A crash leaves
 * either the old state or the new one, never half of one.
 */
export function saveSandboxState(path: string, state: SandboxState): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeDurably(tmp, `${JSON.stringify(state)}\n`);
    renameSync(tmp, path);
    syncDirectory(dir);
  } catch (e) {
    removeQuietly(tmp);
    throw new FileError(`Cannot save the sandbox state to ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Cleanup after a failure must not hide the failure (the folder may not even exist). */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Nothing was written there, or nothing can be.
  }
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    // The umask may only remove bits, but be explicit about what this file must be.
    fchmodSync(fd, 0o600);
    const data = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the rename itself durable; not every platform can open a directory, so best effort. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
