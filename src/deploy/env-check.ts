// Does a recorded env file still hold a key's token? Read with bounds (a regular file, at most 1 MB:
// a FIFO or a device planted there must not hang `retire` in cron), parsed as dotenv reads it, and
// compared by fingerprint so no token is kept or shown.

import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { fingerprint } from '../config/settings.js';
import { readEnvVar } from './env-text.js';

export type EnvFileState = 'holds' | 'other-token' | 'no-variable' | 'missing' | 'unreadable';

const MAX_BYTES = 1024 * 1024;

export function envFileState(path: string, variable: string, expectedFingerprint: string): { state: EnvFileState; detail?: string } {
  let text: string;
  try {
    text = readBounded(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    return { state: 'unreadable', detail: code ?? (err instanceof Error ? err.message : String(err)) };
  }
  const value = readEnvVar(text, variable);
  if (value === undefined || value === '') return { state: 'no-variable' };
  return { state: fingerprint(value) === expectedFingerprint ? 'holds' : 'other-token' };
}

function readBounded(path: string): string {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    if (st.size > MAX_BYTES) throw Object.assign(new Error('larger than 1 MB'), { code: 'larger than 1 MB' });
    const buf = Buffer.alloc(st.size);
    let done = 0;
    while (done < st.size) {
      const n = readSync(fd, buf, done, st.size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function describeState(s: { state: EnvFileState; detail?: string }, keyName: string): string {
  switch (s.state) {
    case 'holds':
      return `holds the token of "${keyName}"`;
    case 'other-token':
      return 'holds another token';
    case 'no-variable':
      return 'the variable is not set';
    case 'missing':
      return 'the file does not exist';
    case 'unreadable':
      return `cannot be read (${s.detail ?? 'unknown'})`;
  }
}
