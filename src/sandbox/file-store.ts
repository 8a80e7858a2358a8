// The embedded sandbox's state on disk. A file that cannot be read as a state is an error the user
// must see — resetting it silently would throw away keys they may be testing with.

import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { dirname } from 'node:path';
import { FileError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { parseSandboxState, type SandboxState } from './state.js';

const RESET_ADVICE = 'Run `carto-keys sandbox reset` to start the sandbox afresh (its keys are lost).';

function corrupt(path: string, why: string, cause: unknown, advice: string): FileError {
  return new FileError(`The sandbox state file ${path} is unreadable: ${why}. ${advice}`, { cause });
}

/** A state of 10,000 keys is a few MB. */
const MAX_STATE_BYTES = 128 * MiB;

/**
 * undefined when the file does not exist; a FileError when it exists but is not a valid state. The
 * advice that ends the error is for the embedded sandbox's file unless the caller has a better one
 * (`sandbox reset` does not touch a `sandbox serve --state` file).
 */
export function loadSandboxState(path: string, advice = RESET_ADVICE): SandboxState | undefined {
  let text: string;
  try {
    text = readRegularFile(path, MAX_STATE_BYTES).toString('utf8');
  } catch (e) {
    if (e instanceof BoundedReadError && e.refusal.reason === 'missing') return undefined;
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
 * Atomic (src/fs/atomic.ts), 0600 since it holds the sandbox's Master key: a crash leaves either the
 * old state or the new one, never half of one.
 */
export function saveSandboxState(path: string, state: SandboxState): void {
  try {
    // 0700, tightened if found looser (a 0777 data folder): the state holds the sandbox's Master key.
    ensurePrivateDir(dirname(path));
    writeFileAtomic(path, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  } catch (e) {
    throw new FileError(`Cannot save the sandbox state to ${path}: ${(e as Error).message}`, { cause: e });
  }
}
