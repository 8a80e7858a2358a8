// Does a recorded env file still hold a key's token? Read with bounds (a regular file, at most 1 MB:
// a FIFO or a device planted there must not hang `retire` in cron), parsed as dotenv reads it, and
// compared by fingerprint so no token is kept or shown.

import { fingerprint } from '../text/fingerprint.js';
import { readEnvVar } from './env-text.js';
import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';

export type EnvFileState = 'holds' | 'other-token' | 'no-variable' | 'missing' | 'unreadable';

const MAX_BYTES = MiB;

export function envFileState(path: string, variable: string, expectedFingerprint: string): { state: EnvFileState; detail?: string } {
  let text: string;
  try {
    text = readRegularFile(path, MAX_BYTES).toString('utf8');
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    if (err.refusal.reason === 'missing') return { state: 'missing' };
    return { state: 'unreadable', detail: err.message };
  }
  const value = readEnvVar(text, variable);
  if (value === undefined || value === '') return { state: 'no-variable' };
  return { state: fingerprint(value) === expectedFingerprint ? 'holds' : 'other-token' };
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
